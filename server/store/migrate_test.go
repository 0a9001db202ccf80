package store

import (
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"queuebox/server/queue"
	"queuebox/server/queue/queuetest"
	"queuebox/server/report"
)

// writeSchema2 writes changes the way schema 2 did (before packing): every
// record plain JSON, default fill. It is a frozen copy of that release's
// writer, kept to make files of the old layout for the migration tests.
func writeSchema2(tx *bolt.Tx, c *queue.Change) error {
	put := func(bucket, key []byte, v any) error { return putJSON(tx.Bucket(bucket), key, v) }
	if c.Settings != nil {
		if err := put(bSettings, kSettings, c.Settings); err != nil {
			return err
		}
	}
	if c.Rotation != nil {
		if err := put(bSettings, kRotation, c.Rotation); err != nil {
			return err
		}
	}
	for _, s := range c.Services {
		if err := put(bServices, []byte(s.ID), s); err != nil {
			return err
		}
	}
	for _, ctr := range c.Counters {
		if err := put(bCounters, []byte(ctr.ID), ctr); err != nil {
			return err
		}
	}
	for i := range c.Tickets {
		t := &c.Tickets[i]
		key, err := ticketKey(t.ID)
		if err != nil {
			return err
		}
		if err := put(bTickets, key, t); err != nil {
			return err
		}
		if err := tx.Bucket(bTokens).Put([]byte(t.Token), key); err != nil {
			return err
		}
		if t.Status.Active() {
			err = tx.Bucket(bActive).Put(key, nil)
		} else {
			err = tx.Bucket(bActive).Delete(key)
		}
		if err != nil {
			return err
		}
	}
	for _, n := range c.Numbers {
		if err := put(bNumbers, []byte(n.Prefix), n); err != nil {
			return err
		}
	}
	for _, it := range c.Idem {
		if err := put(bIdem, []byte(it.Key), it); err != nil {
			return err
		}
	}
	for i := range c.Appointments {
		key, err := ticketKey(c.Appointments[i].ID)
		if err != nil {
			return err
		}
		if err := put(bAppts, key, &c.Appointments[i]); err != nil {
			return err
		}
		if err := tx.Bucket(bApptLive).Put(key, nil); err != nil {
			return err
		}
	}
	for _, id := range c.ForgetAppointments {
		key, _ := ticketKey(id)
		if err := tx.Bucket(bApptLive).Delete(key); err != nil {
			return err
		}
	}
	for i := range c.Events {
		if err := put(bEvents, u64(c.Events[i].Seq), &c.Events[i]); err != nil {
			return err
		}
	}
	return nil
}

// makeSchema2 creates a database of schema 2 in dir with the changes, by
// the released migrations 1 and 2 and the schema-2 writer.
func makeSchema2(t *testing.T, dir string, changes []*queue.Change) {
	t.Helper()
	b, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Update(func(tx *bolt.Tx) error {
		m, err := tx.CreateBucketIfNotExists(bMeta)
		if err != nil {
			return err
		}
		for _, step := range migrations[:2] {
			if err := step(tx); err != nil {
				return err
			}
		}
		if err := m.Put(kSchema, u64(2)); err != nil {
			return err
		}
		for _, c := range changes {
			if err := writeSchema2(tx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// history makes n tickets' lives as the engine records them (issued,
// called, started, finished; some no-shows and cancels; the last few still
// waiting), with appointments, starting at day.
func history(n int, day time.Time) []*queue.Change {
	st := queue.DefaultSettings()
	out := []*queue.Change{{
		Settings: &st,
		Services: []queue.Service{{ID: "general", Prefix: "A", Name: "General", Names: map[string]string{"zh": "综合"}, AvgServiceSeconds: 300}},
		Counters: []queue.Counter{{ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general"}}},
	}}
	var seq uint64
	for i := range n {
		at := day.Add(time.Duration(i) * 7 * time.Minute).UTC()
		date := at.Format(time.DateOnly)
		tk := queue.Ticket{ID: fmt.Sprint(i + 1), Number: fmt.Sprintf("A%03d", i+1), ServiceID: "general", Status: queue.StatusWaiting,
			Token: fmt.Sprintf("tok-%04d-xxxxxxxxxxxxx", i), Date: date, IssuedAt: at, Source: "device:k1", Notes: "备注"}
		c := &queue.Change{Numbers: []queue.DayNumber{{Prefix: "A", Date: date, Last: i + 1}}}
		ev := func(typ string, at time.Time) {
			seq++
			cp := tk
			c.Events = append(c.Events, queue.Event{Seq: seq, Type: typ, At: at, Actor: "user:ann", Ticket: &cp,
				Counter: &queue.Counter{ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general"}}})
		}
		ev(queue.EventIssued, at)
		if i < n-3 {
			called := at.Add(time.Duration(i%40) * time.Minute)
			tk.Status, tk.CalledAt, tk.CounterID, tk.CallReason = queue.StatusCalled, &called, "c1", "next in line"
			ev(queue.EventCalled, called)
			switch i % 10 {
			case 0:
				tk.Status, tk.EndedAt = queue.StatusNoShow, &called
				ev(queue.EventNoShow, called)
			case 1:
				tk.Status, tk.EndedAt, tk.CalledAt = queue.StatusCancelled, &at, nil
				ev(queue.EventCancelled, at)
			default:
				started, ended := called.Add(time.Minute), called.Add(time.Duration(2+i%9)*time.Minute)
				tk.Status, tk.StartedAt = queue.StatusServing, &started
				ev(queue.EventStarted, started)
				tk.Status, tk.EndedAt, tk.Outcome = queue.StatusDone, &ended, "ok"
				ev(queue.EventFinished, ended)
			}
		}
		c.Tickets = []queue.Ticket{tk}
		if i%3 == 0 {
			// A kiosk's key, random in life; every 30th is a retry's key
			// used again for a later ticket, as after its expiry.
			key := fmt.Sprintf("device:k1\x00%08x", uint32(i)*2654435761)
			if i%30 == 0 && i > 0 {
				key = fmt.Sprintf("device:k1\x00%08x", uint32(i-3)*2654435761)
			}
			c.Idem = []queue.IdemEntry{{Key: key, TicketID: tk.ID, At: at, Run: time.Duration(i) * 7 * time.Minute}}
		}
		if i%25 == 0 {
			a := queue.Appointment{ID: fmt.Sprint(i/25 + 1), Code: fmt.Sprintf("C%05d", i), ServiceID: "general", Start: at.Add(time.Hour),
				End: at.Add(time.Hour + 15*time.Minute), Status: "booked", Name: "王小明", Phone: "+8613800000000", CreatedAt: at}
			c.Appointments = []queue.Appointment{a}
			if i < n-50 {
				c.ForgetAppointments = []string{a.ID}
			}
		}
		out = append(out, c)
	}
	return out
}

// want is what a database holding changes must read back.
type want struct {
	tickets map[string]queue.Ticket
	events  []queue.Event
	appts   map[string]queue.Appointment
	idem    map[string]queue.IdemEntry // by key, the latest use
}

func wantOf(changes []*queue.Change) want {
	w := want{tickets: map[string]queue.Ticket{}, appts: map[string]queue.Appointment{}, idem: map[string]queue.IdemEntry{}}
	for _, c := range changes {
		for _, it := range c.Idem {
			w.idem[it.Key] = it
		}
		for _, t := range c.Tickets {
			w.tickets[t.ID] = t
		}
		for _, a := range c.Appointments {
			w.appts[a.ID] = a
		}
		w.events = append(w.events, c.Events...)
	}
	return w
}

func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) == string(w) {
		return
	}
	i := 0
	for i < len(g) && i < len(w) && g[i] == w[i] {
		i++
	}
	from := max(0, i-200)
	t.Fatalf("%s differs at byte %d of %d:\n got …%s\nwant …%s", what, i, len(w), g[from:min(len(g), i+200)], w[from:min(len(w), i+200)])
}

// checkAll reads every ticket (by id and by token), every event and every
// appointment back and compares them with what was written.
func checkAll(t *testing.T, db *DB, w want) {
	t.Helper()
	for id, tk := range w.tickets {
		got, err := db.Ticket(id)
		if err != nil {
			t.Fatalf("ticket %s: %v", id, err)
		}
		sameJSON(t, "ticket "+id, got, tk)
		byTok, err := db.TicketByToken(tk.Token)
		if err != nil || byTok.ID != id {
			t.Fatalf("ticket by token %s: %s, %v", tk.Token, byTok.ID, err)
		}
	}
	evs, err := db.Events(0, len(w.events)+10)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "events", evs, w.events)
	snap, err := db.Load()
	if err != nil {
		t.Fatal(err)
	}
	// The engine keeps a key's latest use (the one with the latest run).
	idem := map[string]queue.IdemEntry{}
	for _, it := range snap.Idem {
		if old, ok := idem[it.Key]; !ok || it.Run > old.Run {
			idem[it.Key] = it
		}
	}
	sameJSON(t, "idempotency keys", idem, w.idem)
	err = db.view(func(tx *bolt.Tx) error {
		n := 0
		err := tx.Bucket(bAppts).ForEach(func(k, v []byte) error {
			var a queue.Appointment
			if err := decodeRecord(v, &a); err != nil {
				return err
			}
			sameJSON(t, "appointment "+a.ID, a, w.appts[fmt.Sprint(binary.BigEndian.Uint64(k))])
			n++
			return nil
		})
		if n != len(w.appts) {
			t.Fatalf("%d appointments, want %d", n, len(w.appts))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMigrateSchema2IsLossless opens a file of the old layout, written by the
// old writer, with this binary: every ticket, event and appointment reads
// back as written, the state the engine starts from is the same, new writes
// (packed) mix with the old records, and a compaction (which packs the old
// records) keeps all of it while the file shrinks.
func TestMigrateSchema2IsLossless(t *testing.T) {
	dir := t.TempDir()
	changes := history(300, time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	makeSchema2(t, dir, changes)
	w := wantOf(changes)

	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := db.Version(); v != SchemaVersion() {
		t.Fatalf("schema %d after open, want %d", v, SchemaVersion())
	}
	checkAll(t, db, w)
	snap, err := db.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Active) != 3 || snap.LastTicketID != 300 || snap.LastSeq != uint64(len(w.events)) || len(snap.Appointments) != 2 || len(snap.RecentCalls) == 0 {
		t.Fatalf("snapshot: %d active, last ticket %d, last seq %d, %d appointments, %d recent calls",
			len(snap.Active), snap.LastTicketID, snap.LastSeq, len(snap.Appointments), len(snap.RecentCalls))
	}

	if err := db.view(func(tx *bolt.Tx) error {
		uses := 0
		err := tx.Bucket(bActive).ForEach(func(k, _ []byte) error {
			kind, err := kindOf(k)
			if kind == liveIdem {
				uses++
			}
			return err
		})
		if uses == 0 {
			t.Error("no idempotency key's use is kept beside its ticket")
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}

	// New records beside the old: a plain one and packed ones.
	more := history(303, time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))[301:]
	seq := uint64(len(w.events))
	for _, c := range more {
		for i := range c.Events {
			seq++
			c.Events[i].Seq = seq
		}
		if err := <-db.Apply(c); err != nil {
			t.Fatal(err)
		}
	}
	w = wantOf(append(changes, more...))
	checkAll(t, db, w)
	snap, err = db.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	res, err := Compact(dir, Options{}, "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if res.After >= res.Before {
		t.Errorf("compaction left the file at %d bytes from %d", res.After, res.Before)
	}
	db, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkAll(t, db, w)
	db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bEvents).ForEach(func(k, v []byte) error {
			if v[0] != packV1 {
				t.Errorf("event %d is still plain after compaction", binary.BigEndian.Uint64(k))
			}
			return nil
		})
	})
	snap2, err := db.Load()
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "snapshot after compaction", snap2, snap)
	if _, err := os.Stat(filepath.Join(dir, FileName+compactSuffix)); err == nil {
		t.Error("the compaction's work file is left behind")
	}
}

// schema6Want is what the schema-5 fixture held, as that release's store
// read it back.
type schema6Want struct {
	Numbers    []queue.DayNumber `json:"numbers"`
	Idem       []queue.IdemEntry `json:"idem"`
	Active     int               `json:"active"`
	Reports    []report.Record   `json:"reports"`
	Events     int               `json:"events"`
	LastTicket uint64            `json:"last_ticket"`
	Time       *queue.TimeMark   `json:"time"`
}

// openSchema6 copies testdata/schema6.db.gz into a new data directory and
// reads what it held. The file was written by schema 6's store under the
// real engine (fake clock): three business days of two services (A, LN)
// issued by a kiosk, three in four with an idempotency key, about half
// called and finished or missed, the rest of the third day still waiting;
// schema6.want.json.gz is what that store's Load, ReportRecords and
// Events read back from it.
func openSchema6(t *testing.T) (dir string, w schema6Want) {
	t.Helper()
	dir = t.TempDir()
	unzip := func(name string) []byte {
		t.Helper()
		f, err := os.Open(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), unzip("schema6.db.gz"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(unzip("schema6.want.json.gz"), &w); err != nil {
		t.Fatal(err)
	}
	if len(w.Numbers) != 2 || len(w.Idem) == 0 || w.Active == 0 || len(w.Reports) == 0 {
		t.Fatalf("the fixture holds too little: %d numbers, %d keys, %d active, %d report records", len(w.Numbers), len(w.Idem), w.Active, len(w.Reports))
	}
	return dir, w
}

// TestMigrateSchema6KeepsNumbersAndKeys opens a file written by schema 6
// (numbers and idempotency keys in buckets of their own) and checks that
// nothing is lost on the way into the live set: the engine starts from
// the same numbers, keys, tickets and timekeeping; the reports and the
// event log read the same; the old buckets are gone. Then the engine
// carries on from it: the day's numbers go on where they stopped (also
// after a restart and across the next day's reset), and a kiosk retrying
// a key of the old file is answered its original ticket, before and after
// a restart.
func TestMigrateSchema6KeepsNumbersAndKeys(t *testing.T) {
	dir, w := openSchema6(t)
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { db.Close() }()
	if v, _ := db.Version(); v != SchemaVersion() {
		t.Fatalf("schema %d after open, want %d", v, SchemaVersion())
	}
	snap, err := db.Load()
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(snap.Idem, func(i, j int) bool { return snap.Idem[i].Run < snap.Idem[j].Run })
	sameJSON(t, "numbers", snap.Numbers, w.Numbers)
	sameJSON(t, "idempotency keys", snap.Idem, w.Idem)
	sameJSON(t, "timekeeping", snap.Time, w.Time)
	if len(snap.Active) != w.Active || snap.LastTicketID != w.LastTicket {
		t.Errorf("%d active tickets, the last %d; want %d and %d", len(snap.Active), snap.LastTicketID, w.Active, w.LastTicket)
	}
	recs, err := db.ReportRecords("2026-03-01", "2026-03-09")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "report records", recs, w.Reports)
	if evs, err := db.Events(0, 10*w.Events); err != nil || len(evs) != w.Events {
		t.Errorf("%d events (%v), want %d", len(evs), err, w.Events)
	}
	if err := db.view(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bNumbers, bIdem} {
			if tx.Bucket(b) != nil {
				t.Errorf("bucket %s is still there", b)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	clock := queuetest.NewClock(snap.LastAt.Add(time.Minute))
	start := func() *queue.Engine {
		t.Helper()
		e, err := queue.New(db, clock, nil)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	restart := func() *queue.Engine {
		t.Helper()
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if db, err = Open(dir, Options{}); err != nil {
			t.Fatal(err)
		}
		return start()
	}
	issue := func(e *queue.Engine, service, key, wantNumber string) {
		t.Helper()
		v, created, err := e.Issue(queue.IssueRequest{ServiceID: service, Source: "device:k1", IdemKey: key})
		if err != nil || !created || v.Number != wantNumber {
			t.Fatalf("issue %s: %s (created %v, %v), want %s", service, v.Number, created, err, wantNumber)
		}
	}
	retry := func(e *queue.Engine, it queue.IdemEntry) {
		t.Helper()
		_, key, _ := strings.Cut(it.Key, "\x00")
		v, created, err := e.Issue(queue.IssueRequest{ServiceID: "general", Source: "device:k1", IdemKey: key})
		if err != nil || created || v.ID != it.TicketID {
			t.Fatalf("retry of key %q: ticket %s (created %v, %v), want ticket %s", key, v.ID, created, err, it.TicketID)
		}
	}
	// A key whose ticket has ended (its token moved out of the live set)
	// and one whose ticket still waits.
	var ended, waiting *queue.IdemEntry
	for i := range w.Idem {
		tk, err := db.Ticket(w.Idem[i].TicketID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case tk.Status.Active() && waiting == nil:
			waiting = &w.Idem[i]
		case !tk.Status.Active() && ended == nil:
			ended = &w.Idem[i]
		}
	}
	if ended == nil || waiting == nil {
		t.Fatalf("the fixture wants keys of ended and of waiting tickets: %v, %v", ended, waiting)
	}
	e := start()
	issue(e, "general", "", "A041")
	issue(e, "loans", "", "LN021")
	retry(e, *ended)
	retry(e, *waiting)
	issue(e, "general", "after-migration", "A042")

	e = restart()
	issue(e, "general", "", "A043")
	retry(e, *ended)
	retry(e, *waiting)
	retry(e, queue.IdemEntry{Key: "device:k1\x00after-migration", TicketID: fmt.Sprint(w.LastTicket + 3)})

	clock.Advance(24 * time.Hour)
	issue(e, "general", "", "A001")
	e = restart()
	issue(e, "general", "", "A002")
	issue(e, "loans", "", "LN001")
}
