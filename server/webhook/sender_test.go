package webhook

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"queuebox/server/queue"
	"queuebox/server/store"
)

// countingStore is the real store, counting the events read back from its
// log and the progress saves.
type countingStore struct {
	*store.DB
	read, saves atomic.Int64
}

func (c *countingStore) Events(since uint64, limit int) ([]queue.Event, error) {
	evs, err := c.DB.Events(since, limit)
	c.read.Add(int64(len(evs)))
	return evs, err
}

func (c *countingStore) SaveWebhookProgress(id string, cursor uint64, attempts []store.WebhookAttempt, keep int) error {
	c.saves.Add(1)
	return c.DB.SaveWebhookProgress(id, cursor, attempts, keep)
}

// bodies collects the bodies a receiver took, by webhook-id.
type bodies struct {
	mu  sync.Mutex
	got map[string]string
}

func (b *bodies) handle(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	b.mu.Lock()
	b.got[r.Header.Get("webhook-id")] = string(raw)
	b.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (b *bodies) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.got)
}

// TestWebhooksShareReadAndEncoding: with three webhooks, each event is read
// from the log and encoded once, not once per webhook, and every webhook
// gets the same bytes for it (signed with its own secret).
func TestWebhooksShareReadAndEncoding(t *testing.T) {
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	const n = 300 // under the cache's size
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	var evs []queue.Event
	for i := range n {
		tk := &queue.Ticket{ID: strconv.Itoa(i + 1), Number: fmt.Sprintf("A%03d", i+1), ServiceID: "general",
			Status: queue.StatusWaiting, Token: "secret-token", IssuedAt: at}
		evs = append(evs, queue.Event{Seq: uint64(i + 1), Type: queue.EventIssued, At: at, Ticket: tk})
	}
	if err := <-db.Apply(&queue.Change{Events: evs}); err != nil {
		t.Fatal(err)
	}
	st := &countingStore{DB: db}
	recv := make([]*bodies, 3)
	for i := range recv {
		recv[i] = &bodies{got: map[string]string{}}
		srv := httptest.NewServer(http.HandlerFunc(recv[i].handle))
		t.Cleanup(srv.Close)
		if err := db.PutWebhook(store.Webhook{ID: fmt.Sprintf("wh_%d", i), URL: srv.URL, Events: []string{"*"}, Secret: NewSecret()}); err != nil {
			t.Fatal(err)
		}
	}
	// Wait for the sender to hear every receiver took every message (a
	// receiver has a message before the sender knows it was taken).
	var taken atomic.Int64
	s := New(st, Options{OnAttempt: func(a store.WebhookAttempt) {
		if a.OK {
			taken.Add(1)
		}
	}})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for taken.Load() < 3*n {
		if time.Now().After(deadline) {
			t.Fatalf("delivered %d, %d, %d of %d", recv[0].len(), recv[1].len(), recv[2].len(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.Close()

	if got := st.read.Load(); got != n {
		t.Errorf("read %d events from the log for three webhooks, want each of the %d once", got, n)
	}
	for seq := 1; seq <= n; seq++ {
		first := recv[0].got[fmt.Sprintf("msg_wh_0_%d", seq)]
		for i := 1; i < 3; i++ {
			if got := recv[i].got[fmt.Sprintf("msg_wh_%d_%d", i, seq)]; got != first {
				t.Fatalf("event %d: webhook %d got %s, webhook 0 %s", seq, i, got, first)
			}
		}
	}
	// One cursor save per page read and one at the stop, per webhook.
	if got := st.saves.Load(); got > 3*(n/saveEvery+2) {
		t.Errorf("%d progress saves for %d messages to three webhooks, want a few per webhook", got, n)
	}
	for i := range recv {
		hooks, err := db.Webhooks()
		if err != nil || hooks[i].Cursor != n {
			t.Errorf("webhook %d: cursor %d on disk (%v), want %d", i, hooks[i].Cursor, err, n)
		}
	}
}

// BenchmarkDeliver is the sender's work per event with three webhooks, two
// answering at once and one where nothing listens (make bench-go); the
// receivers' work counts too.
func BenchmarkDeliver(b *testing.B) {
	db, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for lo := 0; lo < b.N; lo += 1000 {
		var evs []queue.Event
		for i := lo; i < min(b.N, lo+1000); i++ {
			tk := &queue.Ticket{ID: strconv.Itoa(i + 1), Number: fmt.Sprintf("A%03d", i%1000), ServiceID: "general",
				Status: queue.StatusWaiting, IssuedAt: at}
			evs = append(evs, queue.Event{Seq: uint64(i + 1), Type: queue.EventIssued, At: at, Ticket: tk})
		}
		if err := <-db.Apply(&queue.Change{Events: evs}); err != nil {
			b.Fatal(err)
		}
	}
	var got atomic.Int64
	for i := range 2 {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			got.Add(1)
			w.WriteHeader(http.StatusNoContent)
		}))
		defer srv.Close()
		if err := db.PutWebhook(store.Webhook{ID: fmt.Sprintf("wh_%d", i), URL: srv.URL, Events: []string{"*"}, Secret: NewSecret()}); err != nil {
			b.Fatal(err)
		}
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	if err := db.PutWebhook(store.Webhook{ID: "wh_dead", URL: dead.URL, Events: []string{"*"}, Secret: NewSecret()}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	s := New(db, Options{Quiet: time.Nanosecond})
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	for got.Load() < int64(2*b.N) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	// CPU time rather than the wall clock: it hardly moves with the rest
	// of the machine's load.
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/event")
	s.Close()
}

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
