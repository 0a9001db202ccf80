package store

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"queuebox/server/queue"
)

type stoppedClock time.Time

func (c stoppedClock) Now() time.Time { return time.Time(c) }

// FuzzTicketRecord puts arbitrary bytes where a ticket record lives (an
// active ticket, indexed by its token) and reads them back the ways the box
// does: by id, by token, and as the state the engine starts from. A damaged or
// hand-edited file must give errors, never a crash, and a record that decodes
// must reach the engine intact. Under plain go test it runs the seeds.
func FuzzTicketRecord(f *testing.F) {
	db, err := Open(f.TempDir(), Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	db.bolt.NoSync = true // each input is one more commit; durability is not under test
	now := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	st := queue.DefaultSettings()
	st.Hours = map[string]string{"mon": "00:00-24:00"}
	st.PriorityWeights = []int{1, 1, 2}
	seed := &queue.Change{
		Settings: &st,
		Services: []queue.Service{{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300}},
		Counters: []queue.Counter{{ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general"}}},
	}
	if err := <-db.Apply(seed); err != nil {
		f.Fatal(err)
	}

	called := now.Add(-time.Minute)
	for _, tk := range []queue.Ticket{
		{ID: "1", Number: "A001", ServiceID: "general", Status: queue.StatusWaiting, Token: "tok-1", Date: "2026-03-02", IssuedAt: now},
		{ID: "1", Number: "A001", ServiceID: "general", Status: queue.StatusCalled, Token: "tok-1", Date: "2026-03-02", IssuedAt: now, CalledAt: &called, CounterID: "c1", Recalls: 2},
		{ID: "1", Number: "Z999", ServiceID: "gone", Status: queue.StatusServing, Priority: 99, Token: "tok-1", CounterID: "nope"},
		{ID: "7", Status: "exploded", Priority: -3, Token: "other-token", Transfers: []string{"", "general"}},
	} {
		raw, _ := json.Marshal(tk)
		f.Add(raw)
	}
	for _, s := range []string{``, `{}`, `null`, `[]`, `""`, `{"id":1}`, `{"issued_at":"yesterday"}`, `{"called_at":"0000-00-00T00:00:00Z"}`,
		`{"status":"waiting","service_id":"general","token":"tok-1","priority":9223372036854775807}`, `{"status":"waiting","id":"1","issued_at":"9999-12-31T23:59:59Z"}`,
		"{\"id\":\"1\",\"number\":\"\xff\"}", `{"id":"1"`, `{"status":"parked","service_id":"general","parked_at":"2026-03-02T01:00:00Z"}`} {
		f.Add([]byte(s))
	}

	key := u64(1)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if err := db.bolt.Update(func(tx *bolt.Tx) error {
			if err := tx.Bucket(bTickets).Put(key, raw); err != nil {
				return err
			}
			if err := tx.Bucket(bTokens).Put([]byte("tok-1"), key); err != nil {
				return err
			}
			return tx.Bucket(bActive).Put(key, nil)
		}); err != nil {
			t.Fatal(err)
		}
		var want queue.Ticket
		decodes := json.Unmarshal(raw, &want) == nil

		byID, err := db.Ticket("1")
		if decodes != (err == nil) {
			t.Fatalf("Ticket(1) of %q: error %v, but the record decodes: %v", raw, err, decodes)
		}
		if err == nil && !reflect.DeepEqual(byID, want) {
			t.Fatalf("Ticket(1) of %q = %+v, want %+v", raw, byID, want)
		}
		if _, err := db.TicketByToken("tok-1"); decodes != (err == nil) {
			t.Fatalf("TicketByToken of %q: error %v, but the record decodes: %v", raw, err, decodes)
		}
		snap, err := db.Load()
		if decodes != (err == nil) {
			t.Fatalf("Load of %q: error %v, but the record decodes: %v", raw, err, decodes)
		}
		if err != nil {
			return
		}
		if len(snap.Active) != 1 || !reflect.DeepEqual(snap.Active[0], want) {
			t.Fatalf("Load of %q: active %+v, want the record", raw, snap.Active)
		}
		// The engine starts from whatever the file holds: it may refuse, not crash.
		e, err := queue.New(db, stoppedClock(now), nil)
		if err != nil {
			return
		}
		e.Queue("")
		e.Active()
		e.Display()
		e.Services()
		e.Status("tok-1")
		e.Ticket("1")
	})
}
