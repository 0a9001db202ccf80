package sim

import (
	"testing"
	"time"

	"queuebox/server/queue"
	"queuebox/server/store"
)

// Days played into a box's database come back out as a trace that holds
// the same customers with the service times they really took, and plays.
func TestExportReplaysTheBoxsOwnDays(t *testing.T) {
	tr := Generate(GenOptions{Days: 2, Load: 0.9, Seed: 11})
	dir := t.TempDir()
	lines, err := Run(tr, Options{KeepDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	snap, err := db.Load()
	if err != nil {
		t.Fatal(err)
	}
	h := History{Settings: *snap.Settings, Services: snap.Services, Counters: snap.Counters}
	first, _ := time.Parse("2006-01-02", tr.Days[0].Date)
	if h.Tickets, err = db.TicketsSince(first.Add(-48 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if h.Appointments, err = db.AppointmentsFrom(first.Add(-48 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	out, err := Export(h, tr.Days[0].Date, tr.Days[1].Date)
	if err != nil {
		t.Fatal(err)
	}
	var served, noShows, walkOuts, booked int
	services := map[float64]bool{}
	for _, l := range lines {
		if l.Kind == "late_appointment_walkin" {
			booked++ // the booking lapsed; the customer took a walk-in ticket
		}
		switch {
		case l.Outcome == "done":
			served++
			services[float64(*l.ServiceSecondsObserv)] = true
		case l.Outcome == "no_show" && l.ticketID != "":
			walkOuts++
		case l.Outcome == "no_show":
			booked++
		}
	}
	got := map[string]int{}
	for _, d := range out.Days {
		for _, a := range d.Customers {
			switch {
			case a.NoShow:
				got["booked no-show"]++
			case a.LeavesAfterSeconds != nil:
				got["walk-out"]++
			default:
				got["served"]++
				if !services[a.ServiceSeconds] {
					t.Errorf("exported service time %.0f s was never observed", a.ServiceSeconds)
				}
			}
		}
	}
	noShows = got["booked no-show"]
	if got["served"] != served || got["walk-out"] != walkOuts || noShows != booked {
		t.Errorf("exported %v; played %d served, %d walk-outs, %d booked no-shows", got, served, walkOuts, booked)
	}
	for _, c := range out.Counters {
		if len(c.Shifts) == 0 || c.Shifts[0].From != "09:00" && c.Shifts[0].From != "10:00" && c.Shifts[0].From != "11:00" {
			t.Errorf("counter %s exported with shifts %v, want its schedule", c.ID, c.Shifts)
		}
	}
	if _, err := Run(out, Options{TempDir: t.TempDir()}); err != nil {
		t.Fatalf("the exported trace does not play: %v", err)
	}
	if out.Settings == nil || queue.DefaultSettings().MaxWaitMinutes == 0 {
		t.Error("settings missing from the export")
	}
}

// Customers the branch did not serve are demand too: a ticket the day's end
// (or a send-home at closing) closed while it waited is exported as an
// arrival who would have stayed, with the service's observed mean service
// time; a transferred customer arrives in the service that served them. A
// replay with one more desk then sees the day's whole load, not only the
// customers the real staffing managed.
func TestExportKeepsTheCustomersTheBranchDidNotServe(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	at := func(hm string) *time.Time {
		v, _ := time.ParseInLocation("2006-01-02 15:04", "2026-12-01 "+hm, loc)
		return &v
	}
	st := queue.DefaultSettings()
	st.Timezone = "Asia/Shanghai"
	st.Hours = map[string]string{"mon": "09:00-17:00", "tue": "09:00-17:00"}
	h := History{Settings: st,
		Services: []queue.Service{{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300},
			{ID: "cash", Prefix: "B", Name: "Cash", AvgServiceSeconds: 120}},
		Counters: []queue.Counter{{ID: "c1", Name: "C1", ServiceIDs: []string{"general", "cash"}}},
		Tickets: []queue.Ticket{
			{ID: "1", Number: "A001", ServiceID: "general", Status: queue.StatusDone, Date: "2026-12-01", IssuedAt: *at("09:00"),
				CalledAt: at("09:01"), StartedAt: at("09:01"), EndedAt: at("09:04")},
			{ID: "2", Number: "A002", ServiceID: "general", Status: queue.StatusDone, Date: "2026-12-01", IssuedAt: *at("09:02"),
				CalledAt: at("09:05"), StartedAt: at("09:05"), EndedAt: at("09:10")},
			{ID: "3", Number: "A003", ServiceID: "general", Status: queue.StatusExpired, Date: "2026-12-01", IssuedAt: *at("16:50"),
				EndedAt: at("17:00")},
			{ID: "4", Number: "B001", ServiceID: "general", Status: queue.StatusDone, Date: "2026-12-01", IssuedAt: *at("10:00"),
				CalledAt: at("10:20"), StartedAt: at("10:20"), EndedAt: at("10:24"), Transfers: []string{"cash"}},
			{ID: "5", Number: "D001", ServiceID: "deleted-since", Status: queue.StatusDone, Date: "2026-12-01", IssuedAt: *at("11:00"),
				CalledAt: at("11:01"), StartedAt: at("11:01"), EndedAt: at("11:04")},
		},
	}
	out, err := Export(h, "2026-12-01", "2026-12-01")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Arrival{}
	for _, a := range out.Days[0].Customers {
		got[*a.Arrive] = a
	}
	if len(got) != 4 {
		t.Fatalf("exported %d customers, want the 4 of services that still exist: %+v", len(got), out.Days[0].Customers)
	}
	if a := got["16:50:00"]; a.ServiceID != "general" || a.LeavesAfterSeconds != nil || a.ServiceSeconds != 240 {
		t.Errorf("the customer the day's end sent home: %+v, want general, staying, 240 s (the mean served)", a)
	}
	if a := got["10:00:00"]; a.ServiceID != "general" || a.ServiceSeconds != 240 {
		t.Errorf("the transferred customer: %+v, want general (where served) for 240 s", a)
	}
	if _, err := Run(out, Options{TempDir: t.TempDir()}); err != nil {
		t.Fatalf("the exported trace does not play: %v", err)
	}
}
