package queue

import (
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"queuebox/server/forecast"
)

// Estimator is what the engine needs from a learned wait model: it is fed
// every committed event and answers how long things take. The engine itself
// replays its own routing policy forward with these figures (see replay), so
// the estimate follows every rule the calls follow.
type Estimator interface {
	Observe(o forecast.Observation)
	// Remaining is how much longer a counter stays busy with a ticket of
	// the service that has been at it for elapsed (0: a fresh call).
	Remaining(serviceID, counterID string, prior, elapsed time.Duration) time.Duration
	// RemainingSpread is Remaining with its standard deviation.
	RemainingSpread(serviceID, counterID string, prior, elapsed time.Duration) (mean, sd time.Duration)
	// RemainingQuantiles fills out with what is left, in seconds, at the
	// quantiles (j+0.5)/len(out).
	RemainingQuantiles(serviceID, counterID string, prior, elapsed time.Duration, out []float64)
	// NoShow is the chance that a ticket called after waiting waited is
	// gone, and how long the counter then waits for it.
	NoShow(serviceID string, waited time.Duration) (float64, time.Duration)
	// ShowRate is the share of booked appointments that come.
	ShowRate() float64
	// Arrivals are the walk-ins expected in [from, until).
	Arrivals(from, until time.Time, loc *time.Location, all bool) []forecast.Arrival
	// Correct turns the replay's figure and its spread into the point and
	// range shown.
	Correct(serviceID string, model, spread time.Duration, appointment bool) (point, lo, hi time.Duration)
}

// replayHorizon bounds how far ahead the replay looks.
const replayHorizon = 8 * time.Hour

// estCache keeps the last replay: it holds until the queue changes, so the
// many views rendered after one event share it.
type estCache struct {
	mu     sync.Mutex
	gen    uint64
	now    time.Time
	calls  map[*Ticket]call
	probes map[string]call
	// some is what a replay that followed only some tickets found for
	// them (a zero call: not within the horizon).
	some map[*Ticket]call
}

// at forgets what was replayed before the queue's change gen at now.
func (c *estCache) at(gen uint64, now time.Time) {
	if c.gen != gen || !now.Equal(c.now) {
		c.gen, c.now = gen, now
		c.calls, c.probes, c.some = nil, nil, nil
	}
}

// call is when the replay expects a ticket to be called, and the variance
// of that time (seconds²) from what it cannot know: how long each service
// ahead takes, who has left, who arrives.
type call struct {
	at time.Time
	v  float64
}

// changedLocked marks the queue as changed now: estimates are replayed
// from this moment, so between two changes every view (the API, a phone's
// push, the display) shows the same figure.
func (e *Engine) changedLocked() {
	e.estGen++
	e.estAt = e.clock.Now()
}

// SetEstimator replaces the wait model; nil goes back to the plain formula
// (average service time × tickets ahead ÷ open counters).
func (e *Engine) SetEstimator(est Estimator) {
	e.mu.Lock()
	e.est = est
	e.changedLocked()
	e.mu.Unlock()
}

// Learn feeds past events to the wait model, e.g. the box's history at
// start-up, before the engine takes new ones.
func (e *Engine) Learn(evs []Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range evs {
		e.learnLocked(&evs[i])
	}
	e.changedLocked()
}

// Teaches reports whether the wait model learns anything from events of
// type typ: a reader of the history may leave out the rest of the others.
func Teaches(typ string) bool {
	switch typ {
	case EventIssued, EventCalled, EventFinished, EventNoShow, EventApptCheckedIn, EventApptNoShow:
		return true
	}
	return false
}

// learnLocked hands one event to the estimator. At start-up the events
// come from store.ModelEvents, which reads only the fields used here, and
// of the events Teaches names: one more must be read there too (its tests
// fail until it is).
func (e *Engine) learnLocked(ev *Event) {
	if e.est == nil || !Teaches(ev.Type) {
		return
	}
	o := forecast.Observation{At: ev.At, Loc: e.cal.loc}
	switch ev.Type {
	case EventIssued:
		o.Kind = forecast.ObsIssued
	case EventCalled:
		if ev.Recall {
			return
		}
		o.Kind = forecast.ObsCalled
	case EventFinished:
		o.Kind = forecast.ObsDone
	case EventNoShow:
		o.Kind = forecast.ObsNoShow
	case EventApptCheckedIn:
		e.est.Observe(forecast.Observation{Kind: forecast.ObsApptShow, At: ev.At, Loc: e.cal.loc})
		return
	case EventApptNoShow:
		e.est.Observe(forecast.Observation{Kind: forecast.ObsApptNoShow, At: ev.At, Loc: e.cal.loc})
		return
	default:
		return
	}
	t := ev.Ticket
	if t == nil {
		return
	}
	o.ServiceID, o.CounterID, o.Priority = t.ServiceID, t.CounterID, t.Priority
	o.Appointment = t.AppointmentAt != nil
	o.IssuedAt = t.IssuedAt
	o.Transferred = len(t.Transfers) > 0
	if t.CalledAt != nil {
		o.CalledAt = *t.CalledAt
	}
	if t.Promise != nil {
		o.Promised, o.ModelSeconds, o.SpreadSeconds = true, t.Promise.ModelSeconds, t.Promise.SpreadSeconds
	}
	e.est.Observe(o)
}

// estimateLocked is the wait shown for a waiting ticket with ahead tickets
// before it.
func (e *Engine) estimateLocked(t *Ticket, ahead int) Promise {
	if e.est == nil {
		return e.plainPromise(t.ServiceID, ahead)
	}
	now := e.estAt
	// Views are made under the engine's read lock; the model and the cache
	// are only touched under the cache's own lock.
	e.cache.mu.Lock()
	defer e.cache.mu.Unlock()
	e.cache.at(e.estGen, now)
	if c, ok := e.cache.some[t]; ok && e.cache.calls == nil {
		return e.promise(t.ServiceID, now, c, !c.at.IsZero(), t.AppointmentAt != nil)
	}
	calls, _ := e.replayCached(now, "")
	c, ok := calls[t]
	return e.promise(t.ServiceID, now, c, ok, t.AppointmentAt != nil)
}

// estimatesLocked is estimateLocked for a few tickets at once (a batch just
// issued). Unless the whole queue's replay is at hand, one replay follows
// only them and the tickets in also, and stops once each is called: who
// goes before them is the same, only what is written down differs. With
// thousands waiting, noting every call made the issue path's replay most
// of its garbage. What it found serves estimateLocked for those tickets
// until the queue changes.
func (e *Engine) estimatesLocked(ts []*Ticket, ahead []int, also []*Ticket) []Promise {
	out := make([]Promise, len(ts))
	if e.est == nil {
		for i, t := range ts {
			out[i] = e.plainPromise(t.ServiceID, ahead[i])
		}
		return out
	}
	now := e.estAt
	e.cache.mu.Lock()
	defer e.cache.mu.Unlock()
	e.cache.at(e.estGen, now)
	calls := e.cache.calls
	if calls == nil {
		targets := append(also[:len(also):len(also)], ts...)
		calls, _ = e.replay(now, nil, targets)
		if e.cache.some == nil {
			e.cache.some = make(map[*Ticket]call, len(targets))
		}
		for _, t := range targets {
			e.cache.some[t] = calls[t]
		}
	}
	for i, t := range ts {
		c, ok := calls[t]
		out[i] = e.promise(t.ServiceID, now, c, ok, t.AppointmentAt != nil)
	}
	return out
}

// promise is what a ticket expected to be called as c (found: within the
// replay's horizon) is shown.
func (e *Engine) promise(serviceID string, now time.Time, c call, found, appt bool) Promise {
	model, spread := replayHorizon, time.Duration(0)
	if found {
		model = max(c.at.Sub(now), 0)
		spread = secs(math.Sqrt(c.v))
	}
	p, lo, hi := e.est.Correct(serviceID, model, spread, appt)
	return Promise{WaitSeconds: seconds(p), LowSeconds: seconds(lo), HighSeconds: seconds(hi),
		ModelSeconds: seconds(model), SpreadSeconds: seconds(spread)}
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// plainPromise is the configured-average formula's wait and range, for a
// box without a learned model.
func (e *Engine) plainPromise(serviceID string, ahead int) Promise {
	w := e.estimateWait(serviceID, ahead)
	lo, hi := WaitRange(w)
	return Promise{WaitSeconds: w, LowSeconds: lo * 60, HighSeconds: hi * 60, ModelSeconds: w}
}

func seconds(d time.Duration) int { return int((d + time.Second/2) / time.Second) }

// serviceEstimateLocked is the wait a new walk-in of the service would see.
func (e *Engine) serviceEstimateLocked(s *Service, waiting int) Promise {
	if e.est == nil {
		return e.plainPromise(s.ID, waiting)
	}
	now := e.estAt
	e.cache.mu.Lock()
	defer e.cache.mu.Unlock()
	_, c := e.replayCached(now, s.ID)
	return e.promise(s.ID, now, c, !c.at.IsZero(), false)
}

// replayCached returns the predicted call time of every waiting ticket, and
// with probe set that of a new walk-in of that service. The caller holds
// e.cache.mu.
func (e *Engine) replayCached(now time.Time, probe string) (map[*Ticket]call, call) {
	c := &e.cache
	c.at(e.estGen, now)
	if probe == "" {
		if c.calls == nil {
			c.calls, _ = e.replay(now, nil, nil)
		}
		return c.calls, call{}
	}
	if c.probes == nil {
		c.probes = map[string]call{}
	}
	at, ok := c.probes[probe]
	if !ok {
		svc := e.services[probe]
		pt := &Ticket{ID: strconv.FormatUint(e.lastID+1_000_000, 10), ServiceID: probe, Status: StatusWaiting, Priority: svc.Priority,
			IssuedAt: now, IssuedRun: e.runningLocked()}
		calls, _ := e.replay(now, pt, nil)
		at = calls[pt]
		c.probes[probe] = at
	}
	return nil, at
}

// interval is a period a counter is expected to work, [from, to).
type interval struct{ from, to time.Time }

// rCounter is a counter in the replay.
type rCounter struct {
	c      *Counter
	free   time.Time
	iv     []interval
	queues []*waitQueue
	gone   bool
	// v is the variance of free (seconds²): what the services it has
	// taken on so far may run over or under.
	v float64
	// busy is the ticket it serves now, if any.
	busy *Ticket
	// fresh is what a fresh call of each service it has called takes at
	// it: the model does not change during a replay, and a queue of
	// thousands asks it once per call.
	fresh []freshCall
}

// freshCall is a fresh call's expected length and spread at one counter.
type freshCall struct {
	serviceID string
	mean, sd  time.Duration
}

// remaining is the model's RemainingSpread of a fresh call of serviceID
// at the counter, asked once per replay.
func (rc *rCounter) remaining(e *Engine, serviceID string) (mean, sd time.Duration) {
	for _, f := range rc.fresh {
		if f.serviceID == serviceID {
			return f.mean, f.sd
		}
	}
	mean, sd = e.est.RemainingSpread(serviceID, rc.c.ID, e.prior(serviceID), 0)
	rc.fresh = append(rc.fresh, freshCall{serviceID, mean, sd})
	return mean, sd
}

// orderQuantiles is how many quantiles of each busy desk's remaining time
// orderBusy draws from, and orderRounds how many shuffled pairings of
// them it averages.
const (
	orderQuantiles = 16
	orderRounds    = 4
)

// orderBusy sets when the desks busy now come free from the order in which
// their current services end rather than each one's mean: the first of
// three desks to come free does so sooner than the soonest of their means
// (the expected minimum is below the minimum of the expectations). Among
// desks that serve the same services, over joint draws of their remaining
// times, the k-th soonest end is averaged and given to the desk whose mean
// is k-th soonest; the total stays the same, so a long queue is served in
// the same time. (Desks of other services are left at their means: which
// of them comes free first decides who is called.)
func (e *Engine) orderBusy(rcs []*rCounter, now time.Time) {
	groups := map[string][]*rCounter{}
	var keys []string
	for _, rc := range rcs {
		if rc.busy == nil {
			continue
		}
		k := serviceSet(rc.c)
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], rc)
	}
	for _, k := range keys {
		e.orderGroup(groups[k], now)
	}
}

// serviceSet names the services a counter serves, in any order.
func serviceSet(c *Counter) string {
	ids := append([]string(nil), c.ServiceIDs...)
	sort.Strings(ids)
	return strings.Join(ids, "\x00")
}

// orderGroup orders the ends of the current services of busy desks that
// serve the same services (for whom it does not matter which comes free).
func (e *Engine) orderGroup(busy []*rCounter, now time.Time) {
	n := len(busy)
	if n < 2 {
		return
	}
	sortSliceStable(n, func(i, j int) bool { return busy[i].free.Before(busy[j].free) }, func(i, j int) { busy[i], busy[j] = busy[j], busy[i] })
	// Each desk's remaining time at evenly spread quantiles, paired with
	// the other desks' in shuffled orders (Latin hypercubes; a fixed seed:
	// the same queue gives the same figure).
	q := make([][]float64, n)
	for i, rc := range busy {
		t := rc.busy
		since := now
		if t.CalledAt != nil {
			since = *t.CalledAt
		}
		q[i] = make([]float64, orderQuantiles)
		e.est.RemainingQuantiles(t.ServiceID, rc.c.ID, e.prior(t.ServiceID), now.Sub(since), q[i])
	}
	sum := make([]float64, n)
	sq := make([]float64, n)
	draw := make([]float64, n)
	rng := rand.New(rand.NewPCG(uint64(n), orderQuantiles))
	const scenarios = orderQuantiles * orderRounds
	for j := 0; j < scenarios; j++ {
		if j%orderQuantiles == 0 {
			for i := range q {
				rng.Shuffle(orderQuantiles, func(a, b int) { q[i][a], q[i][b] = q[i][b], q[i][a] })
			}
		}
		for i := range busy {
			draw[i] = q[i][j%orderQuantiles]
		}
		// Few desks: an insertion sort.
		for a := 1; a < n; a++ {
			for b := a; b > 0 && draw[b] < draw[b-1]; b-- {
				draw[b], draw[b-1] = draw[b-1], draw[b]
			}
		}
		for k, d := range draw {
			sum[k] += d
			sq[k] += d * d
		}
	}
	for k, rc := range busy {
		mean := sum[k] / scenarios
		rc.free = now.Add(secs(mean))
		rc.v = math.Max(sq[k]/scenarios-mean*mean, 0)
	}
}

// wait is the counter standing free (idle, or on a break) from t until
// next: whatever its services ran over or under within that gap is
// absorbed, since it starts again at next all the same.
func (rc *rCounter) wait(t, next time.Time) {
	gap := next.Sub(t).Seconds()
	if sd := math.Sqrt(rc.v); gap >= sd {
		rc.v = 0
	} else {
		rc.v = (sd - gap) * (sd - gap)
	}
	rc.free = next
}

// openAt reports whether the counter works at t, else when it next does
// (zero: not again within the horizon).
func (rc *rCounter) openAt(t time.Time) (bool, time.Time) {
	for len(rc.iv) > 0 && !t.Before(rc.iv[0].to) {
		rc.iv = rc.iv[1:]
	}
	if len(rc.iv) == 0 {
		return false, time.Time{}
	}
	if t.Before(rc.iv[0].from) {
		return false, rc.iv[0].from
	}
	return true, time.Time{}
}

// workIntervals are the periods ctr is expected to work from now to until:
// its schedule (a shift that ends at closing time runs on until the queue is
// empty), with a pause lasting until its next shift starts. A counter without
// a schedule works while it is not paused.
func (e *Engine) workIntervals(ctr *Counter, now, until time.Time) []interval {
	if len(ctr.Schedule) == 0 {
		if ctr.Paused {
			return nil
		}
		return []interval{{now, until}}
	}
	sched := e.week(ctr)
	if sched == nil {
		return nil
	}
	var out []interval
	lt := now.In(e.cal.loc)
	day := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, e.cal.loc)
	for d := 0; d < 2; d++ {
		date := day.AddDate(0, 0, d)
		wd := date.Weekday()
		closing := 0
		if h := e.cal.hours[wd]; len(h) > 0 {
			closing = h[len(h)-1].To
		}
		for _, sp := range sched[wd] {
			from := date.Add(time.Duration(sp.From) * time.Minute)
			to := date.Add(time.Duration(sp.To) * time.Minute)
			if closing > 0 && sp.To >= closing {
				to = until.Add(time.Hour)
			}
			if to.After(now) && from.Before(until) {
				out = append(out, interval{from, to})
			}
		}
	}
	if ctr.Paused {
		// Paused inside a shift: back at the next one.
		for len(out) > 0 && !out[0].from.After(now) {
			out = out[1:]
		}
		return out
	}
	if len(out) == 0 || out[0].from.After(now) {
		// Working outside the plan (late, or early): on until the next shift ends.
		if len(out) == 0 {
			return []interval{{now, until}}
		}
		out[0].from = now
		return out
	}
	out[0].from = now
	return out
}

// week is ctr's parsed schedule, kept while the counter is not replaced.
func (e *Engine) week(ctr *Counter) *[7][]span {
	e.weeks.Lock()
	defer e.weeks.Unlock()
	if w, ok := e.weeks.m[ctr]; ok {
		return w
	}
	if e.weeks.m == nil || len(e.weeks.m) > 4*len(e.counters)+8 {
		e.weeks.m = map[*Counter]*[7][]span{}
	}
	w, err := parseWeek(ctr.Schedule)
	var wp *[7][]span
	if err == nil {
		wp = &w
	}
	e.weeks.m[ctr] = wp
	return wp
}

// parseWeek reads a weekly schedule.
func parseWeek(m map[string]string) ([7][]span, error) {
	var w [7][]span
	for day, s := range m {
		i := dayIndex(day)
		if i < 0 {
			return w, invalid("schedule."+day, "is not a day; use mon, tue, wed, thu, fri, sat or sun")
		}
		spans, err := parseHours(s)
		if err != nil {
			return w, invalid("schedule."+day, "%v", err)
		}
		w[i] = spans
	}
	return w, nil
}

// cloneQueue is the replay's copy of q. It shares q's arrays, each cut to
// its length: the replay takes thousands of tickets out of a long queue
// and puts a few in, and copying every list each replay was most of what
// it allocated.
func cloneQueue(q *waitQueue) *waitQueue {
	c := &waitQueue{n: q.n, held: q.held, shared: true, appts: q.appts[:len(q.appts):len(q.appts)]}
	if len(q.levels) > 0 {
		c.levels = make(levelLanes, len(q.levels))
		for i, ll := range q.levels {
			c.levels[i] = levelLane{ll.level, ll.l[:len(ll.l):len(ll.l)]}
		}
	}
	return c
}

// replay plays the engine's own policy forward from now: counters come free
// when their current customer is expected to be done, work their schedules,
// and call by the same rules Next uses, while the walk-ins and booked
// appointments the model expects arrive. It returns when each waiting ticket
// (and the probe, if any) is expected to be called. With only set (or a
// probe), it notes only those tickets' calls and ends once each is called.
func (e *Engine) replay(now time.Time, probe *Ticket, only []*Ticket) (map[*Ticket]call, int) {
	until := now.Add(replayHorizon)
	queues := make(map[string]*waitQueue, len(e.waiting))
	real := 0
	for id, q := range e.waiting {
		queues[id] = cloneQueue(q)
		real += q.n
	}
	qOf := func(id string) *waitQueue {
		q := queues[id]
		if q == nil {
			q = &waitQueue{}
			queues[id] = q
		}
		return q
	}
	if probe != nil {
		qOf(probe.ServiceID).insert(probe)
		only = []*Ticket{probe}
	}
	var want map[*Ticket]bool
	left := real
	var out map[*Ticket]call
	if only != nil {
		want = make(map[*Ticket]bool, len(only))
		for _, t := range only {
			want[t] = true
		}
		left = len(want)
		out = make(map[*Ticket]call, left)
	} else {
		// Sized by the tickets waiting, up to a bound: growing it call by
		// call cost a third of a replay that calls thousands, and the
		// horizon ends a slow branch's replay after a few hundred.
		out = make(map[*Ticket]call, min(real, 8192))
	}

	// What will arrive: walk-ins that may pass someone, and booked slots.
	rotating := len(e.settings.PriorityWeights) > 0
	// A virtual ticket comes with the chance weight; walk-ins are counted
	// as a Poisson stream (one expected arrival: as uncertain as its work),
	// bookings as one that comes or not.
	type virt struct {
		t       *Ticket
		weight  float64
		poisson bool
	}
	var vs []virt
	id := e.lastID + 2_000_000
	for _, a := range e.est.Arrivals(now, until, e.cal.loc, rotating || e.fifo) {
		if _, ok := e.services[a.ServiceID]; !ok {
			continue
		}
		id++
		pr := a.Priority
		if e.fifo {
			pr = 0
		}
		vs = append(vs, virt{&Ticket{ID: strconv.FormatUint(id, 10), ServiceID: a.ServiceID, Priority: pr, IssuedAt: a.At, Status: StatusWaiting}, 1, true})
	}
	show := e.est.ShowRate()
	late := time.Duration(e.settings.CheckinLateMinutes) * time.Minute
	var upcoming []*Ticket
	booked := make([]*Appointment, 0, len(e.appts))
	for _, a := range e.appts {
		booked = append(booked, a)
	}
	// A fixed order, so two bookings of one slot replay the same every time.
	sort.Slice(booked, func(i, j int) bool {
		if !booked[i].Start.Equal(booked[j].Start) {
			return booked[i].Start.Before(booked[j].Start)
		}
		return booked[i].ID < booked[j].ID
	})
	for _, a := range booked {
		if a.Status != ApptBooked || !a.Start.Before(until) || now.After(a.Start.Add(late)) {
			continue
		}
		if _, ok := e.services[a.ServiceID]; !ok {
			continue
		}
		id++
		start := a.Start
		at := start.Add(-AppointmentLead)
		if at.Before(now) {
			at = now
		}
		vt := &Ticket{ID: strconv.FormatUint(id, 10), ServiceID: a.ServiceID, IssuedAt: at, AppointmentAt: &start, Status: StatusWaiting}
		vs = append(vs, virt{vt, show, false})
		upcoming = append(upcoming, vt)
	}
	// The policy orders by issue (the ticket id) and measures waits on the
	// box's running time: number the expected arrivals in time order, after
	// every real ticket, and give each its running time.
	sortVirt := func(i, j int) bool { return vs[i].t.IssuedAt.Before(vs[j].t.IssuedAt) }
	sortSliceStable(len(vs), sortVirt, func(i, j int) { vs[i], vs[j] = vs[j], vs[i] })
	run0 := e.runningLocked()
	for i, v := range vs {
		v.t.ID = strconv.FormatUint(e.lastID+2_000_000+uint64(i), 10)
		v.t.IssuedRun = run0 + v.t.IssuedAt.Sub(now)
	}
	weight := make(map[*Ticket]virt, len(vs))
	for _, v := range vs {
		weight[v.t] = v
	}

	// The counters, with when each is next free.
	var rcs []*rCounter
	pools := map[string][]*rCounter{}
	busy := e.busyLocked()
	for _, cid := range e.counterIDs() {
		c := e.counters[cid]
		rc := &rCounter{c: c, free: now, iv: e.workIntervals(c, now, until)}
		for _, sid := range c.ServiceIDs {
			rc.queues = append(rc.queues, qOf(sid))
			pools[sid] = append(pools[sid], rc)
		}
		if t := busy[cid]; t != nil {
			since := now
			if t.CalledAt != nil {
				since = *t.CalledAt
			}
			d, sd := e.est.RemainingSpread(t.ServiceID, cid, e.prior(t.ServiceID), now.Sub(since))
			rc.free = now.Add(d)
			rc.v = sd.Seconds() * sd.Seconds()
			rc.busy = t
		}
		rcs = append(rcs, rc)
	}
	e.orderBusy(rcs, now)

	p := e.policy()
	vi := 0
	for steps := 0; left > 0 && steps < 20000; steps++ {
		var rc *rCounter
		for _, c := range rcs {
			if !c.gone && (rc == nil || c.free.Before(rc.free)) {
				rc = c
			}
		}
		if rc == nil || rc.free.After(until) {
			break
		}
		t := rc.free
		if ok, next := rc.openAt(t); !ok {
			if next.IsZero() {
				rc.gone = true
			} else {
				rc.wait(t, next)
			}
			continue
		}
		for vi < len(vs) && !vs[vi].t.IssuedAt.After(t) {
			qOf(vs[vi].t.ServiceID).insert(vs[vi].t)
			vi++
		}
		p.now, p.run = t, run0+t.Sub(now)
		due := func() []time.Time {
			var s []time.Time
			for _, u := range upcoming {
				if u.IssuedAt.After(t) && rc.c.Serves(u.ServiceID) {
					s = append(s, *u.AppointmentAt)
				}
			}
			return s
		}
		idle := func() int {
			n := 0
			for _, o := range rcs {
				if o != rc && !o.gone && !o.free.After(t) && queued(o.queues) == 0 && sharesService(o.c, rc.c) {
					if ok, _ := o.openAt(t); ok {
						n++
					}
				}
			}
			return n
		}
		tk, rot, held := e.choose(p, rc.c, rc.queues, due, idle)
		if tk == nil {
			var next time.Time
			if vi < len(vs) {
				next = vs[vi].t.IssuedAt
			}
			if held && (next.IsZero() || next.After(t.Add(time.Minute))) {
				next = t.Add(time.Minute)
			}
			if next.IsZero() {
				rc.gone = true
			} else {
				rc.wait(t, next)
			}
			continue
		}
		if p.rotating() {
			p.rot = rot
		}
		rc.queueOf(tk.ServiceID).remove(tk)
		mean, v := e.occupancy(tk, rc, t)
		if w, virtual := weight[tk]; virtual {
			rc.free = t.Add(secs(w.weight * mean))
			if w.poisson {
				rc.v += w.weight * (v + mean*mean)
			} else {
				rc.v += w.weight*(v+mean*mean) - w.weight*w.weight*mean*mean
			}
			continue
		}
		if want == nil || want[tk] {
			out[tk] = call{t, pooled(pools[tk.ServiceID], rc, t)}
			left--
		}
		rc.free = t.Add(secs(mean))
		rc.v += v
	}
	return out, real
}

// queueOf is the queue of serviceID among the counter's (the one its pick
// came from): found among a few, not looked up by name on every call.
func (rc *rCounter) queueOf(serviceID string) *waitQueue {
	for i, id := range rc.c.ServiceIDs {
		if id == serviceID {
			return rc.queues[i]
		}
	}
	return nil
}

// pooled is the variance of a call made by rc at t for a service the
// counters of pool share: the call comes when the pool has worked through
// what is ahead, so what each counter working at t ran over or under is
// shared among them. A counter on a break or not yet in its shift shares
// nothing of it.
func pooled(pool []*rCounter, rc *rCounter, t time.Time) float64 {
	var sum float64
	n := 0
	for _, o := range pool {
		if o.gone {
			continue
		}
		if ok, _ := o.openAt(t); ok || o == rc {
			sum += o.v
			n++
		}
	}
	if n == 0 {
		return rc.v
	}
	return sum / float64(n*n)
}

func queued(qs []*waitQueue) int {
	n := 0
	for _, q := range qs {
		n += q.n
	}
	return n
}

func sharesService(a, b *Counter) bool {
	for _, s := range a.ServiceIDs {
		if b.Serves(s) {
			return true
		}
	}
	return false
}

// occupancy is how long a counter is expected to be taken by calling t at
// at, in seconds, and the variance of it: the service's own spread, or the
// short hold of someone who has left.
func (e *Engine) occupancy(t *Ticket, rc *rCounter, at time.Time) (mean, variance float64) {
	dd, sdd := rc.remaining(e, t.ServiceID)
	p, holdd := e.est.NoShow(t.ServiceID, at.Sub(t.IssuedAt))
	d, sd, hold := dd.Seconds(), sdd.Seconds(), holdd.Seconds()
	mean = (1-p)*d + p*hold
	return mean, math.Max((1-p)*(sd*sd+d*d)+p*hold*hold-mean*mean, 0)
}

func (e *Engine) prior(serviceID string) time.Duration {
	if s, ok := e.services[serviceID]; ok {
		return time.Duration(s.AvgServiceSeconds) * time.Second
	}
	return 5 * time.Minute
}

// counterIDs lists the counters in a fixed order.
func (e *Engine) counterIDs() []string {
	ids := make([]string, 0, len(e.counters))
	for id := range e.counters {
		ids = append(ids, id)
	}
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && naturalLess(ids[j], ids[j-1]); j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
	return ids
}

// sortSliceStable is an insertion sort: the lists are short and mostly in order.
func sortSliceStable(n int, less func(i, j int) bool, swap func(i, j int)) {
	for i := 1; i < n; i++ {
		for j := i; j > 0 && less(j, j-1); j-- {
			swap(j, j-1)
		}
	}
}
