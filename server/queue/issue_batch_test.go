package queue_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"queuebox/server/forecast"
	"queuebox/server/queue"
)

// countingModel is the real wait model, counting the engine's replays
// (each asks once for the walk-ins expected).
type countingModel struct {
	*forecast.Model
	replays atomic.Int64
}

func (m *countingModel) Arrivals(from, until time.Time, loc *time.Location, all bool) []forecast.Arrival {
	m.replays.Add(1)
	return m.Model.Arrivals(from, until, loc, all)
}

// TestIssuesMeetingACommitShareOneReplay: requests that come while a batch
// of tickets is on its way to disk are issued together once it is there —
// one replay promises them all — and each still gets its own number, a
// promise that counts the tickets issued before it, and its answer only
// once its own ticket is on disk.
func TestIssuesMeetingACommitShareOneReplay(t *testing.T) {
	e, g := newGatedEngine(t)
	m := &countingModel{Model: forecast.New()}
	e.SetEstimator(m)

	type answer struct {
		v   queue.TicketView
		err error
	}
	g.armed = true
	first := make(chan answer, 1)
	go func() {
		v, _, err := e.Issue(queue.IssueRequest{ServiceID: "general", Source: "device:k1"})
		first <- answer{v, err}
	}()
	<-g.applied // the first ticket's commit is on its way

	const n = 6
	answers := make(chan answer, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			v, _, err := e.Issue(queue.IssueRequest{ServiceID: "general", Source: "device:k2"})
			answers <- answer{v, err}
		})
	}
	for deadline := time.Now().Add(10 * time.Second); e.QueuedIssues() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests queued behind the commit, want %d", e.QueuedIssues(), n)
		}
	}
	select {
	case a := <-answers:
		t.Fatalf("a queued request was answered (%+v) before the commit ahead of it was done", a)
	default:
	}
	before := m.replays.Load()
	close(g.gate)
	wg.Wait()
	close(answers)
	if a := <-first; a.err != nil || a.v.Number != "A001" {
		t.Fatalf("first: %s, %v; want A001", a.v.Number, a.err)
	}
	if got := m.replays.Load() - before; got != 1 {
		t.Errorf("%d replays promised the %d queued tickets, want 1", got, n)
	}
	numbers, aheads := map[string]bool{}, map[int]bool{}
	for a := range answers {
		if a.err != nil {
			t.Fatalf("issue: %v", a.err)
		}
		numbers[a.v.Number] = true
		aheads[a.v.Ahead] = true
		if a.v.Promise == nil || a.v.Promise.WaitSeconds <= 0 {
			t.Errorf("ticket %s promised %+v, want a wait (one desk, tickets ahead)", a.v.Number, a.v.Promise)
		}
	}
	for i := 2; i <= n+1; i++ {
		if num := "A00" + string(rune('0'+i)); !numbers[num] {
			t.Errorf("no ticket %s among %v", num, numbers)
		}
		if !aheads[i-1] {
			t.Errorf("no ticket with %d ahead; aheads %v", i-1, aheads)
		}
	}
}
