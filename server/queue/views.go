package queue

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// estimateWait is the expected wait for a ticket with ahead tickets before it:
// average service time × tickets ahead ÷ open counters serving the service.
// It is the one place the estimate is made, so a better estimator can replace it.
func (e *Engine) estimateWait(serviceID string, ahead int) int {
	svc, ok := e.services[serviceID]
	if !ok || ahead <= 0 {
		return 0
	}
	open := 0
	for _, c := range e.counters {
		if !c.Paused && c.Serves(serviceID) {
			open++
		}
	}
	if open == 0 {
		// Nobody serves it right now; assume one counter rather than
		// promising nothing.
		open = 1
	}
	return svc.AvgServiceSeconds * ahead / open
}

// WaitRange turns an estimate into the range customers are shown, in
// minutes: a false-precise minute would be a promise nobody can keep.
// Zero means no wait to speak of.
func WaitRange(ewtSeconds int) (lo, hi int) {
	if ewtSeconds <= 0 {
		return 0, 0
	}
	m := (ewtSeconds + 59) / 60
	lo = m / 5 * 5
	return lo, lo + 5
}

// RangeMinutes is a range in seconds as whole minutes shown to customers,
// rounded outward so it still holds what it held; 0, 0 is no wait.
func RangeMinutes(lowSeconds, highSeconds int) (lo, hi int) {
	if highSeconds <= 0 {
		return 0, 0
	}
	lo = max(lowSeconds, 0) / 60
	hi = max((highSeconds+59)/60, lo+1)
	return lo, hi
}

func (e *Engine) viewLocked(t *Ticket) TicketView {
	v := TicketView{Ticket: *t}
	v.Transfers = append([]string(nil), t.Transfers...)
	if t.Status == StatusWaiting {
		v.Ahead = e.policy().ahead(e.queueOf(t.ServiceID), t)
		pr := e.estimateLocked(t, v.Ahead)
		v.EWTSeconds, v.EWTLowSeconds, v.EWTHighSeconds = pr.WaitSeconds, pr.LowSeconds, pr.HighSeconds
	}
	return v
}

// promiseLocked records on new tickets the wait each is shown at issue.
// p is the policy now (a batch of new tickets shares one).
func (e *Engine) promiseLocked(p policy, ts ...*Ticket) {
	e.promiseAlsoLocked(p, ts, nil, nil)
}

// promiseAlsoLocked is promiseLocked whose replay also finds the waits of
// the tickets in also, for views made next. With views set, it writes each
// new ticket's view to views[i] (viewLocked would work out the same place
// and wait again): a batch's views are made in place, not in a list copied
// out ticket by ticket.
func (e *Engine) promiseAlsoLocked(p policy, ts, also []*Ticket, views []*TicketView) {
	ahead := make([]int, len(ts))
	for i, t := range ts {
		ahead[i] = p.ahead(e.queueOf(t.ServiceID), t)
	}
	// The tickets point into the batch's list of promises: one allocation
	// per batch, not one per ticket. Nothing changes a promise once made.
	prs := e.estimatesLocked(ts, ahead, also)
	for i, t := range ts {
		pr := &prs[i]
		t.Promise = pr
		if views == nil {
			continue
		}
		v := views[i]
		*v = TicketView{Ticket: *t, Ahead: ahead[i], EWTSeconds: pr.WaitSeconds, EWTLowSeconds: pr.LowSeconds, EWTHighSeconds: pr.HighSeconds}
		v.Transfers = append([]string(nil), t.Transfers...)
	}
}

// Ticket returns any ticket by id, with live figures while it is active.
func (e *Engine) Ticket(id string) (TicketView, error) {
	e.mu.RLock()
	if t, ok := e.active[id]; ok {
		v := e.viewLocked(t)
		e.mu.RUnlock()
		return v, nil
	}
	e.mu.RUnlock()
	t, err := e.store.Ticket(id)
	if err != nil {
		return TicketView{}, err
	}
	return TicketView{Ticket: t}, nil
}

// Status is what the phone status page shows for a ticket token.
func (e *Engine) Status(token string) (StatusView, error) {
	e.mu.RLock()
	t, ok := e.byToken[token]
	if ok {
		v := e.statusLocked(t)
		e.mu.RUnlock()
		return v, nil
	}
	e.mu.RUnlock()
	old, err := e.store.TicketByToken(token)
	if err != nil {
		return StatusView{}, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.statusLocked(&old), nil
}

func (e *Engine) statusLocked(t *Ticket) StatusView {
	v := e.viewLocked(t)
	sv := StatusView{Number: t.Number, ServiceID: t.ServiceID, Status: t.Status, Ahead: v.Ahead, EWTSeconds: v.EWTSeconds,
		EWTLow: v.EWTLowSeconds, EWTHigh: v.EWTHighSeconds, CalledAt: t.CalledAt, Recalls: t.Recalls, PushBacks: t.PushBacks, Rated: t.Rating > 0}
	if s, ok := e.services[t.ServiceID]; ok {
		sv.ServiceName = s.Name
		sv.ServiceNames = copyNames(s.Names)
	}
	if c, ok := e.counters[t.CounterID]; ok && (t.Status == StatusCalled || t.Status == StatusServing) {
		sv.CounterName = c.Name
		sv.CounterNames = copyNames(c.Names)
	}
	e.greetLocked(t, &sv)
	return sv
}

// Queue lists the waiting tickets in the order they will be called. With a
// service id it is that service's queue; without, the whole branch.
func (e *Engine) Queue(serviceID string) ([]TicketView, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var queues []*waitQueue
	if serviceID != "" {
		if _, ok := e.services[serviceID]; !ok {
			return nil, ErrServiceNotFound
		}
		// Read-only lookup: queueOf would write the map under a read lock.
		if q := e.waiting[serviceID]; q != nil {
			queues = append(queues, q)
		}
	} else {
		for _, q := range e.waiting {
			queues = append(queues, q)
		}
	}
	return e.listLocked(queues), nil
}

// listLocked lists the waiting tickets of queues in call order, each with
// its reason and its place in its own service's queue (the ahead every
// view of it reports), computed once per service rather than per ticket.
func (e *Engine) listLocked(queues []*waitQueue) []TicketView {
	p := e.policy()
	var place map[*Ticket]int // nil: the list is one service's, its places are its rows
	nonEmpty := 0
	for _, q := range queues {
		if q.n > 0 {
			nonEmpty++
		}
	}
	if nonEmpty > 1 {
		place = map[*Ticket]int{}
		for _, q := range queues {
			for i, t := range p.order([]*waitQueue{q}) {
				place[t] = i
			}
		}
	}
	order := p.order(queues)
	out := make([]TicketView, len(order))
	for i, t := range order {
		n := i
		if place != nil {
			n = place[t]
		}
		pr := e.estimateLocked(t, n)
		out[i] = TicketView{Ticket: *t, Ahead: n, EWTSeconds: pr.WaitSeconds, EWTLowSeconds: pr.LowSeconds, EWTHighSeconds: pr.HighSeconds}
		out[i].Transfers = append([]string(nil), t.Transfers...)
		p.reason(t, e.cal.loc).set(&out[i].Ticket)
	}
	return out
}

// Place is where a waiting ticket stands in its own service's queue and
// how long it should wait: what its phone's status page shows of it.
type Place struct {
	Token, Number, ServiceID string
	Ahead                    int
	Wait                     Promise
	CalledAt                 *time.Time
	Recalls, PushBacks       int
	// Greeted: a known customer of a better tier, whose status (see
	// Status) greets them.
	Greeted bool
}

// Places returns every waiting ticket's place in its service's queue (the
// ahead every view of it reports) and its wait. Each service's queue is
// ordered once and nothing else of the tickets is copied: the live push asks
// for all of them after every change.
func (e *Engine) Places() []Place { return e.PlacesOf(nil) }

// PlacesOf is Places for the waiting tickets of the given tokens (nil: all):
// each queue is ordered and walked only as far as the last of them, and
// only their waits are worked out (by a replay that stops at the last of
// them) and copied. The live push asks for the tickets a phone watches,
// often a few of thousands waiting.
func (e *Engine) PlacesOf(tokens map[string]struct{}) []Place {
	e.mu.RLock()
	defer e.mu.RUnlock()
	p := e.policy()
	var out []Place
	var tickets []*Ticket
	// The tickets asked for, and how many of them wait in each service.
	var pick map[*Ticket]struct{}
	var left map[string]int
	n := e.waitingLocked()
	if tokens == nil {
		out, tickets = make([]Place, 0, n), make([]*Ticket, 0, n)
	} else {
		pick, left = make(map[*Ticket]struct{}, len(tokens)), map[string]int{}
		for tok := range tokens {
			if t := e.byToken[tok]; t != nil && t.Status == StatusWaiting {
				pick[t] = struct{}{}
				left[t.ServiceID]++
			}
		}
		out, tickets = make([]Place, 0, len(pick)), make([]*Ticket, 0, len(pick))
	}
	for id, q := range e.waiting {
		if pick != nil && left[id] == 0 {
			continue
		}
		for i, t := range p.orderOf(q, -1) {
			if t.Status != StatusWaiting {
				continue
			}
			if pick != nil {
				if _, ok := pick[t]; !ok {
					continue
				}
			}
			out = append(out, Place{Token: t.Token, Number: t.Number, ServiceID: t.ServiceID, Ahead: i,
				CalledAt: t.CalledAt, Recalls: t.Recalls, PushBacks: t.PushBacks, Greeted: t.CustomerID != "" && t.Tier != e.plan.deflt})
			tickets = append(tickets, t)
			if pick != nil && t.ServiceID == id {
				if left[id]--; left[id] == 0 {
					break // the rest of the queue is nobody's asked for
				}
			}
		}
	}
	if tokens == nil || wholeReplay(len(tickets), n) {
		for i, t := range tickets {
			out[i].Wait = e.estimateLocked(t, out[i].Ahead)
		}
		return out
	}
	// Only these tickets' waits: the replay ends once the last of them is
	// called, rather than playing out the whole queue behind them (with
	// a thousand phones among five thousand waiting, most of a call's
	// work). What it finds is what a whole replay finds for them.
	ahead := make([]int, len(out))
	for i := range out {
		ahead[i] = out[i].Ahead
	}
	for i, w := range e.estimatesLocked(tickets, ahead, nil) {
		out[i].Wait = w
	}
	return out
}

// wholeReplay reports whether the waits of watched tickets among waiting
// are best found by replaying the whole queue: for most of it, one replay
// of all of it, kept for every view until the next change, costs less than
// following each of them.
func wholeReplay(watched, waiting int) bool { return 2*watched > waiting }

// WarmEstimates replays every waiting ticket's wait now if PlacesOf, asked
// for watched tickets, would take the whole queue's replay: the live push
// has it done beside ordering the queues, on the other core. For fewer,
// PlacesOf's own replay stops at the last of them, and a whole one would
// be work nobody needs.
func (e *Engine) WarmEstimates(watched int) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.est == nil || !wholeReplay(watched, e.waitingLocked()) {
		return
	}
	e.cache.mu.Lock()
	defer e.cache.mu.Unlock()
	e.replayCached(e.estAt, "")
}

// waitingLocked is how many tickets wait in every service.
func (e *Engine) waitingLocked() int {
	n := 0
	for _, q := range e.waiting {
		n += q.n
	}
	return n
}

// Waiting reports whether the ticket of token is waiting now.
func (e *Engine) Waiting(token string) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	t, ok := e.byToken[token]
	return ok && t.Status == StatusWaiting
}

// CounterQueue lists what a counter would call, in order, each with the reason.
func (e *Engine) CounterQueue(counterID string) ([]TicketView, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	c, ok := e.counters[counterID]
	if !ok {
		return nil, ErrCounterNotFound
	}
	var queues []*waitQueue
	for _, id := range c.ServiceIDs {
		if q := e.waiting[id]; q != nil {
			queues = append(queues, q)
		}
	}
	return e.listLocked(queues), nil
}

// Parked lists the tickets parked at a counter, longest parked first, so
// every desk PC of that counter shows the same list.
func (e *Engine) Parked(counterID string) ([]TicketView, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if _, ok := e.counters[counterID]; !ok {
		return nil, ErrCounterNotFound
	}
	out := []TicketView{}
	for _, t := range e.active {
		if t.Status == StatusParked && t.CounterID == counterID {
			out = append(out, e.viewLocked(t))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ParkedAt.Before(*out[j].ParkedAt) })
	return out, nil
}

// Active lists the tickets called or in service, most recent call first.
func (e *Engine) Active() []TicketView {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []TicketView
	for _, t := range e.active {
		if t.Status == StatusCalled || t.Status == StatusServing {
			out = append(out, e.viewLocked(t))
		}
	}
	sortByCall(out)
	return out
}

func sortByCall(v []TicketView) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && calledAt(v[j]).After(calledAt(v[j-1])); j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

func calledAt(v TicketView) time.Time {
	if v.CalledAt == nil {
		return time.Time{}
	}
	return *v.CalledAt
}

// Services lists the services in display order with live figures.
func (e *Engine) Services() []ServiceView {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]ServiceView, 0, len(e.svcOrder))
	for _, id := range e.svcOrder {
		out = append(out, e.serviceViewLocked(e.services[id]))
	}
	return out
}

// ServiceNames returns the services in display order with their ids and
// names only (copies), without the waiting counts and estimates Services
// works out.
func (e *Engine) ServiceNames() []Service {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]Service, 0, len(e.svcOrder))
	for _, id := range e.svcOrder {
		s := e.services[id]
		out = append(out, Service{ID: s.ID, Name: s.Name, Names: copyNames(s.Names)})
	}
	return out
}

// Service returns one service with live figures.
func (e *Engine) Service(id string) (ServiceView, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	s, ok := e.services[id]
	if !ok {
		return ServiceView{}, ErrServiceNotFound
	}
	return e.serviceViewLocked(s), nil
}

// PrintInfo is what a printed ticket says about where it was issued: the
// branch, its time zone and the service's names, without the live figures
// a ServiceView carries (those cost an estimate).
type PrintInfo struct {
	Branch      string
	Location    *time.Location
	ServiceName string
	// NameZH and NameEN are the service's names a slip prints ("" for
	// none): just these, as a copy of every name would be made for every
	// ticket printed.
	NameZH, NameEN string
}

// PrintInfo returns the print details of a ticket of the service; ok is
// false for a service the branch no longer has (the names stay empty).
func (e *Engine) PrintInfo(serviceID string) (info PrintInfo, ok bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	info = PrintInfo{Branch: e.settings.BranchName, Location: e.cal.loc}
	s, ok := e.services[serviceID]
	if ok {
		info.ServiceName, info.NameZH, info.NameEN = s.Name, s.Names["zh"], s.Names["en"]
	}
	return info, ok
}

func (e *Engine) serviceViewLocked(s *Service) ServiceView {
	v := ServiceView{Service: *s}
	v.Names = copyNames(s.Names)
	v.OutcomeLabels = copyLabels(s.OutcomeLabels)
	if q := e.waiting[s.ID]; q != nil {
		v.Waiting = q.n
	}
	// A new ticket would have everyone waiting ahead of it.
	pr := e.serviceEstimateLocked(s, v.Waiting)
	v.EWTSeconds, v.EWTLowSeconds, v.EWTHighSeconds = pr.WaitSeconds, pr.LowSeconds, pr.HighSeconds
	return v
}

func copyLabels(m map[string]map[string]string) map[string]map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]map[string]string, len(m))
	for k, v := range m {
		c[k] = copyNames(v)
	}
	return c
}

func copyNames(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// Counters lists the counters sorted by id.
func (e *Engine) Counters() []Counter {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]Counter, 0, len(e.counters))
	for _, c := range e.counters {
		out = append(out, *copyCounter(c))
	}
	sortCounters(out)
	return out
}

func sortCounters(c []Counter) {
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && naturalLess(c[j].ID, c[j-1].ID); j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
}

// naturalLess orders "c2" before "c10".
func naturalLess(a, b string) bool {
	ta, tb := strings.TrimRight(a, "0123456789"), strings.TrimRight(b, "0123456789")
	if ta == tb && len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// Counter returns one counter.
func (e *Engine) Counter(id string) (Counter, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	c, ok := e.counters[id]
	if !ok {
		return Counter{}, ErrCounterNotFound
	}
	return *copyCounter(c), nil
}

// Settings returns the branch settings.
func (e *Engine) Settings() Settings {
	e.mu.RLock()
	defer e.mu.RUnlock()
	st := e.settings
	st.Hours = copyNames(e.settings.Hours)
	st.ClosedDates = append([]string(nil), e.settings.ClosedDates...)
	// A copy: a caller decoding into the returned settings must not write
	// the engine's weights (outside its lock, and before validation).
	st.PriorityWeights = slices.Clone(e.settings.PriorityWeights)
	st.SpecialDays = copyNames(e.settings.SpecialDays)
	return st
}

// OpenNow reports whether the branch issues tickets now.
func (e *Engine) OpenNow() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.cal.open(e.nowLocked())
}

// Gen is the generation of the queue: it changes with every change the
// engine commits (and whenever the wait model is replaced), so views of the
// waiting tickets taken at one generation are the same, estimates included
// (they count from the last change, not from now).
func (e *Engine) Gen() uint64 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.estGen
}

// LastSeq is the seq of the newest event in the engine's state.
func (e *Engine) LastSeq() uint64 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.lastSeq
}

// Call is one call as the lobby display shows it.
type Call struct {
	Seq       uint64    `json:"seq"`
	At        time.Time `json:"at"`
	TicketID  string    `json:"ticket_id"`
	Number    string    `json:"number"`
	ServiceID string    `json:"service_id"`
	CounterID string    `json:"counter_id"`
	Counter   string    `json:"counter_name"`
	// CounterNames are the counter's names per language, when it has them.
	CounterNames map[string]string `json:"counter_names,omitempty"`
	Recall       bool              `json:"recall"`
}

// DisplayView is the whole state of the lobby display.
type DisplayView struct {
	BranchName string        `json:"branch_name"`
	Timezone   string        `json:"timezone"`
	Calls      []Call        `json:"calls"` // newest first
	Services   []ServiceView `json:"services"`
	// Notice is the manager's short text for the lobby, "" for none.
	Notice      string     `json:"notice"`
	NoticeUntil *time.Time `json:"notice_until,omitempty"`
}

// Display returns the lobby display's state and the seq it is current as of.
func (e *Engine) Display() (DisplayView, uint64) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	v := DisplayView{BranchName: e.settings.BranchName, Timezone: e.settings.Timezone, Calls: []Call{}}
	if u := e.settings.NoticeUntil; e.settings.Notice != "" && (u == nil || e.clock.Now().Before(*u)) {
		v.Notice, v.NoticeUntil = e.settings.Notice, u
	}
	for i := len(e.recent) - 1; i >= 0; i-- {
		v.Calls = append(v.Calls, CallOf(e.recent[i]))
	}
	v.Services = make([]ServiceView, 0, len(e.svcOrder))
	for _, id := range e.svcOrder {
		v.Services = append(v.Services, e.serviceViewLocked(e.services[id]))
	}
	return v, e.lastSeq
}

// CallOf turns a "called" event into what the display shows.
func CallOf(ev Event) Call {
	c := Call{Seq: ev.Seq, At: ev.At, Recall: ev.Recall}
	if ev.Ticket != nil {
		c.TicketID, c.Number, c.ServiceID, c.CounterID = ev.Ticket.ID, ev.Ticket.Number, ev.Ticket.ServiceID, ev.Ticket.CounterID
	}
	if ev.Counter != nil {
		c.CounterID, c.Counter, c.CounterNames = ev.Counter.ID, ev.Counter.Name, copyNames(ev.Counter.Names)
	}
	return c
}

// QueueView is the staff's live picture: who waits and who is being served.
type QueueView struct {
	Waiting  []TicketView `json:"waiting"`
	Active   []TicketView `json:"active"`
	Counters []Counter    `json:"counters"`
	// Clock is what the box thinks of its clock (clock events update it).
	Clock *ClockState `json:"clock,omitempty"`
}
