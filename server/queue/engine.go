package queue

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"queuebox/server/forecast"
)

// DayNumber is the last number issued for a prefix on a business date.
type DayNumber struct {
	Prefix string `json:"prefix"`
	Date   string `json:"date"`
	Last   int    `json:"last"`
}

// IdemEntry remembers which ticket an idempotency key produced.
type IdemEntry struct {
	Key      string    `json:"key"`
	TicketID string    `json:"ticket_id"`
	At       time.Time `json:"at"`
	// Run is the box's running time when the key was used: keys expire by
	// it, never by a wall clock that was set.
	Run time.Duration `json:"run_ns"`
}

// IdemTTL is how long (of the box's running time) an idempotency key
// returns the same ticket.
const IdemTTL = 24 * time.Hour

// Snapshot is the live state the engine needs at start-up: configuration,
// the tickets still active, numbering and recent idempotency keys. History
// stays on disk.
type Snapshot struct {
	Settings     *Settings
	Services     []Service
	Counters     []Counter
	Active       []Ticket
	Numbers      []DayNumber
	Idem         []IdemEntry
	LastSeq      uint64
	LastTicketID uint64
	// RecentCalls are the latest "called" events, oldest first, for the
	// lobby display after a restart.
	RecentCalls []Event
	// Appointments are those from a day ago on, of any state.
	Appointments []Appointment
	LastApptID   uint64
	Rotation     Rotation
	// LastAt is the time of the newest event; Time the timekeeping of the
	// last commit (nil in a database from before it was kept).
	LastAt time.Time
	Time   *TimeMark
	// Tiers are the branch's customer tiers, best first (nil: the default).
	Tiers []Tier
}

// Change is everything one operation writes. The store makes each Change
// durable atomically and in the order Apply was called.
type Change struct {
	Settings       *Settings
	Services       []Service
	DeleteServices []string
	Counters       []Counter
	DeleteCounters []string
	Tickets        []Ticket
	Numbers        []DayNumber
	Idem           []IdemEntry
	DeleteIdem     []IdemEntry // expired: the store deletes each by its ticket
	Appointments   []Appointment
	// ForgetAppointments are ids the engine no longer needs at start-up
	// (their day is over); they stay on disk as history.
	ForgetAppointments []string
	NoShowPhones       []string // phones whose no-show count goes up by one
	UndoNoShowPhones   []string // phones whose no-show count goes down by one
	Rotation           *Rotation
	// Time is the timekeeping as of this change; the engine sets it.
	Time   *TimeMark
	Tiers  []Tier // when not nil, the new tier list
	Events []Event
}

// Store is what the engine needs from persistence.
type Store interface {
	Load() (*Snapshot, error)
	// Apply queues c for a durable commit and returns at once; the channel
	// yields nil once c is on disk. Changes commit in the order of Apply.
	Apply(c *Change) <-chan error
	// Failed reports whether a commit failed and the store refuses changes
	// until Reset: later changes were built on state that never reached disk.
	Failed() bool
	Reset()
	// Ticket and TicketByToken find any ticket, also finished ones.
	Ticket(id string) (Ticket, error)
	TicketByToken(token string) (Ticket, error)
}

// ErrStorage wraps a failure to make a change durable.
var ErrStorage = errors.New("the change could not be saved")

// Engine owns every rule of the queue. All methods are safe for concurrent use.
type Engine struct {
	store Store
	clock Clock
	log   *slog.Logger

	mu       sync.RWMutex
	settings Settings
	cal      calendar
	services map[string]*Service
	svcOrder []string // services in display order
	counters map[string]*Counter
	active   map[string]*Ticket // waiting, called and serving tickets by id
	byToken  map[string]*Ticket
	waiting  map[string]*waitQueue // by service id
	numbers  map[string]DayNumber  // by prefix
	idem     map[string]IdemEntry
	idemFIFO []IdemEntry // oldest first, to expire keys cheaply
	// issueQ holds requests to Issue waiting for their batch (see Issue);
	// issueMu guards it and issuing alone and is never held while taking mu.
	issueMu sync.Mutex
	issueQ  []*issueCall
	// issuing is set while a batch of issues is made or on its way to
	// disk: requests that come meanwhile wait in issueQ for the next batch.
	issuing bool
	// unsaved holds, by ticket id, the issues whose commit is still on its
	// way to disk (guarded by issueMu): a repeat of such a request waits
	// for it, so its 2xx too means the ticket is on disk.
	unsaved map[string]*saving
	lastSeq uint64
	lastID  uint64
	recent  []Event // latest calls, oldest first, at most RecentCallsKept

	appts       map[string]*Appointment // by code
	slotTaken   map[string]int          // places taken per service slot
	phoneBooked map[string]int          // upcoming bookings per phone
	lastApptID  uint64
	rot         Rotation
	tk          timekeeper
	tiers       []Tier
	plan        tierPlan
	tally       map[string]SLATally // by tier; kept in memory, rebuilt strict after a restart

	// est is the wait model (nil: the plain formula); estGen changes with
	// every change of the queue, so cached replays know they are stale.
	est    Estimator
	estGen uint64
	estAt  time.Time // when the queue last changed: estimates count from it
	cache  estCache
	// deskGen moves when a counter may have taken a ticket (see desks.go).
	deskGen uint64
	desks   deskCache
	fifo    bool
	weeks   struct {
		sync.Mutex
		m map[*Counter]*[7][]span
	}
	rating map[string]bool // tokens whose rating is being saved
}

// RecentCallsKept is how many calls the lobby display can show.
const RecentCallsKept = 10

// DefaultSettings are used until the branch is configured.
func DefaultSettings() Settings {
	return Settings{BranchName: "queuebox", Timezone: "UTC", Hours: map[string]string{}, MaxWaitMinutes: 30,
		CheckinEarlyMinutes: 15, CheckinLateMinutes: 10, AppointmentHoldMinutes: 20, NearTurnPlace: 3}
}

// New loads the live state from store.
func New(store Store, clock Clock, log *slog.Logger) (*Engine, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{store: store, clock: clock, log: log, est: forecast.New()}
	snap, err := store.Load()
	if err != nil {
		return nil, fmt.Errorf("load queue state: %w", err)
	}
	if err := e.load(snap); err != nil {
		return nil, err
	}
	// The first look at the clock: what it says at start is recorded, and
	// a day that ended while the box was off is closed.
	if err := e.tick(false); err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	return e, nil
}

func (e *Engine) load(snap *Snapshot) error {
	st := DefaultSettings()
	if snap.Settings != nil {
		st = *snap.Settings
	}
	cal, err := newCalendar(st)
	if err != nil {
		return fmt.Errorf("stored settings: %w", err)
	}
	e.settings, e.cal = st, cal
	e.setTiersLocked(snap.Tiers)
	e.services = map[string]*Service{}
	for i := range snap.Services {
		s := snap.Services[i]
		e.services[s.ID] = &s
	}
	e.sortServicesLocked()
	e.counters = map[string]*Counter{}
	for i := range snap.Counters {
		c := snap.Counters[i]
		e.counters[c.ID] = &c
	}
	e.active = map[string]*Ticket{}
	e.byToken = map[string]*Ticket{}
	e.waiting = map[string]*waitQueue{}
	for i := range snap.Active {
		t := snap.Active[i]
		e.track(&t)
	}
	e.numbers = map[string]DayNumber{}
	for _, n := range snap.Numbers {
		e.numbers[n.Prefix] = n
	}
	e.idem = map[string]IdemEntry{}
	e.idemFIFO = nil
	idem := append([]IdemEntry(nil), snap.Idem...)
	sort.Slice(idem, func(i, j int) bool { return idem[i].Run < idem[j].Run })
	for _, it := range idem {
		e.idem[it.Key] = it
		e.idemFIFO = append(e.idemFIFO, it)
	}
	e.lastSeq, e.lastID = snap.LastSeq, snap.LastTicketID
	e.recent = nil
	for _, ev := range snap.RecentCalls {
		e.remember(ev)
	}
	e.appts, e.slotTaken, e.phoneBooked = map[string]*Appointment{}, map[string]int{}, map[string]int{}
	for i := range snap.Appointments {
		a := snap.Appointments[i]
		e.trackAppt(&a)
	}
	e.lastApptID = snap.LastApptID
	e.rot = snap.Rotation
	e.loadTime(snap)
	return nil
}

// sortServicesLocked rebuilds the display order: position, then id.
func (e *Engine) sortServicesLocked() {
	e.svcOrder = e.svcOrder[:0]
	for id := range e.services {
		e.svcOrder = append(e.svcOrder, id)
	}
	sort.Slice(e.svcOrder, func(i, j int) bool {
		a, b := e.services[e.svcOrder[i]], e.services[e.svcOrder[j]]
		if a.Position != b.Position {
			return a.Position < b.Position
		}
		return a.ID < b.ID
	})
}

// track adds an active ticket to the in-memory indexes.
func (e *Engine) track(t *Ticket) {
	if t.Tier == "" {
		t.Tier = e.plan.deflt // a ticket from before tiers
	}
	e.changedLocked()
	e.active[t.ID] = t
	e.byToken[t.Token] = t
	if t.Status == StatusWaiting {
		e.queueOf(t.ServiceID).insert(t)
	} else {
		e.deskChangedLocked()
	}
}

func (e *Engine) untrack(t *Ticket) {
	e.changedLocked()
	if t.Status == StatusWaiting {
		e.queueOf(t.ServiceID).remove(t)
	}
	delete(e.active, t.ID)
	delete(e.byToken, t.Token)
}

func (e *Engine) queueOf(serviceID string) *waitQueue {
	q := e.waiting[serviceID]
	if q == nil {
		q = &waitQueue{}
		e.waiting[serviceID] = q
	}
	return q
}

// remember keeps a call for the lobby display.
func (e *Engine) remember(ev Event) {
	e.recent = append(e.recent, ev)
	if len(e.recent) > RecentCallsKept {
		e.recent = e.recent[len(e.recent)-RecentCallsKept:]
	}
}

// commit hands c to the store; the caller holds e.mu and waits on the
// returned channel after unlocking, so concurrent operations share commits.
func (e *Engine) commit(c *Change) <-chan error {
	now := e.nowLocked()
	e.nearTurnLocked(c, now)
	for i := range c.Events {
		e.lastSeq++
		c.Events[i].Seq = e.lastSeq
		if c.Events[i].At.IsZero() {
			c.Events[i].At = now
		}
		if c.Events[i].At.After(e.tk.lastAt) {
			e.tk.lastAt = c.Events[i].At
		}
		if c.Events[i].Type == EventCalled {
			e.remember(c.Events[i])
		}
		e.learnLocked(&c.Events[i])
	}
	run := e.runningLocked()
	c.Time = &TimeMark{Running: run, Accepted: e.tk.accepted}
	e.tk.savedRun = run
	e.changedLocked()
	return e.store.Apply(c)
}

// commitUnlock hands c to the store, releases the engine's lock (held by
// the caller: operations that meet at the store share its commits) and
// waits until c is on disk. what, unless "", names the operation in the
// error.
func (e *Engine) commitUnlock(c *Change, what string) error {
	errc := e.commit(c)
	e.mu.Unlock()
	if err := e.wait(errc); err != nil {
		if what == "" {
			return err
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// nearTurnLocked adds a near_turn event to c for each waiting ticket that
// the change moved up to the near-turn place, once per ticket. A ticket
// issued already that close is marked without an event: its customer reads
// the place on the ticket. Only the queues the change can move forward are
// looked at, and an issue alone costs one place look-up per new ticket.
func (e *Engine) nearTurnLocked(c *Change, now time.Time) {
	limit := e.settings.NearTurnPlace
	if limit <= 0 {
		return
	}
	moved := map[string]bool{} // services whose queue moved forward
	everything := false
	var issued []string
	for _, ev := range c.Events {
		switch ev.Type {
		case EventCalled:
			if !ev.Recall && ev.Ticket != nil {
				moved[ev.Ticket.ServiceID] = true
			}
		case EventCancelled, EventTransferred:
			if ev.Ticket != nil {
				moved[ev.Ticket.ServiceID] = true
				moved[ev.From] = true
			}
		case EventCounter, EventService, EventSettings:
			everything = true
		case EventIssued:
			if ev.Ticket != nil {
				issued = append(issued, ev.Ticket.ID)
			}
		}
	}
	p := e.policy()
	mark := func(t *Ticket, ahead int, tell bool) {
		at := now
		t.NearTurnAt = &at
		c.Tickets = append(c.Tickets, *copyTicket(t))
		if tell {
			c.Events = append(c.Events, Event{Type: EventNearTurn, Ticket: copyTicket(t), Ahead: &ahead})
		}
	}
	for _, id := range issued {
		t := e.active[id]
		if t == nil || t.Status != StatusWaiting || t.NearTurnAt != nil || moved[t.ServiceID] || everything {
			continue // gone already, or its queue is looked at whole below
		}
		if a := p.ahead(e.queueOf(t.ServiceID), t); a < limit {
			mark(t, a, false)
		}
	}
	if !everything && len(moved) == 0 {
		return
	}
	isNew := map[string]bool{}
	for _, id := range issued {
		isNew[id] = true
	}
	ids := make([]string, 0, len(e.waiting))
	for id := range e.waiting {
		if everything || moved[id] {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids) // one order of events for the same state
	for _, id := range ids {
		for place, t := range p.orderOf(e.waiting[id], limit) {
			if t.NearTurnAt == nil {
				mark(t, place, !isNew[t.ID])
			}
		}
	}
}

// wait blocks until a commit is durable. When it failed, memory is ahead of
// the disk, so the engine reloads the durable state before anyone builds on it.
func (e *Engine) wait(errc <-chan error) error {
	err := <-errc
	if err == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.store.Failed() {
		snap, lerr := e.store.Load()
		if lerr != nil {
			e.log.Error("reload after failed commit", "err", lerr)
		} else if lerr = e.load(snap); lerr != nil {
			e.log.Error("reload after failed commit", "err", lerr)
		} else {
			e.store.Reset()
		}
	}
	return fmt.Errorf("%w: %v", ErrStorage, err)
}

func (e *Engine) policy() policy {
	p := policy{now: e.nowLocked(), run: e.runningLocked(), cap: time.Duration(e.settings.MaxWaitMinutes) * time.Minute,
		weights: e.settings.PriorityWeights, rot: e.rot, tiers: e.plan, tally: e.tally, fifo: e.fifo, horizon: e.horizonsLocked()}
	if e.fifo {
		p.weights = nil
		p.tiers.enabled = false // tickets keep their tier; the order ignores it
	}
	return p
}

// IssueRequest asks for a new ticket.
type IssueRequest struct {
	ServiceID string
	Priority  int
	IdemKey   string // optional; scoped by Source
	Source    string // "device:ID" or "user:NAME"
	// CustomerID and Tier come from the customer who identified (by phone
	// or member code); empty for anonymous tickets, which get the default tier.
	CustomerID string
	Tier       string
}

// Issue gives a new ticket for a service, or the ticket an earlier request
// with the same idempotency key got. created is false for such a repeat.
//
// Requests are issued in batches, one batch per commit: while a batch is
// made or on its way to disk, requests that come wait in a queue, and once
// it is durable, the first of its callers to hear so issues everything
// queued, in the next batch. Every new
// ticket is promised its wait by a forward replay of the queue (see
// estimate.go); one replay serves a whole batch. The requests that wait
// would have waited for that commit anyway (theirs is the next), and a lone
// request, with nothing on its way, is issued at once; but one replay per
// ticket, or per few tickets that happen to meet at the lock, would make
// the replay the limit of how many tickets a second the box can issue.
func (e *Engine) Issue(req IssueRequest) (view TicketView, created bool, err error) {
	if req.Priority < PriorityNormal || req.Priority > PriorityMax {
		return view, false, invalid("priority", "must be between %d and %d", PriorityNormal, PriorityMax)
	}
	if len(req.IdemKey) > 200 {
		return view, false, invalid("Idempotency-Key", "must be at most 200 characters")
	}
	// Record what the clock did and close a day that ended on the way.
	if err := e.tick(false); err != nil {
		return view, false, fmt.Errorf("issue ticket: %w", err)
	}
	ic := issueCalls.Get().(*issueCall)
	// Back to the pool once answered: nothing holds an issueCall after
	// its caller's answer (a batch's list of them is read only before
	// any of their callers hears from it).
	defer ic.release()
	ic.req = req
	if req.IdemKey != "" {
		ic.idemKey = req.Source + "\x00" + req.IdemKey
	}
	e.issueMu.Lock()
	e.issueQ = append(e.issueQ, ic)
	lead := !e.issuing
	e.issuing = true
	ic.queued = !lead
	e.issueMu.Unlock()
	if !lead {
		<-ic.taken
	}
	if lead || ic.lead {
		e.issueBatch()
	}

	switch {
	case ic.err != nil:
		return view, false, ic.err
	case ic.pastID != "":
		// A repeat of a request whose ticket is no longer active.
		old, err := e.store.Ticket(ic.pastID)
		if err != nil {
			return view, false, err
		}
		return TicketView{Ticket: old}, false, nil
	case ic.batch == nil:
		// A repeat of an active ticket's request: answered once the
		// first request's ticket is on disk.
		if err := ic.saving.wait(); err != nil {
			return TicketView{}, false, fmt.Errorf("issue ticket: %w", err)
		}
		return ic.view, false, nil
	}
	if err := ic.batch.wait(e); err != nil {
		return TicketView{}, false, fmt.Errorf("issue ticket: %w", err)
	}
	return ic.view, true, nil
}

// issueCalls are the requests to Issue, used again: each is large (its
// ticket's view is in it), and one is made for every ticket issued.
var issueCalls = sync.Pool{New: func() any { return &issueCall{taken: make(chan struct{}, 1)} }}

// release empties ic, keeping its channel, and returns it to the pool.
func (ic *issueCall) release() {
	*ic = issueCall{taken: ic.taken}
	issueCalls.Put(ic)
}

// issueBatch issues what is queued, in one batch. The caller holds
// e.issuing: when the batch goes to disk, whoever first waits for it
// carries on once it is there; when it made no ticket (every request a
// repeat or refused), the first request queued since leads the next batch,
// or the next request to come will.
func (e *Engine) issueBatch() {
	e.mu.Lock()
	taken, b := e.issueQueuedLocked()
	e.mu.Unlock()
	for _, ic := range taken {
		if ic.queued && !ic.lead {
			ic.taken <- struct{}{}
		}
	}
	if b != nil || len(taken) == 0 {
		return
	}
	e.issueMu.Lock()
	var next *issueCall
	if len(e.issueQ) > 0 {
		next = e.issueQ[0]
		next.lead = true
	} else {
		e.issuing = false
	}
	e.issueMu.Unlock()
	if next != nil {
		next.taken <- struct{}{}
	}
}

// issueBatchState is the commit of a batch's new tickets, one change.
type issueBatchState struct {
	errc <-chan error
	made []*issueCall
	once sync.Once
	err  error
	// saving is every new ticket's: one commit saves them all.
	saving saving
}

// wait returns once the batch is on disk, with the commit's error. The
// first of its callers waits for the store, ends each ticket's saving and
// then issues the next batch (the others need not wait for that).
func (b *issueBatchState) wait(e *Engine) error {
	first := false
	b.once.Do(func() {
		first = true
		b.err = e.wait(b.errc)
		e.issueMu.Lock()
		for _, ic := range b.made {
			delete(e.unsaved, ic.t.ID)
		}
		e.issueMu.Unlock()
		b.saving.err = b.err
		close(b.saving.done)
	})
	if first {
		e.issueBatch()
	}
	return b.err
}

// saving is an issued ticket's commit on its way to disk (a batch's).
type saving struct {
	done chan struct{}
	err  error // set before done is closed
}

// wait returns once the commit is done, with its error; a nil saving is a
// ticket already on disk.
func (s *saving) wait() error {
	if s == nil {
		return nil
	}
	<-s.done
	return s.err
}

// savingFor returns the commit still on its way for ticket id, or nil.
func (e *Engine) savingFor(id string) *saving {
	e.issueMu.Lock()
	defer e.issueMu.Unlock()
	return e.unsaved[id]
}

// issueCall is one request to Issue on its way through the queue.
type issueCall struct {
	req     IssueRequest
	idemKey string // scoped by source; "" for none

	// The outcome, set under the engine's lock.
	t      *Ticket
	view   TicketView
	err    error
	pastID string // a repeat of an ended ticket's request: read it from the store
	// batch is the commit of the ticket made (nil for none).
	batch *issueBatchState
	// saving is the commit of the ticket made (or, for a repeat, the first
	// request's commit if not yet on disk).
	saving *saving
	// repeat is the active ticket a repeated request gets back.
	repeat *Ticket

	// taken, for a request that queued behind a batch (queued set),
	// gets one signal once a batch took it, or (lead set first) when it is
	// to lead the next batch. Its room for one signal makes a send never
	// wait, and the channel serves the issueCall's next use.
	taken  chan struct{}
	queued bool
	lead   bool
}

// issueQueuedLocked issues every request queued: numbers and tracks each
// new ticket, then promises them their waits from one replay of the queue
// they joined (every ticket is in it, and the queue does not change between
// their promises), then hands them to the store in one change. It returns
// the requests it took and the batch's commit (nil when it made no ticket).
func (e *Engine) issueQueuedLocked() ([]*issueCall, *issueBatchState) {
	e.issueMu.Lock()
	taken := e.issueQ
	e.issueQ = nil
	if len(taken) == 0 {
		// Nothing waits: the next request issues at once.
		e.issuing = false
	}
	e.issueMu.Unlock()
	// Sized once: most requests make a ticket and use a key.
	c := &Change{Idem: make([]IdemEntry, 0, len(taken))}
	made := make([]*issueCall, 0, len(taken))
	// Made beforehand: a repeat of a request of this very batch waits for
	// its saving.
	b := &issueBatchState{saving: saving{done: make(chan struct{})}}
	for _, ic := range taken {
		if e.issueOneLocked(ic, c, &b.saving) {
			made = append(made, ic)
		}
	}
	if len(made) == 0 {
		b = nil
	} else {
		c.Numbers = lastNumbers(c.Numbers)
		b.made = made
		// Sized once: a ticket is large, and growing the lists by doubling
		// would copy and drop as much as the batch holds.
		c.Tickets, c.Events = make([]Ticket, 0, len(made)), make([]Event, 0, len(made))
		// Every ticket is in the queue already, and promises change
		// nothing the policy depends on: one serves the batch.
		ts := make([]*Ticket, len(made))
		for i, ic := range made {
			ts[i] = ic.t
		}
		// A repeated request is answered its ticket's view: the same
		// replay finds its wait.
		var repeats []*Ticket
		for _, ic := range taken {
			if ic.repeat != nil && ic.repeat.Status == StatusWaiting {
				repeats = append(repeats, ic.repeat)
			}
		}
		views := make([]*TicketView, len(made))
		for i, ic := range made {
			views[i] = &ic.view
		}
		e.promiseAlsoLocked(e.policy(), ts, repeats, views)
		for _, ic := range made {
			// The event's ticket is the change's record of it, not a
			// copy of its own: neither is written to once committed.
			c.Tickets = append(c.Tickets, *ic.t)
			c.Events = append(c.Events, Event{Type: EventIssued, Actor: ic.req.Source, Ticket: &c.Tickets[len(c.Tickets)-1]})
			ic.batch = b
		}
	}
	for _, ic := range taken {
		if ic.repeat != nil {
			ic.view = e.viewLocked(ic.repeat)
		}
	}
	if b != nil {
		b.errc = e.commit(c)
	}
	return taken, b
}

// lastNumbers keeps the last of each prefix's numbers, in order: a batch
// numbers several tickets of a service, and only where it ended is saved.
func lastNumbers(ns []DayNumber) []DayNumber {
	if len(ns) < 2 {
		return ns
	}
	out := ns[:0]
	for i, n := range ns {
		later := false
		for _, m := range ns[i+1:] {
			if m.Prefix == n.Prefix {
				later = true
				break
			}
		}
		if !later {
			out = append(out, n)
		}
	}
	return out
}

// issueOneLocked checks one request and, when it makes a ticket, numbers
// and tracks it, recording them in c (its promise and commit follow, see
// issueQueuedLocked), with sv, the batch's, as its saving. It reports
// whether it made one.
func (e *Engine) issueOneLocked(ic *issueCall, c *Change, sv *saving) bool {
	req := ic.req
	now, run := e.nowLocked(), e.runningLocked()
	if ic.idemKey != "" {
		if it, ok := e.idem[ic.idemKey]; ok && run-it.Run < IdemTTL {
			if t, found := e.active[it.TicketID]; found {
				// Its view is made once the batch is promised: the
				// ticket may be of this very batch.
				ic.repeat = t
				ic.saving = e.savingFor(t.ID)
			} else {
				ic.pastID = it.TicketID
			}
			return false
		}
	}
	if !e.trustedLocked() {
		ic.err = ErrClockUntrusted
		return false
	}
	svc, ok := e.services[req.ServiceID]
	if !ok {
		ic.err = ErrServiceNotFound
		return false
	}
	if !e.cal.open(now) {
		ic.err = ErrClosed
		return false
	}
	if e.issuingStoppedLocked() {
		ic.err = ErrIssuingStopped
		return false
	}
	tier := req.Tier
	if tier == "" {
		tier = e.plan.deflt
	} else if _, ok := e.plan.byID[tier]; !ok {
		ic.err = invalid("tier", "%q is not a tier of this branch", tier)
		return false
	}
	priority := req.Priority
	if priority == PriorityNormal {
		// A service for, say, seniors gives its tickets their level.
		priority = svc.Priority
	}
	t := e.newTicketLocked(c, svc, priority, req.Source, now)
	t.CustomerID, t.Tier = req.CustomerID, tier
	e.track(t)
	if ic.idemKey != "" {
		it := IdemEntry{Key: ic.idemKey, TicketID: t.ID, At: now, Run: run}
		e.idem[ic.idemKey] = it
		if len(e.idemFIFO) == cap(e.idemFIFO) {
			// Doubled when full: append grows a long list by a quarter,
			// and a day's keys only grow, so the list was copied (and
			// its old array dropped) four times as often.
			e.idemFIFO = append(make([]IdemEntry, 0, max(2*len(e.idemFIFO), 64)), e.idemFIFO...)
		}
		e.idemFIFO = append(e.idemFIFO, it)
		c.Idem = append(c.Idem, it)
		c.DeleteIdem = append(c.DeleteIdem, e.expireIdemLocked(run)...)
	}
	ic.t = t
	ic.saving = sv
	e.issueMu.Lock()
	if e.unsaved == nil {
		e.unsaved = map[string]*saving{}
	}
	e.unsaved[t.ID] = ic.saving
	e.issueMu.Unlock()
	return true
}

// newTicketLocked numbers a new waiting ticket of svc and records the
// numbering in c.
func (e *Engine) newTicketLocked(c *Change, svc *Service, priority int, source string, now time.Time) *Ticket {
	date := e.cal.businessDate(now)
	num := e.numbers[svc.Prefix]
	if num.Date < date {
		// A new business day: numbering restarts. No cron needed, and the
		// reset commits together with the first ticket of the day. Only
		// ever forward: branch time never goes back to an earlier date,
		// and if it did, the newer date's numbers would carry on rather
		// than start again.
		num = DayNumber{Prefix: svc.Prefix, Date: date}
	} else {
		date = num.Date
	}
	num.Last++
	e.numbers[svc.Prefix] = num
	c.Numbers = append(c.Numbers, num)
	e.lastID++
	id, number, token := ticketStrings(e.lastID, svc.Prefix, num.Last)
	return &Ticket{
		ID:        id,
		Number:    number,
		ServiceID: svc.ID,
		Status:    StatusWaiting,
		Priority:  priority,
		Token:     token,
		Date:      date,
		IssuedAt:  now,
		IssuedRun: e.runningLocked(),
		Source:    source,
	}
}

// ticketStrings makes a new ticket's id, its number (see
// appendTicketNumber) and its token (16 random bytes in unpadded URL-safe
// base64) in one string: a ticket issued allocates one where it allocated
// three, and the collector marks one object per waiting ticket for them.
func ticketStrings(id uint64, prefix string, n int) (idS, number, token string) {
	var buf [96]byte
	b := strconv.AppendUint(buf[:0], id, 10)
	i := len(b)
	b = appendTicketNumber(b, prefix, n)
	j := len(b)
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	s := string(base64.RawURLEncoding.AppendEncode(b, raw[:]))
	return s[:i], s[i:j], s[j:]
}

// appendTicketNumber appends prefix and n with at least three digits
// ("A007"), as fmt's "%s%03d" writes it, without fmt: one is made per
// ticket issued.
func appendTicketNumber(b []byte, prefix string, n int) []byte {
	b = append(b, prefix...)
	if n < 0 {
		b, n = append(b, '-'), -n
		if n < 10 {
			b = append(b, '0') // "-05": the sign counts as a digit's place
		}
	} else if n < 100 {
		b = append(b, '0')
		if n < 10 {
			b = append(b, '0')
		}
	}
	return strconv.AppendInt(b, int64(n), 10)
}

// expireIdemLocked forgets keys older than IdemTTL of running time, oldest
// first, and returns every entry that expired for the store to delete: also
// one whose key a later request reused (the store keeps each use apart).
func (e *Engine) expireIdemLocked(run time.Duration) []IdemEntry {
	var gone []IdemEntry
	for len(e.idemFIFO) > 0 && run-e.idemFIFO[0].Run >= IdemTTL {
		it := e.idemFIFO[0]
		e.idemFIFO = e.idemFIFO[1:]
		if cur, ok := e.idem[it.Key]; ok && cur.Run == it.Run && cur.TicketID == it.TicketID {
			delete(e.idem, it.Key)
		}
		gone = append(gone, it)
	}
	return gone
}

func copyTicket(t *Ticket) *Ticket {
	c := *t
	c.Transfers = append([]string(nil), t.Transfers...)
	return &c
}

// Next calls the ticket the routing policy picks for a counter. ok is false
// when nothing the counter serves is waiting. A ticket the counter still had
// called or in service is finished first: pressing Next means "done, next".
func (e *Engine) Next(counterID, actor string) (view TicketView, ok bool, err error) {
	// A day that ended is closed first: nothing from yesterday is called today.
	if err := e.tick(false); err != nil {
		return view, false, fmt.Errorf("call next: %w", err)
	}
	e.mu.Lock()
	ctr, found := e.counters[counterID]
	if !found {
		e.mu.Unlock()
		return view, false, ErrCounterNotFound
	}
	if ctr.Paused {
		e.mu.Unlock()
		return view, false, ErrCounterPaused
	}
	queues := make([]*waitQueue, 0, len(ctr.ServiceIDs))
	for _, id := range ctr.ServiceIDs {
		if q := e.waiting[id]; q != nil {
			queues = append(queues, q)
		}
	}
	p := e.policy()
	p.counter = ctr.ID
	d := e.decide(p, ctr, queues, e.planInputs(ctr, p.now))
	t, rot := d.t, d.rot
	if t == nil {
		e.mu.Unlock()
		return view, false, nil
	}
	c := &Change{}
	if p.rotating() {
		e.rot = rot
		c.Rotation = &rot
	}
	why := d.why
	if why.Code == "" {
		why = p.reason(t, e.cal.loc)
	}
	e.callLocked(c, t, ctr, why, actor, p.now)
	view = e.viewLocked(t)
	if err := e.commitUnlock(c, "call next"); err != nil {
		return TicketView{}, false, err
	}
	return view, true, nil
}

// callLocked calls t to ctr: the counter's previous ticket is finished
// first (pressing Next means "done, next").
func (e *Engine) callLocked(c *Change, t *Ticket, ctr *Counter, reason Reason, actor string, now time.Time) {
	for _, cur := range e.atCounterLocked(ctr.ID) {
		e.endLocked(c, cur, StatusDone, EventFinished, actor, now)
	}
	if t.Status == StatusWaiting {
		e.queueOf(t.ServiceID).remove(t)
		e.countCallLocked(t, now)
		e.releaseHoldsLocked(c, t.ServiceID)
	}
	t.Status = StatusCalled
	t.CalledAt = &now
	t.StartedAt, t.ParkedAt = nil, nil
	t.CounterID = ctr.ID
	e.deskTookLocked(ctr.ID, t)
	reason.set(t)
	c.Tickets = append(c.Tickets, *t)
	c.Events = append(c.Events, Event{Type: EventCalled, Actor: actor, Ticket: copyTicket(t), Counter: copyCounter(ctr)})
}

func copyCounter(c *Counter) *Counter {
	cc := *c
	// Never nil: the API promises a list, even an empty one.
	cc.ServiceIDs = append(make([]string, 0, len(c.ServiceIDs)), c.ServiceIDs...)
	cc.Names = copyNames(c.Names)
	return &cc
}

// endLocked moves t to a final state and records it in c.
func (e *Engine) endLocked(c *Change, t *Ticket, st Status, evType, actor string, now time.Time) {
	e.untrack(t)
	t.Status = st
	t.EndedAt = &now
	c.Tickets = append(c.Tickets, *t)
	c.Events = append(c.Events, Event{Type: evType, Actor: actor, Ticket: copyTicket(t), Counter: e.counterCopy(t.CounterID)})
}

func (e *Engine) counterCopy(id string) *Counter {
	if c, ok := e.counters[id]; ok {
		return copyCounter(c)
	}
	return nil
}

// transition applies one state-machine step to an active ticket.
func (e *Engine) transition(id, actor string, step func(t *Ticket, c *Change, now time.Time) error) (TicketView, error) {
	e.mu.Lock()
	t, ok := e.active[id]
	if !ok {
		e.mu.Unlock()
		// A finished ticket exists on disk: its transitions are illegal, not unknown.
		old, err := e.store.Ticket(id)
		if err != nil {
			return TicketView{}, err
		}
		if err := illegalFrom(old.Status, step); err != nil {
			return TicketView{}, err
		}
		// A step every state allows (notes) still cannot change history.
		return TicketView{}, ErrTicketClosed
	}
	c := &Change{}
	if err := step(t, c, e.nowLocked()); err != nil {
		e.mu.Unlock()
		return TicketView{}, err
	}
	e.changedLocked()
	view := e.viewLocked(t)
	if err := e.commitUnlock(c, ""); err != nil {
		return TicketView{}, err
	}
	return view, nil
}

// illegalFrom runs step on a copy of a finished ticket to get the error the
// state machine gives for it.
func illegalFrom(st Status, step func(t *Ticket, c *Change, now time.Time) error) error {
	t := &Ticket{Status: st}
	return step(t, &Change{}, time.Time{})
}

// Recall calls a called ticket again (the display announces it again).
func (e *Engine) Recall(id, actor string) (TicketView, error) {
	return e.transition(id, actor, func(t *Ticket, c *Change, now time.Time) error {
		if t.Status != StatusCalled {
			return ErrNotCalled
		}
		t.Recalls++
		c.Tickets = append(c.Tickets, *t)
		c.Events = append(c.Events, Event{Type: EventCalled, Actor: actor, Recall: true, Ticket: copyTicket(t), Counter: e.counterCopy(t.CounterID)})
		return nil
	})
}

// Start marks that the customer arrived at the counter.
func (e *Engine) Start(id, actor string) (TicketView, error) {
	return e.transition(id, actor, func(t *Ticket, c *Change, now time.Time) error {
		if t.Status != StatusCalled {
			return ErrNotCalled
		}
		t.Status = StatusServing
		t.StartedAt = &now
		c.Tickets = append(c.Tickets, *t)
		c.Events = append(c.Events, Event{Type: EventStarted, Actor: actor, Ticket: copyTicket(t), Counter: e.counterCopy(t.CounterID)})
		return nil
	})
}

// Finish ends a service.
func (e *Engine) Finish(id, actor string) (TicketView, error) {
	return e.FinishWith(id, actor, "", nil)
}

// FinishWith ends a service recording its outcome code (one of the
// service's codes) and, if notes is not nil, the staff's notes.
func (e *Engine) FinishWith(id, actor, outcome string, notes *string) (TicketView, error) {
	if notes != nil && len(*notes) > 2000 {
		return TicketView{}, invalid("notes", "must be at most 2000 characters")
	}
	return e.transition(id, actor, func(t *Ticket, c *Change, now time.Time) error {
		if t.Status != StatusServing {
			return ErrNotServing
		}
		if outcome != "" {
			svc, ok := e.services[t.ServiceID]
			if !ok || !contains(svc.OutcomeCodes, outcome) {
				return invalid("outcome", "%q is not an outcome code of this service", outcome)
			}
			t.Outcome = outcome
		}
		if notes != nil {
			t.Notes = *notes
		}
		e.endLocked(c, t, StatusDone, EventFinished, actor, now)
		return nil
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// SetNotes keeps the staff's notes on an active ticket.
func (e *Engine) SetNotes(id, notes, actor string) (TicketView, error) {
	if len(notes) > 2000 {
		return TicketView{}, invalid("notes", "must be at most 2000 characters")
	}
	return e.transition(id, actor, func(t *Ticket, c *Change, now time.Time) error {
		t.Notes = notes
		c.Tickets = append(c.Tickets, *t)
		c.Events = append(c.Events, Event{Type: EventNoted, Actor: actor, Ticket: copyTicket(t)})
		return nil
	})
}

// Park puts a called or serving ticket aside (the customer must fetch a
// document, say); staff call it back later by number.
func (e *Engine) Park(id, actor string) (TicketView, error) {
	return e.transition(id, actor, func(t *Ticket, c *Change, now time.Time) error {
		if t.Status != StatusCalled && t.Status != StatusServing {
			return ErrNotParkable
		}
		ctr := e.counterCopy(t.CounterID)
		t.Status = StatusParked
		t.ParkedAt = &now
		c.Tickets = append(c.Tickets, *t)
		c.Events = append(c.Events, Event{Type: EventParked, Actor: actor, Ticket: copyTicket(t), Counter: ctr})
		return nil
	})
}

// CallByNumber calls one waiting or parked ticket to a counter out of the
// policy's order. The reason staff give is recorded with their name.
func (e *Engine) CallByNumber(counterID, id, actor, reason string) (TicketView, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 200 {
		return TicketView{}, invalid("reason", "is required (at most 200 characters): say why this ticket goes first")
	}
	// Yesterday's tickets are closed first, so none is called today.
	if err := e.tick(false); err != nil {
		return TicketView{}, fmt.Errorf("call by number: %w", err)
	}
	e.mu.Lock()
	ctr, ok := e.counters[counterID]
	if !ok {
		e.mu.Unlock()
		return TicketView{}, ErrCounterNotFound
	}
	t, ok := e.active[id]
	if !ok || (t.Status != StatusWaiting && t.Status != StatusParked) {
		e.mu.Unlock()
		if !ok {
			if _, err := e.store.Ticket(id); err != nil {
				return TicketView{}, err
			}
		}
		return TicketView{}, ErrNotCallable
	}
	c := &Change{}
	who := strings.TrimPrefix(actor, "user:")
	e.callLocked(c, t, ctr, Reason{ReasonByNumber, ReasonArgs{By: who, Text: reason}}, actor, e.nowLocked())
	view := e.viewLocked(t)
	if err := e.commitUnlock(c, "call by number"); err != nil {
		return TicketView{}, err
	}
	return view, nil
}

// FindNumber finds an active ticket by its number, today's first.
func (e *Engine) FindNumber(number string) (TicketView, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	number = strings.ToUpper(strings.TrimSpace(number))
	var best *Ticket
	for _, t := range e.active {
		if t.Number == number && (best == nil || ticketSeq(t) > ticketSeq(best)) {
			best = t
		}
	}
	if best == nil {
		return TicketView{}, ErrTicketNotFound
	}
	return e.viewLocked(best), nil
}

// NoShow records that a called customer did not come.
func (e *Engine) NoShow(id, actor string) (TicketView, error) {
	return e.transition(id, actor, func(t *Ticket, c *Change, now time.Time) error {
		if t.Status != StatusCalled {
			return ErrNotCalled
		}
		e.endLocked(c, t, StatusNoShow, EventNoShow, actor, now)
		return nil
	})
}

// Cancel withdraws a waiting or called ticket.
func (e *Engine) Cancel(id, actor string) (TicketView, error) {
	return e.transition(id, actor, func(t *Ticket, c *Change, now time.Time) error {
		if t.Status != StatusWaiting && t.Status != StatusCalled && t.Status != StatusParked {
			return ErrNotCancellable
		}
		e.endLocked(c, t, StatusCancelled, EventCancelled, actor, now)
		return nil
	})
}

// Transfer moves a ticket to another service. It waits there with its
// original issue time and priority, so it does not start again at the back.
func (e *Engine) Transfer(id, serviceID, actor string) (TicketView, error) {
	return e.transition(id, actor, func(t *Ticket, c *Change, now time.Time) error {
		if !t.Status.Active() {
			return ErrNotTransferable
		}
		if _, ok := e.services[serviceID]; !ok {
			return ErrServiceNotFound
		}
		if t.ServiceID == serviceID && t.Status == StatusWaiting {
			return ErrSameService
		}
		from := t.ServiceID
		if t.Status == StatusWaiting {
			e.queueOf(from).remove(t)
		}
		t.Transfers = append(t.Transfers, from)
		t.ServiceID = serviceID
		t.NearTurnAt = nil // a new queue: its own near-turn moment
		t.Status = StatusWaiting
		t.CalledAt, t.StartedAt = nil, nil
		t.CounterID = ""
		clearCallReason(t)
		e.queueOf(serviceID).insert(t)
		c.Tickets = append(c.Tickets, *t)
		c.Events = append(c.Events, Event{Type: EventTransferred, Actor: actor, Ticket: copyTicket(t), From: from})
		return nil
	})
}

// CancelByToken lets a customer give up a waiting ticket from the phone.
func (e *Engine) CancelByToken(token string) (StatusView, error) {
	e.mu.RLock()
	t, ok := e.byToken[token]
	var id string
	if ok {
		id = t.ID
	}
	e.mu.RUnlock()
	if !ok {
		old, err := e.store.TicketByToken(token)
		if err != nil {
			return StatusView{}, err
		}
		return StatusView{}, illegalFrom(old.Status, func(t *Ticket, _ *Change, _ time.Time) error { return ErrNotWaiting })
	}
	_, err := e.transition(id, "customer", func(t *Ticket, c *Change, now time.Time) error {
		if t.Status != StatusWaiting {
			return ErrNotWaiting
		}
		e.endLocked(c, t, StatusCancelled, EventCancelled, "customer", now)
		return nil
	})
	if err != nil {
		return StatusView{}, err
	}
	return e.Status(token)
}

// RevertNoShow puts a ticket marked no-show back in the queue, in the place
// its issue gave it: the customer came after all. Only today's tickets:
// nothing from an earlier business day is called.
func (e *Engine) RevertNoShow(id, actor string) (TicketView, error) {
	old, err := e.store.Ticket(id)
	if err != nil {
		return TicketView{}, err
	}
	e.mu.Lock()
	if _, ok := e.active[id]; ok || old.Status != StatusNoShow {
		e.mu.Unlock()
		return TicketView{}, ErrNotNoShow
	}
	now := e.nowLocked()
	if old.Date < e.cal.businessDate(now) {
		e.mu.Unlock()
		return TicketView{}, ErrTicketClosed
	}
	if _, ok := e.services[old.ServiceID]; !ok {
		e.mu.Unlock()
		return TicketView{}, ErrServiceNotFound
	}
	t := &old
	t.Status = StatusWaiting
	t.CalledAt, t.StartedAt, t.EndedAt, t.ParkedAt = nil, nil, nil, nil
	t.CounterID = ""
	clearCallReason(t)
	e.track(t)
	c := &Change{}
	c.Tickets = append(c.Tickets, *t)
	c.Events = append(c.Events, Event{Type: EventNoShowReverted, Actor: actor, Ticket: copyTicket(t)})
	view := e.viewLocked(t)
	if err := e.commitUnlock(c, "revert no-show"); err != nil {
		return TicketView{}, err
	}
	return view, nil
}
