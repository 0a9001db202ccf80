package queue_test

import (
	"testing"
	"time"

	"queuebox/server/queue"
	"queuebox/server/queue/queuetest"
	"queuebox/server/store"
)

// gatedStore is the real bbolt store whose commits, once armed, are not
// reported done until the test opens the gate: a commit on its way to disk.
type gatedStore struct {
	*store.DB
	armed   bool
	applied chan struct{}
	gate    chan struct{}
}

func (g *gatedStore) Apply(c *queue.Change) <-chan error {
	inner := g.DB.Apply(c)
	if !g.armed {
		return inner
	}
	g.armed = false
	out := make(chan error, 1)
	applied, gate := g.applied, g.gate
	go func() {
		err := <-inner
		close(applied)
		<-gate
		out <- err
	}()
	return out
}

// newGatedEngine is an engine on a gated store, with one service and one
// desk.
func newGatedEngine(t *testing.T) (*queue.Engine, *gatedStore) {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	g := &gatedStore{DB: db, applied: make(chan struct{}), gate: make(chan struct{})}
	e, err := queue.New(g, queuetest.NewClock(time.Date(2026, 3, 4, 2, 0, 0, 0, time.UTC)), nil)
	if err != nil {
		t.Fatal(err)
	}
	st := queue.DefaultSettings()
	st.BranchName, st.Timezone, st.Hours = "Test", "UTC", allDay()
	if err := e.Seed(st, []queue.Service{{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300}},
		[]queue.Counter{{ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general"}}}); err != nil {
		t.Fatal(err)
	}
	return e, g
}

// TestRepeatWaitsForTheFirstCommit: a kiosk that retries while its first
// request's ticket is still on its way to disk gets its answer only once the
// ticket is there — a 2xx always means the ticket survives a crash.
func TestRepeatWaitsForTheFirstCommit(t *testing.T) {
	e, g := newGatedEngine(t)
	req := queue.IssueRequest{ServiceID: "general", IdemKey: "tap-1", Source: "device:k1"}
	type answer struct {
		v       queue.TicketView
		created bool
		err     error
	}
	first, repeat, replay := make(chan answer, 1), make(chan answer, 1), make(chan answer, 1)
	g.armed = true
	go func() {
		v, created, err := e.Issue(req)
		first <- answer{v, created, err}
	}()
	<-g.applied // the first ticket is made and its commit under way
	go func() {
		v, created, err := e.Issue(req)
		repeat <- answer{v, created, err}
	}()
	go func() {
		v, replayed, err := e.Replay(req.Source, req.IdemKey)
		replay <- answer{v, !replayed, err}
	}()
	select {
	case a := <-repeat:
		t.Fatalf("the repeat was answered (%+v) before the first request's commit was done", a)
	case a := <-replay:
		t.Fatalf("Replay answered (%+v) before the first request's commit was done", a)
	case a := <-first:
		t.Fatalf("the first request was answered (%+v) before its commit was done", a)
	case <-time.After(300 * time.Millisecond):
	}
	close(g.gate)
	a1, a2, a3 := <-first, <-repeat, <-replay
	for i, a := range []answer{a1, a2, a3} {
		if a.err != nil {
			t.Fatalf("answer %d: %v", i, a.err)
		}
		if a.v.ID != a1.v.ID {
			t.Errorf("answer %d is ticket %s, want %s", i, a.v.ID, a1.v.ID)
		}
	}
	if !a1.created || a2.created || a3.created {
		t.Errorf("created: first %v, repeat %v, replay %v; want only the first", a1.created, a2.created, a3.created)
	}
}
