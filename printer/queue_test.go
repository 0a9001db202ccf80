package printer

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"queuebox/printer/printertest"
)

// fastOptions keep every wait in these tests short. StatusTimeout stays
// comfortably above loopback latency under -race, since a late answer
// would read as a silent printer.
func fastOptions() QueueOptions {
	return QueueOptions{
		Encode:        Options{Width: Width58mm, Lang: "en"},
		DialTimeout:   time.Second,
		StatusTimeout: 200 * time.Millisecond,
		WriteTimeout:  time.Second,
		BackoffMin:    5 * time.Millisecond,
		BackoffMax:    40 * time.Millisecond,
		ProbeInterval: 20 * time.Millisecond,
		Logger:        slog.New(slog.DiscardHandler),
	}
}

// startQueue runs a queue until the test ends.
func startQueue(t testing.TB, url string, o QueueOptions) *Queue {
	t.Helper()
	q, err := NewQueue(url, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		q.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return q
}

// waitFor polls cond; the queue reports progress only through polling.
// waitLimit bounds the waits for what the printer goroutine does.
const waitLimit = 30 * time.Second

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	// Generous: each wait ends as soon as its condition holds, and a loaded
	// machine (the race detector, other packages' tests) is slow.
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func waitState(t testing.TB, q *Queue, want State) {
	t.Helper()
	waitFor(t, fmt.Sprintf("state %s (now %+v)", want, q.Status()), func() bool { return q.Status().State == want })
}

func waitOutcome(t testing.TB, q *Queue, id string, want Outcome) {
	t.Helper()
	waitFor(t, fmt.Sprintf("job %s to be %s", id, want), func() bool { return q.Outcome(id) == want })
}

func waitJobs(t testing.TB, p *printertest.Printer, n int) [][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	jobs, err := p.WaitJobs(ctx, n)
	if err != nil {
		t.Fatalf("%v (got %d)", err, len(jobs))
	}
	return jobs
}

func ticket(number string) Ticket {
	t := SampleTicket()
	t.Number = number
	return t
}

// numbers reads the ticket number off every printed job.
func numbers(t testing.TB, jobs [][]byte) []string {
	t.Helper()
	var out []string
	for i, j := range jobs {
		d, err := decodeJob(j)
		if err != nil {
			t.Fatalf("job %d: %v", i, err)
		}
		var num string
		for _, b := range d.blocks {
			if b.kind == kindText && b.sizeW > 1 {
				num = b.text
				break
			}
		}
		out = append(out, num)
	}
	return out
}

func TestQueueStatusByMode(t *testing.T) {
	tests := []struct {
		name        string
		first, mode printertest.Mode // first runs until the queue has seen the printer
		wantState   State
		wantNearEnd bool
		wantPrinted bool // a submitted job comes out
		wantErr     bool // LastError is set
	}{
		{"healthy", printertest.Healthy, printertest.Healthy, StateOK, false, true, false},
		{"near end", printertest.Healthy, printertest.NearEnd, StateOK, true, true, false},
		{"paper out", printertest.Healthy, printertest.PaperOut, StatePaperOut, false, false, true},
		{"cover open", printertest.Healthy, printertest.CoverOpen, StateCoverOpen, false, false, true},
		{"refused", printertest.Healthy, printertest.Refuse, StateOffline, false, false, true},
		{"hangs after answering", printertest.Healthy, printertest.Hang, StateOffline, false, false, true},
		{"silent from the start", printertest.Silent, printertest.Silent, StateUnknown, false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startFake(t, tt.first)
			q := startQueue(t, p.URL(), fastOptions())
			if tt.first == printertest.Healthy {
				waitState(t, q, StateOK)
			}
			if err := p.SetMode(tt.mode); err != nil {
				t.Fatal(err)
			}
			if got := q.Submit("job-1", ticket("A001")); got != OutcomeQueued {
				t.Errorf("Submit: got %s, want queued", got)
			}
			if tt.wantPrinted {
				waitOutcome(t, q, "job-1", OutcomePrinted)
				if got := numbers(t, waitJobs(t, p, 1)); !slices.Equal(got, []string{"A001"}) {
					t.Errorf("printed: got %q, want [A001]", got)
				}
			}
			waitState(t, q, tt.wantState)
			s := q.Status()
			if s.NearEnd != tt.wantNearEnd {
				t.Errorf("NearEnd: got %v, want %v", s.NearEnd, tt.wantNearEnd)
			}
			if (s.LastError != "") != tt.wantErr {
				t.Errorf("LastError: got %q, want set: %v", s.LastError, tt.wantErr)
			}
			if !tt.wantPrinted {
				// Retries go on in the background, so the job may be
				// in the middle of one.
				if got := q.Outcome("job-1"); got != OutcomeQueued && got != OutcomePrinting {
					t.Errorf("Outcome: got %s, want queued (or printing) while the printer is %s", got, tt.mode)
				}
				if s.Queued != 1 {
					t.Errorf("Queued: got %d, want 1", s.Queued)
				}
				if jobs := p.Jobs(); len(jobs) != 0 {
					t.Errorf("printer got %d jobs, want none", len(jobs))
				}
			}
		})
	}
}

// A printer that hangs before it ever answered cannot be told apart from one
// that does not support status requests: the queue prints blind and says it
// does not know.
func TestQueueHungFromStart(t *testing.T) {
	p := startFake(t, printertest.Hang)
	q := startQueue(t, p.URL(), fastOptions())
	q.Submit("job-1", ticket("A001"))
	waitState(t, q, StateUnknown)
	if err := p.WaitAccepts(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
}

func TestQueueRecovery(t *testing.T) {
	tests := []struct {
		name string
		mode printertest.Mode
		want State
	}{
		{"refused", printertest.Refuse, StateOffline},
		{"paper out", printertest.PaperOut, StatePaperOut},
		{"cover open", printertest.CoverOpen, StateCoverOpen},
		{"hang", printertest.Hang, StateOffline},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startFake(t, printertest.Healthy)
			q := startQueue(t, p.URL(), fastOptions())
			waitState(t, q, StateOK)
			if err := p.SetMode(tt.mode); err != nil {
				t.Fatal(err)
			}
			waitState(t, q, tt.want)
			for i := range 3 {
				q.Submit(fmt.Sprint("job-", i), ticket(fmt.Sprintf("A00%d", i)))
			}
			if err := p.SetMode(printertest.Healthy); err != nil {
				t.Fatal(err)
			}
			if got, want := numbers(t, waitJobs(t, p, 3)), []string{"A000", "A001", "A002"}; !slices.Equal(got, want) {
				t.Errorf("printed after recovery: got %q, want %q", got, want)
			}
			waitState(t, q, StateOK)
			waitFor(t, "an empty queue", func() bool { return q.Status().Queued == 0 })
			if s := q.Status(); s.LastError != "" {
				t.Errorf("LastError after recovery: got %q, want empty", s.LastError)
			}
		})
	}
}

func TestQueueNoDuplicatePrints(t *testing.T) {
	p := startFake(t, printertest.Healthy)
	q := startQueue(t, p.URL(), fastOptions())

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			switch got := q.Submit("dup", ticket("A001")); got {
			case OutcomeQueued, OutcomePrinting, OutcomePrinted:
			default:
				t.Errorf("Submit(dup): got %s", got)
			}
		})
	}
	wg.Wait()
	// Jobs print in order, so once the marker is out, any second copy of
	// "dup" would be out too.
	q.Submit("marker-1", ticket("M001"))
	waitOutcome(t, q, "marker-1", OutcomePrinted)

	if got := q.Submit("dup", ticket("A001")); got != OutcomePrinted {
		t.Errorf("Submit(dup) after printing: got %s, want printed", got)
	}
	q.Submit("marker-2", ticket("M002"))
	waitOutcome(t, q, "marker-2", OutcomePrinted)

	if got, want := numbers(t, waitJobs(t, p, 3)), []string{"A001", "M001", "M002"}; !slices.Equal(got, want) {
		t.Errorf("printed: got %q, want %q", got, want)
	}
}

func TestQueueSubmitFastWhileHung(t *testing.T) {
	p := startFake(t, printertest.Healthy)
	o := fastOptions()
	o.StatusTimeout = 300 * time.Millisecond
	q := startQueue(t, p.URL(), o)
	waitState(t, q, StateOK)
	n := p.Accepts()
	if err := p.SetMode(printertest.Hang); err != nil {
		t.Fatal(err)
	}
	// Make sure the queue is stuck on the hung printer before timing.
	q.Submit("job-0", ticket("A000"))
	if err := p.WaitAccepts(context.Background(), n+1); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	for i := 1; i <= 50; i++ {
		if got := q.Submit(fmt.Sprint("job-", i), ticket(fmt.Sprintf("A%03d", i))); got != OutcomeQueued {
			t.Fatalf("Submit: got %s, want queued", got)
		}
	}
	// Were Submit to wait on the hung printer, each would take at least the
	// status timeout (300 ms): 50 of them 15 s.
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("50 Submits took %v while the printer hangs; a Submit must never wait for the printer", elapsed)
	}
	waitState(t, q, StateOffline)
	if got := q.Status().Queued; got != 51 {
		t.Errorf("Queued: got %d, want 51", got)
	}

	if err := p.SetMode(printertest.Healthy); err != nil {
		t.Fatal(err)
	}
	got := numbers(t, waitJobs(t, p, 51))
	for i, n := range got {
		if want := fmt.Sprintf("A%03d", i); n != want {
			t.Fatalf("job %d printed %q, want %q (all: %q)", i, n, want, got)
		}
	}
	waitState(t, q, StateOK)
}

func TestQueueExpiredJobsNeverPrint(t *testing.T) {
	p := startFake(t, printertest.Refuse)
	o := fastOptions()
	o.JobTTL = 100 * time.Millisecond
	q := startQueue(t, p.URL(), o)

	q.Submit("old", ticket("A001"))
	waitOutcome(t, q, "old", OutcomeExpired)
	if got := q.Status().Queued; got != 0 {
		t.Errorf("Queued after expiry: got %d, want 0", got)
	}

	if err := p.SetMode(printertest.Healthy); err != nil {
		t.Fatal(err)
	}
	q.Submit("new", ticket("A002"))
	waitOutcome(t, q, "new", OutcomePrinted)
	if got := numbers(t, waitJobs(t, p, 1)); !slices.Equal(got, []string{"A002"}) {
		t.Errorf("printed: got %q, want only [A002]", got)
	}
	if got := q.Outcome("old"); got != OutcomeExpired {
		t.Errorf("Outcome(old): got %s, want expired", got)
	}

	// Staff may ask for an expired ticket again.
	if got := q.Submit("old", ticket("A001")); got != OutcomeQueued {
		t.Errorf("Submit(old) again: got %s, want queued", got)
	}
	waitOutcome(t, q, "old", OutcomePrinted)
	if got := numbers(t, waitJobs(t, p, 2)); !slices.Equal(got, []string{"A002", "A001"}) {
		t.Errorf("printed: got %q, want [A002 A001]", got)
	}
}

func TestQueueFailedJobMayBeRetried(t *testing.T) {
	p := startFake(t, printertest.Healthy)
	q := startQueue(t, p.URL(), fastOptions())
	bad := ticket("A001")
	bad.StatusURL = "http://x/" + strings.Repeat("y", 2000) // no QR code fits the paper
	q.Submit("job", bad)
	waitOutcome(t, q, "job", OutcomeFailed)
	if s := q.Status(); !strings.Contains(s.LastError, "status url") {
		t.Errorf("LastError: got %q, want the encoding problem", s.LastError)
	}
	if got := q.Submit("job", ticket("A001")); got != OutcomeQueued {
		t.Errorf("Submit after failure: got %s, want queued", got)
	}
	waitOutcome(t, q, "job", OutcomePrinted)
	if got := numbers(t, waitJobs(t, p, 1)); !slices.Equal(got, []string{"A001"}) {
		t.Errorf("printed: got %q, want [A001]", got)
	}
}

func TestQueueForgetsOnlyFinishedJobs(t *testing.T) {
	p := startFake(t, printertest.Healthy)
	o := fastOptions()
	o.KeepOutcomes = 5

	// Without Run nothing finishes, so nothing may be forgotten.
	idle, err := NewQueue(p.URL(), o)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		idle.Submit(fmt.Sprint("job-", i), ticket("A001"))
	}
	if got := idle.Submit("one-too-many", ticket("A001")); got != OutcomeFailed {
		t.Errorf("Submit beyond the limit: got %s, want failed", got)
	}
	for i := range 5 {
		if got := idle.Outcome(fmt.Sprint("job-", i)); got != OutcomeQueued {
			t.Errorf("Outcome(job-%d): got %q, want queued", i, got)
		}
	}

	q := startQueue(t, p.URL(), o)
	for i := range 8 {
		id := fmt.Sprint("job-", i)
		q.Submit(id, ticket(fmt.Sprintf("A%03d", i)))
		waitOutcome(t, q, id, OutcomePrinted)
	}
	for i := range 8 {
		want := OutcomePrinted
		if i < 3 {
			want = ""
		}
		if got := q.Outcome(fmt.Sprint("job-", i)); got != want {
			t.Errorf("Outcome(job-%d): got %q, want %q", i, got, want)
		}
	}
}

func TestQueueOnChange(t *testing.T) {
	p := startFake(t, printertest.Healthy)
	var (
		mu   sync.Mutex
		seen []Status
	)
	o := fastOptions()
	o.ProbeInterval = time.Hour
	o.OnChange = func(s Status) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, s)
	}
	q := startQueue(t, p.URL(), o)
	waitState(t, q, StateOK)
	q.Submit("job", ticket("A001"))
	waitOutcome(t, q, "job", OutcomePrinted)
	waitFor(t, "OnChange to report the empty queue", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) > 0 && seen[len(seen)-1] == Status{State: StateOK}
	})
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(seen, Status{State: StateOK, Queued: 1}) {
		t.Errorf("OnChange never reported the queued job; saw %+v", seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] == seen[i-1] {
			t.Errorf("OnChange called twice with %+v", seen[i])
		}
	}
}

func TestQueueDeviceFile(t *testing.T) {
	dir := t.TempDir()
	dev := filepath.Join(dir, "lp0")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	q := startQueue(t, "file://"+dev, fastOptions())
	q.Submit("job", ticket("A001"))
	waitOutcome(t, q, "job", OutcomePrinted)
	got, _ := os.ReadFile(dev)
	if n := numbers(t, [][]byte{got}); !slices.Equal(n, []string{"A001"}) {
		t.Errorf("device got %q, want [A001]", n)
	}
	if s := q.Status(); s.State != StateUnknown {
		t.Errorf("State: got %s, want unknown (a device file reports nothing)", s.State)
	}

	missing := filepath.Join(dir, "lp9")
	q = startQueue(t, "file://"+missing, fastOptions())
	waitState(t, q, StateOffline)
	if s := q.Status(); !strings.Contains(s.LastError, missing) {
		t.Errorf("LastError: got %q, want it to name %s", s.LastError, missing)
	}
}

func TestQueueDisabled(t *testing.T) {
	for _, url := range []string{"none", ""} {
		q, err := NewQueue(url, fastOptions())
		if err != nil {
			t.Fatalf("NewQueue(%q): %v", url, err)
		}
		if got := q.Submit("job", ticket("A001")); got != OutcomeDisabled {
			t.Errorf("Submit: got %s, want disabled", got)
		}
		if got := q.Outcome("job"); got != OutcomeDisabled {
			t.Errorf("Outcome: got %s, want disabled", got)
		}
		if got, want := q.Status(), (Status{State: StateDisabled}); got != want {
			t.Errorf("Status: got %+v, want %+v", got, want)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			q.Run(ctx)
			close(done)
		}()
		cancel()
		<-done
	}
}

func TestNewQueueErrors(t *testing.T) {
	tests := []struct {
		url  string
		o    QueueOptions
		want string
	}{
		{"usb://lp0", QueueOptions{}, `"usb://lp0"`},
		{"none", QueueOptions{Encode: Options{Width: 100}}, "paper width 100"},
		{"none", QueueOptions{Encode: Options{Lang: "de"}}, `"de"`},
	}
	for _, tt := range tests {
		if _, err := NewQueue(tt.url, tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewQueue(%q, %+v): got %v, want an error containing %q", tt.url, tt.o, err, tt.want)
		}
	}
}

// Run must return when its context ends, even in the middle of a job on a
// printer that hangs.
func TestQueueRunStopsWhileHung(t *testing.T) {
	p := startFake(t, printertest.Healthy)
	o := fastOptions()
	o.StatusTimeout = time.Minute
	o.ProbeInterval = time.Hour
	q, err := NewQueue(p.URL(), o)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetMode(printertest.Hang); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		q.Run(ctx)
		close(done)
	}()
	if err := p.WaitAccepts(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(waitLimit):
		t.Fatal("Run did not return after its context ended")
	}
}

func BenchmarkSubmitDuplicate(b *testing.B) {
	q, err := NewQueue("tcp://127.0.0.1:9", fastOptions())
	if err != nil {
		b.Fatal(err)
	}
	q.Submit("job", ticket("A001"))
	for b.Loop() {
		q.Submit("job", ticket("A001"))
	}
}

// BenchmarkPrint measures one job end to end through the fake printer:
// connect, status, send.
func BenchmarkPrint(b *testing.B) {
	p := startFake(b, printertest.Healthy)
	q := startQueue(b, p.URL(), fastOptions())
	i := 0
	for b.Loop() {
		id := fmt.Sprint("job-", i)
		i++
		q.Submit(id, ticket("A001"))
		for q.Outcome(id) != OutcomePrinted {
			time.Sleep(50 * time.Microsecond)
		}
	}
}
