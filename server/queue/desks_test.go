package queue

import (
	"math/rand"
	"testing"
	"time"

	"queuebox/server/queue/queuetest"
)

// memStore keeps nothing but answers at once: the engine's memory is what
// these tests look at.
type memStore struct{}

func (memStore) Load() (*Snapshot, error) { return &Snapshot{}, nil }
func (memStore) Apply(*Change) <-chan error {
	c := make(chan error, 1)
	c <- nil
	return c
}
func (memStore) Failed() bool                         { return false }
func (memStore) Reset()                               {}
func (memStore) Ticket(string) (Ticket, error)        { return Ticket{}, ErrTicketNotFound }
func (memStore) TicketByToken(string) (Ticket, error) { return Ticket{}, ErrTicketNotFound }

// memEngine is an engine on memStore, open all day, with services and
// counters.
func memEngine(t *testing.T, services []Service, counters []Counter) (*Engine, *queuetest.Clock) {
	t.Helper()
	clock := queuetest.NewClock(time.Date(2026, 3, 4, 2, 0, 0, 0, time.UTC))
	e, err := New(memStore{}, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := DefaultSettings()
	st.BranchName, st.Timezone = "Test", "UTC"
	st.Hours = map[string]string{}
	for _, d := range Days {
		st.Hours[d] = "00:00-24:00"
	}
	if err := e.Seed(st, services, counters); err != nil {
		t.Fatal(err)
	}
	return e, clock
}

// TestBusyDesksFollowEveryMove plays random calls, starts, parks, recalls,
// transfers, no-shows, cancels and finishes, and after each checks that the
// counters' tickets the replay starts from are those a walk over every
// active ticket finds: a ticket leaving a counter by any path is noticed.
func TestBusyDesksFollowEveryMove(t *testing.T) {
	services := []Service{{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300}, {ID: "cash", Prefix: "B", Name: "Cash", AvgServiceSeconds: 120}}
	counters := []Counter{{ID: "c1", Name: "1", ServiceIDs: []string{"general", "cash"}}, {ID: "c2", Name: "2", ServiceIDs: []string{"general"}}, {ID: "c3", Name: "3", ServiceIDs: []string{"cash"}}}
	e, clock := memEngine(t, services, counters)
	want := func() map[string]*Ticket {
		m := map[string]*Ticket{}
		for _, tk := range e.active {
			if atDesk(tk) {
				if m[tk.CounterID] != nil {
					// A call finishes the counter's ticket, found in
					// the map rather than by a walk: none is left.
					t.Fatalf("counter %s has %s and %s", tk.CounterID, m[tk.CounterID].ID, tk.ID)
				}
				m[tk.CounterID] = tk
			}
		}
		return m
	}
	rng := rand.New(rand.NewSource(7))
	var ids []string
	for step := range 3000 {
		clock.Advance(time.Duration(rng.Intn(90)) * time.Second)
		pick := func() string {
			if len(ids) == 0 {
				return "0"
			}
			return ids[rng.Intn(len(ids))]
		}
		ctr := counters[rng.Intn(len(counters))].ID
		switch op := rng.Intn(10); op {
		case 0, 1:
			if v, _, err := e.Issue(IssueRequest{ServiceID: services[rng.Intn(2)].ID, Source: "k"}); err == nil {
				ids = append(ids, v.ID)
			}
		case 2:
			e.Next(ctr, "s")
		case 3:
			e.Start(pick(), "s")
		case 4:
			e.Park(pick(), "s")
		case 5:
			e.CallByNumber(ctr, pick(), "s", "")
		case 6:
			e.Transfer(pick(), services[rng.Intn(2)].ID, "s")
		case 7:
			e.NoShow(pick(), "s")
		case 8:
			e.Cancel(pick(), "s")
		case 9:
			e.Finish(pick(), "s")
		}
		e.mu.RLock()
		got, w := e.busyLocked(), want()
		e.mu.RUnlock()
		if len(got) != len(w) {
			t.Fatalf("step %d: %d counters busy, want %d", step, len(got), len(w))
		}
		for cid, tk := range w {
			if got[cid] != tk {
				t.Fatalf("step %d: counter %s has %v, want ticket %s", step, cid, got[cid], tk.ID)
			}
		}
	}
}

// TestCallFinishesEveryTicketAtTheCounter: should a store hold two tickets
// at one counter (the engine never makes that), the next call there
// finishes both, as the walk over every active ticket did.
func TestCallFinishesEveryTicketAtTheCounter(t *testing.T) {
	e, _ := memEngine(t, []Service{{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300}},
		[]Counter{{ID: "c1", Name: "1", ServiceIDs: []string{"general"}}})
	var ids []string
	for range 3 {
		v, _, err := e.Issue(IssueRequest{ServiceID: "general", Source: "k"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
	}
	// The first two at c1, as a store could hand them over.
	e.mu.Lock()
	for _, id := range ids[:2] {
		tk := e.active[id]
		e.untrack(tk)
		tk.Status, tk.CounterID = StatusCalled, "c1"
		e.track(tk)
	}
	e.mu.Unlock()
	if _, _, err := e.Next("c1", "s"); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[:2] {
		if tk := e.active[id]; tk != nil {
			t.Errorf("ticket %s is still %s at %s after the counter's next call", id, tk.Status, tk.CounterID)
		}
	}
	if tk := e.active[ids[2]]; tk == nil || tk.Status != StatusCalled {
		t.Errorf("the third ticket was not called")
	}
}
