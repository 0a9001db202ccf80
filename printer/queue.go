package printer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// State is the printer's condition as last seen.
type State string

// Printer states, as shown by GET /api/v1/printer.
const (
	StateOK        State = "ok"
	StateOffline   State = "offline"
	StatePaperOut  State = "paper_out"
	StateCoverOpen State = "cover_open"
	StateUnknown   State = "unknown" // reachable, but it does not report status
	StateDisabled  State = "disabled"
)

// Status is the printer as staff see it.
type Status struct {
	State     State  `json:"state"`
	Queued    int    `json:"queued"` // jobs waiting, including the one being sent
	LastError string `json:"last_error"`
	NearEnd   bool   `json:"near_end,omitempty"` // paper roll nearly used up
}

// Outcome is what became of one print job.
type Outcome string

// Job outcomes. The empty Outcome means the queue does not know the job.
const (
	OutcomeQueued   Outcome = "queued"
	OutcomePrinting Outcome = "printing"
	OutcomePrinted  Outcome = "printed"
	OutcomeFailed   Outcome = "failed"
	OutcomeExpired  Outcome = "expired"
	OutcomeDisabled Outcome = "disabled"
)

func (o Outcome) final() bool {
	return o == OutcomePrinted || o == OutcomeFailed || o == OutcomeExpired
}

// QueueOptions tune a [Queue]. Zero fields take the defaults shown.
type QueueOptions struct {
	Encode Options // how tickets are laid out

	// JobTTL is how long a job may wait for the printer. A ticket that
	// comes out minutes after the customer walked away only confuses the
	// next one, so older jobs are dropped, never printed late. 3 minutes.
	JobTTL time.Duration

	DialTimeout   time.Duration // connecting; 3 s
	StatusTimeout time.Duration // waiting for a DLE EOT answer; 1 s
	WriteTimeout  time.Duration // sending one job; 10 s

	// Retries after a failed attempt wait BackoffMin, doubling up to
	// BackoffMax. 1 s and 10 s: short enough that a refilled printer
	// catches up while the customer still stands there.
	BackoffMin, BackoffMax time.Duration

	// ProbeInterval is how often an idle queue asks the printer for its
	// status, so staff see "paper out" before the next customer does. 30 s.
	ProbeInterval time.Duration

	// KeepOutcomes bounds how many jobs' outcomes are remembered. 1000.
	KeepOutcomes int

	Logger *slog.Logger // slog.Default() when nil

	// OnChange, when set, is called from the Run goroutine each time Status
	// changes. It must not block.
	OnChange func(Status)
}

func (o QueueOptions) withDefaults() QueueOptions {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.JobTTL, 3*time.Minute)
	def(&o.DialTimeout, 3*time.Second)
	def(&o.StatusTimeout, time.Second)
	def(&o.WriteTimeout, 10*time.Second)
	def(&o.BackoffMin, time.Second)
	def(&o.BackoffMax, 10*time.Second)
	def(&o.ProbeInterval, 30*time.Second)
	o.BackoffMax = max(o.BackoffMax, o.BackoffMin)
	if o.KeepOutcomes <= 0 {
		o.KeepOutcomes = 1000
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// silentGrace is how long a printer that has answered a status request is
// expected to keep answering. Within it, silence means the printer is hung
// or jammed, and jobs wait rather than vanish into its buffer; after it, we
// assume a model without status support was put in its place and print
// blind again.
const silentGrace = 10 * time.Minute

type job struct {
	id      string
	ticket  Ticket
	at      time.Time // when submitted, for JobTTL
	outcome Outcome
}

// Queue prints tickets one at a time on one printer. Submit, Outcome and
// Status may be called from any goroutine; Run owns the printer.
type Queue struct {
	tr   Transport // nil when printing is disabled
	o    QueueOptions
	log  *slog.Logger
	wake chan struct{}

	mu         sync.Mutex
	jobs       map[string]*job // remembered jobs, including finished ones
	order      []string        // job ids, oldest first, for forgetting
	pending    []*job          // waiting jobs, oldest first
	inFlight   *job
	status     Status
	lastAnswer time.Time // when the printer last answered a status request

	last Status // last status passed to OnChange; Run goroutine only
}

// NewQueue makes a queue for the printer at url (see [ParseURL]). With the
// URL "none" the queue is disabled: it accepts nothing and reports
// StateDisabled.
func NewQueue(url string, o QueueOptions) (*Queue, error) {
	o = o.withDefaults()
	var err error
	if o.Encode, err = o.Encode.withDefaults(); err != nil {
		return nil, fmt.Errorf("printer queue: %w", err)
	}
	if _, err := NewEncoder(o.Encode.Width); err != nil {
		return nil, fmt.Errorf("printer queue: %w", err)
	}
	tr, err := NewTransport(url)
	if err != nil && !errors.Is(err, ErrDisabled) {
		return nil, err
	}
	q := &Queue{
		tr:     tr,
		o:      o,
		log:    o.Logger,
		wake:   make(chan struct{}, 1),
		jobs:   make(map[string]*job),
		status: Status{State: StateUnknown},
	}
	if tr == nil {
		q.status.State = StateDisabled
	}
	return q, nil
}

// Disabled reports whether the queue has no printer: Submit would answer
// OutcomeDisabled whatever the ticket, so a caller need not make one.
func (q *Queue) Disabled() bool { return q.tr == nil }

// Submit queues a ticket for printing and returns at once. A jobID that is
// already queued, printing or printed is not printed again; its outcome is
// returned instead. A failed or expired job may be submitted again.
func (q *Queue) Submit(jobID string, t Ticket) Outcome {
	if q.tr == nil {
		return OutcomeDisabled
	}
	now := time.Now()
	q.mu.Lock()
	q.expireLocked(now)
	j, ok := q.jobs[jobID]
	switch {
	case ok && !(j.outcome == OutcomeFailed || j.outcome == OutcomeExpired):
		out := j.outcome
		q.mu.Unlock()
		return out
	case len(q.pending) >= q.o.KeepOutcomes:
		q.mu.Unlock()
		q.log.Warn("print queue full, job dropped", "job", jobID, "queued", len(q.pending))
		return OutcomeFailed
	case ok:
		j.ticket, j.at, j.outcome = t, now, OutcomeQueued
	default:
		j = &job{id: jobID, ticket: t, at: now, outcome: OutcomeQueued}
		q.jobs[jobID] = j
		q.order = append(q.order, jobID)
		q.forgetLocked()
	}
	q.pending = append(q.pending, j)
	q.mu.Unlock()

	select {
	case q.wake <- struct{}{}:
	default:
	}
	return OutcomeQueued
}

// Outcome reports what became of a job, or "" for a job the queue never saw
// or has forgotten.
func (q *Queue) Outcome(jobID string) Outcome {
	if q.tr == nil {
		return OutcomeDisabled
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.expireLocked(time.Now())
	if j, ok := q.jobs[jobID]; ok {
		return j.outcome
	}
	return ""
}

// Status reports the printer's last known state and the jobs waiting.
func (q *Queue) Status() Status {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.tr != nil {
		q.expireLocked(time.Now())
	}
	s := q.status
	s.Queued = len(q.pending)
	if q.inFlight != nil {
		s.Queued++
	}
	return s
}

// expireLocked drops jobs that waited longer than JobTTL.
func (q *Queue) expireLocked(now time.Time) {
	kept := q.pending[:0]
	for _, j := range q.pending {
		if now.Sub(j.at) > q.o.JobTTL {
			j.outcome = OutcomeExpired
			q.log.Warn("print job expired", "job", j.id, "number", j.ticket.Number, "waited", now.Sub(j.at).Round(time.Second))
			continue
		}
		kept = append(kept, j)
	}
	clear(q.pending[len(kept):])
	q.pending = kept
}

// forgetLocked drops the oldest finished jobs beyond KeepOutcomes. Jobs not
// yet finished are kept whatever their age, or a retry could print twice.
func (q *Queue) forgetLocked() {
	excess := len(q.jobs) - q.o.KeepOutcomes
	if excess <= 0 {
		return
	}
	kept := q.order[:0]
	for _, id := range q.order {
		if excess > 0 && q.jobs[id].outcome.final() {
			delete(q.jobs, id)
			excess--
			continue
		}
		kept = append(kept, id)
	}
	clear(q.order[len(kept):])
	q.order = kept
}

// Run sends queued jobs to the printer until ctx ends. Call it once, from
// the goroutine that owns the queue: being the only one that talks to the
// printer is what keeps two tickets from interleaving on paper. Jobs still
// queued when it returns are not printed.
func (q *Queue) Run(ctx context.Context) {
	if q.tr == nil {
		q.notify()
		<-ctx.Done()
		return
	}
	var backoff time.Duration
	probeAt := time.Now() // learn the state at start, before the first customer
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	// sleep waits d, or less when woken; false means ctx ended.
	sleep := func(d time.Duration, wake <-chan struct{}) bool {
		timer.Reset(d)
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
		case <-wake:
		}
		return true
	}

	for {
		q.notify()
		if ctx.Err() != nil {
			return
		}
		j := q.next()
		if j == nil {
			if d := time.Until(probeAt); d > 0 {
				if !sleep(d, q.wake) {
					return
				}
				continue
			}
			q.record(send(ctx, q.tr, nil, q.timeouts(), q.holdIfSilent()), nil)
			probeAt = time.Now().Add(q.o.ProbeInterval)
			continue
		}

		retry := q.print(ctx, j)
		probeAt = time.Now().Add(q.o.ProbeInterval)
		if !retry {
			backoff = 0
			continue
		}
		backoff = min(max(2*backoff, q.o.BackoffMin), q.o.BackoffMax)
		q.notify()
		if !sleep(backoff, nil) {
			return
		}
	}
}

// next takes the oldest waiting job, if any.
func (q *Queue) next() *job {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.expireLocked(time.Now())
	if len(q.pending) == 0 {
		return nil
	}
	j := q.pending[0]
	q.pending[0] = nil
	q.pending = q.pending[1:]
	j.outcome = OutcomePrinting
	q.inFlight = j
	return j
}

// print makes one attempt at j and reports whether it should be tried again.
func (q *Queue) print(ctx context.Context, j *job) (retry bool) {
	data, err := Encode(j.ticket, q.o.Encode)
	if err != nil {
		q.log.Error("print job cannot be encoded", "job", j.id, "err", err)
		q.record(attempt{health: q.Status().health(), err: err}, j)
		return false
	}
	a := send(ctx, q.tr, data, q.timeouts(), q.holdIfSilent())
	q.record(a, j)
	switch {
	case a.err == nil:
		q.log.Debug("print job printed", "job", j.id, "number", j.ticket.Number)
	case !a.retry:
		q.log.Warn("print job failed", "job", j.id, "number", j.ticket.Number, "err", a.err)
	}
	return a.err != nil && a.retry
}

// record stores what an attempt learned and, when j is set, settles j.
func (q *Queue) record(a attempt, j *job) {
	now := time.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	if a.answered {
		q.lastAnswer = now
	}
	q.status.State, q.status.NearEnd = a.health.State, a.health.NearEnd
	if a.err != nil {
		q.status.LastError = a.err.Error()
	} else if a.health.State == StateOK || a.health.State == StateUnknown {
		q.status.LastError = ""
	}
	if j == nil {
		return
	}
	q.inFlight = nil
	switch {
	case a.err == nil:
		j.outcome = OutcomePrinted
	case !a.retry:
		j.outcome = OutcomeFailed
	case now.Sub(j.at) > q.o.JobTTL:
		j.outcome = OutcomeExpired
		q.log.Warn("print job expired", "job", j.id, "number", j.ticket.Number)
	default:
		// Back to the head of the line: tickets come out in issue order.
		j.outcome = OutcomeQueued
		q.pending = append([]*job{j}, q.pending...)
	}
}

func (s Status) health() Health { return Health{State: s.State, NearEnd: s.NearEnd} }

// holdIfSilent tells whether a printer that does not answer a status request
// should be treated as offline (it used to answer) rather than printed to
// blind (it never has).
func (q *Queue) holdIfSilent() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return !q.lastAnswer.IsZero() && time.Since(q.lastAnswer) < silentGrace
}

func (q *Queue) timeouts() timeouts {
	return timeouts{dial: q.o.DialTimeout, status: q.o.StatusTimeout, write: q.o.WriteTimeout}
}

// notify passes a changed status to OnChange and logs state changes.
func (q *Queue) notify() {
	s := q.Status()
	if s == q.last {
		return
	}
	if s.State != q.last.State {
		lvl := slog.LevelInfo
		if s.State != StateOK && s.State != StateUnknown && s.State != StateDisabled {
			lvl = slog.LevelWarn
		}
		q.log.Log(context.Background(), lvl, "printer state changed", "printer", q.printerName(), "state", s.State, "err", s.LastError)
	}
	q.last = s
	if q.o.OnChange != nil {
		q.o.OnChange(s)
	}
}

func (q *Queue) printerName() string {
	if q.tr == nil {
		return "none"
	}
	return q.tr.String()
}

type timeouts struct {
	dial, status, write time.Duration
}

// attempt is what one visit to the printer learned.
type attempt struct {
	health   Health
	answered bool  // the printer answered the status request
	retry    bool  // nothing can have printed, so the job may be sent again
	err      error // nil when the job (or the probe) went through
}

// send takes one job to the printer, or only asks for its status when job is
// nil. It checks the status first so that a printer without paper is not
// handed a ticket it would print half of, or hold and print much later.
func send(ctx context.Context, tr Transport, job []byte, to timeouts, holdIfSilent bool) attempt {
	dctx, cancel := context.WithTimeout(ctx, to.dial)
	c, err := tr.Open(dctx)
	cancel()
	if err != nil {
		return attempt{health: Health{State: StateOffline}, retry: true, err: err}
	}
	defer c.Close()
	// Shutting down must not wait for a hung printer's write deadline.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	h, err := c.Status(time.Now().Add(to.status))
	answered := err == nil
	switch {
	case errors.Is(err, ErrNoStatus) && holdIfSilent:
		return attempt{health: Health{State: StateOffline}, retry: true,
			err: fmt.Errorf("%s: connected but no answer to status request; the printer may be hung", tr)}
	case errors.Is(err, ErrNoStatus):
		h = Health{State: StateUnknown}
	case err != nil:
		return attempt{health: Health{State: StateOffline}, retry: true, err: err}
	case h.State != StateOK:
		return attempt{health: h, answered: true, retry: true, err: fmt.Errorf("%s: %s", tr, describe(h.State))}
	}
	if job == nil {
		return attempt{health: h, answered: answered}
	}
	mayHavePrinted, err := c.Write(job, time.Now().Add(to.write))
	if err != nil {
		return attempt{health: Health{State: StateOffline}, answered: answered, retry: !mayHavePrinted, err: err}
	}
	return attempt{health: h, answered: answered}
}

func describe(s State) string {
	switch s {
	case StatePaperOut:
		return "paper out"
	case StateCoverOpen:
		return "cover open"
	case StateOffline:
		return "printer offline"
	}
	return string(s)
}

// Print sends one job to the printer at rawURL right away, without a queue,
// for test prints and diagnostics. It does not send to a printer that
// reports a problem, and returns what the printer said about itself.
func Print(ctx context.Context, rawURL string, job []byte) (Health, error) {
	tr, err := NewTransport(rawURL)
	if errors.Is(err, ErrDisabled) {
		return Health{State: StateDisabled}, err
	}
	if err != nil {
		return Health{}, err
	}
	o := QueueOptions{}.withDefaults()
	a := send(ctx, tr, job, timeouts{dial: o.DialTimeout, status: o.StatusTimeout, write: o.WriteTimeout}, false)
	return a.health, a.err
}
