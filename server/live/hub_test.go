package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// tdata is the data of the tests' events.
type tdata struct {
	Token string `json:"token,omitempty"`
	Pad   string `json:"pad,omitempty"`
}

// fakeEngine stands in for the queue engine: its state is the seq it has
// reached and the ticket tokens it knows.
type fakeEngine struct {
	mu     sync.Mutex
	seq    uint64
	tokens map[string]bool
}

func (f *fakeEngine) Snapshot(sub Sub) (any, uint64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch sub.Topic {
	case "display", "queue":
		return map[string]any{"topic": sub.Topic, "seq": f.seq}, f.seq, true
	case "status":
		if !f.tokens[sub.Key] {
			return nil, 0, false
		}
		return map[string]any{"token": sub.Key, "seq": f.seq}, f.seq, true
	}
	return nil, 0, false
}

// Render: "bye" goes to everyone, the queue sees every event, the display
// only calls, and a status page only its own ticket's events.
func (f *fakeEngine) Render(sub Sub, ev Event) (string, any, bool) {
	d, _ := ev.Data.(tdata)
	switch {
	case ev.Type == "bye":
		return "", nil, true
	case sub.Topic == "queue":
		return "", ev.Data, true
	case sub.Topic == "display":
		return "", ev.Data, ev.Type == "called"
	case sub.Topic == "status" && d.Token == sub.Key:
		return "status", map[string]string{"token": d.Token, "event": ev.Type}, true
	}
	return "", nil, false
}

func (f *fakeEngine) commit(typ, token, pad string) Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	return Event{Seq: f.seq, Type: typ, Data: tdata{Token: token, Pad: pad}}
}

func (f *fakeEngine) setSeq(seq uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq = seq
}

// rig is a hub behind a real HTTP server, mounted the way the server does.
type rig struct {
	t       testing.TB
	eng     *fakeEngine
	hub     *Hub
	srv     *httptest.Server
	pending []Event // committed by the engine, not yet fed to the hub
}

func newRig(t testing.TB, o Options, wrap func(net.Listener) net.Listener) *rig {
	t.Helper()
	return newRigWith(t, o, wrap, nil)
}

// newRigWith is newRig with a renderer of its own over the fake engine
// (nil: the fake engine's).
func newRigWith(t testing.TB, o Options, wrap func(net.Listener) net.Listener, render func(*fakeEngine) Renderer) *rig {
	t.Helper()
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	r := &rig{t: t, eng: &fakeEngine{tokens: map[string]bool{"A": true, "B": true}}}
	var rr Renderer = r.eng
	if render != nil {
		rr = render(r.eng)
	}
	r.hub = New(rr, o)
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		q := req.URL.Query()
		var since *uint64
		if s := q.Get("since"); s != "" {
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				http.Error(w, "bad since", http.StatusBadRequest)
				return
			}
			since = &n
		}
		r.hub.ServeWS(w, req, Sub{Topic: q.Get("topic"), Key: q.Get("key")}, since)
	}))
	if wrap != nil {
		r.srv.Listener = wrap(r.srv.Listener)
	}
	r.srv.Start()
	t.Cleanup(r.srv.Close)
	t.Cleanup(r.hub.Close) // runs first: the server does not track websockets
	return r
}

// publish commits an event and feeds it to the hub, as the server does.
func (r *rig) publish(typ, token string) Event {
	ev := r.eng.commit(typ, token, "")
	r.hub.Publish(ev)
	return ev
}

// commitOnly commits an event the feed has not delivered yet.
func (r *rig) commitOnly(typ, token string) {
	r.pending = append(r.pending, r.eng.commit(typ, token, ""))
}

func (r *rig) feed() {
	for _, ev := range r.pending {
		r.hub.Publish(ev)
	}
	r.pending = nil
}

func (r *rig) url(query string) string {
	return "ws" + strings.TrimPrefix(r.srv.URL, "http") + "/api/v1/live?" + query
}

func (r *rig) dialWith(d *websocket.Dialer, query string) *websocket.Conn {
	r.t.Helper()
	conn, resp, err := d.Dial(r.url(query), nil)
	if err != nil {
		r.t.Fatalf("dial %s: %v", query, err)
	}
	resp.Body.Close()
	r.t.Cleanup(func() { conn.Close() })
	return conn
}

// connect dials and waits until the hub has attached the client, so that
// what the test publishes next is a live event for it.
func (r *rig) connect(query string) *websocket.Conn {
	r.t.Helper()
	n := r.hub.Clients()
	conn := r.dialWith(websocket.DefaultDialer, query)
	waitFor(r.t, fmt.Sprintf("%d clients", n+1), func() bool { return r.hub.Clients() == n+1 })
	return conn
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func readMsg(t testing.TB, conn *websocket.Conn) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, b, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.TextMessage {
		t.Fatalf("message type %d, want text", typ)
	}
	return string(b)
}

type header struct {
	Seq  uint64 `json:"seq"`
	Type string `json:"type"`
}

func parse(t testing.TB, msg string) header {
	t.Helper()
	var h header
	if err := json.Unmarshal([]byte(msg), &h); err != nil {
		t.Fatalf("decode %q: %v", msg, err)
	}
	return h
}

// brief shortens a message to "seq type" for tables.
func brief(t testing.TB, msg string) string {
	h := parse(t, msg)
	return fmt.Sprintf("%d %s", h.Seq, h.Type)
}

// readUntil reads messages until one with a seq of at least seq.
func readUntil(t testing.TB, conn *websocket.Conn, seq uint64) []string {
	t.Helper()
	var got []string
	for {
		msg := readMsg(t, conn)
		got = append(got, msg)
		if parse(t, msg).Seq >= seq {
			return got
		}
	}
}

func equal(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

// collector reads a connection in the background, as a browser does.
type collector struct {
	msgs chan string // closed when reading fails
	err  error       // valid once msgs is closed
}

func collect(conn *websocket.Conn) *collector {
	c := &collector{msgs: make(chan string, 10000)}
	go func() {
		defer close(c.msgs)
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				c.err = err
				return
			}
			c.msgs <- string(b)
		}
	}()
	return c
}

func (c *collector) next(t testing.TB) string {
	t.Helper()
	select {
	case msg, ok := <-c.msgs:
		if !ok {
			t.Fatalf("connection ended: %v", c.err)
		}
		return msg
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for a message")
	}
	return ""
}

// end waits for the connection to fail and returns why.
func (c *collector) end(t testing.TB) error {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-c.msgs:
			if !ok {
				return c.err
			}
		case <-timeout:
			t.Fatal("timed out waiting for the connection to end")
		}
	}
}

func TestSnapshotFirst(t *testing.T) {
	tests := []struct {
		query string
		want  []string
	}{
		{"topic=display", []string{
			`{"seq":2,"type":"snapshot","data":{"seq":2,"topic":"display"}}`,
			`{"seq":3,"type":"called","data":{"token":"A"}}`,
		}},
		{"topic=queue", []string{
			`{"seq":2,"type":"snapshot","data":{"seq":2,"topic":"queue"}}`,
			`{"seq":3,"type":"called","data":{"token":"A"}}`,
		}},
		{"topic=status&key=A", []string{
			`{"seq":2,"type":"snapshot","data":{"seq":2,"token":"A"}}`,
			`{"seq":3,"type":"status","data":{"event":"called","token":"A"}}`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := newRig(t, Options{}, nil)
			r.publish("issued", "A")
			r.publish("issued", "B")
			conn := r.connect(tt.query)
			r.publish("called", "A")
			var got []string
			for range tt.want {
				got = append(got, readMsg(t, conn))
			}
			if !equal(got, tt.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestSince(t *testing.T) {
	publish10 := func(r *rig) {
		for range 10 {
			r.publish("issued", "")
		}
	}
	tests := []struct {
		name  string
		setup func(r *rig)
		since string // "" for none
		// live delivers events after the client is attached; by default
		// one "called" event.
		live func(r *rig)
		want []string
	}{
		{name: "no since", setup: publish10, want: []string{"10 snapshot", "11 called"}},
		{name: "replay", setup: publish10, since: "8", want: []string{"9 issued", "10 issued", "11 called"}},
		{name: "replay from oldest kept", setup: publish10, since: "6",
			want: []string{"7 issued", "8 issued", "9 issued", "10 issued", "11 called"}},
		{name: "up to date", setup: publish10, since: "10", want: []string{"11 called"}},
		{name: "gap too old", setup: publish10, since: "5", want: []string{"10 snapshot", "11 called"}},
		{name: "zero too old", setup: publish10, since: "0", want: []string{"10 snapshot", "11 called"}},
		{name: "zero with all kept", setup: func(r *rig) { r.publish("issued", ""); r.publish("issued", "") },
			since: "0", want: []string{"1 issued", "2 issued", "3 called"}},
		{name: "since in the future", setup: publish10, since: "99", want: []string{"10 snapshot", "11 called"}},
		{name: "fresh hub, since matches state", setup: func(r *rig) { r.eng.setSeq(50) },
			since: "50", want: []string{"51 called"}},
		{name: "fresh hub, since older", setup: func(r *rig) { r.eng.setSeq(50) },
			since: "49", want: []string{"50 snapshot", "51 called"}},
		{name: "fresh hub, since newer", setup: func(r *rig) { r.eng.setSeq(50) },
			since: "70", want: []string{"50 snapshot", "51 called"}},
		{
			name: "engine ahead of feed, snapshot",
			setup: func(r *rig) {
				publish10(r)
				r.commitOnly("issued", "")
				r.commitOnly("issued", "")
			},
			live: func(r *rig) { r.feed(); r.publish("called", "") },
			want: []string{"12 snapshot", "13 called"},
		},
		{
			name: "engine ahead of feed, resume",
			setup: func(r *rig) {
				publish10(r)
				r.commitOnly("issued", "")
				r.commitOnly("issued", "")
			},
			since: "11",
			live:  func(r *rig) { r.feed(); r.publish("called", "") },
			want:  []string{"12 issued", "13 called"},
		},
		{
			name: "engine behind feed",
			setup: func(r *rig) {
				publish10(r)
				r.eng.setSeq(8)
			},
			live: func(r *rig) { r.hub.Publish(Event{Seq: 11, Type: "called"}) },
			want: []string{"8 snapshot", "9 issued", "10 issued", "11 called"},
		},
		{
			name: "stale and duplicate events ignored",
			setup: func(r *rig) {
				publish10(r)
				r.hub.Publish(Event{Seq: 10, Type: "dup"})
				r.hub.Publish(Event{Seq: 3, Type: "dup"})
			},
			since: "8",
			want:  []string{"9 issued", "10 issued", "11 called"},
		},
		{
			name: "gap in feed, resume before it",
			setup: func(r *rig) {
				publish10(r)
				r.eng.setSeq(14)
				r.hub.Publish(Event{Seq: 15, Type: "issued"})
				r.eng.setSeq(15)
			},
			since: "9",
			want:  []string{"15 snapshot", "16 called"},
		},
		{
			name: "gap in feed, resume after it",
			setup: func(r *rig) {
				publish10(r)
				r.eng.setSeq(14)
				r.hub.Publish(Event{Seq: 15, Type: "issued"})
				r.eng.setSeq(15)
			},
			since: "14",
			want:  []string{"15 issued", "16 called"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, Options{Buffer: 4}, nil)
			tt.setup(r)
			q := "topic=queue"
			if tt.since != "" {
				q += "&since=" + tt.since
			}
			conn := r.connect(q)
			if tt.live != nil {
				tt.live(r)
			} else {
				r.publish("called", "")
			}
			last, err := strconv.ParseUint(strings.Fields(tt.want[len(tt.want)-1])[0], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, msg := range readUntil(t, conn, last) {
				got = append(got, brief(t, msg))
			}
			if !equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRenderFilter(t *testing.T) {
	r := newRig(t, Options{}, nil)
	queries := []string{"topic=display", "topic=queue", "topic=status&key=A", "topic=status&key=B"}
	conns := make([]*websocket.Conn, len(queries))
	for i, q := range queries {
		conns[i] = r.connect(q)
	}
	r.publish("issued", "A")
	r.publish("called", "A")
	r.publish("called", "B")
	r.publish("bye", "")

	want := [][]string{{
		`{"seq":0,"type":"snapshot","data":{"seq":0,"topic":"display"}}`,
		`{"seq":2,"type":"called","data":{"token":"A"}}`,
		`{"seq":3,"type":"called","data":{"token":"B"}}`,
		`{"seq":4,"type":"bye","data":{}}`,
	}, {
		`{"seq":0,"type":"snapshot","data":{"seq":0,"topic":"queue"}}`,
		`{"seq":1,"type":"issued","data":{"token":"A"}}`,
		`{"seq":2,"type":"called","data":{"token":"A"}}`,
		`{"seq":3,"type":"called","data":{"token":"B"}}`,
		`{"seq":4,"type":"bye","data":{}}`,
	}, {
		`{"seq":0,"type":"snapshot","data":{"seq":0,"token":"A"}}`,
		`{"seq":1,"type":"status","data":{"event":"issued","token":"A"}}`,
		`{"seq":2,"type":"status","data":{"event":"called","token":"A"}}`,
		`{"seq":4,"type":"bye","data":{}}`,
	}, {
		`{"seq":0,"type":"snapshot","data":{"seq":0,"token":"B"}}`,
		`{"seq":3,"type":"status","data":{"event":"called","token":"B"}}`,
		`{"seq":4,"type":"bye","data":{}}`,
	}}
	for i, q := range queries {
		got := readUntil(t, conns[i], 4)
		if !equal(got, want[i]) {
			t.Errorf("%s: got\n%s\nwant\n%s", q, strings.Join(got, "\n"), strings.Join(want[i], "\n"))
		}
	}
}

func TestUnknownKeyRefused(t *testing.T) {
	tests := []struct {
		query      string
		wantReason string
	}{
		{"topic=status&key=nope", "unknown key"},
		{"topic=status&key=nope&since=0", "unknown key"},
		{"topic=weather", "unknown topic"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := newRig(t, Options{}, nil)
			r.publish("issued", "A")
			conn := r.dialWith(websocket.DefaultDialer, tt.query)
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, msg, err := conn.ReadMessage()
			var ce *websocket.CloseError
			if !errors.As(err, &ce) {
				t.Fatalf("got message %q, error %v; want close error", msg, err)
			}
			if ce.Code != CloseUnknownKey || ce.Text != tt.wantReason {
				t.Errorf("got close %d %q, want %d %q", ce.Code, ce.Text, CloseUnknownKey, tt.wantReason)
			}
			if n := r.hub.Clients(); n != 0 {
				t.Errorf("got %d clients, want 0", n)
			}
		})
	}
}

func TestOrigin(t *testing.T) {
	allow := func(*http.Request) bool { return true }
	deny := func(*http.Request) bool { return false }
	tests := []struct {
		name   string
		check  func(*http.Request) bool
		origin string // "SELF" is replaced by the server's own origin
		want   int
	}{
		{"no origin", nil, "", http.StatusSwitchingProtocols},
		{"same origin", nil, "SELF", http.StatusSwitchingProtocols},
		{"other origin", nil, "http://evil.example", http.StatusForbidden},
		{"null origin", nil, "null", http.StatusForbidden},
		{"custom allows", allow, "http://evil.example", http.StatusSwitchingProtocols},
		{"custom denies", deny, "", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, Options{CheckOrigin: tt.check}, nil)
			h := http.Header{}
			if tt.origin != "" {
				h.Set("Origin", strings.Replace(tt.origin, "SELF", r.srv.URL, 1))
			}
			conn, resp, err := websocket.DefaultDialer.Dial(r.url("topic=display"), h)
			if conn != nil {
				conn.Close()
			}
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("got status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

// TestConnectWhilePublishing checks that no event is lost or duplicated
// between a client's snapshot or replay and its live events, whatever the
// timing of connect against Publish.
func TestConnectWhilePublishing(t *testing.T) {
	const events, clients = 300, 24
	r := newRig(t, Options{Buffer: 64, SendQueue: 1024}, nil)
	for range 10 {
		r.publish("called", "A")
	}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 10; i < events; i++ {
			r.hub.Publish(r.eng.commit("called", "A", ""))
			if i%8 == 0 {
				time.Sleep(100 * time.Microsecond)
			}
		}
	}()
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 300 * time.Microsecond)
			q := []string{"topic=queue", "topic=status&key=A", "topic=display"}[i%3]
			var since uint64
			resume := i%2 == 1
			if resume {
				r.eng.mu.Lock()
				// Some within the buffer, some beyond it.
				since = r.eng.seq - uint64(min(r.eng.seq, uint64(i*4)))
				r.eng.mu.Unlock()
				q += "&since=" + strconv.FormatUint(since, 10)
			}
			conn, resp, err := websocket.DefaultDialer.Dial(r.url(q), nil)
			if err != nil {
				t.Errorf("dial %s: %v", q, err)
				return
			}
			resp.Body.Close()
			defer conn.Close()
			var prev uint64
			for first := true; prev < events; first = false {
				conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				_, b, err := conn.ReadMessage()
				if err != nil {
					t.Errorf("%s: after seq %d: %v", q, prev, err)
					return
				}
				var h header
				if err := json.Unmarshal(b, &h); err != nil {
					t.Errorf("%s: decode %q: %v", q, b, err)
					return
				}
				switch {
				case first && h.Type == TypeSnapshot:
				case first && resume && h.Seq == since+1:
				case !first && h.Type != TypeSnapshot && h.Seq == prev+1:
				default:
					t.Errorf("%s (since %d): got %d %s after %d (first=%v)", q, since, h.Seq, h.Type, prev, first)
					return
				}
				prev = h.Seq
			}
		}()
	}
	wg.Wait()
}

// smallBuffers shrinks the kernel buffers of accepted connections, so that a
// client that does not read blocks the server's writes soon.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4 << 10)
	}
	return c, err
}

func TestSlowClientDropped(t *testing.T) {
	r := newRig(t, Options{SendQueue: 4}, func(l net.Listener) net.Listener { return smallBuffers{l} })
	small := &websocket.Dialer{NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(4 << 10)
		}
		return c, err
	}}
	n := r.hub.Clients()
	stalled := r.dialWith(small, "topic=queue")
	waitFor(t, "stalled client", func() bool { return r.hub.Clients() == n+1 })
	good := []*collector{collect(r.connect("topic=queue")), collect(r.connect("topic=display"))}
	for _, g := range good {
		if got := brief(t, g.next(t)); got != "0 snapshot" {
			t.Fatalf("got %q, want 0 snapshot", got)
		}
	}

	pad := strings.Repeat("x", 16<<10)
	publish := func() uint64 {
		ev := r.eng.commit("called", "A", pad)
		r.hub.Publish(ev)
		// Waiting for the readers keeps their queues short, so only
		// the stalled client can overflow.
		for i, g := range good {
			if got := parse(t, g.next(t)).Seq; got != ev.Seq {
				t.Fatalf("client %d: got seq %d, want %d", i, got, ev.Seq)
			}
		}
		return ev.Seq
	}
	var last uint64
	for i := 0; r.hub.Clients() == 3; i++ {
		if i == 5000 {
			t.Fatal("stalled client was never dropped")
		}
		last = publish()
	}
	for range 3 {
		last = publish()
	}

	// The dropped client got an unbroken prefix, then the connection ended.
	stalled.SetReadDeadline(time.Now().Add(5 * time.Second))
	var prev uint64
	var err error
	for {
		var b []byte
		if _, b, err = stalled.ReadMessage(); err != nil {
			break
		}
		if got := parse(t, string(b)).Seq; got != prev+1 && !(prev == 0 && got == 0) {
			t.Fatalf("stalled client: got seq %d after %d", got, prev)
		}
		prev = parse(t, string(b)).Seq
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("stalled client still connected after seq %d", prev)
	}
	if prev >= last {
		t.Errorf("stalled client got up to seq %d, want fewer than %d", prev, last)
	}
}

func TestPing(t *testing.T) {
	tests := []struct {
		name        string
		answer      bool
		wantDropped bool
	}{
		{"answering client stays", true, false},
		{"silent client dropped", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, Options{PingInterval: 100 * time.Millisecond}, nil)
			conn := r.connect("topic=queue")
			var pings atomic.Int32
			conn.SetPingHandler(func(s string) error {
				pings.Add(1)
				if !tt.answer {
					return nil
				}
				return conn.WriteControl(websocket.PongMessage, []byte(s), time.Now().Add(time.Second))
			})
			c := collect(conn)
			c.next(t) // snapshot
			if tt.wantDropped {
				c.end(t)
				waitFor(t, "no clients", func() bool { return r.hub.Clients() == 0 })
				return
			}
			// Five pings span more than twice the read deadline.
			waitFor(t, "five pings", func() bool { return pings.Load() >= 5 })
			r.publish("called", "A")
			// Text heartbeats (no seq) come with the pings, for page
			// scripts that cannot see protocol pings.
			got, beats := brief(t, c.next(t)), 0
			for got == "0 ping" {
				beats++
				got = brief(t, c.next(t))
			}
			if want := "1 called"; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
			if beats == 0 {
				t.Errorf("no text heartbeat arrived with five pings")
			}
			if n := r.hub.Clients(); n != 1 {
				t.Errorf("got %d clients, want 1", n)
			}
		})
	}
}

func TestClose(t *testing.T) {
	r := newRig(t, Options{}, nil)
	cs := []*collector{collect(r.connect("topic=display")), collect(r.connect("topic=status&key=A"))}
	r.hub.Close()
	if n := r.hub.Clients(); n != 0 {
		t.Errorf("after Close: got %d clients, want 0", n)
	}
	for i, c := range cs {
		var ce *websocket.CloseError
		if err := c.end(t); !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
			t.Errorf("client %d: got %v, want close %d", i, err, websocket.CloseGoingAway)
		}
	}
	r.hub.Publish(r.eng.commit("called", "A", "")) // must not panic or block
	r.hub.Close()

	conn, resp, err := websocket.DefaultDialer.Dial(r.url("topic=display"), nil)
	if err == nil {
		conn.Close()
		t.Fatal("dial after Close succeeded")
	}
	if resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after Close: got %v, want status 503", err)
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	r := newRig(t, Options{}, nil)
	base := runtime.NumGoroutine()
	queries := []string{"topic=display", "topic=queue", "topic=status&key=A", "topic=status&key=B", "topic=queue&since=0"}
	connectAll := func() []*websocket.Conn {
		conns := make([]*websocket.Conn, len(queries))
		for i, q := range queries {
			conns[i] = r.connect(q)
		}
		r.publish("called", "A")
		for _, c := range conns[:2] {
			readMsg(t, c)
		}
		return conns
	}

	conns := connectAll()
	for i, c := range conns {
		if i%2 == 0 {
			// Polite close, as a browser leaving the page.
			c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		}
		c.Close()
	}
	waitFor(t, "no clients", func() bool { return r.hub.Clients() == 0 })
	waitGoroutines(t, base)

	conns = connectAll()
	r.hub.Close()
	for _, c := range conns {
		c.Close()
	}
	waitGoroutines(t, base)
}

func waitGoroutines(t *testing.T, max int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= max {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("got %d goroutines, want at most %d:\n%s", n, max, buf)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestClosedWithCode(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(r *rig)
		after      func(r *rig) // once the client is attached
		wantCode   int
		wantReason string
	}{
		{
			name:       "event that cannot be encoded",
			after:      func(r *rig) { r.hub.Publish(Event{Seq: 1, Type: "bad", Data: func() {}}) },
			wantCode:   websocket.CloseInternalServerErr,
			wantReason: "internal error",
		},
		{
			// The feed lost events: every client must start over.
			name:       "resync",
			after:      func(r *rig) { r.hub.Resync() },
			wantCode:   websocket.CloseTryAgainLater,
			wantReason: "resync",
		},
		{
			name: "renderer behind the feed by more than the buffer",
			setup: func(r *rig) {
				for range 10 {
					r.publish("issued", "")
				}
				r.eng.setSeq(2)
			},
			wantCode:   websocket.CloseTryAgainLater,
			wantReason: "try again",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, Options{Buffer: 4}, nil)
			var c *collector
			if tt.setup != nil {
				tt.setup(r)
				c = collect(r.dialWith(websocket.DefaultDialer, "topic=queue"))
			} else {
				c = collect(r.connect("topic=queue"))
			}
			if tt.after != nil {
				tt.after(r)
			}
			var ce *websocket.CloseError
			if err := c.end(t); !errors.As(err, &ce) || ce.Code != tt.wantCode || ce.Text != tt.wantReason {
				t.Errorf("got %v, want close %d %q", err, tt.wantCode, tt.wantReason)
			}
		})
	}
}

// TestEncodeFramesRawDataAsTheEncoderDoes: data already encoded is framed
// into the same bytes encoding/json makes of the message.
func TestEncodeFramesRawDataAsTheEncoderDoes(t *testing.T) {
	for _, tc := range []struct {
		typ string
		raw string
	}{
		{"status", `{"number":"A001","ahead":3,"names":{"zh":"综合"}}`},
		{"appointment_booked", `{}`},
		{"odd\"type", `{"a":1}`},
	} {
		got, err := encode(42, tc.typ, json.RawMessage(tc.raw))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(message{Seq: 42, Type: tc.typ, Data: json.RawMessage(tc.raw)})
		if string(got) != string(want) {
			t.Errorf("type %q:\n got %s\nwant %s", tc.typ, got, want)
		}
	}
}

func TestClientMessagesAndLeave(t *testing.T) {
	type got struct {
		id   uint64
		sub  Sub
		data string
	}
	msgs := make(chan got, 10)
	left := make(chan got, 10)
	r := newRig(t, Options{
		OnMessage: func(id uint64, sub Sub, data []byte) { msgs <- got{id, sub, string(data)} },
		OnLeave:   func(id uint64, sub Sub) { left <- got{id: id, sub: sub} },
	}, nil)
	a := r.connect("topic=display")
	b := r.connect("topic=queue")
	if err := a.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","device":"x"}`)); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteMessage(websocket.BinaryMessage, []byte("ignored")); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteMessage(websocket.TextMessage, []byte("second")); err != nil {
		t.Fatal(err)
	}
	m1, m2 := <-msgs, <-msgs
	if m1.data == "second" { // the two clients' readers race
		m1, m2 = m2, m1
	}
	if m1.data != `{"type":"hello","device":"x"}` || m1.sub.Topic != "display" || m2.data != "second" || m2.sub.Topic != "queue" || m1.id == m2.id {
		t.Errorf("got %+v and %+v, want the hello from the display client and the text from the queue client, with distinct ids", m1, m2)
	}
	a.Close()
	if l := <-left; l.id != m1.id || l.sub.Topic != "display" {
		t.Errorf("leave: got %+v, want client %d of display", l, m1.id)
	}
	// Too large for a client message: the client is dropped (and leaves).
	if err := b.WriteMessage(websocket.TextMessage, make([]byte, readLimit+1)); err != nil {
		t.Fatal(err)
	}
	if l := <-left; l.id != m2.id {
		t.Errorf("leave after an oversized message: got %+v, want client %d", l, m2.id)
	}
	if len(msgs) != 0 {
		t.Errorf("an oversized message was handed on: %+v", <-msgs)
	}
}
