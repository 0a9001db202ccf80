// Package bus hands the branch's committed events, in seq order, to every
// subscriber: the live push, the webhook senders, the metrics and the
// reports' projections. The store's commit loop publishes each commit's
// events; each subscriber runs on a goroutine of its own behind a bounded
// queue, so a slow subscriber never slows a commit.
//
// What a subscriber that falls more than its queue behind gets depends on its
// lag policy:
//
//   - CatchUp (the default): nothing is lost. The queued events are dropped
//     and the subscriber's goroutine reads the ones it missed back from the
//     durable event log, then carries on with live events. Webhooks, metrics
//     and projections use it.
//   - Resync: the queued events are dropped and the subscriber's OnGap is
//     called before the next event it gets; it must rebuild its state from
//     scratch (the live hub sends every client a fresh snapshot).
//
// Either way events reach a subscriber in seq order, and none twice.
package bus

import (
	"fmt"
	"log/slog"
	"sync"

	"queuebox/server/queue"
)

// Log reads committed events back; the store implements it.
type Log interface {
	// Events returns up to limit events with seq > since, oldest first.
	Events(since uint64, limit int) ([]queue.Event, error)
}

// Policy is what happens to a subscriber that falls behind by more than its queue.
type Policy int

const (
	// CatchUp reads what the subscriber missed from the event log: lossless.
	CatchUp Policy = iota
	// Resync drops what the subscriber missed and calls its OnGap.
	Resync
)

// DefaultQueue is how many events may wait for one subscriber.
const DefaultQueue = 4096

// catchUpPage is how many events a catching-up subscriber reads at a time.
const catchUpPage = 512

// Options describe one subscription. Zero values mean the defaults.
type Options struct {
	// Name appears in logs ("live", "webhooks", "metrics", …).
	Name string
	// Policy is the lag policy (default CatchUp).
	Policy Policy
	// Queue is how many events may wait before the policy applies
	// (default DefaultQueue).
	Queue int
	// OnGap is called (on the subscriber's goroutine, before the next event)
	// when a Resync subscriber lost events, or a CatchUp one could not read
	// them back from the log.
	OnGap func()
}

// Bus fans committed events out to subscribers. Create it with New.
type Bus struct {
	log    Log
	logger *slog.Logger

	mu     sync.Mutex
	last   uint64 // seq of the last event published
	subs   []*Subscription
	closed bool
}

// New returns a bus whose events continue after seq last (the store's
// committed seq at start), reading missed events back from log.
func New(log Log, last uint64, logger *slog.Logger) *Bus {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Bus{log: log, logger: logger, last: last}
}

// Subscription is one subscriber's queue and goroutine.
type Subscription struct {
	b   *Bus
	opt Options
	f   func(queue.Event)

	mu      sync.Mutex
	wake    *sync.Cond
	q       []queue.Event
	behind  bool // events were dropped since the queue was last taken
	stopped bool
	done    chan struct{}
	start   uint64
	// last is the seq of the last event delivered (or, at the start, the
	// bus's position when subscribing); only the goroutine touches it.
	last uint64
}

// Subscribe calls f with every event published from now on, in seq order, on
// a goroutine of its own, until Unsubscribe or the bus's Close. A subscriber
// that needs history too reads it from the store first, up to the seq the
// bus had published when it subscribed (Subscription.Start).
func (b *Bus) Subscribe(o Options, f func(queue.Event)) *Subscription {
	if o.Queue <= 0 {
		o.Queue = DefaultQueue
	}
	if o.Name == "" {
		o.Name = "subscriber"
	}
	s := &Subscription{b: b, opt: o, f: f, done: make(chan struct{})}
	s.wake = sync.NewCond(&s.mu)
	b.mu.Lock()
	defer b.mu.Unlock()
	s.last, s.start = b.last, b.last
	if b.closed {
		s.stopped = true
		close(s.done)
		return s
	}
	b.subs = append(b.subs, s)
	go s.run()
	return s
}

// Start is the seq the subscription started after: it gets every event
// after it.
func (s *Subscription) Start() uint64 { return s.start }

// Publish hands a commit's events (in seq order) to every subscriber. It
// never waits for a subscriber: it only appends to their queues. The store's
// commit loop is its one caller, so commits arrive in order. The caller
// must not change evs afterwards: subscribers may read it as it is.
func (b *Bus) Publish(evs []queue.Event) {
	if len(evs) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.last = evs[len(evs)-1].Seq
	for _, s := range b.subs {
		s.offer(evs)
	}
}

// LastSeq is the seq of the last event published.
func (b *Bus) LastSeq() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

func (s *Subscription) offer(evs []queue.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.stopped, s.behind:
		// Behind: these are in the log (CatchUp) or lost by policy (Resync).
	case len(s.q)+len(evs) > s.opt.Queue:
		s.q = nil
		s.behind = true
		s.wake.Signal()
	case len(s.q) == 0:
		// A subscriber that keeps up takes the publisher's slice as it is
		// (never written after Publish): no copy per subscriber per commit.
		// Clipped, so that a later append makes an array of its own.
		s.q = evs[:len(evs):len(evs)]
		s.wake.Signal()
	default:
		s.q = append(s.q, evs...)
		s.wake.Signal()
	}
}

func (s *Subscription) run() {
	defer close(s.done)
	for {
		s.mu.Lock()
		for len(s.q) == 0 && !s.behind && !s.stopped {
			s.wake.Wait()
		}
		if s.stopped {
			s.mu.Unlock()
			return
		}
		batch, behind := s.q, s.behind
		s.q = nil
		s.mu.Unlock()

		s.deliver(batch)
		if behind {
			s.recover()
		}
	}
}

// deliver hands evs to f, skipping what was already delivered.
func (s *Subscription) deliver(evs []queue.Event) {
	for _, ev := range evs {
		if ev.Seq <= s.last {
			continue
		}
		s.f(ev)
		s.last = ev.Seq
	}
}

// recover applies the lag policy after events were dropped.
func (s *Subscription) recover() {
	s.b.logger.Warn("bus: subscriber fell behind", "subscriber", s.opt.Name, "after", s.last)
	if s.opt.Policy == CatchUp {
		err := s.catchUp()
		if err == nil {
			return
		}
		s.b.logger.Error("bus: read missed events", "subscriber", s.opt.Name, "err", err)
	}
	// Whatever is published from here on reaches the subscriber; what came
	// before is gone, and the subscriber starts over. Both locks, so that no
	// event falls between the position and the switch.
	s.b.mu.Lock()
	s.mu.Lock()
	s.behind = false
	s.last = s.b.last
	s.mu.Unlock()
	s.b.mu.Unlock()
	if s.opt.OnGap != nil {
		s.opt.OnGap()
	}
}

// catchUp reads missed events from the log until it meets the live queue.
func (s *Subscription) catchUp() error {
	for {
		stopped, err := s.readLog()
		if err != nil || stopped {
			return err
		}
		// Take live events again from here. Events published while the
		// flag was still set are in the log, so one more read after the
		// switch closes the window; deliver skips what it delivers twice.
		s.mu.Lock()
		s.behind = false
		s.mu.Unlock()
		if _, err := s.readLog(); err != nil {
			return err
		}
		s.mu.Lock()
		again := s.behind // fell behind again while reading
		s.mu.Unlock()
		if !again {
			return nil
		}
	}
}

// readLog delivers the logged events after s.last up to the end of the log.
func (s *Subscription) readLog() (stopped bool, err error) {
	for {
		s.mu.Lock()
		stopped = s.stopped
		s.mu.Unlock()
		if stopped {
			return true, nil
		}
		evs, err := s.b.log.Events(s.last, catchUpPage)
		if err != nil {
			return false, fmt.Errorf("read events after %d: %w", s.last, err)
		}
		s.deliver(evs)
		if len(evs) < catchUpPage {
			return false, nil
		}
	}
}

// Unsubscribe stops the subscription and waits for its goroutine to end.
// Events still queued are not delivered. Never call it from the subscriber's
// own function.
func (s *Subscription) Unsubscribe() {
	s.b.mu.Lock()
	for i, o := range s.b.subs {
		if o == s {
			s.b.subs = append(s.b.subs[:i:i], s.b.subs[i+1:]...)
			break
		}
	}
	s.b.mu.Unlock()
	s.stop()
}

func (s *Subscription) stop() {
	s.mu.Lock()
	s.stopped = true
	s.wake.Signal()
	s.mu.Unlock()
	<-s.done
}

// Close stops every subscription and waits for their goroutines.
func (b *Bus) Close() {
	b.mu.Lock()
	b.closed = true
	subs := b.subs
	b.subs = nil
	b.mu.Unlock()
	for _, s := range subs {
		s.stop()
	}
}
