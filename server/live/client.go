package live

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// client is one websocket connection. The ServeWS goroutine is its only
// writer and a second goroutine its only reader, as gorilla/websocket
// requires.
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

// offer queues a live message without blocking. A State equal to the last
// one offered (state, its hash; 0 for no State) is left out. It returns
// false if the client was dropped because its queue was full.
func (c *client) offer(seq uint64, m outMsg, state uint64) bool {
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
		conn:  conn,
		sub:   sub,
		owner: owner,
		id:    h.lastID.Add(1),
		max:   h.opt.SendQueue,
		wake:  make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	st, ref := h.attach(c, since)
	if ref != nil {
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
		if c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeGrace)) == nil {
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
	// The replay leaves out repeated States as the fan-out does, on its
	// own count: the fan-out may be offering live events meanwhile.
	var seen uint64
	if st.hasSnap {
		seen = stateHash(st.snap)
		ok := h.writeJSON(c, st.snapSeq, TypeSnapshot, st.snap)
		st.snap = nil
		if !ok {
			return
		}
	}
	replay := st.replay
	st.replay = nil // a long replay must not stay reachable for the connection's life
	for _, ev := range replay {
		select {
		case <-c.done:
			return
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
			return
		}
	}

	ping := time.NewTicker(h.opt.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-c.wake:
			batch := c.take()
			for _, m := range batch {
				c.conn.SetWriteDeadline(time.Now().Add(h.opt.WriteTimeout))
				var err error
				if m.pm != nil {
					err = c.conn.WritePreparedMessage(m.pm)
				} else {
					err = c.conn.WriteMessage(websocket.TextMessage, m.raw)
				}
				if err != nil {
					return
				}
			}
			c.recycle(batch)
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(h.opt.WriteTimeout)); err != nil {
				return
			}
			// Page scripts never see protocol pings; a text heartbeat (no
			// seq, so resumes ignore it) lets a TV or phone notice a
			// half-open connection and reconnect.
			c.conn.SetWriteDeadline(time.Now().Add(h.opt.WriteTimeout))
			if err := c.conn.WriteMessage(websocket.TextMessage, heartbeat); err != nil {
				return
			}
		case <-c.done:
			return
		}
	}
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
