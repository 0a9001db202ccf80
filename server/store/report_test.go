package store_test

import (
	"testing"

	bolt "go.etcd.io/bbolt"

	"queuebox/server/queue"
	"queuebox/server/report"
)

// The report index follows every commit, answers by business day, and is
// rebuilt from the event log when it is missing or in an older layout.
func TestStoreReportIndex(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	apply(t, db, issued(1))
	apply(t, db, issued(2))
	done := ticket("1", "A001", queue.StatusDone)
	done.CalledAt, done.StartedAt, done.EndedAt, done.CounterID = at(5), at(6), at(10), "c1"
	apply(t, db, &queue.Change{Tickets: []queue.Ticket{done}, Events: []queue.Event{
		{Seq: 3, Type: queue.EventFinished, At: *at(10), Actor: "user:ann", Ticket: &done},
	}})
	next := ticket("3", "A001", queue.StatusWaiting)
	next.Date = "2026-03-03"
	apply(t, db, &queue.Change{Tickets: []queue.Ticket{next}, Events: []queue.Event{{Seq: 4, Type: queue.EventIssued, At: *at(1440), Ticket: &next}}})

	check := func(when string) {
		t.Helper()
		recs, err := db.ReportRecords("2026-03-02", "2026-03-02")
		if err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		if len(recs) != 2 || recs[0].ID != 1 || recs[1].ID != 2 {
			t.Fatalf("%s: got %+v, want tickets 1 and 2", when, recs)
		}
		r := recs[0]
		wait, _ := r.WaitSeconds()
		svc, _ := r.ServiceSeconds()
		if r.Status != queue.StatusDone || r.Staff != "ann" || r.CounterID != "c1" || wait != 300 || svc != 240 {
			t.Errorf("%s: ticket 1 = %+v (wait %d, service %d)", when, r, wait, svc)
		}
		if recs[1].Status != queue.StatusWaiting {
			t.Errorf("%s: ticket 2 = %+v", when, recs[1])
		}
		all, err := db.ReportRecords("2026-03-01", "2026-03-31")
		if err != nil || len(all) != 3 || all[2].Date != "2026-03-03" {
			t.Errorf("%s: the month: %+v, %v", when, all, err)
		}
	}
	check("as committed")

	for _, damage := range []struct {
		name string
		do   func(tx *bolt.Tx) error
	}{
		{"index lost", func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("report_records")) }},
		{"older layout", func(tx *bolt.Tx) error {
			// A record of the old layout would not read: it must be rebuilt.
			k, _ := tx.Bucket([]byte("report_records")).Cursor().First()
			if err := tx.Bucket([]byte("report_records")).Put(k, []byte{0}); err != nil {
				return err
			}
			return tx.Bucket([]byte("meta")).Put([]byte("report_index_version"), []byte{report.RecordVersion() - 1})
		}},
	} {
		closeDB(t, db)
		b := rawBolt(t, dir)
		if err := b.Update(damage.do); err != nil {
			t.Fatal(err)
		}
		b.Close()
		db = openDB(t, dir)
		check(damage.name)
	}
}
