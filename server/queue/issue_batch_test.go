package queue_test

import (
	"errors"
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
	var repeats atomic.Int32
	g.armed = true
	first := make(chan answer, 1)
	go func() {
		v, _, err := e.Issue(queue.IssueRequest{ServiceID: "general", Source: "device:k1"})
		first <- answer{v, err}
	}()
	<-g.applied // the first ticket's commit is on its way

	// Six requests queue behind it; the last two are one kiosk's request
	// and its retry.
	const n = 6
	answers := make(chan answer, n)
	var wg sync.WaitGroup
	for i := range n {
		req := queue.IssueRequest{ServiceID: "general", Source: "device:k2"}
		if i >= n-2 {
			req.IdemKey = "tap-1"
		}
		wg.Go(func() {
			v, created, err := e.Issue(req)
			answers <- answer{v, err}
			if !created && err == nil {
				repeats.Add(1)
			}
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
	// The six go in the next commit, held on its way in turn.
	held := g.gate
	g.armed, g.applied, g.gate = true, make(chan struct{}), make(chan struct{})
	close(held)
	<-g.applied
	select {
	case a := <-answers:
		t.Fatalf("a request was answered (%+v) before its batch's commit was done", a)
	case <-time.After(300 * time.Millisecond):
	}
	close(g.gate)
	wg.Wait()
	close(answers)
	if a := <-first; a.err != nil || a.v.Number != "A001" {
		t.Fatalf("first: %s, %v; want A001", a.v.Number, a.err)
	}
	if got := m.replays.Load() - before; got != 1 {
		t.Errorf("%d replays promised the %d queued tickets, want 1", got, n)
	}
	if got := repeats.Load(); got != 1 {
		t.Errorf("%d requests were answered as repeats, want the retry alone", got)
	}
	numbers, aheads := map[string]int{}, map[int]bool{}
	for a := range answers {
		if a.err != nil {
			t.Fatalf("issue: %v", a.err)
		}
		numbers[a.v.Number]++
		aheads[a.v.Ahead] = true
		if a.v.Promise == nil || a.v.Promise.WaitSeconds <= 0 {
			t.Errorf("ticket %s promised %+v, want a wait (one desk, tickets ahead)", a.v.Number, a.v.Promise)
			continue
		}
		// The answer shows the wait it was promised, and its place as a
		// later look at the ticket finds it.
		if pr := a.v.Promise; a.v.EWTSeconds != pr.WaitSeconds || a.v.EWTLowSeconds != pr.LowSeconds || a.v.EWTHighSeconds != pr.HighSeconds {
			t.Errorf("ticket %s shows %d s (%d-%d), promised %+v", a.v.Number, a.v.EWTSeconds, a.v.EWTLowSeconds, a.v.EWTHighSeconds, pr)
		}
		if now, err := e.Ticket(a.v.ID); err != nil || now.Ahead != a.v.Ahead {
			t.Errorf("ticket %s answered with %d ahead, now has %d (%v)", a.v.Number, a.v.Ahead, now.Ahead, err)
		}
	}
	if len(numbers) != n-1 {
		t.Errorf("numbers %v: want %d tickets, the retry getting its request's", numbers, n-1)
	}
	for i := 2; i <= n; i++ {
		if num := "A00" + string(rune('0'+i)); numbers[num] == 0 {
			t.Errorf("no ticket %s among %v", num, numbers)
		}
		if !aheads[i-1] {
			t.Errorf("no ticket with %d ahead; aheads %v", i-1, aheads)
		}
	}
}

// TestIssueRefusalsAmongManyRequests: batches that make no ticket (every
// request refused) pass the lead on; every request is answered, and the
// good ones get their numbers, each once.
func TestIssueRefusalsAmongManyRequests(t *testing.T) {
	f := newFixture(t, "UTC", nine)
	const n = 300
	var wg sync.WaitGroup
	numbers := make(chan string, n)
	var refused atomic.Int32
	for i := range n {
		wg.Go(func() {
			svc := "general"
			if i%10 != 0 {
				svc = "no-such-service"
			}
			v, _, err := f.e.Issue(queue.IssueRequest{ServiceID: svc, Source: "device:k1"})
			switch {
			case svc == "general" && err == nil:
				numbers <- v.Number
			case svc != "general" && errors.Is(err, queue.ErrServiceNotFound):
				refused.Add(1)
			default:
				t.Errorf("issue %s: %v", svc, err)
			}
		})
	}
	wg.Wait()
	close(numbers)
	seen := onceEach(t, numbers)
	if len(seen) != n/10 || refused.Load() != n-n/10 {
		t.Errorf("%d tickets and %d refusals, want %d and %d", len(seen), refused.Load(), n/10, n-n/10)
	}
}
