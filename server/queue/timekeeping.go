package queue

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// How the box keeps time it can trust.
//
// A store box often has no clock battery: it boots hours off, a day behind
// or in 1970, and NTP sets it right later, sometimes by a step while it
// runs. So the engine never takes the wall clock on faith:
//
//   - Order is the order of issue (the ticket id), never the wall clock.
//   - Waits, the max-wait cap and idempotency keys are measured on the box's
//     running time: the monotonic clock, carried across restarts.
//   - Branch time, which stamps every record, is the later of the wall clock
//     and the newest record, so it never runs backwards, and with it the
//     business date (and so the day's numbering) only ever moves forward.
//   - The wall clock is distrusted when it reads before the build date,
//     earlier than the newest record, or far ahead of what the monotonic
//     clock says since the last trusted reading. While it is, no number is
//     issued, no booking taken, no no-show swept and no day closed; calls
//     and service go on. It is trusted again when it is sane or an admin
//     confirms it, and the no-shows the sweep made on a wrong clock are
//     undone then.

// MonotonicClock is a Clock that can also read a clock that is never set.
// The real clock implements it; a Clock without it is taken as never
// stepped.
type MonotonicClock interface {
	Clock
	// Running is the time since a fixed start, read from the monotonic
	// clock: setting the wall clock does not move it.
	Running() time.Duration
}

// Tolerances of the clock checks.
const (
	// StepTolerance is how far the wall clock may drift from the monotonic
	// clock, or read behind the newest record, before it counts as stepped.
	StepTolerance = 10 * time.Second
	// StepFar is how far ahead a step may jump before the box distrusts the
	// new reading: a few minutes is NTP's usual correction after boot.
	StepFar = time.Hour
	// runningSaveEvery is how often an idle box still writes its running time.
	runningSaveEvery = time.Minute
)

// Why the box distrusts its clock.
const (
	ClockBeforeBuild   = "before_build"
	ClockBehindRecords = "behind_records"
	ClockSteppedAhead  = "stepped_ahead"
)

// ErrClockUntrusted refuses what needs a right clock (issuing numbers,
// booking) while the box distrusts its clock.
var ErrClockUntrusted = errors.New("the box's clock seems wrong: new numbers wait until it is set right or an admin confirms it")

// ErrClockBeforeBuild refuses to confirm a clock that reads before the build.
var ErrClockBeforeBuild = errors.New("the box's clock reads a date before this software was built; set the clock first")

// ClockState is what the box thinks of its clock, for staff.
type ClockState struct {
	Trusted bool `json:"trusted"`
	// Reason is one of the Clock* reasons when not trusted.
	Reason string `json:"reason,omitempty"`
	// Message says it in words for the console and the admin page.
	Message string `json:"message,omitempty"`
	// Wall is what the box's clock says; BranchTime is the time the box
	// records with (never earlier than its newest record).
	Wall         time.Time `json:"wall"`
	BranchTime   time.Time `json:"branch_time"`
	NewestRecord time.Time `json:"newest_record,omitempty"`
	// StepSeconds is how far the wall clock moved against the monotonic
	// clock since the last trusted reading (positive: ahead).
	StepSeconds int64 `json:"step_seconds,omitempty"`
	// Since is when the distrust began, in branch time.
	Since *time.Time `json:"since,omitempty"`
	// RunningSeconds is the box's running time, carried across restarts.
	RunningSeconds int64 `json:"running_seconds"`
}

// TimeMark is the timekeeping written with every commit.
type TimeMark struct {
	// Running is the box's running time at the commit.
	Running time.Duration `json:"running_ns"`
	// Accepted is the newest record when an admin last confirmed a clock
	// reading behind it.
	Accepted time.Time `json:"accepted"`
}

// timekeeper is the engine's time state; the engine's lock guards it.
type timekeeper struct {
	notBefore time.Time
	lastAt    time.Time // newest record
	accepted  time.Time
	// Running time = runBase + (clock's running − runStart).
	runBase, runStart time.Duration
	savedRun          time.Duration // running time last written
	// bootAt/bootRun date records made on a distrusted clock before any
	// trusted reading: onwards from the newest record by the monotonic clock.
	bootAt  time.Time
	bootRun time.Duration
	// The last trusted reading, the monotonic clock's anchor.
	hasRef  bool
	refWall time.Time
	refRun  time.Duration
	reason  string // "" while trusted
	since   time.Time
	curDate string // business date the day close last ran for
	curOver bool   // whether that date's hours were over then
}

// clockRunning reads the clock's own running time.
func (e *Engine) clockRunning() time.Duration {
	if mc, ok := e.clock.(MonotonicClock); ok {
		return mc.Running()
	}
	// A plain clock is taken as never stepped.
	return e.clock.Now().Sub(time.Unix(0, 0))
}

// loadTime restores the time state from a snapshot. Old databases carry no
// running time: their active tickets and keys get one from their wall time.
func (e *Engine) loadTime(snap *Snapshot) {
	tk := &e.tk
	tk.lastAt, tk.bootAt = snap.LastAt, snap.LastAt
	tk.runStart = e.clockRunning()
	tk.runBase, tk.accepted = 0, time.Time{}
	if snap.Time != nil {
		tk.runBase, tk.accepted = snap.Time.Running, snap.Time.Accepted
	}
	tk.savedRun, tk.bootRun = tk.runBase, tk.runBase
	tk.curDate = ""
	if snap.Time != nil {
		return
	}
	age := func(at time.Time) time.Duration {
		if d := snap.LastAt.Sub(at); d > 0 {
			return d
		}
		return 0
	}
	// Walk in issue order so that waits stay in issue order too.
	var prev time.Duration
	first := true
	for _, id := range sortedIDs(e.active) {
		t := e.active[id]
		run := -age(t.IssuedAt)
		if !first && run < prev {
			run = prev
		}
		t.IssuedRun, prev, first = run, run, false
	}
	for k, it := range e.idem {
		it.Run = -age(it.At)
		e.idem[k] = it
	}
	for i := range e.idemFIFO {
		e.idemFIFO[i].Run = -age(e.idemFIFO[i].At)
	}
	sort.SliceStable(e.idemFIFO, func(i, j int) bool { return e.idemFIFO[i].Run < e.idemFIFO[j].Run })
}

func sortedIDs(m map[string]*Ticket) []string {
	ts := make([]*Ticket, 0, len(m))
	for _, t := range m {
		ts = append(ts, t)
	}
	sortBySeq(ts)
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return ids
}

// SetNotBefore gives the build date: a clock reading before it is wrong.
func (e *Engine) SetNotBefore(t time.Time) {
	e.mu.Lock()
	e.tk.notBefore = t
	if e.tk.hasRef && e.tk.refWall.Before(t) {
		// A reading before the build was never a good one to count from:
		// the step that corrects it is no jump ahead.
		e.tk.hasRef = false
	}
	e.mu.Unlock()
}

// running is the box's running time now.
func (e *Engine) runningLocked() time.Duration {
	return e.tk.runBase + e.clockRunning() - e.tk.runStart
}

// judge says whether a reading can be trusted, and how far the wall clock
// has moved against the monotonic clock since the last trusted reading.
func (tk *timekeeper) judge(wall time.Time, run time.Duration) (reason string, step time.Duration) {
	if tk.hasRef {
		step = wall.Sub(tk.refWall.Add(run - tk.refRun))
	}
	switch {
	case !tk.notBefore.IsZero() && wall.Before(tk.notBefore):
		return ClockBeforeBuild, step
	case wall.Before(tk.lastAt.Add(-StepTolerance)) && tk.lastAt.After(tk.accepted):
		return ClockBehindRecords, step
	case tk.hasRef && step > StepFar:
		return ClockSteppedAhead, step
	}
	return "", step
}

// branchTime is the time records are made with: the wall clock when it is
// trusted, else the last trusted reading carried on by the monotonic clock;
// never earlier than the newest record.
func (tk *timekeeper) branchTime(wall time.Time, run time.Duration, reason string) time.Time {
	t := wall
	// Behind its records the wall clock is held at the newest one until it
	// catches up; otherwise a wrong wall clock is replaced by the monotonic
	// clock's count.
	if reason != "" && reason != ClockBehindRecords {
		switch {
		case tk.hasRef:
			t = tk.refWall.Add(run - tk.refRun)
		case !tk.bootAt.IsZero():
			t = tk.bootAt.Add(run - tk.bootRun)
		}
	}
	if t.Before(tk.lastAt) {
		t = tk.lastAt
	}
	return t
}

// nowLocked is branch time, read without changing any state (any lock).
func (e *Engine) nowLocked() time.Time {
	wall, run := e.clock.Now(), e.runningLocked()
	reason, _ := e.tk.judge(wall, run)
	return e.tk.branchTime(wall, run, reason)
}

// trustedLocked reports whether the clock can be trusted now (any lock).
func (e *Engine) trustedLocked() bool {
	reason, _ := e.tk.judge(e.clock.Now(), e.runningLocked())
	return reason == ""
}

// observeLocked reads the clocks, records in c any change in the box's
// trust in its clock (and a step it survived), and returns branch time.
// The caller holds the write lock.
func (e *Engine) observeLocked(c *Change) time.Time {
	tk := &e.tk
	wall, run := e.clock.Now(), e.runningLocked()
	reason, step := tk.judge(wall, run)
	now := tk.branchTime(wall, run, reason)
	prev := tk.reason
	if reason == "" {
		if prev == "" && tk.hasRef && (step > StepTolerance || step < -StepTolerance) {
			st := e.stateLocked(wall, run, reason, step, now)
			c.Events = append(c.Events, Event{Type: EventClockStepped, Actor: "clock", At: now, Clock: &st})
			e.log.Warn("clock stepped", "step", step.Round(time.Second).String())
		}
		tk.hasRef, tk.refWall, tk.refRun = true, wall, run
	}
	if reason == prev {
		return now
	}
	tk.reason = reason
	if reason != "" {
		tk.since = now
		st := e.stateLocked(wall, run, reason, step, now)
		c.Events = append(c.Events, Event{Type: EventClockUntrusted, Actor: "clock", At: now, Clock: &st})
		e.log.Warn("clock distrusted", "reason", reason, "wall", wall.Format(time.RFC3339))
		return now
	}
	st := e.stateLocked(wall, run, reason, step, now)
	c.Events = append(c.Events, Event{Type: EventClockTrusted, Actor: "clock", At: now, Clock: &st})
	e.log.Info("clock trusted again", "wall", wall.Format(time.RFC3339))
	e.revertClockNoShowsLocked(c, wall, now)
	tk.curDate = ""
	return now
}

func (e *Engine) stateLocked(wall time.Time, run time.Duration, reason string, step time.Duration, now time.Time) ClockState {
	st := ClockState{Trusted: reason == "", Reason: reason, Wall: wall, BranchTime: now, NewestRecord: e.tk.lastAt,
		StepSeconds: int64(step / time.Second), RunningSeconds: int64(run / time.Second)}
	if reason != "" {
		since := e.tk.since
		if e.tk.reason == "" {
			since = now // not yet recorded: distrusted from now
		}
		st.Since = &since
		st.Message = clockMessage(reason, wall.In(e.cal.loc), step)
	}
	return st
}

func clockMessage(reason string, wall time.Time, step time.Duration) string {
	says := wall.Format("2006-01-02 15:04")
	why := ""
	switch reason {
	case ClockBeforeBuild:
		why = "a date before this software was made"
	case ClockBehindRecords:
		why = "a time earlier than the box's own newest records"
	case ClockSteppedAhead:
		why = fmt.Sprintf("it jumped %s ahead while the box ran", step.Round(time.Minute))
	}
	return fmt.Sprintf("The box's clock seems wrong: it says %s (%s). Check the time, or confirm it if it is right. Waiting customers are still served; new numbers wait.", says, why)
}

// Clock returns the box's view of its clock.
func (e *Engine) Clock() ClockState {
	e.mu.RLock()
	defer e.mu.RUnlock()
	wall, run := e.clock.Now(), e.runningLocked()
	reason, step := e.tk.judge(wall, run)
	return e.stateLocked(wall, run, reason, step, e.tk.branchTime(wall, run, reason))
}

// ConfirmClock is an admin's word that the wall clock is right now: the box
// trusts it from here (records keep their order; branch time goes on from
// the newest record until the clock passes it) and undoes the no-shows the
// sweep made on the wrong clock.
func (e *Engine) ConfirmClock(actor string) (ClockState, error) {
	e.mu.Lock()
	tk := &e.tk
	wall, run := e.clock.Now(), e.runningLocked()
	if !tk.notBefore.IsZero() && wall.Before(tk.notBefore) {
		e.mu.Unlock()
		return ClockState{}, ErrClockBeforeBuild
	}
	c := &Change{}
	reason, step := tk.judge(wall, run)
	tk.accepted = tk.lastAt
	tk.hasRef, tk.refWall, tk.refRun = true, wall, run
	tk.reason, tk.curDate = "", ""
	now := tk.branchTime(wall, run, "")
	st := e.stateLocked(wall, run, "", step, now)
	st.Reason = reason // what was confirmed away
	c.Events = append(c.Events, Event{Type: EventClockConfirmed, Actor: actor, At: now, Clock: &st})
	e.revertClockNoShowsLocked(c, wall, now)
	e.closeDaysLocked(c, now)
	e.log.Info("clock confirmed", "wall", wall.Format(time.RFC3339))
	if err := e.commitUnlock(c, "confirm clock"); err != nil {
		return ClockState{}, err
	}
	return e.Clock(), nil
}

// Tick is the engine's heartbeat (the server calls it every second): it
// records changes in the clock's trust, closes business days that ended,
// marks lapsed appointments as no-shows — the last two only on a trusted
// clock — and keeps the running time on disk.
func (e *Engine) Tick() (ClockState, error) {
	if err := e.tick(true); err != nil {
		return ClockState{}, err
	}
	return e.Clock(), nil
}

// tick runs the heartbeat; sweep adds the appointment sweep, which the
// operations that tick on their way leave to the server's heartbeat.
func (e *Engine) tick(sweep bool) error {
	if !sweep {
		// The common case, on every issue and call: nothing to record.
		// Checked under the read lock, so concurrent requests do not queue.
		e.mu.RLock()
		need := e.tickNeededLocked()
		e.mu.RUnlock()
		if !need {
			return nil
		}
	}
	e.mu.Lock()
	c := &Change{}
	now := e.observeLocked(c)
	if e.tk.reason == "" {
		e.closeDaysLocked(c, now)
		if sweep {
			e.expireApptsLocked(c, e.apptNowLocked())
		}
	}
	if len(c.Events) == 0 && len(c.Appointments) == 0 && len(c.ForgetAppointments) == 0 &&
		e.runningLocked()-e.tk.savedRun < runningSaveEvery {
		e.mu.Unlock()
		return nil
	}
	if err := e.commitUnlock(c, "clock tick"); err != nil {
		return err
	}
	return nil
}

// tickNeededLocked reports whether a tick would record anything: a change of
// trust, a step, a day to close or running time to save (any lock).
func (e *Engine) tickNeededLocked() bool {
	tk := &e.tk
	wall, run := e.clock.Now(), e.runningLocked()
	reason, step := tk.judge(wall, run)
	switch {
	case reason != tk.reason, run-tk.savedRun >= runningSaveEvery:
		return true
	case reason != "":
		return false
	case !tk.hasRef || step > StepTolerance || step < -StepTolerance:
		return true
	}
	now := tk.branchTime(wall, run, reason)
	return e.cal.businessDate(now) != tk.curDate || e.cal.dayOver(now) != tk.curOver
}

// closeDaysLocked expires every active ticket of a business date before
// now's, and of now's date once its hours ended DayCloseGrace ago: nothing
// from yesterday is ever called today. Each close runs once.
func (e *Engine) closeDaysLocked(c *Change, now time.Time) {
	today := e.cal.businessDate(now)
	over := e.cal.dayOver(now)
	if today == e.tk.curDate && over == e.tk.curOver {
		return
	}
	e.tk.curDate, e.tk.curOver = today, over
	e.expireBeforeLocked(c, today, over, "clock", now)
}

// expireBeforeLocked ends the active tickets dated before date (or on it,
// with through), oldest first.
func (e *Engine) expireBeforeLocked(c *Change, date string, through bool, actor string, now time.Time) int {
	var old []*Ticket
	for _, t := range e.active {
		if t.Date < date || (through && t.Date == date) {
			old = append(old, t)
		}
	}
	sortBySeq(old)
	for _, t := range old {
		e.endLocked(c, t, StatusExpired, EventExpired, actor, now)
	}
	return len(old)
}

// ExpireDay closes a business day by hand (a manager's "close the day"):
// every ticket of that date or earlier still waiting, called, serving or
// parked is closed as expired. It returns how many.
func (e *Engine) ExpireDay(date, actor string) (int, error) {
	if _, err := time.Parse("2006-01-02", date); err != nil {
		return 0, invalid("date", "must be YYYY-MM-DD")
	}
	e.mu.Lock()
	c := &Change{}
	now := e.observeLocked(c)
	n := e.expireBeforeLocked(c, date, true, actor, now)
	if len(c.Events) == 0 {
		e.mu.Unlock()
		return 0, nil
	}
	if err := e.commitUnlock(c, "expire day"); err != nil {
		return 0, err
	}
	return n, nil
}

// revertClockNoShowsLocked undoes the no-shows the sweep made whose
// check-in window, by the clock now trusted, has not passed yet.
func (e *Engine) revertClockNoShowsLocked(c *Change, wall, now time.Time) {
	late := time.Duration(e.settings.CheckinLateMinutes) * time.Minute
	for _, a := range e.appts {
		if a.Status == ApptNoShow && a.NoShowBy == "clock" && !wall.After(a.Start.Add(late)) {
			e.revertApptNoShowLocked(c, a, "clock", now)
		}
	}
}

func (e *Engine) revertApptNoShowLocked(c *Change, a *Appointment, actor string, now time.Time) {
	e.setApptStatus(a, ApptBooked)
	a.NoShowBy = ""
	c.Appointments = append(c.Appointments, *a)
	c.UndoNoShowPhones = append(c.UndoNoShowPhones, a.Phone)
	c.Events = append(c.Events, Event{Type: EventApptNoShowReverted, Actor: actor, At: now, Appointment: a.anonymous()})
}

// BusinessDate is the branch's current business date (YYYY-MM-DD), by
// branch time.
func (e *Engine) BusinessDate() string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.cal.businessDate(e.nowLocked())
}
