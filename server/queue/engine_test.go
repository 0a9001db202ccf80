package queue_test

import (
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"sync"
	"testing"
	"time"

	"queuebox/server/queue"
	"queuebox/server/queue/queuetest"
	"queuebox/server/store"
)

type fakeClock = queuetest.Clock

func allDay() map[string]string {
	h := map[string]string{}
	for _, d := range queue.Days {
		h[d] = "00:00-24:00"
	}
	return h
}

type fixture struct {
	e     *queue.Engine
	db    *store.DB
	clock *fakeClock
	dir   string
}

// newFixture builds an engine on a real bbolt store with two services and
// three counters: c1 serves both, c2 only "general", c3 only "cash".
func newFixture(t *testing.T, tz string, start time.Time) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{clock: queuetest.NewClock(start), dir: dir}
	f.open(t)
	st := queue.DefaultSettings()
	st.BranchName, st.Timezone, st.Hours, st.MaxWaitMinutes = "Test", tz, allDay(), 30
	services := []queue.Service{
		{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300},
		{ID: "cash", Prefix: "B", Name: "Cash", AvgServiceSeconds: 120},
	}
	counters := []queue.Counter{
		{ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general", "cash"}},
		{ID: "c2", Name: "Counter 2", ServiceIDs: []string{"general"}},
		{ID: "c3", Name: "Counter 3", ServiceIDs: []string{"cash"}},
	}
	if err := f.e.Seed(st, services, counters); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return f
}

func (f *fixture) open(t *testing.T) {
	t.Helper()
	db, err := store.Open(f.dir, store.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	e, err := queue.New(db, f.clock, nil)
	if err != nil {
		t.Fatalf("new engine: %v", err)
	}
	f.db, f.e = db, e
}

// reopen closes the store and builds a new engine from disk, as a restart does.
func (f *fixture) reopen(t *testing.T) {
	t.Helper()
	if err := f.db.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	f.open(t)
}

func (f *fixture) issue(t *testing.T, service string, priority int) queue.TicketView {
	t.Helper()
	v, _, err := f.e.Issue(queue.IssueRequest{ServiceID: service, Priority: priority, Source: "test"})
	if err != nil {
		t.Fatalf("issue %s: %v", service, err)
	}
	return v
}

func TestNumberingRestartsAtLocalMidnight(t *testing.T) {
	tests := []struct {
		name   string
		tz     string
		before time.Time // local 23:59 of a day
		after  time.Time // local 00:00 of the next day
	}{
		{"Shanghai", "Asia/Shanghai",
			time.Date(2026, 11, 23, 15, 59, 0, 0, time.UTC), // 23:59 CST
			time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC)},
		// The night the clocks go back, 01:00–02:00 happens twice; the
		// business day still ends only at local midnight.
		{"New York, DST ends", "America/New_York",
			time.Date(2026, 11, 2, 4, 59, 0, 0, time.UTC), // 23:59 EST on Nov 1
			time.Date(2026, 11, 2, 5, 0, 0, 0, time.UTC)},
		{"Berlin, DST starts", "Europe/Berlin",
			time.Date(2026, 3, 29, 21, 59, 0, 0, time.UTC), // 23:59 CEST on Mar 29
			time.Date(2026, 3, 29, 22, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.tz, tt.before.Add(-3*time.Hour))
			var got []string
			got = append(got, f.issue(t, "general", 0).Number)
			f.clock.Set(tt.before)
			got = append(got, f.issue(t, "general", 0).Number)
			f.clock.Set(tt.after)
			got = append(got, f.issue(t, "general", 0).Number, f.issue(t, "cash", 0).Number)
			// Across a restart the day's numbering carries on.
			f.reopen(t)
			got = append(got, f.issue(t, "general", 0).Number)
			want := []string{"A001", "A002", "A001", "B001", "A002"}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("numbers = %v, want %v", got, want)
			}
		})
	}
}

func TestNumberingDoesNotResetInsideTheRepeatedDSTHour(t *testing.T) {
	// 2026-11-01 in New York: 01:30 EDT, then an hour later 01:30 EST again.
	f := newFixture(t, "America/New_York", time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC))
	a := f.issue(t, "general", 0)
	f.clock.Advance(time.Hour)
	b := f.issue(t, "general", 0)
	if a.Number != "A001" || b.Number != "A002" || a.Date != b.Date {
		t.Errorf("got %s on %s then %s on %s, want A001 then A002 on one day", a.Number, a.Date, b.Number, b.Date)
	}
}

func TestConcurrentIssueIsUniqueAndGapFree(t *testing.T) {
	f := newFixture(t, "Asia/Shanghai", time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC))
	const n = 200
	numbers := make(chan string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, _, err := f.e.Issue(queue.IssueRequest{ServiceID: "general", Source: "test"})
			if err != nil {
				t.Errorf("issue: %v", err)
				return
			}
			numbers <- v.Number
		}()
	}
	wg.Wait()
	close(numbers)
	seen := onceEach(t, numbers)
	for i := 1; i <= n; i++ {
		if want := fmt.Sprintf("A%03d", i); !seen[want] {
			t.Errorf("number %s missing: numbering has a gap", want)
		}
	}
	// All of them are on disk.
	f.reopen(t)
	q, err := f.e.Queue("general")
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != n {
		t.Errorf("after reopen %d tickets wait, want %d", len(q), n)
	}
}

func TestConcurrentNextNeverCallsATicketTwice(t *testing.T) {
	f := newFixture(t, "UTC", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	const n = 120
	for i := 0; i < n; i++ {
		f.issue(t, []string{"general", "cash"}[i%2], 0)
	}
	var mu sync.Mutex
	called := map[string]string{}
	var wg sync.WaitGroup
	for _, ctr := range []string{"c1", "c2", "c3", "c1", "c2", "c3"} {
		wg.Add(1)
		go func(ctr string) {
			defer wg.Done()
			for {
				v, ok, err := f.e.Next(ctr, "staff")
				if err != nil {
					t.Errorf("next at %s: %v", ctr, err)
					return
				}
				if !ok {
					return
				}
				mu.Lock()
				if prev, dup := called[v.ID]; dup {
					t.Errorf("ticket %s called at %s and again at %s", v.Number, prev, ctr)
				}
				called[v.ID] = ctr
				mu.Unlock()
			}
		}(ctr)
	}
	wg.Wait()
	if len(called) != n {
		t.Errorf("%d tickets called, want %d", len(called), n)
	}
}

func TestNextOnlyCallsServicesTheCounterServes(t *testing.T) {
	f := newFixture(t, "UTC", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	f.issue(t, "general", 0)
	cash := f.issue(t, "cash", 0)
	v, ok, err := f.e.Next("c3", "staff")
	if err != nil || !ok || v.ID != cash.ID {
		t.Fatalf("c3 called %v (ok=%v, err=%v), want the cash ticket %s", v.Number, ok, err, cash.Number)
	}
	if _, ok, _ := f.e.Next("c3", "staff"); ok {
		t.Errorf("c3 called a general ticket it does not serve")
	}
}

// step names every staff action so a table can try each on each state.
var steps = map[string]func(e *queue.Engine, id string) error{
	"recall": func(e *queue.Engine, id string) error { _, err := e.Recall(id, "s"); return err },
	"start":  func(e *queue.Engine, id string) error { _, err := e.Start(id, "s"); return err },
	"finish": func(e *queue.Engine, id string) error { _, err := e.Finish(id, "s"); return err },
	"noshow": func(e *queue.Engine, id string) error { _, err := e.NoShow(id, "s"); return err },
	"cancel": func(e *queue.Engine, id string) error { _, err := e.Cancel(id, "s"); return err },
	"transfer": func(e *queue.Engine, id string) error {
		_, err := e.Transfer(id, "cash", "s")
		return err
	},
}

func TestStateMachine(t *testing.T) {
	// How to bring a fresh general ticket into each state.
	reach := map[queue.Status][]string{
		queue.StatusWaiting:   nil,
		queue.StatusCalled:    {"next"},
		queue.StatusServing:   {"next", "start"},
		queue.StatusDone:      {"next", "start", "finish"},
		queue.StatusNoShow:    {"next", "noshow"},
		queue.StatusCancelled: {"cancel"},
	}
	// want[state][action] is the error; nil means allowed.
	want := map[queue.Status]map[string]error{
		queue.StatusWaiting: {"recall": queue.ErrNotCalled, "start": queue.ErrNotCalled, "finish": queue.ErrNotServing,
			"noshow": queue.ErrNotCalled, "cancel": nil, "transfer": nil},
		queue.StatusCalled: {"recall": nil, "start": nil, "finish": queue.ErrNotServing,
			"noshow": nil, "cancel": nil, "transfer": nil},
		queue.StatusServing: {"recall": queue.ErrNotCalled, "start": queue.ErrNotCalled, "finish": nil,
			"noshow": queue.ErrNotCalled, "cancel": queue.ErrNotCancellable, "transfer": nil},
		queue.StatusDone: {"recall": queue.ErrNotCalled, "start": queue.ErrNotCalled, "finish": queue.ErrNotServing,
			"noshow": queue.ErrNotCalled, "cancel": queue.ErrNotCancellable, "transfer": queue.ErrNotTransferable},
		queue.StatusNoShow: {"recall": queue.ErrNotCalled, "start": queue.ErrNotCalled, "finish": queue.ErrNotServing,
			"noshow": queue.ErrNotCalled, "cancel": queue.ErrNotCancellable, "transfer": queue.ErrNotTransferable},
		queue.StatusCancelled: {"recall": queue.ErrNotCalled, "start": queue.ErrNotCalled, "finish": queue.ErrNotServing,
			"noshow": queue.ErrNotCalled, "cancel": queue.ErrNotCancellable, "transfer": queue.ErrNotTransferable},
	}
	for state, actions := range want {
		for action, wantErr := range actions {
			t.Run(string(state)+"/"+action, func(t *testing.T) {
				f := newFixture(t, "UTC", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
				tk := f.issue(t, "general", 0)
				for _, s := range reach[state] {
					var err error
					if s == "next" {
						_, _, err = f.e.Next("c2", "s")
					} else {
						err = steps[s](f.e, tk.ID)
					}
					if err != nil {
						t.Fatalf("reaching %s: %s: %v", state, s, err)
					}
				}
				if got, _ := f.e.Ticket(tk.ID); got.Status != state {
					t.Fatalf("set-up reached %s, want %s", got.Status, state)
				}
				err := steps[action](f.e, tk.ID)
				if !errors.Is(err, wantErr) && !(err == nil && wantErr == nil) {
					t.Errorf("%s on a %s ticket: err = %v, want %v", action, state, err, wantErr)
				}
			})
		}
	}
	t.Run("unknown ticket", func(t *testing.T) {
		f := newFixture(t, "UTC", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
		for name, step := range steps {
			if err := step(f.e, "999"); !errors.Is(err, queue.ErrTicketNotFound) {
				t.Errorf("%s on an unknown ticket: err = %v, want ErrTicketNotFound", name, err)
			}
		}
	})
}

func TestTransferKeepsPriorityAndIssueTime(t *testing.T) {
	f := newFixture(t, "UTC", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	vip := f.issue(t, "general", 2)
	f.clock.Advance(time.Minute)
	c1 := f.issue(t, "cash", 0)
	f.clock.Advance(time.Minute)
	c2 := f.issue(t, "cash", 0)
	f.clock.Advance(time.Minute)
	if _, ok, err := f.e.Next("c2", "s"); !ok || err != nil {
		t.Fatalf("call: %v %v", ok, err)
	}
	moved, err := f.e.Transfer(vip.ID, "cash", "s")
	if err != nil {
		t.Fatal(err)
	}
	if moved.Priority != 2 || !moved.IssuedAt.Equal(vip.IssuedAt) || moved.Number != vip.Number {
		t.Errorf("transferred ticket: priority %d, issued %v, number %s; want 2, %v, %s",
			moved.Priority, moved.IssuedAt, moved.Number, vip.IssuedAt, vip.Number)
	}
	if moved.Status != queue.StatusWaiting || moved.ServiceID != "cash" || moved.CounterID != "" {
		t.Errorf("transferred ticket is %s in %s at %q, want waiting in cash at no counter", moved.Status, moved.ServiceID, moved.CounterID)
	}
	if moved.Ahead != 0 {
		t.Errorf("transferred VIP has %d ahead, want 0", moved.Ahead)
	}
	f.reopen(t)
	q, _ := f.e.Queue("cash")
	var got []string
	for _, v := range q {
		got = append(got, v.Number)
	}
	want := []string{vip.Number, c1.Number, c2.Number}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("cash queue after transfer and restart = %v, want %v", got, want)
	}
}

func TestPolicyOrder(t *testing.T) {
	type issue struct {
		service  string
		priority int
		at       int // minutes after opening
	}
	tests := []struct {
		name    string
		issues  []issue
		now     int // minutes after opening
		counter string
		want    []int // indexes into issues, in call order
		reasons []string
	}{
		{"fifo in one level", []issue{{"general", 0, 0}, {"general", 0, 1}, {"general", 0, 2}}, 3, "c2",
			[]int{0, 1, 2}, []string{"next in line", "next in line", "next in line"}},
		{"higher level first", []issue{{"general", 0, 0}, {"general", 1, 1}, {"general", 2, 2}, {"general", 1, 3}}, 4, "c2",
			[]int{2, 1, 3, 0}, []string{"priority level 2, oldest first", "priority level 1, oldest first", "priority level 1, oldest first", "next in line"}},
		{"counter merges its services by the same rules", []issue{{"cash", 0, 0}, {"general", 0, 1}, {"cash", 1, 2}}, 3, "c1",
			[]int{2, 0, 1}, nil},
		{"counter sees only its services", []issue{{"cash", 0, 0}, {"general", 0, 1}, {"cash", 1, 2}}, 3, "c2",
			[]int{1}, nil},
		{"past the cap beats priority", []issue{{"general", 0, 0}, {"general", 2, 20}, {"general", 0, 25}}, 31, "c2",
			[]int{0, 1, 2}, []string{"waited past the 30-min cap", "priority level 2, oldest first", "next in line"}},
		{"several past the cap: oldest first", []issue{{"general", 1, 5}, {"general", 0, 0}, {"general", 2, 40}}, 50, "c2",
			[]int{1, 0, 2}, []string{"waited past the 30-min cap", "waited past the 30-min cap", "priority level 2, oldest first"}},
		{"empty", nil, 0, "c1", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			open := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
			f := newFixture(t, "UTC", open)
			ids := map[string]int{}
			// Time only moves forward: issue in the order of the minutes.
			for _, i := range byMinute(len(tt.issues), func(i int) int { return tt.issues[i].at }) {
				is := tt.issues[i]
				f.clock.Set(open.Add(time.Duration(is.at) * time.Minute))
				ids[f.issue(t, is.service, is.priority).ID] = i
			}
			f.clock.Set(open.Add(time.Duration(tt.now) * time.Minute))
			// The listed order and the reasons come from the same policy as calls.
			listed, err := f.e.CounterQueue(tt.counter)
			if err != nil {
				t.Fatal(err)
			}
			var gotList []int
			for _, v := range listed {
				gotList = append(gotList, ids[v.ID])
			}
			var got []int
			var reasons []string
			for {
				v, ok, err := f.e.Next(tt.counter, "s")
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					break
				}
				got = append(got, ids[v.ID])
				reasons = append(reasons, v.CallReason)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("call order = %v, want %v", got, tt.want)
			}
			if fmt.Sprint(gotList) != fmt.Sprint(tt.want) {
				t.Errorf("listed order = %v, want %v (the call order)", gotList, tt.want)
			}
			if tt.reasons != nil && fmt.Sprint(reasons) != fmt.Sprint(tt.reasons) {
				t.Errorf("reasons = %q, want %q", reasons, tt.reasons)
			}
		})
	}
}

// TestAheadMatchesQueueOrder checks the fast ahead count against the sorted
// order on random queues, including tickets past the cap.
func TestAheadMatchesQueueOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for round := 0; round < 20; round++ {
		open := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
		f := newFixture(t, "UTC", open)
		at := open
		for i := 0; i < 30; i++ {
			at = at.Add(time.Duration(rng.Intn(5)) * time.Minute)
			f.clock.Set(at)
			f.issue(t, "general", rng.Intn(3))
		}
		f.clock.Set(at.Add(time.Duration(rng.Intn(60)) * time.Minute))
		q, err := f.e.Queue("general")
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range q {
			got, err := f.e.Ticket(v.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Ahead != i {
				t.Fatalf("round %d: %s (priority %d) has ahead %d, but is at %d in the queue", round, v.Number, v.Priority, got.Ahead, i)
			}
		}
	}
}

func TestEstimatedWait(t *testing.T) {
	f := newFixture(t, "UTC", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	for i := 0; i < 4; i++ {
		f.issue(t, "general", 0)
	}
	// general: 300 s each, 4 ahead of a new ticket, served by c1 and c2.
	// With no history the replay takes the configured average, less a
	// small allowance for people who will have left.
	v := f.issue(t, "general", 0)
	if v.Ahead != 4 || v.EWTSeconds < 540 || v.EWTSeconds > 630 {
		t.Errorf("ahead %d, ewt %d; want 4 and about 300×4÷2 = 600", v.Ahead, v.EWTSeconds)
	}
	if v.EWTLowSeconds > v.EWTSeconds || v.EWTHighSeconds < v.EWTSeconds {
		t.Errorf("range %d–%d does not hold the point %d", v.EWTLowSeconds, v.EWTHighSeconds, v.EWTSeconds)
	}
	if v.Promise == nil || v.Promise.WaitSeconds != v.EWTSeconds {
		t.Errorf("promise at issue = %+v, want the shown %d", v.Promise, v.EWTSeconds)
	}
	// A paused counter is not open: the estimate doubles.
	if _, err := f.e.SetPaused("c2", true, "s"); err != nil {
		t.Fatal(err)
	}
	v, _ = f.e.Ticket(v.ID)
	if v.EWTSeconds < 1080 || v.EWTSeconds > 1230 {
		t.Errorf("with c2 paused ewt = %d, want about 1200", v.EWTSeconds)
	}
	if _, _, err := f.e.Next("c2", "s"); !errors.Is(err, queue.ErrCounterPaused) {
		t.Errorf("next at a paused counter: err = %v, want ErrCounterPaused", err)
	}
}

func TestIdempotencyKey(t *testing.T) {
	f := newFixture(t, "UTC", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	req := queue.IssueRequest{ServiceID: "general", IdemKey: "tap-1", Source: "device:k1"}
	a, created, err := f.e.Issue(req)
	if err != nil || !created {
		t.Fatalf("first issue: created=%v err=%v", created, err)
	}
	b, created, err := f.e.Issue(req)
	if err != nil || created || b.ID != a.ID || b.Number != a.Number {
		t.Errorf("repeat: got %s (created=%v, err=%v), want the same ticket %s", b.Number, created, err, a.Number)
	}
	// Another device with the same key is another customer.
	other, _, _ := f.e.Issue(queue.IssueRequest{ServiceID: "general", IdemKey: "tap-1", Source: "device:k2"})
	if other.ID == a.ID {
		t.Errorf("another device's key returned the first device's ticket")
	}
	// The key survives a restart, and still answers once the ticket is done.
	f.reopen(t)
	f.e.Next("c2", "s")
	if b, _, _ = f.e.Issue(req); b.ID != a.ID {
		t.Errorf("after restart the key gave %s, want %s", b.Number, a.Number)
	}
	// After 24 h the key is forgotten.
	f.clock.Advance(queue.IdemTTL + time.Minute)
	c, created, _ := f.e.Issue(req)
	if !created || c.ID == a.ID {
		t.Errorf("after 24 h the key still returned the old ticket")
	}
	// Used again, the key names its new ticket, also after a restart, and
	// the expired uses are gone from the store (not only from memory).
	f.reopen(t)
	if d, created, _ := f.e.Issue(req); created || d.ID != c.ID {
		t.Errorf("after a restart the reused key gave %s (created=%v), want %s", d.Number, created, c.Number)
	}
	snap, err := f.db.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Idem) != 1 || snap.Idem[0].TicketID != c.ID {
		t.Errorf("stored keys after expiry: %+v, want only the use by ticket %s", snap.Idem, c.ID)
	}
}

func TestClosedOutsideHours(t *testing.T) {
	f := newFixture(t, "Asia/Shanghai", time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)) // Monday 08:00 CST
	st := f.e.Settings()
	st.Hours = map[string]string{"mon": "09:00-12:00,13:00-17:00"}
	if _, err := f.e.PutSettings(st, "admin"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		utc  time.Time
		open bool
	}{
		{time.Date(2026, 11, 23, 0, 59, 0, 0, time.UTC), false}, // 08:59
		{time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC), true},   // 09:00
		{time.Date(2026, 11, 23, 4, 30, 0, 0, time.UTC), false}, // 12:30 lunch
		{time.Date(2026, 11, 23, 8, 59, 0, 0, time.UTC), true},  // 16:59
		{time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), false},  // 17:00
		{time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC), false},  // Tuesday: closed
	}
	for _, tt := range tests {
		f.clock.Set(tt.utc)
		_, _, err := f.e.Issue(queue.IssueRequest{ServiceID: "general", Source: "t"})
		if gotOpen := err == nil; gotOpen != tt.open {
			t.Errorf("at %s local: issued=%v (err %v), want open=%v", tt.utc.In(mustLoc("Asia/Shanghai")).Format("Mon 15:04"), gotOpen, err, tt.open)
		}
		if tt.open == false && !errors.Is(err, queue.ErrClosed) {
			t.Errorf("closed issue err = %v, want ErrClosed", err)
		}
	}
}

// byMinute lists the indexes 0..n-1 by the minute at(i), stably.
func byMinute(n int, at func(i int) int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return at(idx[a]) < at(idx[b]) })
	return idx
}

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func TestSettingsValidation(t *testing.T) {
	tests := []struct {
		hours map[string]string
		tz    string
		field string
	}{
		{map[string]string{"mon": "9-17"}, "UTC", "hours.mon"},
		{map[string]string{"mon": "17:00-09:00"}, "UTC", "hours.mon"},
		{map[string]string{"mon": "09:00-12:00,11:00-13:00"}, "UTC", "hours.mon"},
		{map[string]string{"monday": "09:00-17:00"}, "UTC", "hours.monday"},
		{map[string]string{"mon": "09:00-24:01"}, "UTC", "hours.mon"},
		{nil, "Mars/Olympus", "timezone"},
		{nil, "", "timezone"},
	}
	for _, tt := range tests {
		err := queue.ValidateSettings(queue.Settings{Timezone: tt.tz, Hours: tt.hours})
		var ve *queue.ValidationError
		if !errors.As(err, &ve) || ve.Field != tt.field {
			t.Errorf("hours %v tz %q: err = %v, want a ValidationError on %s", tt.hours, tt.tz, err, tt.field)
		}
	}
}

func TestEventLogHasEveryChangeInOrder(t *testing.T) {
	f := newFixture(t, "UTC", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	var seen []queue.Event
	f.db.OnCommit(func(evs []queue.Event) {
		mu.Lock()
		seen = append(seen, evs...)
		mu.Unlock()
	})
	tk := f.issue(t, "general", 0)
	f.e.Next("c2", "alice")
	f.e.Recall(tk.ID, "alice")
	f.e.Start(tk.ID, "alice")
	f.e.Finish(tk.ID, "alice")
	evs, err := f.db.Events(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Errorf("event %d has seq %d", i, ev.Seq)
		}
		types = append(types, ev.Type)
	}
	want := []string{"settings_changed", "issued", "called", "called", "started", "finished"}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Errorf("event log = %v, want %v", types, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 5 || !sort.SliceIsSorted(seen, func(i, j int) bool { return seen[i].Seq < seen[j].Seq }) || seen[0].Seq != 2 {
		t.Errorf("OnCommit saw %d events from seq %d, want the 5 later ones in order", len(seen), seen[0].Seq)
	}
	if !evs[3].Recall {
		t.Errorf("the recall event is not marked as a recall")
	}
}

// onceEach reads the numbers issued until the channel is closed, reporting
// any number issued twice; it returns the set of them.
func onceEach(t *testing.T, numbers <-chan string) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for num := range numbers {
		if seen[num] {
			t.Errorf("number %s issued twice", num)
		}
		seen[num] = true
	}
	return seen
}
