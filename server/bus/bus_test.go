package bus_test

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"queuebox/server/bus"
	"queuebox/server/queue"
	"queuebox/server/store"
)

// rig is a real store on disk whose commits feed a bus, as in the server.
type rig struct {
	db  *store.DB
	bus *bus.Bus
	seq uint64
}

func newRig(t *testing.T) *rig {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := bus.New(db, 0, nil)
	db.OnCommit(b.Publish)
	t.Cleanup(func() {
		b.Close()
		db.Close()
	})
	return &rig{db: db, bus: b}
}

// commit writes n events in one commit and waits until it is on disk; the
// bus has them by then (the store publishes before answering).
func (r *rig) commit(t *testing.T, n int) {
	t.Helper()
	var c queue.Change
	for range n {
		r.seq++
		c.Events = append(c.Events, queue.Event{Seq: r.seq, Type: queue.EventIssued})
	}
	if err := <-r.db.Apply(&c); err != nil {
		t.Fatal(err)
	}
}

// recorder collects the seqs a subscriber got.
type recorder struct {
	mu   sync.Mutex
	seqs []uint64
	gaps int
	cond *sync.Cond
}

func newRecorder() *recorder {
	r := &recorder{}
	r.cond = sync.NewCond(&r.mu)
	return r
}

func (r *recorder) add(ev queue.Event) {
	r.mu.Lock()
	r.seqs = append(r.seqs, ev.Seq)
	r.mu.Unlock()
	r.cond.Broadcast()
}

func (r *recorder) gap() {
	r.mu.Lock()
	r.gaps++
	r.mu.Unlock()
	r.cond.Broadcast()
}

// waitLast waits until the subscriber got seq.
func (r *recorder) waitLast(seq uint64) []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.seqs) == 0 || r.seqs[len(r.seqs)-1] < seq {
		r.cond.Wait()
	}
	return append([]uint64(nil), r.seqs...)
}

// checkRun fails unless got is exactly from, from+1, …, to.
func checkRun(t *testing.T, name string, got []uint64, from, to uint64) {
	t.Helper()
	if uint64(len(got)) != to-from+1 {
		t.Errorf("%s: got %d events, want %d (%d..%d)", name, len(got), to-from+1, from, to)
	}
	for i, s := range got {
		if want := from + uint64(i); s != want {
			t.Errorf("%s: event #%d has seq %d, want %d", name, i, s, want)
			return
		}
	}
}

func TestEverySubscriberGetsEveryEventInOrder(t *testing.T) {
	r := newRig(t)
	recs := []*recorder{newRecorder(), newRecorder(), newRecorder()}
	for i, rec := range recs {
		// The third has a tiny queue, so it keeps falling behind and
		// reading the log: still all, still in order.
		r.bus.Subscribe(bus.Options{Name: "s", Queue: []int{0, 64, 3}[i]}, rec.add)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 500 {
			r.commit(t, 1+i%7)
		}
	}()
	wg.Wait()
	for i, rec := range recs {
		checkRun(t, []string{"default queue", "queue 64", "queue 3"}[i], rec.waitLast(r.seq), 1, r.seq)
	}
}

func TestBlockedSubscriberDoesNotBlockCommits(t *testing.T) {
	for _, policy := range []bus.Policy{bus.CatchUp, bus.Resync} {
		r := newRig(t)
		gate := make(chan struct{})
		blocked := newRecorder()
		first := true
		r.bus.Subscribe(bus.Options{Name: "blocked", Queue: 8, Policy: policy, OnGap: blocked.gap}, func(ev queue.Event) {
			if first {
				first = false
				<-gate
			}
			blocked.add(ev)
		})
		other := newRecorder()
		r.bus.Subscribe(bus.Options{Name: "other"}, other.add)

		// Far more than the blocked one's queue: every commit must still
		// return, and the other subscriber keeps up meanwhile.
		for range 100 {
			r.commit(t, 3)
		}
		checkRun(t, "other subscriber while one is blocked", other.waitLast(r.seq), 1, r.seq)

		close(gate)
		switch policy {
		case bus.CatchUp:
			// Lossless: the missed events come back from the log.
			checkRun(t, "catch-up subscriber", blocked.waitLast(r.seq), 1, r.seq)
		case bus.Resync:
			// The gap is reported once, then live events flow again, in
			// order and none twice. (Wait for the report: an event
			// committed before it falls in the gap, by policy.)
			blocked.mu.Lock()
			for blocked.gaps == 0 {
				blocked.cond.Wait()
			}
			blocked.mu.Unlock()
			r.commit(t, 1)
			got := blocked.waitLast(r.seq)
			blocked.mu.Lock()
			gaps := blocked.gaps
			blocked.mu.Unlock()
			if gaps != 1 {
				t.Errorf("resync: got %d gaps reported, want 1", gaps)
			}
			if got[0] != 1 || got[len(got)-1] != r.seq {
				t.Errorf("resync: got seqs %v, want the first (1) and the last (%d)", got, r.seq)
			}
			for i := 1; i < len(got); i++ {
				if got[i] <= got[i-1] {
					t.Errorf("resync: seq %d after %d", got[i], got[i-1])
				}
			}
		}
	}
}

func TestSubscribeStartsAfterWhatWasPublished(t *testing.T) {
	r := newRig(t)
	r.commit(t, 5)
	rec := newRecorder()
	sub := r.bus.Subscribe(bus.Options{Name: "late", Queue: 2}, rec.add)
	if sub.Start() != 5 {
		t.Errorf("Start: got %d, want 5", sub.Start())
	}
	r.commit(t, 10) // more than the queue: caught up from the log, from 6 on
	checkRun(t, "late subscriber", rec.waitLast(r.seq), 6, r.seq)
}

func TestNoGoroutineLeak(t *testing.T) {
	base := runtime.NumGoroutine()
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := bus.New(db, 0, nil)
	db.OnCommit(b.Publish)
	gate := make(chan struct{})
	for range 3 {
		b.Subscribe(bus.Options{}, func(queue.Event) {})
	}
	stuck := b.Subscribe(bus.Options{}, func(queue.Event) { <-gate })
	one := b.Subscribe(bus.Options{}, func(queue.Event) {})
	if err := <-db.Apply(&queue.Change{Events: []queue.Event{{Seq: 1}}}); err != nil {
		t.Fatal(err)
	}
	one.Unsubscribe()
	close(gate)
	stuck.Unsubscribe()
	b.Close()
	// A subscription made after Close never starts a goroutine.
	b.Subscribe(bus.Options{}, func(queue.Event) {}).Unsubscribe()
	db.OnCommit(nil)
	// Only the store's commit loop is left of what this test started.
	waitGoroutines(t, base+1)
}

func waitGoroutines(t *testing.T, max int) {
	t.Helper()
	for range 1000 {
		if runtime.NumGoroutine() <= max {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	t.Fatalf("got %d goroutines, want at most %d:\n%s", runtime.NumGoroutine(), max, buf)
}

// TestPublishLeavesTheSliceAlone: subscribers that keep up take the
// published slice as it is; when more comes before they took it, their
// queues grow arrays of their own and never write past its end, where
// the publisher (or another subscriber) may have something.
func TestPublishLeavesTheSliceAlone(t *testing.T) {
	b := bus.New(nil, 0, nil)
	defer b.Close()
	gate := make(chan struct{})
	var recs []*recorder
	for range 3 {
		rec := newRecorder()
		recs = append(recs, rec)
		first := true
		b.Subscribe(bus.Options{}, func(ev queue.Event) {
			if first {
				first = false
				<-gate // the next commits queue up behind the first
			}
			rec.add(ev)
		})
	}
	room := make([]queue.Event, 2, 8)
	room[0], room[1] = queue.Event{Seq: 1}, queue.Event{Seq: 2}
	spare := room[:cap(room)]
	spare[2] = queue.Event{Seq: 999}
	b.Publish(room)
	b.Publish([]queue.Event{{Seq: 3}})
	b.Publish([]queue.Event{{Seq: 4}, {Seq: 5}})
	close(gate)
	for i, rec := range recs {
		checkRun(t, "subscriber "+string(rune('A'+i)), rec.waitLast(5), 1, 5)
	}
	if spare[2].Seq != 999 {
		t.Errorf("a subscriber's queue wrote past the published slice: %+v", spare[2])
	}
}
