package queue_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"queuebox/server/queue"
	"queuebox/server/queue/queuetest"
	"queuebox/server/store"
)

// The scenarios of a box whose clock is wrong or set while it runs: each
// uses the fake clock's Step, which moves the wall clock alone, as NTP or an
// admin setting the time does.

func numbers(vs []queue.TicketView) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Number)
	}
	return out
}

func (f *fixture) queue(t *testing.T) []queue.TicketView {
	t.Helper()
	q, err := f.e.Queue("general")
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func (f *fixture) events(t *testing.T, typ string) []queue.Event {
	t.Helper()
	all, err := f.db.Events(0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var out []queue.Event
	for _, ev := range all {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

func (f *fixture) tick(t *testing.T) queue.ClockState {
	t.Helper()
	st, err := f.e.Tick()
	if err != nil {
		t.Fatalf("tick: %v", err)
	}
	return st
}

func (f *fixture) mustRefuseIssue(t *testing.T) {
	t.Helper()
	if _, _, err := f.e.Issue(queue.IssueRequest{ServiceID: "general", Source: "test"}); !errors.Is(err, queue.ErrClockUntrusted) {
		t.Fatalf("issue on a distrusted clock: err = %v, want ErrClockUntrusted", err)
	}
}

// A clock 2 h ahead corrected by a restart: the box distrusts the corrected
// clock (it reads before its newest records) until an admin confirms; the
// customers issued on the wrong clock stay ahead of those issued after, and
// waits neither go negative nor leap.
func TestClockAheadCorrectedByRestart(t *testing.T) {
	real := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	f := newFixture(t, "UTC", real.Add(2*time.Hour)) // boots 2 h ahead
	var before []string
	for i := 0; i < 3; i++ {
		before = append(before, f.issue(t, "general", 0).Number)
		f.clock.Advance(time.Minute)
	}
	// NTP is only reached after a restart: the clock is right again.
	f.clock.Step(-2 * time.Hour)
	f.reopen(t)
	if st := f.tick(t); st.Trusted || st.Reason != queue.ClockBehindRecords {
		t.Fatalf("after the correction: clock = %+v, want distrusted (behind records)", st)
	}
	f.mustRefuseIssue(t)
	// Waiting customers are still served, in their order.
	v, ok, err := f.e.Next("c2", "staff")
	if err != nil || !ok || v.Number != before[0] {
		t.Fatalf("next on a distrusted clock = %s %v %v, want %s", v.Number, ok, err, before[0])
	}
	if v.CalledAt.Before(v.IssuedAt) {
		t.Errorf("called at %s before issued at %s", v.CalledAt, v.IssuedAt)
	}
	if len(f.events(t, queue.EventClockUntrusted)) != 1 {
		t.Errorf("the distrust was not recorded once")
	}
	if _, err := f.e.ConfirmClock("user:admin"); err != nil {
		t.Fatal(err)
	}
	after := f.issue(t, "general", 0)
	if after.Number != "A004" || after.Ahead != 2 {
		t.Errorf("after confirming: got %s ahead %d, want A004 behind the 2 still waiting", after.Number, after.Ahead)
	}
	if after.IssuedAt.Before(v.IssuedAt) {
		t.Errorf("branch time ran backwards: %s issued at %s, before %s", after.Number, after.IssuedAt, v.IssuedAt)
	}
	// 35 minutes on, everyone is past the 30-minute cap: still first issued, first called.
	f.clock.Advance(35 * time.Minute)
	if got, want := fmt.Sprint(numbers(f.queue(t))), fmt.Sprint([]string{before[1], before[2], "A004"}); got != want {
		t.Errorf("queue = %s, want %s", got, want)
	}
	for _, w := range f.queue(t) {
		if w.CallReason != "waited past the 30-min cap" {
			t.Errorf("%s: reason %q, want past the cap", w.Number, w.CallReason)
		}
	}
	f.reopen(t)
	if got, want := fmt.Sprint(numbers(f.queue(t))), fmt.Sprint([]string{before[1], before[2], "A004"}); got != want {
		t.Errorf("after a restart queue = %s, want %s", got, want)
	}
	if len(f.events(t, queue.EventClockConfirmed)) != 1 {
		t.Errorf("the confirmation was not recorded")
	}
}

// The same fault near midnight: tickets issued on the wrong clock are dated
// tomorrow; after the correction that date's numbering carries on and never
// gives A001 twice.
func TestClockAheadAcrossMidnightNeverRepeatsNumbers(t *testing.T) {
	real := time.Date(2026, 11, 23, 22, 50, 0, 0, time.UTC)
	f := newFixture(t, "UTC", real)
	f.issue(t, "general", 0) // A001 of the 23rd, on a right clock
	f.clock.Step(2 * time.Hour)
	f.reopen(t)                          // boots 2 h ahead: cannot tell, trusts it
	seen := map[string]map[string]bool{} // date → numbers
	record := func(v queue.TicketView) {
		if seen[v.Date] == nil {
			seen[v.Date] = map[string]bool{}
		}
		if seen[v.Date][v.Number] {
			t.Errorf("%s issued twice on %s", v.Number, v.Date)
		}
		seen[v.Date][v.Number] = true
	}
	for i := 0; i < 3; i++ {
		record(f.issue(t, "general", 0))
	}
	f.clock.Step(-2 * time.Hour) // NTP steps it back while running
	f.mustRefuseIssue(t)
	if _, err := f.e.ConfirmClock("user:admin"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		record(f.issue(t, "general", 0))
		f.clock.Advance(30 * time.Minute) // on past the real midnight
	}
	f.reopen(t)
	record(f.issue(t, "general", 0))
	if got := len(seen["2026-11-24"]); got != 7 {
		t.Errorf("numbers of the 24th = %d, want 7 distinct", got)
	}
}

// A box that boots a day behind, or in 1970, distrusts its clock until NTP
// corrects it; then yesterday's tickets are closed as expired, never called.
func TestClockBehindAndIn1970(t *testing.T) {
	next := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		boot   time.Time // the wall clock at boot; really it is next
		reason string
	}{
		{"a day behind", next.Add(-24 * time.Hour), queue.ClockBehindRecords},
		{"1970", time.Unix(0, 0), queue.ClockBeforeBuild},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			day1 := time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC)
			f := newFixture(t, "UTC", day1)
			left := f.issue(t, "general", 0) // still waiting at closing
			called := f.issue(t, "general", 0)
			if _, err := f.e.CallByNumber("c2", called.ID, "user:staff", "test"); err != nil {
				t.Fatal(err)
			}
			// The next morning the box boots with a wrong clock.
			f.clock.Set(next)
			f.clock.Step(tt.boot.Sub(next))
			f.reopen(t)
			f.e.SetNotBefore(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
			if st := f.tick(t); st.Trusted || st.Reason != tt.reason {
				t.Fatalf("clock = %+v, want distrusted for %s", st, tt.reason)
			}
			f.mustRefuseIssue(t)
			// NTP steps the clock right.
			f.clock.Step(next.Sub(tt.boot))
			if st := f.tick(t); !st.Trusted {
				t.Fatalf("after the correction: clock = %+v, want trusted", st)
			}
			for _, id := range []string{left.ID, called.ID} {
				got, err := f.e.Ticket(id)
				if err != nil || got.Status != queue.StatusExpired {
					t.Errorf("yesterday's %s: status %s (%v), want expired", got.Number, got.Status, err)
				}
			}
			if _, ok, _ := f.e.Next("c2", "staff"); ok {
				t.Errorf("a ticket was called although only yesterday's were waiting")
			}
			if n := len(f.events(t, queue.EventExpired)); n != 2 {
				t.Errorf("expired events = %d, want 2", n)
			}
			if v := f.issue(t, "general", 0); v.Number != "A001" || v.Date != "2026-11-24" {
				t.Errorf("first of the day = %s on %s, want A001 on 2026-11-24", v.Number, v.Date)
			}
		})
	}
}

// Steps while running: a step back puts no call before its issue, stops
// issuing until the clock has caught up, and the order survives a restart;
// a far step ahead is distrusted until an admin confirms.
func TestClockStepsWhileRunning(t *testing.T) {
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	t.Run("10 minutes back", func(t *testing.T) {
		f := newFixture(t, "UTC", start)
		a := f.issue(t, "general", 0)
		f.clock.Advance(5 * time.Minute)
		b := f.issue(t, "general", 0)
		f.clock.Step(-10 * time.Minute)
		if st := f.tick(t); st.Trusted || st.StepSeconds != -600 {
			t.Fatalf("clock = %+v, want distrusted after a 10-minute step back", st)
		}
		f.mustRefuseIssue(t)
		v, _, err := f.e.Next("c2", "staff")
		if err != nil || v.ID != a.ID || v.CalledAt.Before(b.IssuedAt) {
			t.Fatalf("next = %s called at %v (%v); want %s, not before the last issue at %s", v.Number, v.CalledAt, err, a.Number, b.IssuedAt)
		}
		f.clock.Advance(11 * time.Minute) // the wall clock passes the newest record
		if st := f.tick(t); !st.Trusted {
			t.Fatalf("clock = %+v, want trusted once it caught up", st)
		}
		c := f.issue(t, "general", 0)
		f.reopen(t)
		if got, want := fmt.Sprint(numbers(f.queue(t))), fmt.Sprint([]string{b.Number, c.Number}); got != want {
			t.Errorf("after a restart queue = %s, want %s", got, want)
		}
	})
	t.Run("2 hours ahead", func(t *testing.T) {
		f := newFixture(t, "UTC", start)
		a := f.issue(t, "general", 0)
		f.clock.Step(2 * time.Hour)
		if st := f.tick(t); st.Trusted || st.Reason != queue.ClockSteppedAhead || st.StepSeconds != 7200 {
			t.Fatalf("clock = %+v, want distrusted: stepped 2 h ahead", st)
		}
		f.mustRefuseIssue(t)
		// Distrusted, branch time goes on by the monotonic clock.
		f.clock.Advance(time.Minute)
		v, _, _ := f.e.Next("c2", "staff")
		if got := v.CalledAt.Sub(a.IssuedAt); got != time.Minute {
			t.Errorf("called %s after the issue, want 1m0s by the monotonic clock", got)
		}
		if _, err := f.e.ConfirmClock("user:admin"); err != nil {
			t.Fatal(err)
		}
		if b := f.issue(t, "general", 0); b.Number != "A002" {
			t.Errorf("after confirming: %s, want A002", b.Number)
		}
	})
	t.Run("small steps are recorded", func(t *testing.T) {
		f := newFixture(t, "UTC", start)
		f.tick(t)
		f.clock.Step(3 * time.Minute)
		if st := f.tick(t); !st.Trusted {
			t.Fatalf("clock = %+v, want trusted after a 3-minute step ahead", st)
		}
		evs := f.events(t, queue.EventClockStepped)
		if len(evs) != 1 || evs[0].Clock.StepSeconds != 180 {
			t.Errorf("stepped events = %+v, want one of 180 s", evs)
		}
	})
}

// The business day ends cleanly: whatever is left at its end (waiting,
// called, serving, parked) is closed as expired, once, and the next day
// starts at A001 with nothing of yesterday's called.
func TestDayClose(t *testing.T) {
	f := newFixture(t, "Asia/Shanghai", time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)) // 22:00 CST
	var left []queue.TicketView
	for i := 0; i < 5; i++ {
		left = append(left, f.issue(t, "general", 0))
	}
	f.e.CallByNumber("c1", left[1].ID, "user:s", "test")
	f.e.CallByNumber("c2", left[2].ID, "user:s", "test")
	f.e.Start(left[2].ID, "user:s")
	f.e.Park(left[1].ID, "user:s")
	f.e.CallByNumber("c1", left[3].ID, "user:s", "test")

	f.clock.Set(time.Date(2026, 11, 23, 16, 0, 1, 0, time.UTC)) // 00:00:01 the next day
	f.tick(t)
	f.tick(t)
	for _, v := range left {
		got, _ := f.e.Ticket(v.ID)
		if got.Status != queue.StatusExpired {
			t.Errorf("%s: %s, want expired", v.Number, got.Status)
		}
	}
	if n := len(f.events(t, queue.EventExpired)); n != len(left) {
		t.Errorf("expired events = %d, want %d (once each)", n, len(left))
	}
	if _, ok, _ := f.e.Next("c1", "s"); ok {
		t.Errorf("next called a ticket of yesterday")
	}
	if v := f.issue(t, "general", 0); v.Number != "A001" {
		t.Errorf("first of the new day = %s", v.Number)
	}
}

// With opening hours, the day closes DayCloseGrace after the last hour.
func TestDayCloseAfterHours(t *testing.T) {
	f := apptFixture(t, at("16:30"))
	v := f.issue(t, "general", 0)
	f.clock.Set(at("18:59"))
	f.tick(t)
	if got, _ := f.e.Ticket(v.ID); got.Status != queue.StatusWaiting {
		t.Fatalf("before the grace ended: %s", got.Status)
	}
	f.clock.Set(at("19:00"))
	f.tick(t)
	if got, _ := f.e.Ticket(v.ID); got.Status != queue.StatusExpired {
		t.Errorf("after the grace: %s, want expired", got.Status)
	}
}

// ExpireDay is a manager's "close the day" by hand.
func TestExpireDay(t *testing.T) {
	f := newFixture(t, "UTC", time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	a, b := f.issue(t, "general", 0), f.issue(t, "cash", 0)
	n, err := f.e.ExpireDay("2026-11-23", "user:manager")
	if err != nil || n != 2 {
		t.Fatalf("expire day = %d, %v; want 2", n, err)
	}
	for _, v := range []queue.TicketView{a, b} {
		if got, _ := f.e.Ticket(v.ID); got.Status != queue.StatusExpired {
			t.Errorf("%s: %s", v.Number, got.Status)
		}
	}
	if _, err := f.e.ExpireDay("23/11", "x"); err == nil {
		t.Errorf("a bad date was taken")
	}
}

// Idempotency keys live 24 h of the box's running time: a wall clock
// corrected by 25 h does not end them, and a restart does not restart them.
func TestIdempotencyKeyByRunningTime(t *testing.T) {
	f := newFixture(t, "UTC", time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	req := queue.IssueRequest{ServiceID: "general", IdemKey: "k1", Source: "device:k"}
	first, _, err := f.e.Issue(req)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(5 * time.Second)
	f.clock.Step(25 * time.Hour)
	if _, err := f.e.ConfirmClock("user:admin"); err != nil {
		t.Fatal(err)
	}
	again, created, err := f.e.Issue(req)
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("retry after a +25 h correction: %s created=%v (%v), want the same ticket %s", again.ID, created, err, first.ID)
	}
	f.clock.Advance(23 * time.Hour)
	f.tick(t) // an idle box still keeps its running time on disk
	f.reopen(t)
	f.clock.Advance(2 * time.Hour)
	if third, created, err := f.e.Issue(req); err != nil || !created || third.ID == first.ID {
		t.Errorf("after 25 h of running time: %s created=%v (%v), want a new ticket", third.ID, created, err)
	}
}

// The no-show sweep never runs on a distrusted clock, and the no-shows it
// made on a clock that was wrong are undone when the clock is confirmed.
func TestAppointmentNoShowsAndTheClock(t *testing.T) {
	f := apptFixture(t, at("09:00"))
	a := book(t, f, at("10:00"), "13700000001")
	b := book(t, f, at("10:30"), "13700000002")
	// The box restarts 2 h ahead and trusts it (nothing says otherwise).
	f.clock.Step(2 * time.Hour)
	f.reopen(t)
	f.tick(t)
	for _, code := range []string{a.Code, b.Code} {
		if got, _ := f.e.FindAppointment(code, "13700000001"); got.Code != "" && got.Status != queue.ApptNoShow {
			t.Fatalf("the wrong clock's sweep did not happen: %s", got.Status)
		}
	}
	if rec, _ := f.db.Phone("13700000001"); rec.NoShows != 1 {
		t.Fatalf("no-shows of the phone = %d, want 1 before the correction", rec.NoShows)
	}
	f.clock.Step(-2 * time.Hour) // NTP corrects it
	if st := f.tick(t); st.Trusted {
		t.Fatalf("clock = %+v, want distrusted", st)
	}
	f.clock.Advance(50 * time.Minute) // a's window passes while distrusted
	f.tick(t)
	if _, err := f.e.ConfirmClock("user:admin"); err != nil {
		t.Fatal(err)
	}
	// Confirmed at 09:50 (+the boot minutes): both windows are still open.
	for _, c := range []struct{ code, phone string }{{a.Code, "13700000001"}, {b.Code, "13700000002"}} {
		got, err := f.e.FindAppointment(c.code, c.phone)
		if err != nil || got.Status != queue.ApptBooked {
			t.Errorf("%s: %s (%v), want booked again", c.code, got.Status, err)
		}
	}
	if rec, _ := f.db.Phone("13700000001"); rec.NoShows != 0 {
		t.Errorf("no-shows of the phone = %d, want 0 after the undo", rec.NoShows)
	}
	if _, err := f.e.CheckIn(a.Code, "kiosk"); err != nil {
		t.Errorf("check-in after the undo: %v", err)
	}
}

func TestNoSweepOnDistrustedClock(t *testing.T) {
	f := apptFixture(t, at("09:00"))
	a := book(t, f, at("10:00"), "13700000001")
	f.clock.Step(2 * time.Hour) // 11:00 on the wall: a's window has passed
	f.tick(t)
	if st := f.e.Clock(); st.Trusted {
		t.Fatalf("clock = %+v, want distrusted", st)
	}
	if n, err := f.e.ExpireAppointments(); err != nil || n != 0 {
		t.Errorf("sweep on a distrusted clock = %d, %v", n, err)
	}
	if got, _ := f.e.FindAppointment(a.Code, "13700000001"); got.Status != queue.ApptBooked {
		t.Errorf("appointment %s, want still booked", got.Status)
	}
	// Nor is a booking taken: dated by a wrong clock it would lapse or vanish.
	if _, err := f.e.Book(queue.BookRequest{ServiceID: "advice", Start: at("12:00"), Name: "N", Phone: "13700000009"}); !errors.Is(err, queue.ErrClockUntrusted) {
		t.Errorf("book on a distrusted clock: %v", err)
	}
}

// Staff revert a no-show: a ticket goes back to its place; an appointment
// holds again and may check in late.
func TestRevertNoShow(t *testing.T) {
	f := apptFixture(t, at("09:30"))
	first := f.issue(t, "general", 0)
	second := f.issue(t, "general", 0)
	f.e.Next("c2", "s")
	if _, err := f.e.NoShow(first.ID, "s"); err != nil {
		t.Fatal(err)
	}
	back, err := f.e.RevertNoShow(first.ID, "user:s")
	if err != nil || back.Status != queue.StatusWaiting || back.Ahead != 0 {
		t.Fatalf("revert = %s ahead %d (%v), want waiting at the front", back.Status, back.Ahead, err)
	}
	if _, err := f.e.RevertNoShow(second.ID, "user:s"); !errors.Is(err, queue.ErrNotNoShow) {
		t.Errorf("revert of a waiting ticket: %v", err)
	}
	a := book(t, f, at("10:00"), "13700000003")
	f.clock.Set(at("10:20"))
	f.tick(t)
	if _, err := f.e.CheckIn(a.Code, "k"); !errors.Is(err, queue.ErrTooLate) {
		t.Fatalf("check-in after the window: %v", err)
	}
	got, err := f.e.RevertAppointmentNoShow(a.Code, "user:s")
	if err != nil || got.Status != queue.ApptBooked {
		t.Fatalf("revert appointment = %s (%v)", got.Status, err)
	}
	f.tick(t)
	b := book(t, f, at("11:00"), "13700000003")
	if _, err := f.e.CheckIn(a.Code, "k"); err != nil {
		t.Errorf("check-in after staff reverted the no-show: %v", err)
	}
	// An excused booking left unused ends with its day: it does not hold
	// one of the phone's places for ever.
	f.clock.Set(at("11:30"))
	f.tick(t)
	if _, err := f.e.RevertAppointmentNoShow(b.Code, "user:s"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(25 * time.Hour)
	f.tick(t)
	if _, err := f.e.FindAppointment(b.Code, "13700000003"); !errors.Is(err, queue.ErrUnknownCode) {
		t.Errorf("an excused booking of yesterday is still live: %v", err)
	}
}

// A database from before the box kept its running time: its waiting tickets
// keep the order they were issued in (their ids), even where the wall clock
// had dated them out of order, and their waits are taken from their issue
// times once, as of the newest record.
func TestOldDatabaseKeepsIssueOrder(t *testing.T) {
	dir := t.TempDir()
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	st := queue.DefaultSettings()
	st.Hours = allDay()
	err := store.WriteHistory(dir, func(apply func(*queue.Change) error) error {
		if err := apply(&queue.Change{Settings: &st,
			Services: []queue.Service{{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300}},
			Counters: []queue.Counter{{ID: "c2", Name: "Counter 2", ServiceIDs: []string{"general"}}}}); err != nil {
			return err
		}
		// The clock was stepped back 20 minutes between the first two.
		for i, at := range []time.Time{base.Add(-40 * time.Minute), base.Add(-60 * time.Minute), base.Add(-5 * time.Minute)} {
			tk := queue.Ticket{ID: fmt.Sprint(i + 1), Number: fmt.Sprintf("A%03d", i+1), ServiceID: "general", Status: queue.StatusWaiting,
				Token: fmt.Sprint("tok", i), Date: "2026-11-23", IssuedAt: at}
			if err := apply(&queue.Change{Tickets: []queue.Ticket{tk},
				Numbers: []queue.DayNumber{{Prefix: "A", Date: "2026-11-23", Last: i + 1}},
				Events:  []queue.Event{{Seq: uint64(i + 1), Type: queue.EventIssued, At: base, Ticket: &tk}}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{clock: queuetest.NewClock(base), dir: dir}
	f.open(t)
	q := f.queue(t)
	if got, want := fmt.Sprint(numbers(q)), "[A001 A002 A003]"; got != want {
		t.Fatalf("queue = %s, want %s", got, want)
	}
	// A001 and A002 waited over the 30-minute cap when the box was updated.
	for i, want := range []string{"waited past the 30-min cap", "waited past the 30-min cap", "next in line"} {
		if q[i].CallReason != want {
			t.Errorf("%s: %q, want %q", q[i].Number, q[i].CallReason, want)
		}
	}
	if v := f.issue(t, "general", 0); v.Number != "A004" || v.Ahead != 3 {
		t.Errorf("next issue = %s ahead %d, want A004 behind 3", v.Number, v.Ahead)
	}
}
