package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	bolt "go.etcd.io/bbolt"

	"queuebox/server/queue"
)

// The bare servers are the machine's limit for the work the box does: the
// same record made durable by a plain echo handler, and the same-size
// message written to the same clients by a plain gorilla hub. They leave out
// everything the box adds (auth, the engine, per-phone rendering), so the
// ratio to them is what that costs.

// serveBareIssue answers POST /update, /batch and /group by writing a new
// ticket and its "issued" event, in the shapes the store writes, in three
// ways: one bbolt transaction per request (/update), bbolt's own group commit
// (/batch), and one goroutine committing whatever is waiting in one
// transaction (/group, the store's way). The best of the three is the limit:
// one transaction per request wins for a lone client, grouping once
// requests overlap.
func serveBareIssue(ctx context.Context, addr, dir string) error {
	db, err := bolt.Open(filepath.Join(dir, "bare.db"), 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return err
	}
	defer db.Close()
	// A short delay: a batch should not wait long for company it may not get.
	db.MaxBatchDelay = time.Millisecond
	bTickets, bEvents := []byte("tickets"), []byte("events")
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bTickets, bEvents} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	put := func(tx *bolt.Tx, serviceID string, now time.Time) ([]byte, error) {
		tickets := tx.Bucket(bTickets)
		id, err := tickets.NextSequence()
		if err != nil {
			return nil, err
		}
		t := queue.Ticket{ID: strconv.FormatUint(id, 10), Number: fmt.Sprintf("A%03d", id), ServiceID: serviceID,
			Status: queue.StatusWaiting, Token: bareToken(), Date: now.UTC().Format(time.DateOnly), IssuedAt: now, Source: "device:bare"}
		rec, err := json.Marshal(t)
		if err != nil {
			return nil, err
		}
		ev, err := json.Marshal(queue.Event{Seq: id, Type: queue.EventIssued, At: now, Actor: t.Source, Ticket: &t})
		if err != nil {
			return nil, err
		}
		key := binary.BigEndian.AppendUint64(nil, id)
		if err := tickets.Put(key, rec); err != nil {
			return nil, err
		}
		return rec, tx.Bucket(bEvents).Put(key, ev)
	}
	handle := func(commit func(serviceID string) ([]byte, error)) echo.HandlerFunc {
		return func(c echo.Context) error {
			var req struct {
				ServiceID string `json:"service_id"`
			}
			if err := json.NewDecoder(c.Request().Body).Decode(&req); err != nil || req.ServiceID == "" {
				return c.NoContent(http.StatusBadRequest)
			}
			rec, err := commit(req.ServiceID)
			if err != nil {
				return err
			}
			return c.JSONBlob(http.StatusCreated, rec)
		}
	}
	tx := func(run func(func(*bolt.Tx) error) error) func(string) ([]byte, error) {
		return func(serviceID string) ([]byte, error) {
			var rec []byte
			err := run(func(tx *bolt.Tx) error {
				var err error
				rec, err = put(tx, serviceID, time.Now())
				return err
			})
			return rec, err
		}
	}
	g := &grouper{reqs: make(chan *groupReq, 1024)}
	go g.run(ctx, db, put)

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/update", handle(tx(db.Update)))
	e.POST("/batch", handle(tx(db.Batch)))
	e.POST("/group", handle(g.commit))
	return serveUntil(ctx, addr, e)
}

// grouper commits whatever requests are waiting in one transaction, so the
// batch size follows the load with no timer.
type grouper struct {
	reqs chan *groupReq
}

type groupReq struct {
	serviceID string
	rec       []byte
	done      chan error
}

func (g *grouper) commit(serviceID string) ([]byte, error) {
	r := &groupReq{serviceID: serviceID, done: make(chan error, 1)}
	g.reqs <- r
	err := <-r.done
	return r.rec, err
}

func (g *grouper) run(ctx context.Context, db *bolt.DB, put func(*bolt.Tx, string, time.Time) ([]byte, error)) {
	for {
		var batch []*groupReq
		select {
		case r := <-g.reqs:
			batch = append(batch, r)
		case <-ctx.Done():
			return
		}
	more:
		for {
			select {
			case r := <-g.reqs:
				batch = append(batch, r)
			default:
				break more
			}
		}
		now := time.Now()
		err := db.Update(func(tx *bolt.Tx) error {
			for _, r := range batch {
				var err error
				if r.rec, err = put(tx, r.serviceID, now); err != nil {
					return err
				}
			}
			return nil
		})
		for _, r := range batch {
			r.done <- err
		}
	}
}

func bareToken() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// serveUntil serves h on addr, announces the address and shuts down when
// ctx ends.
func serveUntil(ctx context.Context, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	announce("addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shut)
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// bareHub is the textbook gorilla broadcast: a reader and a writer
// goroutine per connection, a buffered send channel each, and a publish that
// drops whoever is too slow.
type bareHub struct {
	mu      sync.Mutex
	seq     uint64
	clients map[*bareClient]struct{}
	closed  bool
	wg      sync.WaitGroup
	done    chan struct{}
}

type bareClient struct {
	conn *websocket.Conn
	send chan []byte
}

// serveBareFanout answers GET /ws (a websocket that first gets a small
// snapshot, like the box's) and POST /publish?size=N, which sends every
// client the next message of exactly N bytes.
func serveBareFanout(ctx context.Context, addr string) error {
	h := &bareHub{clients: map[*bareClient]struct{}{}, done: make(chan struct{})}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		h.serve(conn)
	})
	mux.HandleFunc("POST /publish", func(w http.ResponseWriter, r *http.Request) {
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		seq := h.publish(size)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"seq":%d}`, seq)
	})
	err := serveUntil(ctx, addr, mux)
	// The HTTP server does not track hijacked connections: end them here.
	h.mu.Lock()
	h.closed = true
	close(h.done)
	h.mu.Unlock()
	h.wg.Wait()
	return err
}

func (h *bareHub) serve(conn *websocket.Conn) {
	c := &bareClient{conn: conn, send: make(chan []byte, 256)}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		conn.Close()
		return
	}
	h.wg.Add(1)
	defer h.wg.Done()
	snap := fmt.Sprintf(`{"seq":%d,"type":"snapshot","data":{}}`, h.seq)
	h.clients[c] = struct{}{}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.clients, c)
		h.mu.Unlock()
		conn.Close()
	}()
	gone := make(chan struct{})
	go func() {
		defer close(gone)
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()
	conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if conn.WriteMessage(websocket.TextMessage, []byte(snap)) != nil {
		return
	}
	for {
		select {
		case msg := <-c.send:
			conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if conn.WriteMessage(websocket.TextMessage, msg) != nil {
				return
			}
		case <-gone:
			return
		case <-h.done:
			return
		}
	}
}

func (h *bareHub) publish(size int) uint64 {
	h.mu.Lock()
	h.seq++
	seq := h.seq
	cs := make([]*bareClient, 0, len(h.clients))
	for c := range h.clients {
		cs = append(cs, c)
	}
	h.mu.Unlock()
	msg := sized(seq, size)
	for _, c := range cs {
		select {
		case c.send <- msg:
		default:
			c.conn.Close()
		}
	}
	return seq
}

// sized is a status-like message padded to size bytes.
func sized(seq uint64, size int) []byte {
	head := fmt.Sprintf(`{"seq":%d,"type":"status","data":{"pad":"`, seq)
	const tail = `"}}`
	return []byte(head + strings.Repeat("x", max(0, size-len(head)-len(tail))) + tail)
}
