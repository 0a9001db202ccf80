package store_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"queuebox/server/queue"
	"queuebox/server/store"
)

// TestUnlinkCustomersAfterAStop: an erased customer's tickets, events and
// appointments lose the id (and the appointment its name and phone), the
// rest of each record and every report figure stay, another customer's
// records keep theirs, and an erasure the box stopped in the middle of is
// still pending when it opens again.
func TestUnlinkCustomersAfterAStop(t *testing.T) {
	t.Run("one transaction each", testUnlinkCustomers)
	t.Run("many small transactions", func(t *testing.T) {
		defer store.SetUnlinkChunks(2, 1)()
		testUnlinkCustomers(t)
	})
}

func testUnlinkCustomers(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	const gone, kept = "cu_GoneAway42", "cu_StaysHere7"
	phone, name := "+8613800138000", "Zhang Wei"
	var seq uint64
	ev := func(typ string, tk queue.Ticket, when *time.Time) queue.Event {
		seq++
		return queue.Event{Seq: seq, Type: typ, At: *when, Actor: "device:k1", Ticket: &tk}
	}
	for i, cust := range []string{gone, kept, "", gone} {
		id := fmt.Sprint(i + 1)
		tk := ticket(id, "A00"+id, queue.StatusWaiting)
		tk.CustomerID, tk.Tier = cust, "gold"
		if cust == "" {
			tk.Tier = "standard"
		}
		issued := ev(queue.EventIssued, tk, at(i))
		tk.Status, tk.CalledAt, tk.CounterID = queue.StatusCalled, at(i+5), "c1"
		called := ev(queue.EventCalled, tk, at(i+5))
		tk.Status, tk.EndedAt = queue.StatusDone, at(i+9)
		done := ev(queue.EventFinished, tk, at(i+9))
		apply(t, db, &queue.Change{Tickets: []queue.Ticket{tk}, Events: []queue.Event{issued, called, done}})
	}
	appt := queue.Appointment{ID: "1", Code: "K7Q2", ServiceID: "general", Start: *at(60), End: *at(75), Status: queue.ApptBooked,
		Name: name, Phone: phone, CreatedAt: t0, CustomerID: gone, Tier: "gold"}
	anon := appt
	anon.Name, anon.Phone = "", ""
	seq++
	apply(t, db, &queue.Change{Appointments: []queue.Appointment{appt},
		Events: []queue.Event{{Seq: seq, Type: queue.EventApptBooked, At: t0, Appointment: &anon}}})
	if _, err := db.CreateCustomer(store.Customer{ID: gone, Phone: phone, Name: name, Tier: "gold"}); err != nil {
		t.Fatal(err)
	}
	reports := func() []reportFigures {
		t.Helper()
		recs, err := db.ReportRecords("2026-03-01", "2026-03-03")
		if err != nil || len(recs) != 4 {
			t.Fatalf("report records: %d, %v; want 4", len(recs), err)
		}
		out := make([]reportFigures, len(recs))
		for i, r := range recs {
			out[i] = reportFigures{r.Tier, r.Status, r.Issued, r.Called, r.Ended}
		}
		return out
	}
	before := reports()
	tickets := func() map[string]queue.Ticket {
		t.Helper()
		ts, err := db.TicketsSince(t0.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]queue.Ticket{}
		for _, tk := range ts {
			m[tk.ID] = tk
		}
		return m
	}
	ticketsBefore := tickets()

	if _, err := db.EraseCustomer(gone); err != nil {
		t.Fatal(err)
	}
	// Stopped here: the record is gone, the history still names them.
	closeDB(t, db)
	db = openDB(t, dir)
	if ids, err := db.PendingUnlinks(); err != nil || !slices.Equal(ids, []string{gone}) {
		t.Fatalf("pending after a restart: %q, %v; want [%s]", ids, err, gone)
	}
	st, err := db.UnlinkCustomers([]string{gone})
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.UnlinkStats{Tickets: 2, Events: 7, Appointments: 1}); st != want {
		t.Errorf("rewrote %+v, want %+v", st, want)
	}
	closeDB(t, db)
	db = openDB(t, dir)
	if ids, _ := db.PendingUnlinks(); len(ids) != 0 {
		t.Errorf("still pending after the unlink: %q", ids)
	}
	after := tickets()
	for id, was := range ticketsBefore {
		now := after[id]
		if was.CustomerID == gone {
			was.CustomerID = ""
		}
		if !reflect.DeepEqual(now, was) {
			t.Errorf("ticket %s after the unlink:\n got  %+v\n want %+v", id, now, was)
		}
	}
	if got := reports(); !reflect.DeepEqual(got, before) {
		t.Errorf("report records changed:\n got  %+v\n want %+v", got, before)
	}
	evs, err := db.Events(0, 100)
	if err != nil || len(evs) != 13 {
		t.Fatalf("events: %d, %v; want 13", len(evs), err)
	}
	keptSeen := 0
	for _, e := range evs {
		if e.Ticket != nil && e.Ticket.CustomerID == gone || e.Appointment != nil && e.Appointment.CustomerID == gone {
			t.Errorf("event %d still names the erased customer: %+v", e.Seq, e)
		}
		if e.Ticket != nil && e.Ticket.CustomerID == kept {
			keptSeen++
		}
		if e.Ticket != nil && e.Ticket.Tier == "" {
			t.Errorf("event %d lost its ticket's tier", e.Seq)
		}
	}
	if keptSeen != 3 {
		t.Errorf("the other customer's events: %d name them, want 3", keptSeen)
	}
	as, err := db.AppointmentsOfPhone(phone)
	if err != nil || len(as) != 0 {
		t.Errorf("appointments of the erased phone: %+v, %v", as, err)
	}
	all, err := db.AppointmentsFrom(time.Time{})
	if err != nil || len(all) != 1 || all[0].CustomerID != "" || all[0].Tier != "gold" || all[0].Code != "K7Q2" {
		t.Errorf("appointments after the unlink: %+v, %v; want K7Q2, gold, no customer", all, err)
	}
	// And once the nightly scrub wrote over the freed pages, the file holds
	// nothing of them at all.
	if _, err := db.ScrubFree(); err != nil {
		t.Fatal(err)
	}
	closeDB(t, db)
	raw, err := os.ReadFile(filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{gone, phone, name} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the database file still holds %q", s)
		}
	}
	if !bytes.Contains(raw, []byte(kept)) {
		t.Errorf("the other customer's id left the file: the search above proves nothing")
	}
}

type reportFigures struct {
	Tier                  string
	Status                queue.Status
	Issued, Called, Ended int64
}
