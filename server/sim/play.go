package sim

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"queuebox/server/queue"
	"queuebox/server/store"
)

// Options tune a run.
type Options struct {
	// FIFO plays every ticket alike: no priority levels, no appointment
	// precedence, no tiers. It is the fairness baseline.
	FIFO bool
	// TempDir holds the throw-away database ("" = the system's).
	TempDir string
	// KeepDir, when set, is where the database is made and left, e.g. to
	// export its history again.
	KeepDir string

	// Identify, when set, is the kiosk's identification of a walk-in with
	// a customer_id, as a box does it (by phone): it returns the box's
	// customer id and the tier the box gives them, and undo, called when no
	// ticket is issued after all. Unset, the trace's customers list gives
	// the tier (as an admin override would) and the ticket stays anonymous.
	Identify func(customerID string) (id, tier string, undo func(), err error)
	// Booker, when set, gives the name and phone of the n-th booking of a
	// run (n from 1); unset, "Sim" and a made-up Beijing number.
	Booker func(n int) (name, phone string)
	// Feedback, when set, is asked at the end of each served visit whether
	// its customer rates it later on the phone status page: after that
	// long, with a rating of 1..5 and a comment ("" none). The player then
	// rates the ticket through the engine as the status page does; a
	// rating the box refuses (the ticket ended otherwise there) is not
	// kept. Feedback events call nobody to a desk, so the play is the same
	// with or without them.
	Feedback func(l *Line) (after time.Duration, rating int, comment string, ok bool)
}

// Line is one line of tickets.jsonl.
type Line struct {
	Day                  string  `json:"day"`
	Kind                 string  `json:"kind"`
	Number               *string `json:"number"`
	ServiceID            string  `json:"service_id"`
	Priority             int     `json:"priority"`
	Tier                 string  `json:"tier"`
	CustomerID           *string `json:"customer_id"`
	Appointment          *string `json:"appointment"`
	Arrive               *string `json:"arrive"`
	IssuedAt             *string `json:"issued_at"`
	CalledAt             *string `json:"called_at"`
	EndedAt              *string `json:"ended_at"`
	Outcome              string  `json:"outcome"`
	CounterID            *string `json:"counter_id"`
	AheadAtIssue         *int    `json:"ahead_at_issue"`
	OpenCountersAtIssue  *int    `json:"open_counters_at_issue"`
	PredictedWait        int     `json:"predicted_wait_seconds"`
	PredictedLow         int     `json:"predicted_low_seconds"`
	PredictedHigh        int     `json:"predicted_high_seconds"`
	ActualWait           *int    `json:"actual_wait_seconds"`
	ServiceSecondsObserv *int    `json:"service_seconds_observed"`
	Scored               bool    `json:"scored"`

	// Rating is the customer's rating the box kept (0 none), with
	// Options.Feedback (not written out).
	Rating int `json:"-"`

	// Ctx is what the box knew when it issued the ticket, for studying the
	// estimate's errors (not written out).
	Ctx *IssueContext `json:"-"`

	// What the player needs and the output does not show.
	issued, called, started, ended time.Time
	slot                           time.Time
	dayIndex, order                int
	leaves                         time.Time // zero: stays
	service                        time.Duration
	ticketID                       string
	token                          string // the ticket's status page
	rating                         int    // asked for by Options.Feedback
	comment                        string
	apptCode                       string
	arrival                        *Arrival
	sortKey                        time.Time
	reason                         string // the box's call reason
}

// IssueContext is the state of the branch when a ticket was issued, as far
// as the box could know it.
type IssueContext struct {
	ModelSeconds  int     // the replay's figure before the learned correction
	SpreadSeconds int     // the replay's own uncertainty (a standard deviation)
	HourOfDay     float64 // local
	HistoryDays   int     // days played before this one
	Busy          int     // open desks serving the service that are busy
	BusyElapsed   float64 // their current services' mean time so far ÷ the configured mean
	OpeningSoon   int     // desks of the service whose shift starts within the hour
	ClosingSoon   int     // desks of the service whose shift ends within the hour (not at closing)
	WalkOutsToday float64 // share of today's called walk-ins who had left
}

// clock is the virtual clock the engine reads.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// Event classes at one instant, in the order they happen.
const (
	evShiftEnd = iota
	evServiceEnd
	evShiftStart
	evArrival
	evPoll
	evFeedback // a customer rates a visit, after everything else at that instant
)

type event struct {
	at      time.Time
	class   int
	seq     int
	counter int
	line    *Line
}

type events []*event

func (h events) Len() int { return len(h) }
func (h events) Less(i, j int) bool {
	a, b := h[i], h[j]
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	if a.class != b.class {
		return a.class < b.class
	}
	return a.seq < b.seq
}
func (h events) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *events) Push(x any)   { *h = append(*h, x.(*event)) }
func (h *events) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type desk struct {
	id        string
	idx       int
	open      bool // in a shift, or serving on after closing
	late      bool // its last shift ended at closing: serves until nobody waits
	busy      *Line
	freeSince time.Time
	pollAt    time.Time
}

// player is one run of a trace.
type player struct {
	tr    *Trace
	p     *plan
	opt   Options
	clk   *clock
	eng   *queue.Engine
	st    *asyncStore
	evs   events
	seq   int
	work  int // events pending that are not ratings
	desks []*desk
	lines []*Line
	byID  map[string]*Line
	phone int
	day   time.Time
	close time.Time
	// today's called walk-ins, and those who had left
	calledToday, goneToday int
}

// Run plays a trace and returns its lines in time order.
func Run(tr *Trace, opt Options) ([]*Line, error) {
	p, err := tr.check()
	if err != nil {
		return nil, err
	}
	// A run makes much short-lived garbage and has memory to spare.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	dir := opt.KeepDir
	if dir == "" {
		if dir, err = os.MkdirTemp(opt.TempDir, "queuebox-sim-"); err != nil {
			return nil, fmt.Errorf("make temporary directory: %w", err)
		}
		defer os.RemoveAll(dir)
	}
	db, err := store.Open(dir, store.Options{NoSync: true})
	if err != nil {
		return nil, fmt.Errorf("open simulation store: %w", err)
	}
	defer db.Close()
	first, _ := time.ParseInLocation("2006-01-02", tr.Days[0].Date, p.loc)
	b, err := OpenBox(db, first.Add(-time.Hour))
	if err != nil {
		return nil, err
	}
	pl := b.player(tr, p, opt)
	if err := pl.setup(); err != nil {
		return nil, fmt.Errorf("configure the simulated branch: %w", err)
	}
	return pl.playDays()
}

// playDays plays every day of the trace and returns the lines in time order.
func (pl *player) playDays() ([]*Line, error) {
	for i := range pl.tr.Days {
		if err := pl.playDay(i); err != nil {
			return nil, fmt.Errorf("play %s: %w", pl.tr.Days[i].Date, err)
		}
		if err := pl.st.flush(); err != nil {
			return nil, fmt.Errorf("store %s: %w", pl.tr.Days[i].Date, err)
		}
	}
	sortLines(pl.lines)
	return pl.lines, nil
}

func hhmm(sec int) string { return fmt.Sprintf("%02d:%02d", sec/3600, sec/60%60) }

func (pl *player) setup() error {
	st := pl.p.settings
	if pl.opt.FIFO {
		st.PriorityWeights = nil
		pl.eng.UseFIFO()
	}
	if _, err := pl.eng.PutSettings(st, "sim"); err != nil {
		return err
	}
	if len(pl.tr.Tiers) > 0 {
		if _, err := pl.eng.PutTiers(pl.tr.queueTiers(), "sim"); err != nil {
			return fmt.Errorf("tiers: %w", err)
		}
	}
	for _, s := range pl.tr.Services {
		qs := s.queue()
		if qs.Name == "" {
			qs.Name = qs.ID
		}
		if pl.opt.FIFO {
			qs.Priority = 0
		}
		if c := pl.p.capacity[s.ID]; c > qs.SlotCapacity {
			// The trace's bookings stand as given, even past the capacity.
			qs.SlotCapacity = c
		}
		if _, err := pl.eng.PutService(qs, true, "sim"); err != nil {
			return fmt.Errorf("service %s: %w", s.ID, err)
		}
	}
	for i, c := range pl.tr.Counters {
		name := c.Name
		if name == "" {
			name = c.ID
		}
		var parts []string
		for _, sh := range pl.p.shifts[i] {
			parts = append(parts, hhmm(sh[0])+"-"+hhmm(sh[1]))
		}
		sched := map[string]string{}
		for _, d := range queue.Days {
			sched[d] = strings.Join(parts, ",")
		}
		qc := queue.Counter{ID: c.ID, Name: name, ServiceIDs: c.ServiceIDs, Paused: true, Schedule: sched}
		if _, err := pl.eng.PutCounter(qc, true, "sim"); err != nil {
			return fmt.Errorf("counter %s: %w", c.ID, err)
		}
		pl.addDesk(i, c.ID)
	}
	return nil
}

// addDesk lets the player work counter i of the trace, closed until its
// first shift.
func (pl *player) addDesk(i int, id string) {
	d := &desk{id: id, idx: i}
	if sh := pl.p.shifts[i]; len(sh) > 0 && sh[len(sh)-1][1] >= pl.p.close {
		d.late = true
	}
	pl.desks = append(pl.desks, d)
}

func (pl *player) push(at time.Time, class, counter int, l *Line) {
	if end := pl.day.AddDate(0, 0, 1); at.After(end) {
		// A day ends at midnight, as the box's does: a service (or a wait
		// for a walk-out) still going then ends with it, so the next day
		// is booked and played on a clock that never runs backwards.
		at = end
	}
	pl.seq++
	if class != evFeedback {
		pl.work++
	}
	heap.Push(&pl.evs, &event{at: at, class: class, seq: pl.seq, counter: counter, line: l})
}

// at is a local time of the current day, seconds from midnight.
func (pl *player) at(sec int) time.Time {
	return time.Date(pl.day.Year(), pl.day.Month(), pl.day.Day(), sec/3600, sec/60%60, sec%60, 0, pl.p.loc)
}

func (pl *player) stamp(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.In(pl.p.loc).Format(time.RFC3339)
	return &s
}

// identify is how an arrival makes itself known at the kiosk: today the
// trace's customer list gives the tier (as an admin override would). When
// the engine knows customers and tiers, this is the one place to hand the
// customer id to the engine's issue request and read the tier back.
func (pl *player) identify(a *Arrival) string {
	if t, ok := pl.p.tierOf[a.CustomerID]; ok && a.CustomerID != "" {
		return t
	}
	return pl.p.defaultTier
}

func (pl *player) playDay(di int) error {
	d := pl.tr.Days[di]
	day, _ := time.ParseInLocation("2006-01-02", d.Date, pl.p.loc)
	pl.day = day
	pl.close = pl.at(pl.p.close)
	pl.calledToday, pl.goneToday = 0, 0
	if start := day.Add(time.Minute); pl.clk.now.Before(start) {
		pl.clk.now = start // bookings are made before the day starts
	}
	for j := range d.Customers {
		a := &d.Customers[j]
		l := &Line{Day: d.Date, ServiceID: a.ServiceID, Priority: a.Priority, Outcome: "refused", dayIndex: di, order: j, arrival: a}
		if pl.opt.FIFO {
			l.Priority = 0
		}
		l.Tier = pl.identify(a)
		if a.CustomerID != "" {
			cid := a.CustomerID
			l.CustomerID = &cid
		}
		l.Arrive = a.Arrive
		l.Scored = di >= pl.p.scoreFrom
		l.Kind = "walkin"
		if a.Appointment != nil {
			l.Kind = "appointment"
			ap := *a.Appointment
			l.Appointment = &ap
			sec, _ := clockSeconds(ap, false)
			l.slot = pl.at(sec)
			pl.phone++
			name, phone := "Sim", fmt.Sprintf("+8610%08d", pl.phone)
			if pl.opt.Booker != nil {
				name, phone = pl.opt.Booker(pl.phone)
			}
			ap2, err := pl.eng.Book(queue.BookRequest{ServiceID: a.ServiceID, Start: l.slot, Name: name, Phone: phone, Tier: l.Tier})
			if err != nil {
				return fmt.Errorf("book %s at %s: %w", a.ServiceID, ap, err)
			}
			l.apptCode = ap2.Code
			if a.NoShow || a.Arrive == nil {
				l.Outcome = "no_show"
				l.sortKey = l.slot
				pl.lines = append(pl.lines, l)
				continue
			}
		}
		sec, _ := clockSeconds(*a.Arrive, true)
		arrive := pl.at(sec)
		l.sortKey = arrive
		if a.LeavesAfterSeconds != nil {
			l.leaves = arrive.Add(secs(*a.LeavesAfterSeconds))
		}
		pl.lines = append(pl.lines, l)
		pl.push(arrive, evArrival, -1, l)
	}
	for i, sh := range pl.p.shifts {
		for _, s := range sh {
			pl.push(pl.at(s[0]), evShiftStart, i, nil)
			pl.push(pl.at(s[1]), evShiftEnd, i, nil)
		}
	}
	for pl.evs.Len() > 0 {
		ev := heap.Pop(&pl.evs).(*event)
		pl.clk.now = ev.at
		if err := pl.handle(ev); err != nil {
			return err
		}
		if ev.class == evFeedback {
			continue // a rating changes no desk's work
		}
		pl.work--
		if err := pl.callRound(); err != nil {
			return err
		}
		if pl.work == 0 {
			// The day's work is over; only ratings may follow.
			if err := pl.closeDesks(); err != nil {
				return err
			}
		}
	}
	return pl.endDay()
}

func secs(s float64) time.Duration {
	return time.Duration(math.Round(s)) * time.Second
}

func (pl *player) handle(ev *event) error {
	now := pl.clk.now
	switch ev.class {
	case evShiftEnd:
		d := pl.desks[ev.counter]
		if d.late && !now.Before(pl.close) && ev.at.Equal(pl.at(pl.p.shifts[d.idx][len(pl.p.shifts[d.idx])-1][1])) {
			// The last shift ends at closing: serve on while anyone waits.
			return nil
		}
		return pl.setOpen(d, false)
	case evShiftStart:
		d := pl.desks[ev.counter]
		if d.busy == nil {
			d.freeSince = now
		}
		return pl.setOpen(d, true)
	case evServiceEnd:
		l := ev.line
		d := pl.desks[ev.counter]
		var err error
		if l.started.IsZero() {
			_, err = pl.eng.NoShow(l.ticketID, "sim")
			l.Outcome = "no_show"
		} else {
			_, err = pl.eng.Finish(l.ticketID, "sim")
			l.Outcome = "done"
			n := int(now.Sub(l.started) / time.Second)
			l.ServiceSecondsObserv = &n
			pl.askFeedback(l, ev.counter)
		}
		if err != nil {
			// A service that ends after the engine closed the day (or
			// ended the ticket otherwise) still happened at the desk: the
			// desk's outcome stands.
			pl.ended(l.ticketID)
		}
		l.ended = now
		l.EndedAt = pl.stamp(now)
		d.busy = nil
		d.freeSince = now
		return nil
	case evArrival:
		return pl.arrive(ev.line)
	case evPoll:
		pl.desks[ev.counter].pollAt = time.Time{}
	case evFeedback:
		return pl.rate(ev.line)
	}
	return nil
}

// askFeedback asks Options.Feedback whether the customer of l, served just
// now, rates the visit, and when.
func (pl *player) askFeedback(l *Line, counter int) {
	if pl.opt.Feedback == nil {
		return
	}
	after, rating, comment, ok := pl.opt.Feedback(l)
	if !ok {
		return
	}
	at := pl.clk.now.Add(max(after, 0))
	if !at.Before(pl.day.AddDate(0, 0, 1).Add(-time.Minute)) {
		return // too late: the day ends with its appointments expiring, and the clock never runs back
	}
	l.rating, l.comment = rating, comment
	pl.push(at, evFeedback, counter, l)
}

// rate sends l's rating as the phone's status page does.
func (pl *player) rate(l *Line) error {
	// The engine reads a finished ticket from the store: everything handed
	// to it so far must be there.
	if err := pl.st.flush(); err != nil {
		return err
	}
	err := pl.eng.Rate(l.token, l.rating, l.comment)
	switch {
	case errors.Is(err, queue.ErrNotDone) || errors.Is(err, queue.ErrAlreadyRated):
		return nil // refused, as the status page would be
	case err != nil:
		return fmt.Errorf("rate %s: %w", *l.Number, err)
	}
	l.Rating = l.rating
	return nil
}

func (pl *player) setOpen(d *desk, open bool) error {
	if d.open == open {
		return nil
	}
	d.open = open
	_, err := pl.eng.SetPaused(d.id, !open, "sim")
	return err
}

func (pl *player) openFor(serviceID string) int {
	n := 0
	for i, d := range pl.desks {
		if d.open && serves(pl.tr.Counters[i].ServiceIDs, serviceID) {
			n++
		}
	}
	return n
}

func serves(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func (pl *player) arrive(l *Line) error {
	now := pl.clk.now
	if open := pl.at(pl.p.open); now.Before(open) {
		// Early birds wait at the door and come in when it opens.
		pl.push(open, evArrival, -1, l)
		return nil
	}
	if !pl.eng.OpenNow() {
		return nil // refused: the branch is closed
	}
	a := l.arrival
	var v queue.TicketView
	var err error
	if l.Kind == "appointment" {
		v, err = pl.eng.CheckIn(l.apptCode, "device:sim-kiosk")
		var early *queue.TooEarlyError
		switch {
		case errors.As(err, &early):
			// Told to come back: checks in again when allowed.
			pl.push(early.From, evArrival, -1, l)
			return nil
		case errors.Is(err, queue.ErrTooLate):
			l.Kind = "late_appointment_walkin"
			v, err = pl.issue(l, a)
		}
	} else {
		v, err = pl.issue(l, a)
	}
	if err != nil {
		// Closed, or the box will not take this check-in (cancelled,
		// checked in already, unknown after its day): refused, as a
		// customer turned away at the kiosk.
		return nil
	}
	num := v.Number
	l.Number = &num
	l.ticketID = v.ID
	l.token = v.Token
	pl.byID[v.ID] = l
	l.issued = now
	l.sortKey = now
	l.IssuedAt = pl.stamp(now)
	l.Outcome = "waiting"
	ahead := v.Ahead
	l.AheadAtIssue = &ahead
	open := pl.openFor(l.ServiceID)
	l.OpenCountersAtIssue = &open
	if pr := v.Promise; pr != nil {
		l.PredictedWait, l.PredictedLow, l.PredictedHigh = pr.WaitSeconds, pr.LowSeconds, pr.HighSeconds
		l.Ctx = pl.context(l, pr)
	}
	return nil
}

// context notes what the box knew at l's issue.
func (pl *player) context(l *Line, pr *queue.Promise) *IssueContext {
	now := pl.clk.now
	lt := now.In(pl.p.loc)
	c := &IssueContext{ModelSeconds: pr.ModelSeconds, SpreadSeconds: pr.SpreadSeconds, HistoryDays: l.dayIndex,
		HourOfDay: float64(lt.Hour()) + float64(lt.Minute())/60}
	if pl.calledToday > 0 {
		c.WalkOutsToday = float64(pl.goneToday) / float64(pl.calledToday)
	}
	sec := int(now.Sub(pl.day) / time.Second)
	for i, d := range pl.desks {
		if !serves(pl.tr.Counters[i].ServiceIDs, l.ServiceID) {
			continue
		}
		if d.open && d.busy != nil && !d.busy.started.IsZero() {
			c.Busy++
			avg := float64(pl.p.services[d.busy.ServiceID].AvgServiceSeconds)
			c.BusyElapsed += now.Sub(d.busy.started).Seconds() / math.Max(avg, 1)
		}
		for _, sh := range pl.p.shifts[i] {
			if sh[0] > sec && sh[0] <= sec+3600 {
				c.OpeningSoon++
			}
			if sh[1] > sec && sh[1] <= sec+3600 && sh[1] < pl.p.close {
				c.ClosingSoon++
			}
		}
	}
	if c.Busy > 0 {
		c.BusyElapsed /= float64(c.Busy)
	}
	return c
}

func (pl *player) issue(l *Line, a *Arrival) (queue.TicketView, error) {
	pr := a.Priority
	if pl.opt.FIFO {
		pr = 0
	}
	req := queue.IssueRequest{ServiceID: a.ServiceID, Priority: pr, Source: "device:sim-kiosk", Tier: l.Tier}
	var undo func()
	if pl.opt.Identify != nil && a.CustomerID != "" {
		id, tier, u, err := pl.opt.Identify(a.CustomerID)
		if err != nil {
			return queue.TicketView{}, fmt.Errorf("identify %s: %w", a.CustomerID, err)
		}
		req.CustomerID, req.Tier, l.Tier, undo = id, tier, tier, u
	}
	v, _, err := pl.eng.Issue(req)
	if err != nil && undo != nil {
		undo()
	}
	return v, err
}

// callRound lets every free open desk call, the one free longest first.
func (pl *player) callRound() error {
	now := pl.clk.now
	var free []*desk
	for _, d := range pl.desks {
		if d.open && d.busy == nil {
			free = append(free, d)
		}
	}
	for i := 1; i < len(free); i++ {
		for j := i; j > 0 && (free[j].freeSince.Before(free[j-1].freeSince) ||
			(free[j].freeSince.Equal(free[j-1].freeSince) && free[j].idx < free[j-1].idx)); j-- {
			free[j], free[j-1] = free[j-1], free[j]
		}
	}
	for _, d := range free {
		v, ok, err := pl.eng.Next(d.id, "sim")
		if errors.Is(err, queue.ErrCounterPaused) {
			continue // the box has the desk closed: it calls nobody
		}
		if err != nil {
			return fmt.Errorf("next at %s: %w", d.id, err)
		}
		if !ok {
			waiting := pl.eng.WaitingFor(d.id)
			if waiting > 0 {
				// Kept free on purpose: ask again within a minute.
				if d.pollAt.IsZero() || d.pollAt.After(now.Add(time.Minute)) {
					d.pollAt = now.Add(time.Minute)
					pl.push(d.pollAt, evPoll, d.idx, nil)
				}
			} else if d.late && !now.Before(pl.close) {
				// Served on after closing and nobody is left.
				if err := pl.setOpen(d, false); err != nil {
					return err
				}
			}
			continue
		}
		l := pl.byID[v.ID]
		if l == nil {
			return fmt.Errorf("the engine called %s, which the simulation did not issue", v.Number)
		}
		l.called = now
		l.CalledAt = pl.stamp(now)
		cid := d.id
		l.CounterID = &cid
		l.reason = v.CallReason
		w := int(now.Sub(l.issued) / time.Second)
		l.ActualWait = &w
		d.busy = l
		if l.Kind != "appointment" {
			pl.calledToday++
		}
		if !l.leaves.IsZero() && !now.Before(l.leaves) {
			pl.goneToday++
			// Gone already: the desk waits for them, then gives up.
			pl.push(now.Add(pl.p.timeout), evServiceEnd, d.idx, l)
			continue
		}
		if _, err := pl.eng.Start(v.ID, "sim"); err != nil {
			// The box ended the ticket already (its day closed): the
			// customer is at the desk all the same and is served; the
			// service's end then keeps the desk's outcome.
			pl.ended(v.ID)
		}
		l.started = now
		dur := secs(l.arrival.ServiceSeconds * pl.p.speed[d.idx])
		pl.push(now.Add(dur), evServiceEnd, d.idx, l)
	}
	return nil
}

// ended reads back a ticket an action of the simulator found no longer
// active in the engine: the engine closed its day (the desks served on more
// than DayCloseGrace past closing, or the play ran past midnight) or ended it
// otherwise. It reports the engine's view and whether the ticket is finished
// there, or unknown to it; the store is written first, so a ticket ended by
// a change still on its way is read as ended.
func (pl *player) ended(id string) (queue.TicketView, bool) {
	ferr := pl.st.flush()
	v, err := pl.eng.Ticket(id)
	if err != nil {
		// Not even on disk: the engine has forgotten it. The play goes on
		// with the simulator's own record (a failed store still fails the
		// run at the day's flush).
		return queue.TicketView{}, ferr == nil
	}
	return v, !v.Status.Active()
}

// endDay closes the day: whoever still waits (no desk left for them) is
// sent home, and booked appointments that never came become no-shows.
func (pl *player) endDay() error {
	if err := pl.closeDesks(); err != nil {
		return err
	}
	// Past every check-in window: the engine marks the no-shows.
	end := pl.day.AddDate(0, 0, 1).Add(-time.Minute)
	if pl.clk.now.Before(end) {
		pl.clk.now = end
	}
	_, err := pl.eng.ExpireAppointments()
	return err
}

// closeDesks sends home whoever still waits and closes every desk, once the
// day's work is over. Called again it finds nothing left to do.
func (pl *player) closeDesks() error {
	for _, l := range pl.lines {
		if l.Outcome == "waiting" && l.ticketID != "" {
			ended := pl.clk.now
			if _, err := pl.eng.Cancel(l.ticketID, "sim"); err != nil {
				// The engine may have closed the day already (served on
				// long past closing): its ticket ended unserved there. The
				// customer was sent home all the same: cancelled, at the
				// time the engine gave.
				if v, _ := pl.ended(l.ticketID); v.EndedAt != nil && !v.EndedAt.After(ended) {
					ended = *v.EndedAt
				}
			}
			l.Outcome = "cancelled"
			l.ended = ended
			l.EndedAt = pl.stamp(ended)
		}
	}
	for _, d := range pl.desks {
		if err := pl.setOpen(d, false); err != nil {
			return err
		}
		d.busy = nil
	}
	return nil
}
