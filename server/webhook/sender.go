package webhook

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"queuebox/server/queue"
	"queuebox/server/store"
)

// Store is what the sender reads and writes; *store.DB implements it.
type Store interface {
	Events(since uint64, limit int) ([]queue.Event, error)
	Webhooks() ([]store.Webhook, error)
	WebhookAttempts(id string) ([]store.WebhookAttempt, error)
	SaveWebhookProgress(id string, cursor uint64, attempts []store.WebhookAttempt, keep int) error
}

// Options tune a Sender. Zero values mean the defaults.
type Options struct {
	// Client sends the requests (default: 10 s timeout, no redirects).
	Client *http.Client
	// MinBackoff is the wait after a first failure (default 1 s); it
	// doubles with each failure of the same message up to MaxBackoff
	// (default 5 min), so a receiver back after an hour hears again within
	// five minutes.
	MinBackoff, MaxBackoff time.Duration
	// Keep is how many attempts the delivery log keeps per webhook (default 50).
	Keep int
	// Now dates the webhook-timestamp header (default time.Now).
	Now func() time.Time
	// Logger receives the sender's logs.
	Logger *slog.Logger
	// OnAttempt is told of every attempt, for the metrics.
	OnAttempt func(a store.WebhookAttempt)
	// Quiet and MaxDefer give issuing the box's CPU first: while events
	// keep coming less than Quiet apart (default 100 ms: a burst no branch
	// makes by hand), a webhook holds its deliveries, for at most MaxDefer
	// (default 2 s) at a time. At a branch's pace it sends at once.
	Quiet, MaxDefer time.Duration
	// SaveAfter is how long a webhook that has caught up waits for more
	// events before saving its cursor and delivery log (default 100 ms).
	SaveAfter time.Duration
}

const (
	readPage = 256
	// saveEvery bounds how many delivered messages the cursor may lag by on
	// disk (each lagging one may be sent again after a crash): once per
	// page read. Each save is a write transaction with its fsync, taking
	// its turn with the commits of issuing, and the dead weight of a
	// commit (meta page, freelist) is most of what it writes: saving on
	// every message would add a commit per ticket per webhook, several
	// times the commits of issuing itself under load.
	saveEvery = readPage
	// logEvery is how many attempts the delivery log on disk may lag by
	// while messages keep coming (it is saved whenever they pause, and at
	// once after a failure); the cursor's saves in between write the
	// cursor alone.
	logEvery = 4 * saveEvery
	// cacheSize is how many prepared messages the webhooks share (a power
	// of two, over two pages): the first webhook to need an event reads and
	// encodes it, the others take it from here.
	cacheSize = 1024
	// bodyLimit is how much of a receiver's answer is read.
	bodyLimit = 64 << 10
)

// Sender runs one delivery goroutine per webhook.
type Sender struct {
	st  Store
	opt Options
	log *slog.Logger

	mu      sync.Mutex
	workers map[string]*worker
	closed  bool
	wg      sync.WaitGroup
	// lastWake is when the last event came (monotonic nanoseconds since
	// the sender began), to tell a burst.
	lastWake atomic.Int64
	began    time.Time

	// readMu makes one webhook at a time read the log, so that the others
	// find what it read in the cache; cacheMu guards the cache.
	readMu  sync.Mutex
	cacheMu sync.Mutex
	cache   [cacheSize]prepared
}

// prepared is an event as a message: encoded once for every webhook, signed
// for each.
type prepared struct {
	seq  uint64
	typ  string // "" when the event makes no message
	body []byte
}

func prepare(ev queue.Event) prepared {
	p := prepared{seq: ev.Seq}
	if b, ok := Message(ev); ok {
		p.typ, p.body = b.Type, encode(b)
	}
	return p
}

// cached appends to out the prepared messages after seq found in the cache,
// in order, up to limit in all.
func (s *Sender) cached(out []prepared, after uint64, limit int) []prepared {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	for len(out) < limit {
		p := s.cache[(after+1)%cacheSize]
		if p.seq != after+1 {
			break
		}
		out = append(out, p)
		after++
	}
	return out
}

// messages returns up to limit messages for the events after seq after,
// oldest first, from the cache or else from the log.
func (s *Sender) messages(after uint64, limit int) ([]prepared, error) {
	out := s.cached(make([]prepared, 0, limit), after, limit)
	if len(out) == limit {
		return out, nil
	}
	s.readMu.Lock()
	defer s.readMu.Unlock()
	// Another webhook may have read them while this one waited.
	out = s.cached(out, last(out, after), limit)
	if len(out) == limit {
		return out, nil
	}
	evs, err := s.st.Events(last(out, after), limit-len(out))
	if err != nil {
		if len(out) > 0 {
			return out, nil // the rest next time
		}
		return nil, err
	}
	n := len(out)
	for _, ev := range evs {
		out = append(out, prepare(ev))
	}
	s.cacheMu.Lock()
	for _, p := range out[n:] {
		s.cache[p.seq%cacheSize] = p
	}
	s.cacheMu.Unlock()
	return out, nil
}

// last is the seq of the last message in ps, or after if there is none.
func last(ps []prepared, after uint64) uint64 {
	if len(ps) == 0 {
		return after
	}
	return ps[len(ps)-1].seq
}

// New returns a sender; call Start to begin delivering.
func New(st Store, o Options) *Sender {
	if o.Client == nil {
		o.Client = &http.Client{
			Timeout: 10 * time.Second,
			// A receiver answers itself; a redirect is a misconfigured URL.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Minute
	}
	if o.Keep <= 0 {
		o.Keep = 50
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Quiet <= 0 {
		o.Quiet = 100 * time.Millisecond
	}
	if o.MaxDefer <= 0 {
		o.MaxDefer = 2 * time.Second
	}
	if o.SaveAfter <= 0 {
		o.SaveAfter = 100 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Sender{st: st, opt: o, log: o.Logger, workers: map[string]*worker{}, began: time.Now()}
}

// Start begins delivering to every stored webhook.
func (s *Sender) Start() error {
	hooks, err := s.st.Webhooks()
	if err != nil {
		return fmt.Errorf("load webhooks: %w", err)
	}
	for _, w := range hooks {
		s.Add(w)
	}
	return nil
}

// Add starts delivering to w from its cursor on.
func (s *Sender) Add(w store.Webhook) {
	recent, err := s.st.WebhookAttempts(w.ID)
	if err != nil {
		s.log.Warn("webhook: read delivery log", "webhook", w.ID, "err", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	slices.Reverse(recent) // the worker keeps them oldest first
	wk := &worker{s: s, hook: w, wake: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{}), recent: recent, saved: w.Cursor}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.workers[w.ID] != nil {
		cancel()
		return
	}
	s.workers[w.ID] = wk
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(wk.done)
		wk.run(ctx)
	}()
}

// Remove stops delivering to the webhook id and waits for its goroutine.
func (s *Sender) Remove(id string) {
	s.mu.Lock()
	wk := s.workers[id]
	delete(s.workers, id)
	s.mu.Unlock()
	if wk != nil {
		wk.cancel()
		<-wk.done
	}
}

// Wake tells every webhook that new events are in the log. It never blocks.
func (s *Sender) Wake() {
	s.lastWake.Store(int64(time.Since(s.began)))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, wk := range s.workers {
		select {
		case wk.wake <- struct{}{}:
		default: // already woken
		}
	}
}

// Attempts returns the delivery log of a webhook, newest first.
func (s *Sender) Attempts(id string) []store.WebhookAttempt {
	s.mu.Lock()
	wk := s.workers[id]
	s.mu.Unlock()
	if wk == nil {
		return nil
	}
	wk.mu.Lock()
	defer wk.mu.Unlock()
	recent := wk.recent[max(0, len(wk.recent)-wk.s.opt.Keep):]
	out := make([]store.WebhookAttempt, len(recent))
	for i, a := range recent {
		out[len(out)-1-i] = a
	}
	return out
}

// Test sends one webhook.test message to w now, outside its ordered stream,
// and logs the attempt.
func (s *Sender) Test(ctx context.Context, w store.Webhook) store.WebhookAttempt {
	body := Body{Type: TypeTest, Timestamp: s.opt.Now(), Data: Data{WebhookID: w.ID}}
	id := fmt.Sprintf("msg_%s_test_%d", w.ID, s.opt.Now().UnixNano())
	a := s.attempt(ctx, w, id, TypeTest, 0, 1, encode(body))
	s.mu.Lock()
	wk := s.workers[w.ID]
	s.mu.Unlock()
	if wk != nil {
		wk.logAttempt(a)
		wk.save(0)
	}
	return a
}

// Close stops every delivery goroutine; what they were sending is sent again
// after the next start.
func (s *Sender) Close() {
	s.mu.Lock()
	s.closed = true
	for _, wk := range s.workers {
		wk.cancel()
	}
	s.workers = map[string]*worker{}
	s.mu.Unlock()
	s.wg.Wait()
}

// attempt makes one delivery try.
func (s *Sender) attempt(ctx context.Context, w store.Webhook, msgID, typ string, seq uint64, n int, body []byte) store.WebhookAttempt {
	now := s.opt.Now()
	a := store.WebhookAttempt{At: now, MessageID: msgID, Type: typ, Seq: seq, Attempt: n}
	began := time.Now()
	defer func() {
		a.Millis = time.Since(began).Milliseconds()
		if s.opt.OnAttempt != nil {
			s.opt.OnAttempt(a)
		}
	}()
	sig, err := Sign(w.Secret, msgID, now, body)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		a.Error = err.Error()
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "queuebox-webhooks")
	req.Header.Set("webhook-id", msgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := s.opt.Client.Do(req)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, bodyLimit))
	resp.Body.Close()
	a.Status = resp.StatusCode
	a.OK = resp.StatusCode >= 200 && resp.StatusCode < 300
	if !a.OK {
		a.Error = "the receiver answered " + resp.Status
	}
	return a
}

// worker delivers one webhook's messages in order.
type worker struct {
	s      *Sender
	hook   store.Webhook
	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}

	// recent and pending are oldest first; each holds its last Keep
	// attempts and at most as many older ones (trimmed in one go, not on
	// every attempt).
	mu      sync.Mutex
	recent  []store.WebhookAttempt // the delivery log
	pending []store.WebhookAttempt // not yet on disk
	// unlogged counts the attempts since the delivery log was last saved
	// (pending holds only the last of them).
	unlogged int
	saved    uint64 // cursor on disk
}

func (wk *worker) logAttempt(a store.WebhookAttempt) {
	wk.mu.Lock()
	defer wk.mu.Unlock()
	keep := wk.s.opt.Keep
	wk.recent = appendKeep(wk.recent, a, keep)
	wk.pending = appendKeep(wk.pending, a, keep)
	wk.unlogged++
}

// appendKeep appends a to list, dropping all but the last keep once the
// list holds twice that.
func appendKeep(list []store.WebhookAttempt, a store.WebhookAttempt, keep int) []store.WebhookAttempt {
	if len(list) >= 2*keep {
		list = append(list[:0], list[len(list)-keep+1:]...)
	}
	return append(list, a)
}

// saveCursor writes the cursor alone: the delivery log waits for save.
func (wk *worker) saveCursor(cursor uint64) {
	if err := wk.s.st.SaveWebhookProgress(wk.hook.ID, cursor, nil, wk.s.opt.Keep); err != nil {
		wk.s.log.Warn("webhook: save progress", "webhook", wk.hook.ID, "err", err)
		return
	}
	wk.mu.Lock()
	wk.saved = max(wk.saved, cursor)
	wk.mu.Unlock()
}

// save writes the cursor and the attempts logged since the last save (the
// last Keep of them: the log holds no more).
func (wk *worker) save(cursor uint64) {
	wk.mu.Lock()
	pending := wk.pending[max(0, len(wk.pending)-wk.s.opt.Keep):]
	wk.pending, wk.unlogged = nil, 0
	wk.mu.Unlock()
	if err := wk.s.st.SaveWebhookProgress(wk.hook.ID, cursor, pending, wk.s.opt.Keep); err != nil {
		wk.s.log.Warn("webhook: save progress", "webhook", wk.hook.ID, "err", err)
		return
	}
	wk.mu.Lock()
	wk.saved = max(wk.saved, cursor)
	wk.mu.Unlock()
}

func (wk *worker) wants(typ string) bool {
	for _, e := range wk.hook.Events {
		if e == "*" || e == typ {
			return true
		}
	}
	return false
}

func (wk *worker) run(ctx context.Context) {
	cursor := wk.hook.Cursor
	for {
		msgs, err := wk.s.messages(cursor, readPage)
		if err != nil {
			wk.s.log.Warn("webhook: read events", "webhook", wk.hook.ID, "err", err)
			if !sleep(ctx, wk.s.opt.MaxBackoff) {
				return
			}
			continue
		}
		if len(msgs) > 0 && !wk.s.yield(ctx) {
			return
		}
		for _, m := range msgs {
			if m.typ != "" && wk.wants(m.typ) {
				if !wk.deliver(ctx, m) {
					wk.save(cursor) // stopping: keep what was done
					return
				}
			}
			cursor = m.seq
			if wk.unsaved(cursor) >= saveEvery {
				if wk.unloggedN() >= logEvery {
					wk.save(cursor)
				} else {
					wk.saveCursor(cursor)
				}
			}
		}
		if len(msgs) == readPage {
			continue
		}
		if !wk.idle(ctx, cursor) {
			return
		}
	}
}

// idle waits for new events, saving the cursor once things have been quiet
// for SaveAfter: under a stream of events that is one save per saveEvery
// messages, not one per commit. False means the sender is stopping.
func (wk *worker) idle(ctx context.Context, cursor uint64) bool {
	var flush <-chan time.Time
	if wk.unsaved(cursor) > 0 || wk.unloggedN() > 0 {
		t := time.NewTimer(wk.s.opt.SaveAfter)
		defer t.Stop()
		flush = t.C
	}
	for {
		select {
		case <-ctx.Done():
			wk.save(cursor)
			return false
		case <-wk.wake:
			return true
		case <-flush:
			wk.save(cursor)
			flush = nil
		}
	}
}

func (wk *worker) unloggedN() int {
	wk.mu.Lock()
	defer wk.mu.Unlock()
	return wk.unlogged
}

func (wk *worker) unsaved(cursor uint64) uint64 {
	wk.mu.Lock()
	defer wk.mu.Unlock()
	return cursor - wk.saved
}

// deliver sends one message until the receiver takes it; false means the
// sender is stopping.
func (wk *worker) deliver(ctx context.Context, m prepared) bool {
	id := "msg_" + wk.hook.ID + "_" + strconv.FormatUint(m.seq, 10)
	wait := wk.s.opt.MinBackoff
	for n := 1; ; n++ {
		a := wk.s.attempt(ctx, wk.hook, id, m.typ, m.seq, n, m.body)
		if a.OK {
			// Taken, even if the stop came just after: not sent again.
			wk.logAttempt(a)
			return true
		}
		if ctx.Err() != nil {
			return false // the stop cut it short: not the receiver's failure
		}
		wk.logAttempt(a)
		if n == 1 || n%10 == 0 {
			wk.s.log.Warn("webhook delivery failed; will retry", "webhook", wk.hook.ID, "type", m.typ, "seq", m.seq, "attempt", n, "err", a.Error)
		}
		// Failures are rare and worth keeping on disk at once.
		wk.save(0)
		if !sleep(ctx, wait) {
			return false
		}
		wait = min(2*wait, wk.s.opt.MaxBackoff)
	}
}

// yield waits while events come in a burst, for at most MaxDefer; false
// means the sender is stopping.
func (s *Sender) yield(ctx context.Context) bool {
	deadline := time.Now().Add(s.opt.MaxDefer)
	for {
		since := time.Since(s.began) - time.Duration(s.lastWake.Load())
		if since >= s.opt.Quiet {
			return true
		}
		if !time.Now().Before(deadline) {
			return true
		}
		if !sleep(ctx, s.opt.Quiet-since) {
			return false
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
