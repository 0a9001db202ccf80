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

// TestBusyDesksFollowEveryMove plays random calls, starts, parks, recalls,
// transfers, no-shows, cancels and finishes, and after each checks that the
// counters' tickets the replay starts from are those a walk over every
// active ticket finds: a ticket leaving a counter by any path is noticed.
func TestBusyDesksFollowEveryMove(t *testing.T) {
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
	services := []Service{{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300}, {ID: "cash", Prefix: "B", Name: "Cash", AvgServiceSeconds: 120}}
	counters := []Counter{{ID: "c1", Name: "1", ServiceIDs: []string{"general", "cash"}}, {ID: "c2", Name: "2", ServiceIDs: []string{"general"}}, {ID: "c3", Name: "3", ServiceIDs: []string{"cash"}}}
	if err := e.Seed(st, services, counters); err != nil {
		t.Fatal(err)
	}
	want := func() map[string]*Ticket {
		m := map[string]*Ticket{}
		for _, tk := range e.active {
			if atDesk(tk) {
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
