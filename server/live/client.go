package live

import (
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// client is one websocket connection. A second goroutine is its only
// reader, as gorilla/websocket requires. Its writer goroutine writes the
// start, pings and whatever has to wait for room in the socket; the fan-out
// writes a live message itself when the socket takes it at once, which
// spares waking a goroutine per phone for every call. Whoever writes holds
// wmu, so the writes never interleave.
type client struct {
	conn  *websocket.Conn
	sub   Sub
	owner Owner
	id    uint64
	// after is the seq the client is current as of when attached; live
	// events up to it are already in its snapshot. Set before the client
	// is registered and never changed after.
	after uint64
	// state is the hash of the last State offered to the client (0: none
	// yet). Set at attach, then only by the fan-out, one event at a time.
	state uint64
	done  chan struct{} // closed by stop

	// direct writes to the socket without waiting (nil: it cannot, every
	// message goes through the writer goroutine).
	direct *direct
	// wmu is held by whoever writes to the socket: the writer goroutine
	// while it writes anything, the fan-out (TryLock, never waiting) while
	// it writes one message that nothing queued comes before.
	wmu sync.Mutex

	// The messages waiting for the writer. A slice that grows only when
	// messages wait, rather than a channel of SendQueue slots, so that an
	// idle phone (most of them) holds next to nothing.
	qmu   sync.Mutex
	queue []outMsg
	spare []outMsg      // the writer's last batch, emptied, for the next
	max   int           // SendQueue
	wake  chan struct{} // one slot: the queue has messages

	once   sync.Once
	code   int // close code to send, 0 for none; set by stop
	reason string
}

// stop asks the client's goroutines to end, sending a close frame with code
// unless it is 0. force closes the connection at once, for clients that are
// not reading and would never take a close frame anyway. stop reports whether
// this call was the one that stopped the client.
func (c *client) stop(code int, reason string, force bool) bool {
	first := false
	c.once.Do(func() {
		first = true
		c.code, c.reason = code, reason
		close(c.done)
	})
	if force {
		c.conn.Close() // safe alongside a blocked write; unblocks it
	}
	return first
}

// partialWrites counts the frames a socket took only part of at once (the
// writer goroutine wrote the rest), for tests.
var partialWrites atomic.Int64

// errFull is a socket whose send buffer has no room at all.
var errFull = errors.New("socket buffer full")

// offer hands a live message (frame, a whole websocket frame) to the client
// without blocking: written at once if the socket takes it whole and
// nothing waits before it, else queued for the writer goroutine. scratch
// says that frame is the caller's to reuse, so a queued one is copied. A
// State equal to the last one offered (state, its hash; 0 for no State) is
// left out. It returns false if the client was dropped as too slow.
func (c *client) offer(seq uint64, frame []byte, scratch bool, state uint64) bool {
	if seq <= c.after {
		return true
	}
	select {
	case <-c.done:
		return true
	default:
	}
	if state != 0 {
		if state == c.state {
			return true
		}
		c.state = state
	}
	if c.direct != nil && c.wmu.TryLock() {
		taken := c.writeIdle(frame)
		if taken == len(frame) {
			c.wmu.Unlock()
			return true
		}
		// The rest of a frame the socket took part of is queued before
		// the socket is let go, so the writer finishes it before anyone
		// else writes.
		if taken > 0 {
			partialWrites.Add(1)
		}
		ok := c.enqueue(frame[taken:], scratch)
		c.wmu.Unlock()
		return ok
	}
	return c.enqueue(frame, scratch)
}

// enqueue queues a frame for the writer goroutine, copied first if it is
// scratch. It returns false if the client was dropped because its queue was
// full.
func (c *client) enqueue(frame []byte, scratch bool) bool {
	if scratch {
		frame = slices.Clone(frame)
	}
	m := outMsg{frame: frame}
	c.qmu.Lock()
	if len(c.queue) >= c.max {
		c.qmu.Unlock()
		return !c.stop(websocket.CloseTryAgainLater, "too slow", true)
	}
	if c.queue == nil {
		c.queue, c.spare = c.spare, nil
	}
	c.queue = append(c.queue, m)
	c.qmu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default: // the writer is already told
	}
	return true
}

// writeIdle writes as much of frame as the socket takes at once, if nothing
// queued comes before it, and returns how much is dealt with (all of it
// when the socket is gone). The caller holds wmu.
func (c *client) writeIdle(frame []byte) int {
	c.qmu.Lock()
	idle := len(c.queue) == 0
	c.qmu.Unlock()
	if !idle {
		return 0 // after what waits: the writer is on it
	}
	select {
	case <-c.done:
		return len(frame)
	default:
	}
	n, err := c.direct.now(frame)
	if err != nil && !errors.Is(err, errFull) {
		c.stop(0, "", true) // the socket is broken; the reader sees it too
		return len(frame)
	}
	return n
}

// writeControl writes a control frame in its turn at the socket: the
// reader's answers to a peer's ping or close go through here, so that they
// never land inside a frame the fan-out wrote part of.
func (c *client) writeControl(typ int, data []byte, wait time.Duration) error {
	c.wmu.Lock()
	defer c.unlockWrites()
	return c.conn.WriteControl(typ, data, time.Now().Add(wait))
}

// answerPing is gorilla's default ping handler, in the socket's turn.
func (c *client) answerPing(data string) error {
	err := c.writeControl(websocket.PongMessage, []byte(data), closeGrace)
	var ne net.Error
	if errors.Is(err, websocket.ErrCloseSent) || errors.As(err, &ne) && ne.Timeout() {
		return nil
	}
	return err
}

// answerClose is gorilla's default close handler, in the socket's turn.
func (c *client) answerClose(code int, _ string) error {
	c.writeControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), closeGrace)
	return nil
}

// writeQueued writes the queued frames in one go; the caller holds wmu.
// They bypass gorilla's framing (they are whole frames already, or the
// rest of one).
func (c *client) writeQueued(batch []outMsg, timeout time.Duration) error {
	nc := c.conn.NetConn()
	nc.SetWriteDeadline(time.Now().Add(timeout))
	if len(batch) == 1 {
		_, err := nc.Write(batch[0].frame)
		return err
	}
	bufs := make(net.Buffers, len(batch))
	for i, m := range batch {
		bufs[i] = m.frame
	}
	_, err := bufs.WriteTo(nc)
	return err
}

// unlockWrites ends the writer goroutine's turn at the socket. A write that
// never waits is refused once a deadline has passed, so the deadline the
// turn set is cleared first.
func (c *client) unlockWrites() {
	if c.direct != nil {
		c.conn.NetConn().SetWriteDeadline(time.Time{})
	}
	c.wmu.Unlock()
}

// keepBatch is the largest batch whose slice the writer keeps for the next:
// a burst's bigger one goes back to the heap.
const keepBatch = 8

// take returns the queued messages; recycle hands the batch back for reuse.
func (c *client) take() []outMsg {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	b := c.queue
	c.queue = nil
	return b
}

func (c *client) recycle(b []outMsg) {
	clear(b)
	if cap(b) > keepBatch {
		return
	}
	c.qmu.Lock()
	if c.spare == nil {
		c.spare = b[:0]
	}
	c.qmu.Unlock()
}

// ServeWS upgrades the request to a websocket and streams sub to it until the
// client goes away or the hub closes. The caller has already authorised and
// validated sub. since is nil unless the client asked to resume after that
// seq.
func (h *Hub) ServeWS(w http.ResponseWriter, req *http.Request, sub Sub, since *uint64) {
	h.ServeAs(w, req, sub, since, Owner{})
}

// ServeAs is ServeWS for a socket opened by owner: Disconnect can close it
// later, and it counts against owner.Addr's cap.
func (h *Hub) ServeAs(w http.ResponseWriter, req *http.Request, sub Sub, since *uint64, owner Owner) {
	if !h.reserve(owner.Addr) {
		h.refuse(w, req, http.StatusTooManyRequests, errTooMany)
		return
	}
	if !h.enter() {
		h.release(owner.Addr)
		http.Error(w, "live updates are shutting down", http.StatusServiceUnavailable)
		return
	}
	conn, err := h.up.Upgrade(w, req, nil)
	if err != nil {
		h.log.Debug("live: upgrade failed", "err", err)
		h.release(owner.Addr)
		h.wg.Done()
		return // Upgrade has answered the request
	}
	conn.SetReadLimit(readLimit)
	c := &client{
		conn:   conn,
		sub:    sub,
		owner:  owner,
		id:     h.lastID.Add(1),
		max:    h.opt.SendQueue,
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
		direct: newDirect(conn.NetConn()),
	}
	conn.SetPingHandler(c.answerPing)
	conn.SetCloseHandler(c.answerClose)
	// The start goes out before anything live: the socket is held from
	// before the client can be offered a message (attach) until
	// writeStart is done with it.
	c.wmu.Lock()
	st, ref := h.attach(c, since)
	if ref != nil {
		c.wmu.Unlock() // its close handler answers the peer's close
		closeNow(conn, ref.code, ref.reason)
		h.release(owner.Addr)
		h.wg.Done()
		return
	}
	// The connection is hijacked: serve it on a goroutine of its own and let
	// the HTTP handler return, so that the handler's grown stack and the
	// server's per-request buffers are freed for the life of the socket —
	// most of the memory a connected phone costs.
	go func() {
		defer h.wg.Done()
		defer h.release(owner.Addr)
		defer h.detach(c)
		if h.opt.OnLeave != nil {
			defer h.opt.OnLeave(c.id, c.sub)
		}
		h.serve(c, st)
		h.log.Debug("live: client gone", "topic", sub.Topic, "code", c.code, "reason", c.reason)
	}()
}

func (h *Hub) serve(c *client, st *start) {
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		h.read(c)
	}()

	h.write(c, st)
	c.stop(0, "", false) // the writer may have ended on its own, on an error
	if c.code != 0 {
		msg := websocket.FormatCloseMessage(c.code, c.reason)
		if c.writeControl(websocket.CloseMessage, msg, closeGrace) == nil {
			// Give the peer a moment to answer, so that it sees a
			// clean close carrying our code.
			t := time.NewTimer(closeGrace)
			select {
			case <-readDone:
			case <-t.C:
			}
			t.Stop()
		}
	}
	c.conn.Close()
	<-readDone
}

var errTooMany = errors.New("too many live connections from this address")

// refuse answers a request the hub will not upgrade.
func (h *Hub) refuse(w http.ResponseWriter, req *http.Request, status int, reason error) {
	if h.opt.Refuse != nil {
		h.opt.Refuse(w, req, status, reason)
		return
	}
	http.Error(w, reason.Error(), status)
}

// read hands text messages to OnMessage and discards the rest; reading is
// needed anyway to process pongs and close frames and to notice a dead peer.
func (h *Hub) read(c *client) {
	defer c.stop(0, "", false)
	wait := 2 * h.opt.PingInterval
	alive := func(string) error { return c.conn.SetReadDeadline(time.Now().Add(wait)) }
	c.conn.SetPongHandler(alive)
	alive("")
	for {
		typ, r, err := c.conn.NextReader()
		if err != nil {
			return
		}
		if typ == websocket.TextMessage && h.opt.OnMessage != nil {
			data, err := io.ReadAll(r)
			if err != nil {
				return
			}
			h.opt.OnMessage(c.id, c.sub, data)
		}
		alive("")
	}
}

// write sends st, then live messages and pings, until the client is stopped or
// a write fails.
func (h *Hub) write(c *client, st *start) {
	if !h.writeStart(c, st) {
		return
	}
	ping := time.NewTicker(h.opt.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-c.wake:
			c.wmu.Lock()
			batch := c.take()
			err := c.writeQueued(batch, h.opt.WriteTimeout)
			c.unlockWrites()
			c.recycle(batch)
			if err != nil {
				return
			}
		case <-ping.C:
			if !h.ping(c) {
				return
			}
		case <-c.done:
			return
		}
	}
}

// writeStart writes the snapshot and replay of st, and lets go of the
// socket, which ServeAs took for it.
func (h *Hub) writeStart(c *client, st *start) bool {
	defer c.unlockWrites()
	// The replay leaves out repeated States as the fan-out does, on its
	// own count: the fan-out may be offering live events meanwhile.
	var seen uint64
	if st.hasSnap {
		seen = stateHash(st.snap)
		ok := h.writeJSON(c, st.snapSeq, TypeSnapshot, st.snap)
		st.snap = nil
		if !ok {
			return false
		}
	}
	replay := st.replay
	st.replay = nil // a long replay must not stay reachable for the connection's life
	for _, ev := range replay {
		select {
		case <-c.done:
			return false
		default:
		}
		// Rendered here, not under the hub lock at attach, so that a
		// long replay delays nobody else.
		typ, data, ok := h.r.Render(c.sub, ev)
		if !ok {
			continue
		}
		if typ == "" {
			typ = ev.Type
		}
		if state := stateHash(data); state != 0 {
			if state == seen {
				continue
			}
			seen = state
		}
		if !h.writeJSON(c, ev.Seq, typ, data) {
			return false
		}
	}
	return true
}

// ping writes a protocol ping and a text heartbeat.
func (h *Hub) ping(c *client) bool {
	c.wmu.Lock()
	defer c.unlockWrites()
	if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(h.opt.WriteTimeout)); err != nil {
		return false
	}
	// Page scripts never see protocol pings; a text heartbeat (no seq, so
	// resumes ignore it) lets a TV or phone notice a half-open connection
	// and reconnect.
	c.conn.SetWriteDeadline(time.Now().Add(h.opt.WriteTimeout))
	return c.conn.WriteMessage(websocket.TextMessage, heartbeat) == nil
}

var heartbeat = []byte(`{"type":"ping"}`)

// writeJSON writes one message meant for c alone; it reports whether the
// client can go on.
func (h *Hub) writeJSON(c *client, seq uint64, typ string, data any) bool {
	msg, err := encode(seq, typ, data)
	if err != nil {
		h.log.Error("live: encode message", "seq", seq, "type", typ, "err", err)
		c.stop(websocket.CloseInternalServerErr, "internal error", false)
		return false
	}
	c.conn.SetWriteDeadline(time.Now().Add(h.opt.WriteTimeout))
	return c.conn.WriteMessage(websocket.TextMessage, msg) == nil
}

// closeNow closes a connection that was never attached, telling the peer why.
func closeNow(conn *websocket.Conn, code int, reason string) {
	deadline := time.Now().Add(closeGrace)
	msg := websocket.FormatCloseMessage(code, reason)
	if conn.WriteControl(websocket.CloseMessage, msg, deadline) == nil {
		// Wait for the peer's close frame so that it sees a clean close.
		conn.SetReadDeadline(deadline)
		for {
			if _, _, err := conn.NextReader(); err != nil {
				break
			}
		}
	}
	conn.Close()
}
