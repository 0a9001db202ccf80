// Package live pushes the branch's committed events to websocket clients: the
// lobby display, the staff console and each phone's status page.
//
// The server feeds one Hub from the engine's committed event log, in seq
// order, and mounts Hub.ServeWS for GET /api/v1/live. Every message is one
// JSON text frame:
//
//	{"seq": 42, "type": "called", "data": {...}}
//
// A connection starts either with a snapshot (type "snapshot") of everything
// its subscription shows, or, when the client resumes with since=N and the
// hub still holds every event after N, with a replay of those events. After
// that it gets live events. Either way the client sees each event after its
// starting point exactly once and in seq order, so a page can apply messages
// blindly and, after a network blip, reconnect with since= set to the last seq
// it saw.
//
// A client that cannot keep up is dropped instead of being buffered for: one
// phone on a weak signal must neither slow the lobby display nor grow the
// box's memory. It reconnects and catches up from the resume buffer or from a
// fresh snapshot.
//
// A subscription the Renderer does not know (an unknown ticket token) is
// closed with code CloseUnknownKey; pages should not retry it.
package live

import (
	"encoding/binary"
	"encoding/json"
	"hash/maphash"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// CloseEnded is the close code for a socket whose session, user or device
// lost its right to it (logout, disabled, demoted, new password, revoked).
// Pages should not retry with the same credentials: a staff page goes back
// to its login.
const CloseEnded = 4401

// Owner says who opened a socket, so that the server can close the sockets
// of a session, a user or a device when their rights end, and count sockets
// per client address.
type Owner struct {
	// Addr is the client's address; "" is not counted against MaxPerAddr.
	Addr    string
	Session string // id of the staff session, "" for none
	User    string // username of the session, "" for none
	Device  string // id of the device whose token opened it, "" for none
}

// TypeSnapshot is the type of the first message of a connection that is not
// resumed from the buffer.
const TypeSnapshot = "snapshot"

// CloseUnknownKey is the close code for a subscription the Renderer does not
// know. It is in the 4000-4999 range kept for applications so that pages can
// tell "stop retrying" apart from the standard codes after which they should
// reconnect.
const CloseUnknownKey = 4404

const (
	defaultBuffer       = 4096
	defaultPingInterval = 25 * time.Second
	// maxPingInterval is what the API promises clients: a ping at least
	// every 30 s, which keeps NAT and proxy idle timers from firing.
	maxPingInterval     = 30 * time.Second
	defaultWriteTimeout = 10 * time.Second
	defaultSendQueue    = 256
	// readLimit is small because clients only ever send control frames;
	// anything larger is a broken or hostile client.
	readLimit = 512
	// closeGrace bounds the close handshake so that shutdown is quick even
	// when peers do not answer.
	closeGrace = time.Second
	// snapshotTries bounds how often a connection retries when the Renderer
	// lags the event feed by more than the buffer.
	snapshotTries = 3
)

// Event is one committed change of the branch. Seq rises by one per event.
type Event struct {
	Seq  uint64
	Type string
	// Data is anything encoding/json can marshal. A json.RawMessage is
	// sent as it is, so it must be valid JSON. The hub keeps it for
	// resumes and hands it to several goroutines, so it must not be
	// modified after Publish.
	Data any
	// Service is the id of the service the event concerns, "" if none. The
	// hub passes it through to the Renderer.
	Service string
}

// State is data that is the whole of what a subscription shows (a phone's
// status), already encoded as JSON. The hub sends a client a State only when
// it differs from the last State that client was sent, its snapshot
// included: an event that changes nothing on the page costs no write, and a
// change made of several events (a call finishes one ticket and calls the
// next) reaches each page once. Like a json.RawMessage, it is sent as it is
// and must be valid JSON.
type State []byte

// Prepared is a State with its hash worked out once. A page whose state
// many events render unchanged (a call is two or three events, and each
// is rendered for every phone) is then hashed, and boxed into the Render's
// answer, once rather than once per event. Make it with Prepare; like a
// State it is sent only when it differs from the client's last State.
type Prepared struct {
	raw  State
	hash uint64
}

// Prepare returns s, which must not be modified after, with its hash.
func Prepare(s State) *Prepared {
	return &Prepared{raw: s, hash: hashState(s)}
}

// MarshalJSON returns the State as it is, for the encoder's path.
func (p *Prepared) MarshalJSON() ([]byte, error) { return p.raw, nil }

// Sub identifies what a client listens to.
type Sub struct {
	Topic string // "display", "queue" or "status"
	Key   string // the ticket token for "status"
}

// Renderer turns the branch state into what one subscription sees. It is
// called from several goroutines at once.
type Renderer interface {
	// Snapshot returns the whole state that sub shows and the seq of the
	// last event that state includes. ok=false means the subscription is
	// unknown (e.g. an unknown ticket token); the client is then closed with
	// CloseUnknownKey.
	Snapshot(sub Sub) (data any, seq uint64, ok bool)
	// Render returns what sub gets for ev, or ok=false if sub does not get
	// it. Type and data may differ from ev's, e.g. a status update for a
	// ticket token; an empty typ means ev.Type. Data that is a
	// json.RawMessage, a State or a Prepared is sent as it is, so it must be valid
	// JSON; a State equal to the client's last is not sent at all.
	Render(sub Sub, ev Event) (typ string, data any, ok bool)
}

// Options tune a Hub. Zero values mean the defaults.
type Options struct {
	// Buffer is how many recent events are kept for since= resumes
	// (default 4096).
	Buffer int
	// PingInterval is how often each client is pinged (default 25 s, at
	// most 30 s). A client that sends nothing, not even a pong, for two
	// intervals is dropped.
	PingInterval time.Duration
	// WriteTimeout bounds each write to a client (default 10 s).
	WriteTimeout time.Duration
	// SendQueue is how many messages may wait for one client before it is
	// dropped as too slow (default 256).
	SendQueue int
	// CheckOrigin decides whether a handshake's Origin is acceptable. When
	// nil, only same-origin requests and requests without an Origin header
	// (non-browser clients) are accepted.
	CheckOrigin func(r *http.Request) bool
	// Logger receives the hub's logs (default slog.Default()).
	Logger *slog.Logger
	// MaxPerAddr caps the sockets one client address holds (0: no cap);
	// one more is refused with 429 Too Many Requests.
	MaxPerAddr int
	// Refuse answers a request that is not a websocket handshake the hub
	// can take (no Upgrade header, bad key, foreign Origin), so the server
	// can answer in its own error shape. When nil, the answer is plain text.
	Refuse func(w http.ResponseWriter, r *http.Request, status int, reason error)
	// OnMessage, when set, gets each text message a client sends (at most
	// 512 bytes; devices report in with them), with the client's id. It is
	// called from the client's reader goroutine and must not block.
	OnMessage func(id uint64, sub Sub, data []byte)
	// OnLeave, when set, is told when a client that was attached goes away.
	OnLeave func(id uint64, sub Sub)
}

// Hub fans the branch's events out to websocket clients. Create it with New.
type Hub struct {
	r   Renderer
	opt Options
	log *slog.Logger
	up  websocket.Upgrader

	// pubMu keeps fan-out in seq order even if Publish is ever called from
	// more than one goroutine; fan-out runs outside mu.
	pubMu sync.Mutex

	mu      sync.Mutex
	closed  bool
	buf     ring
	clients map[*client]struct{}
	// groups holds the clients of each subscription, so that an event is
	// rendered and encoded once per distinct Sub rather than once per
	// client (fifty displays share one encoding). The slices are never
	// modified in place, which lets Publish use them after unlocking.
	groups map[Sub][]*client
	view   []fanout // groups as a slice; nil when groups changed
	// perAddr counts the sockets of each client address, from before the
	// upgrade until the socket is gone.
	perAddr map[string]int
	wg      sync.WaitGroup
	lastID  atomic.Uint64 // of the last client
}

// fanout is one subscription and its clients at the time of a Publish.
type fanout struct {
	sub     Sub
	clients []*client
}

// writePool lends write buffers to connections only while they write, so
// that idle connections (most of them) hold none.
var writePool sync.Pool

// New returns a Hub that renders with r.
func New(r Renderer, o Options) *Hub {
	if o.Buffer <= 0 {
		o.Buffer = defaultBuffer
	}
	if o.PingInterval <= 0 {
		o.PingInterval = defaultPingInterval
	}
	o.PingInterval = min(o.PingInterval, maxPingInterval)
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = defaultWriteTimeout
	}
	if o.SendQueue <= 0 {
		o.SendQueue = defaultSendQueue
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	check := o.CheckOrigin
	if check == nil {
		check = sameOrigin
	}
	return &Hub{
		r:   r,
		opt: o,
		log: o.Logger,
		up: websocket.Upgrader{
			// Clients send only control frames and short reports:
			// a read buffer of the read limit, not the 4 KiB of
			// the HTTP server's that would stay with each socket.
			ReadBufferSize:   readLimit,
			HandshakeTimeout: o.WriteTimeout,
			CheckOrigin:      check,
			WriteBufferPool:  &writePool,
			Error:            o.Refuse,
		},
		buf:     ring{evs: make([]Event, o.Buffer)},
		clients: make(map[*client]struct{}),
		groups:  make(map[Sub][]*client),
		perAddr: make(map[string]int),
	}
}

// sameOrigin accepts requests without an Origin header (not from a browser,
// so no cross-site risk) and those whose Origin host is the request's Host.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// Publish hands ev to every client whose subscription renders it. Events
// must come in seq order; one with a seq not above the last is dropped as a
// duplicate. Publish never waits for clients: a client whose send queue is
// full is dropped. It calls the Renderer, so the caller must not hold locks
// the Renderer takes.
func (h *Hub) Publish(ev Event) {
	h.pubMu.Lock()
	defer h.pubMu.Unlock()

	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	if h.buf.n > 0 {
		last := h.buf.last()
		if ev.Seq <= last {
			h.mu.Unlock()
			h.log.Warn("live: stale event dropped", "seq", ev.Seq, "last", last)
			return
		}
		if ev.Seq != last+1 {
			// Events were skipped: a resume across the hole would
			// silently miss them, so only resumes after it are served.
			h.buf.reset()
			h.log.Warn("live: gap in event feed", "seq", ev.Seq, "last", last)
		}
	}
	h.buf.push(ev)
	view := h.viewLocked()
	h.mu.Unlock()

	// A client attaching after the unlock above finds ev in the buffer and
	// is not in view, and one attached before is in view and does not find
	// it, so every client gets ev exactly once.
	//
	// Each phone is its own subscription, rendered and encoded for itself:
	// with thousands of them that work is spread over the cores. The
	// workers take the subscriptions a chunk at a time, so one whose
	// thread the system sets aside for a while holds up a chunk, not a
	// share. Every subscription is in one chunk only, and Publish returns
	// once all are done, so each client still gets events one at a time
	// in order.
	parts := min(runtime.GOMAXPROCS(0), len(view)/parallelMin)
	if parts <= 1 {
		h.fanOut(ev, view, nil)
		return
	}
	var next atomic.Int64
	work := func() {
		var buf []byte
		for {
			from := int(next.Add(fanChunk)) - fanChunk
			if from >= len(view) {
				return
			}
			buf = h.fanOut(ev, view[from:min(from+fanChunk, len(view))], buf)
		}
	}
	var wg sync.WaitGroup
	for range parts - 1 {
		wg.Go(work)
	}
	work() // the publisher is one of the workers
	wg.Wait()
}

// parallelMin is the fewest subscriptions worth a goroutine of their own:
// below it, starting one costs more than rendering them.
const parallelMin = 64

// fanChunk is how many subscriptions a fan-out worker takes at a time:
// about a millisecond of phones.
const fanChunk = 32

// fanOut renders ev for each subscription of view and hands it to their
// clients, framed once per subscription. A subscription of one client
// (every phone) is framed in buf, reused for the next (offer copies it only
// if it has to queue it); fanOut returns it for the caller's next call.
func (h *Hub) fanOut(ev Event, view []fanout, buf []byte) []byte {
	for _, f := range view {
		typ, data, ok := h.r.Render(f.sub, ev)
		if !ok {
			continue
		}
		if typ == "" {
			typ = ev.Type
		}
		state := stateHash(data)
		if state != 0 && !changes(f.clients, state) {
			continue // every client has it already: not even encoded
		}
		one := len(f.clients) == 1
		var dst []byte
		if one {
			dst = buf[:0]
		}
		b, frame, err := appendFrame(dst, ev.Seq, typ, data)
		if one {
			buf = b
		}
		if err != nil {
			h.log.Error("live: encode event", "seq", ev.Seq, "type", typ, "err", err)
			// Skipping the event would leave these clients silently
			// wrong; closing makes them reconnect and take a snapshot.
			for _, c := range f.clients {
				c.stop(websocket.CloseInternalServerErr, "internal error", false)
			}
			continue
		}
		for _, c := range f.clients {
			if !c.offer(ev.Seq, frame, one, state) {
				h.log.Info("live: dropped slow client", "topic", c.sub.Topic, "seq", ev.Seq)
			}
		}
	}
	return buf
}

// stateSeed keys the hashes of States; per process, as they are never
// stored.
var stateSeed = maphash.MakeSeed()

// stateHash is the hash of data if it is a State or a Prepared, else 0.
func stateHash(data any) uint64 {
	switch st := data.(type) {
	case State:
		return hashState(st)
	case *Prepared:
		return st.hash
	}
	return 0
}

// hashState hashes a State; one that hashes to 0 is taken as 1: 0 means
// "no State".
func hashState(st State) uint64 {
	return max(maphash.Bytes(stateSeed, st), 1)
}

// changes reports whether a State of hash state is news to any of cs.
func changes(cs []*client, state uint64) bool {
	for _, c := range cs {
		if c.state != state {
			return true
		}
	}
	return false
}

func (h *Hub) viewLocked() []fanout {
	if h.view == nil {
		h.view = make([]fanout, 0, len(h.groups))
		for sub, cs := range h.groups {
			h.view = append(h.view, fanout{sub: sub, clients: cs})
		}
	}
	return h.view
}

// Clients returns the number of connected clients.
func (h *Hub) Clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// ClientsByTopic returns the number of connected clients of each topic.
func (h *Hub) ClientsByTopic() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int)
	for c := range h.clients {
		out[c.sub.Topic]++
	}
	return out
}

// Resync closes every client with "try again later" and forgets the resume
// buffer. It is for a feed that lost events: the clients can then only be
// right again by reconnecting and taking a fresh snapshot.
func (h *Hub) Resync() {
	h.pubMu.Lock()
	defer h.pubMu.Unlock()
	h.mu.Lock()
	h.buf.reset()
	cs := slices.Collect(maps.Keys(h.clients))
	h.mu.Unlock()
	for _, c := range cs {
		c.stop(websocket.CloseTryAgainLater, "resync", false)
	}
}

// Close closes every client with "going away", refuses new ones and waits
// until every ServeWS call has returned. The HTTP server does not track
// upgraded connections, so call Close during graceful shutdown.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	cs := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		cs = append(cs, c)
	}
	h.mu.Unlock()

	for _, c := range cs {
		c.stop(websocket.CloseGoingAway, "server shutting down", false)
	}
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		// A writer stuck on a client that stopped reading would
		// otherwise hold shutdown for a whole write timeout.
		for _, c := range cs {
			c.conn.Close()
		}
		<-done
	}
}

// Disconnect closes every socket whose owner match accepts, with code
// CloseEnded and reason, and returns how many it closed. The sockets are
// told at once; they are gone within the close grace (one second).
func (h *Hub) Disconnect(match func(Owner) bool, reason string) int {
	h.mu.Lock()
	var cs []*client
	for c := range h.clients {
		if match(c.owner) {
			cs = append(cs, c)
		}
	}
	h.mu.Unlock()
	for _, c := range cs {
		c.stop(CloseEnded, reason, false)
		// A writer stuck on a peer that stopped reading would keep the
		// socket for a whole write timeout: cut it off after the grace.
		conn := c.conn
		time.AfterFunc(closeGrace+closeGrace/2, func() { conn.Close() })
	}
	return len(cs)
}

// reserve counts a socket against its address's cap before the upgrade.
func (h *Hub) reserve(addr string) bool {
	if addr == "" || h.opt.MaxPerAddr <= 0 {
		return true
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.perAddr[addr] >= h.opt.MaxPerAddr {
		return false
	}
	h.perAddr[addr]++
	return true
}

func (h *Hub) release(addr string) {
	if addr == "" || h.opt.MaxPerAddr <= 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.perAddr[addr]--; h.perAddr[addr] <= 0 {
		delete(h.perAddr, addr)
	}
}

// enter counts a ServeWS call so that Close can wait for it. Adding under mu
// and only while open keeps wg.Add from racing with Close's wg.Wait.
func (h *Hub) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.wg.Add(1)
	return true
}

// start is what a client gets before live events: an optional snapshot, then
// the buffered events after its starting point.
type start struct {
	hasSnap bool
	snap    any
	snapSeq uint64
	replay  []Event
}

// refusal is why a connection is closed before it is attached.
type refusal struct {
	code   int
	reason string
}

// attach picks c's starting point, collects what it needs before live events
// and registers c for them, all under one lock so that nothing published in
// between is lost or sent twice.
//
// Snapshot runs outside the lock so that many clients reconnecting at once
// (a Wi-Fi blip in the lobby) neither serialise on it nor delay Publish. Its
// state may be ahead of the events published so far (c.after then filters
// out the ones it already includes) or behind them (the buffer fills the
// difference).
func (h *Hub) attach(c *client, since *uint64) (*start, *refusal) {
	for range snapshotTries {
		data, seq, ok := h.r.Snapshot(c.sub)
		if !ok {
			// The key is checked even on resume, so a page holding
			// a token that has gone away learns it instead of
			// waiting for updates that never come.
			reason := "unknown topic"
			if c.sub.Key != "" {
				reason = "unknown key"
			}
			return nil, &refusal{CloseUnknownKey, reason}
		}
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return nil, &refusal{websocket.CloseGoingAway, "server shutting down"}
		}
		var st *start
		switch {
		case since != nil && h.resumableLocked(*since, seq):
			c.after = *since
			st = &start{replay: h.buf.since(*since)}
		case h.coversLocked(seq):
			c.after = seq
			st = &start{hasSnap: true, snap: data, snapSeq: seq, replay: h.buf.since(seq)}
			if len(st.replay) == 0 {
				// The page starts from the snapshot: an update equal
				// to it is no news. (Replayed events are written by
				// the client's own goroutine, beside the fan-out: after
				// them, the next State is always sent.)
				c.state = stateHash(data)
			}
		}
		if st != nil {
			h.addLocked(c)
			h.mu.Unlock()
			return st, nil
		}
		h.mu.Unlock()
	}
	h.log.Warn("live: renderer lags the event feed by more than the buffer", "topic", c.sub.Topic)
	return nil, &refusal{websocket.CloseTryAgainLater, "try again"}
}

// resumableLocked reports whether a client that has seen every event up to n
// can continue from there, given the Renderer's state is at seq x.
func (h *Hub) resumableLocked(n, x uint64) bool {
	if h.buf.n == 0 {
		// Nothing published yet, so the only position known to be
		// complete is the Renderer's own.
		return n == x
	}
	// Up to x is fine even past the last published event: the rest of the
	// feed up to x is still to come and c.after filters it.
	return h.buf.keeps(n) && n <= max(h.buf.last(), x)
}

// coversLocked reports whether the events between a snapshot at seq x and
// the last published one are all still buffered.
func (h *Hub) coversLocked(x uint64) bool {
	return h.buf.n == 0 || h.buf.keeps(x)
}

func (h *Hub) addLocked(c *client) {
	h.clients[c] = struct{}{}
	cs := h.groups[c.sub]
	h.groups[c.sub] = append(cs[:len(cs):len(cs)], c)
	h.view = nil
}

func (h *Hub) detach(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; !ok {
		return
	}
	delete(h.clients, c)
	old := h.groups[c.sub]
	cs := make([]*client, 0, len(old))
	for _, o := range old {
		if o != c {
			cs = append(cs, o)
		}
	}
	if len(cs) == 0 {
		delete(h.groups, c.sub)
	} else {
		h.groups[c.sub] = cs
	}
	h.view = nil
}

// message is the wire format of every message.
type message struct {
	Seq  uint64 `json:"seq"`
	Type string `json:"type"`
	Data any    `json:"data"`
}

// emptyObject stands in for nil data: clients may read msg.data.x without
// checking for null.
var emptyObject = json.RawMessage("{}")

func encode(seq uint64, typ string, data any) ([]byte, error) {
	return appendMessage(nil, seq, typ, data)
}

// appendMessage appends the JSON of a message to dst.
func appendMessage(dst []byte, seq uint64, typ string, data any) ([]byte, error) {
	if data == nil {
		data = emptyObject
	}
	// The bytes of data already encoded, taken out without boxing them
	// into data again: that was an allocation per phone and event.
	var raw []byte
	encoded := true
	switch st := data.(type) {
	case State:
		raw = st
	case *Prepared:
		raw = st.raw
	case json.RawMessage:
		raw = st
	default:
		encoded = false
	}
	if encoded && plainType(typ) {
		// Data already encoded (a phone's status, made from its service's
		// template) is framed as it is: with thousands of phones, the
		// encoder's pass over each one's bytes is most of the fan-out.
		b := slices.Grow(dst, len(raw)+len(typ)+40)
		b = append(b, `{"seq":`...)
		b = strconv.AppendUint(b, seq, 10)
		b = append(append(append(b, `,"type":"`...), typ...), `","data":`...)
		b = append(b, raw...)
		return append(b, '}'), nil
	}
	if st, ok := data.(State); ok {
		data = json.RawMessage(st) // a State has no MarshalJSON of its own
	}
	msg, err := json.Marshal(message{Seq: seq, Type: typ, Data: data})
	if err != nil {
		return dst, err
	}
	return append(dst, msg...), nil
}

// plainType reports whether a message type needs no JSON escaping.
func plainType(typ string) bool {
	for i := 0; i < len(typ); i++ {
		if c := typ[i]; !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return typ != ""
}

// outMsg is one message queued for a client: a whole websocket frame,
// shared by the clients of one subscription.
type outMsg struct {
	frame []byte
}

// headRoom is the longest websocket frame header a server sends (no mask).
const headRoom = 10

// appendFrame appends a message as one unmasked, uncompressed websocket
// text frame to dst: what gorilla would write for it, put together once
// per subscription rather than once per socket. It returns dst grown and
// the frame, which ends it.
func appendFrame(dst []byte, seq uint64, typ string, data any) (buf, frame []byte, err error) {
	start := len(dst)
	dst = append(dst, make([]byte, headRoom)...)
	dst, err = appendMessage(dst, seq, typ, data)
	if err != nil {
		return dst[:start], nil, err
	}
	n := len(dst) - start - headRoom
	var head [headRoom]byte
	head[0] = 0x80 | websocket.TextMessage // FIN, text
	h := 2
	switch {
	case n <= 125:
		head[1] = byte(n)
	case n <= 0xffff:
		head[1] = 126
		binary.BigEndian.PutUint16(head[2:], uint16(n))
		h = 4
	default:
		head[1] = 127
		binary.BigEndian.PutUint64(head[2:], uint64(n))
		h = 10
	}
	off := start + headRoom - h
	copy(dst[off:], head[:h])
	return dst, dst[off:], nil
}
