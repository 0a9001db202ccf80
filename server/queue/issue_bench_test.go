package queue_test

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"queuebox/server/queue"
	"queuebox/server/queue/queuetest"
)

// nullStore keeps nothing: the engine's own cost per change, without disk.
type nullStore struct{}

func (nullStore) Load() (*queue.Snapshot, error) { return &queue.Snapshot{}, nil }
func (nullStore) Apply(*queue.Change) <-chan error {
	c := make(chan error, 1)
	c <- nil
	return c
}
func (nullStore) Failed() bool { return false }
func (nullStore) Reset()       {}
func (nullStore) Ticket(string) (queue.Ticket, error) {
	return queue.Ticket{}, queue.ErrTicketNotFound
}
func (nullStore) TicketByToken(string) (queue.Ticket, error) {
	return queue.Ticket{}, queue.ErrTicketNotFound
}

// BenchmarkIssueWaiting is the engine's CPU per issued ticket (its promise
// included) with that many tickets already waiting: what a kiosk waits for
// under the engine's lock, before the commit.
//
// With clients > 1, that many goroutines issue at once, as kiosks do under
// load: requests that meet at the engine's lock are issued together.
func BenchmarkIssueWaiting(b *testing.B) {
	for _, waiting := range []int{100, 1000, 10000} {
		for _, clients := range []int{1, 64} {
			b.Run(fmt.Sprintf("waiting=%d/clients=%d", waiting, clients), func(b *testing.B) { benchIssue(b, waiting, clients) })
		}
	}
}

func benchIssue(b *testing.B, waiting, clients int) {
	e, _ := benchEngine(b, []queue.Service{{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300}},
		[]queue.Counter{{ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general"}}, {ID: "c2", Name: "Counter 2", ServiceIDs: []string{"general"}}})
	issueConcurrently(b, e, waiting, clients, func(int64) queue.IssueRequest {
		return queue.IssueRequest{ServiceID: "general", Source: "kiosk"}
	})
}

// BenchmarkIssueBatched is BenchmarkIssueWaiting's 64 clients against a
// store whose commits take a millisecond each, one after another, as a
// disk's fsync does: the engine's batches grow as they do in the box under
// load (with nullStore every commit is done at once and batches stay
// small), so its CPU per ticket is the engine's share of the box's.
func BenchmarkIssueBatched(b *testing.B) {
	e, _ := benchEngineOn(b, &slowStore{}, []queue.Service{{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300}},
		[]queue.Counter{{ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general"}}, {ID: "c2", Name: "Counter 2", ServiceIDs: []string{"general"}}})
	issueConcurrently(b, e, 1000, 64, func(n int64) queue.IssueRequest {
		// A key with every ticket, as kiosks send.
		return queue.IssueRequest{ServiceID: "general", Source: "device:k1", IdemKey: "key-" + strconv.FormatInt(n, 10)}
	})
}

// issueConcurrently issues waiting kiosk tickets of service general, then
// times b.N more, req(n) for the n-th, from that many clients at once, and reports the
// process's CPU time per ticket: the machine may be shared, so CPU time,
// not wall time, is the figure.
func issueConcurrently(b *testing.B, e *queue.Engine, waiting, clients int, req func(n int64) queue.IssueRequest) {
	for range waiting {
		if _, _, err := e.Issue(queue.IssueRequest{ServiceID: "general", Source: "kiosk"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for n := next.Add(1); n <= int64(b.N); n = next.Add(1) {
				if _, _, err := e.Issue(req(n)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// slowStore is a nullStore whose commits are done a millisecond after the
// one before, in order.
type slowStore struct {
	nullStore
	mu   sync.Mutex
	last chan struct{} // closed once the latest commit is done
}

func (s *slowStore) Apply(*queue.Change) <-chan error {
	errc, done := make(chan error, 1), make(chan struct{})
	s.mu.Lock()
	prev := s.last
	s.last = done
	s.mu.Unlock()
	go func() {
		if prev != nil {
			<-prev
		}
		time.Sleep(time.Millisecond)
		errc <- nil
		close(done)
	}()
	return errc
}

// benchEngine is an engine on a nullStore, open all day in UTC, with these
// services and counters, and its clock.
func benchEngine(b *testing.B, services []queue.Service, counters []queue.Counter) (*queue.Engine, *queuetest.Clock) {
	return benchEngineOn(b, nullStore{}, services, counters)
}

// benchEngineOn is benchEngine on store.
func benchEngineOn(b *testing.B, store queue.Store, services []queue.Service, counters []queue.Counter) (*queue.Engine, *queuetest.Clock) {
	b.Helper()
	clock := queuetest.NewClock(time.Date(2026, 3, 4, 2, 0, 0, 0, time.UTC))
	e, err := queue.New(store, clock, nil)
	if err != nil {
		b.Fatal(err)
	}
	st := queue.DefaultSettings()
	st.BranchName, st.Timezone, st.Hours = "Bench", "UTC", allDay()
	if err := e.Seed(st, services, counters); err != nil {
		b.Fatal(err)
	}
	return e, clock
}

// cpuTime is the CPU this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
