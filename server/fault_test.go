package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
	bolt "go.etcd.io/bbolt"

	"queuebox/server"
	"queuebox/server/queue"
	"queuebox/server/servertest"
	"queuebox/server/store"
)

// The fault suite: what the box does when the world around it misbehaves — a
// restart under connected pages, a damaged or full disk, a backup put back,
// and a flood of nonsense requests.

// fixedClock stops time, so two boxes (or one box before and after a restart)
// compute the same views from the same state: waits, estimates, dates.
type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// stoppedNow is a clock stopped where test boxes start (servertest.StartAt):
// a stopped clock never crosses midnight, so numbering never restarts
// mid-test.
func stoppedNow() fixedClock { return fixedClock(servertest.StartAt().Truncate(time.Second)) }

// faultHTTP is a client without keep-alive, like servertest's: connections
// must not outlive a restart.
var faultHTTP = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// apiErrorOf reads the API's error shape {"error":{"code","message"}}.
func apiErrorOf(body []byte) (code, message string, err error) {
	var e struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return "", "", fmt.Errorf("error body %q is not JSON: %v", trunc(body), err)
	}
	if e.Error == nil || e.Error.Code == "" || e.Error.Message == "" {
		return "", "", fmt.Errorf("error body %q lacks error.code or error.message", trunc(body))
	}
	return e.Error.Code, e.Error.Message, nil
}

func trunc(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// getJSON fetches path and decodes it into v, failing on anything but 200.
func getJSON(t *testing.T, box *servertest.Box, c *http.Client, path string, v any) {
	t.Helper()
	st, body := box.Do(c, "GET", path, nil, nil)
	if st != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, st, trunc(body))
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// newDevice pairs a device with an admin client the caller already has
// (servertest's Device logs in again, a bcrypt check each time).
func newDevice(t *testing.T, box *servertest.Box, admin *http.Client, kind string) (id, token string) {
	t.Helper()
	var out struct{ ID, Token string }
	st, body := box.Do(admin, "POST", "/api/v1/devices", map[string]string{"kind": kind, "name": "fault " + kind}, nil)
	if st != http.StatusCreated || json.Unmarshal(body, &out) != nil || out.Token == "" {
		t.Fatalf("create %s device: %d %s", kind, st, body)
	}
	return out.ID, out.Token
}

// newStaff creates a staff user with admin and returns the user logged in.
func newStaff(t *testing.T, box *servertest.Box, admin *http.Client, name, password string) *http.Client {
	t.Helper()
	if st, body := box.Do(admin, "POST", "/api/v1/users", map[string]string{"username": name, "password": password, "role": "staff"}, nil); st != http.StatusCreated {
		t.Fatalf("create staff %s: %d %s", name, st, body)
	}
	return box.Login(name, password)
}

// ---------------------------------------------------------------------------
// 1. Restart under connected pages.

// pageClient is a live page (lobby display or phone status page) as
// assets/static/live.js runs it: it keeps the last seq it saw and, whenever
// the connection ends, reconnects with since= set to it.
type pageClient struct {
	url string // ws URL with the topic and key, without since

	mu        sync.Mutex
	seq       uint64
	started   bool              // a first message has set seq
	calls     map[uint64]string // display: call seq → ticket number
	status    json.RawMessage   // status: the latest view
	connects  int               // successful dials
	snapshots int               // snapshots received
	gone      bool              // closed as unknown (4404)
	trail     []string          // what the page did and saw, for a failure message
}

func newPageClient(box *servertest.Box, query string) *pageClient {
	return &pageClient{url: "ws" + strings.TrimPrefix(box.URL, "http") + "/api/v1/live?" + query, calls: map[uint64]string{}}
}

// run keeps the client connected until ctx ends.
func (p *pageClient) run(ctx context.Context) {
	dialer := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	delay := 20 * time.Millisecond
	for ctx.Err() == nil {
		u := p.url
		p.mu.Lock()
		if p.started {
			u += "&since=" + strconv.FormatUint(p.seq, 10)
		}
		p.mu.Unlock()
		conn, resp, err := dialer.DialContext(ctx, u, nil)
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		if err != nil {
			// The box is down or on its way down: back off as the page does.
			select {
			case <-ctx.Done():
			case <-time.After(delay):
			}
			delay = min(delay*2, 400*time.Millisecond)
			continue
		}
		delay = 20 * time.Millisecond
		p.mu.Lock()
		p.connects++
		p.trail = append(p.trail, "connected with "+u[strings.Index(u, "?"):])
		p.mu.Unlock()
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				p.mu.Lock()
				p.trail = append(p.trail, "closed: "+err.Error())
				if websocket.IsCloseError(err, 4404) {
					p.gone = true
				}
				p.mu.Unlock()
				break
			}
			p.handle(data)
		}
		stop()
		conn.Close()
		if p.isGone() {
			return
		}
	}
}

func (p *pageClient) isGone() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gone
}

func (p *pageClient) handle(data []byte) {
	var m struct {
		Seq  *uint64         `json:"seq"`
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(data, &m) != nil || m.Seq == nil {
		return // a heartbeat: it must not move the resume point
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.trail = append(p.trail, fmt.Sprintf("seq %d %s %.100s", *m.Seq, m.Type, m.Data))
	if m.Type == "snapshot" {
		p.seq, p.started = *m.Seq, true
		p.snapshots++
		var snap struct {
			Calls []struct {
				Seq    uint64 `json:"seq"`
				Number string `json:"number"`
			} `json:"calls"`
		}
		if json.Unmarshal(m.Data, &snap) == nil {
			for _, c := range snap.Calls {
				p.calls[c.Seq] = c.Number
			}
		}
		p.status = m.Data
		return
	}
	if p.started && *m.Seq <= p.seq {
		return
	}
	p.seq, p.started = *m.Seq, true
	switch m.Type {
	case "called":
		var cm struct {
			Ticket struct{ Number string } `json:"ticket"`
		}
		json.Unmarshal(m.Data, &cm)
		p.calls[*m.Seq] = cm.Ticket.Number
	case "status":
		p.status = m.Data
	}
}

// sameJSON compares two JSON documents by value.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func TestFaultRestartWithLiveClients(t *testing.T) {
	clock := stoppedNow()
	box := servertest.Start(t, servertest.Options{Clock: clock})
	admin := box.Admin()
	_, kiosk := newDevice(t, box, admin, "kiosk")
	staff := newStaff(t, box, admin, "dora", "dora-password-1")

	var tickets []servertest.Ticket
	for i := range 24 {
		tickets = append(tickets, box.Issue(kiosk, []string{"general", "cash"}[i%2]))
	}
	var clients []*pageClient
	for range 5 {
		clients = append(clients, newPageClient(box, "topic=display"))
	}
	for i := range 20 {
		clients = append(clients, newPageClient(box, "topic=status&token="+tickets[i].Token))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() { c.run(ctx) })
	}
	// Stopped before the box's own cleanup, so that no client keeps trying.
	t.Cleanup(func() { cancel(); wg.Wait() })

	waitFor(t, 10*time.Second, "every client's first message", func() error {
		for i, c := range clients {
			c.mu.Lock()
			ok := c.started
			c.mu.Unlock()
			if !ok {
				return fmt.Errorf("client %d has no message yet", i)
			}
		}
		return nil
	})

	// Before the restart: calls, a recall, a finished service.
	first, _ := box.Next(staff, "c1")
	box.Next(staff, "c2")
	if st, body := box.Do(staff, "POST", "/api/v1/tickets/"+first.ID+"/recall", nil, nil); st != http.StatusOK {
		t.Fatalf("recall: %d %s", st, body)
	}
	if st, body := box.Do(staff, "POST", "/api/v1/tickets/"+first.ID+"/start", nil, nil); st != http.StatusOK {
		t.Fatalf("start: %d %s", st, body)
	}
	if st, body := box.Do(staff, "POST", "/api/v1/tickets/"+first.ID+"/finish", nil, nil); st != http.StatusOK {
		t.Fatalf("finish: %d %s", st, body)
	}
	box.Next(staff, "c3")

	box.Stop()
	// While the box is down nothing can be called: the request cannot land.
	if resp, err := faultHTTP.Post(box.URL+"/api/v1/counters/c1/next", "application/json", nil); err == nil {
		resp.Body.Close()
		t.Fatalf("a call while the box is stopped got %d, want no connection", resp.StatusCode)
	}
	box.Restart()

	// Right after the restart, racing the pages' reconnects. The session
	// was stored, so staff go on without logging in again.
	for _, ctr := range []string{"c1", "c2", "c1", "c3"} {
		if _, ok := box.Next(staff, ctr); !ok {
			t.Fatalf("no ticket waiting for %s", ctr)
		}
	}
	var evs struct{ Events []queue.Event }
	getJSON(t, box, staff, "/api/v1/events?limit=5000", &evs)
	var calls []uint64
	for _, ev := range evs.Events {
		if ev.Type == queue.EventCalled {
			calls = append(calls, ev.Seq)
		}
	}
	// A display that resumes into a snapshot learns the calls it missed from
	// the snapshot's list, which holds RecentCallsKept: more calls than that
	// and a snapshot could not vouch for them.
	if len(calls) != 8 || len(calls) > queue.RecentCallsKept {
		t.Fatalf("%d calls in the event log, want 8 (and at most %d)", len(calls), queue.RecentCallsKept)
	}

	waitFor(t, 15*time.Second, "every page up to date", func() error {
		for i, c := range clients[:5] {
			c.mu.Lock()
			var missing []uint64
			for _, seq := range calls {
				if _, ok := c.calls[seq]; !ok {
					missing = append(missing, seq)
				}
			}
			trail := strings.Join(c.trail, "\n")
			c.mu.Unlock()
			if len(missing) > 0 {
				return fmt.Errorf("display %d misses the calls with seq %v; it saw:\n%s", i, missing, trail)
			}
		}
		for i, c := range clients[5:] {
			st, want := box.Do(nil, "GET", "/api/v1/status/"+tickets[i].Token, nil, nil)
			if st != http.StatusOK {
				return fmt.Errorf("GET status of ticket %s: %d %s", tickets[i].Number, st, want)
			}
			c.mu.Lock()
			got, trail := c.status, strings.Join(c.trail, "\n")
			c.mu.Unlock()
			if !sameJSON(got, want) {
				return fmt.Errorf("status page of %s shows %s, the API says %s; it saw:\n%s", tickets[i].Number, got, want, trail)
			}
		}
		return nil
	})
	resumed := 0
	for i, c := range clients {
		c.mu.Lock()
		if c.connects < 2 {
			t.Errorf("client %d connected %d times, want a reconnect after the restart", i, c.connects)
		}
		if c.gone {
			t.Errorf("client %d was told its subscription is unknown", i)
		}
		if c.snapshots == 1 {
			resumed++
		}
		c.mu.Unlock()
	}
	t.Logf("%d of %d pages resumed from the buffer alone; the rest took a fresh snapshot", resumed, len(clients))
}

// waitFor polls cond until it returns nil, failing with its last error.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------
// 2. A damaged database at start.

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// serveOnce runs `queuebox serve` on dir and returns its exit code and
// output, failing if it is still running after a few seconds: a box that
// cannot start must say so at once, not hang.
func serveOnce(t *testing.T, dir, addr string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- server.Main(ctx, []string{"serve", "--data", dir, "--addr", addr}, strings.NewReader(""), &out, &errb)
	}()
	select {
	case code = <-done:
	case <-time.After(20 * time.Second):
		cancel()
		<-done
		t.Fatalf("serve on %s was still running after 20 s; stdout %q, stderr %q", dir, out.String(), errb.String())
	}
	return code, out.String(), errb.String()
}

// rootPage returns the page of a top-level bucket in a closed database file.
func rootPage(t *testing.T, path, bucket string) int {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var root int
	if err := b.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte(bucket))
		if bk == nil {
			return fmt.Errorf("no bucket %q", bucket)
		}
		root = int(bk.Root())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if root == 0 {
		t.Fatalf("bucket %q is inline; the test needs it on a page of its own", bucket)
	}
	return root
}

func TestFaultDamagedDatabaseRefusesToStart(t *testing.T) {
	clock := stoppedNow()
	// A real box's file with some history is what gets damaged.
	src := servertest.Start(t, servertest.Options{Clock: clock})
	kiosk := src.Device("kiosk")
	for range 60 {
		src.Issue(kiosk, "general")
	}
	src.Stop()
	valid, err := os.ReadFile(filepath.Join(src.Dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	pageSize := os.Getpagesize()
	rnd := rand.New(rand.NewPCG(7, 7))
	noise := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.UintN(256))
		}
		return b
	}

	tests := []struct {
		name string
		file func(t *testing.T) []byte
	}{
		{"garbage", func(t *testing.T) []byte { return noise(64 << 10) }},
		{"tickets page damaged", func(t *testing.T) []byte {
			raw := slices.Clone(valid)
			root := rootPage(t, filepath.Join(src.Dir, store.FileName), "tickets")
			copy(raw[root*pageSize:], noise(pageSize))
			return raw
		}},
		{"meta bucket page damaged", func(t *testing.T) []byte {
			raw := slices.Clone(valid)
			// The root of the whole tree, read before anything else.
			b, err := bolt.Open(filepath.Join(src.Dir, store.FileName), 0o600, &bolt.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			var root int
			b.View(func(tx *bolt.Tx) error { root = int(tx.Cursor().Bucket().Root()); return nil })
			b.Close()
			copy(raw[root*pageSize:], noise(pageSize))
			return raw
		}},
		{"cut short", func(t *testing.T) []byte {
			// Half of what the file holds (bbolt leaves room past it: half
			// of the file itself may cut only that room).
			b, err := bolt.Open(filepath.Join(src.Dir, store.FileName), 0o600, &bolt.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			var used int64
			b.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
			b.Close()
			return slices.Clone(valid[:used/2])
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, store.FileName)
			damaged := tt.file(t)
			if err := os.WriteFile(path, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			addr := freeAddr(t)
			code, stdout, stderr := serveOnce(t, dir, addr)
			if code == 0 {
				t.Fatalf("serve on a damaged file exited 0; stdout %q", stdout)
			}
			if !strings.Contains(stderr, "queuebox restore") || !strings.Contains(stderr, dir) {
				t.Errorf("serve said %q, want it to name \"queuebox restore\" and the data directory %s", stderr, dir)
			}
			if strings.Contains(stdout, "serving") {
				t.Errorf("serve printed %q, want no serving banner", stdout)
			}
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				c.Close()
				t.Errorf("something listens on %s after the refusal", addr)
			}
			// The damaged file is the best hope of recovering data: untouched.
			if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, damaged) {
				t.Errorf("the refused start changed the damaged file (err %v)", err)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// 3. Backup → restore.

// dataOf is a JSON answer with what depends on the box's address
// rather than its data taken out.
func dataOf(t *testing.T, body []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("not JSON: %s", trunc(body))
	}
	var strip func(any)
	strip = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "status_url")
			delete(x, "pairing_url")
			for _, e := range x {
				strip(e)
			}
		case []any:
			for _, e := range x {
				strip(e)
			}
		}
	}
	strip(v)
	return v
}

func TestFaultBackupRestoreIsExact(t *testing.T) {
	clock := stoppedNow()
	box := servertest.Start(t, servertest.Options{Clock: clock})
	admin := box.Admin()
	_, kiosk := newDevice(t, box, admin, "kiosk")
	_, display := newDevice(t, box, admin, "display")
	staff := newStaff(t, box, admin, "erin", "erin-password-1")

	steps := []struct {
		method, path string
		body         any
		want         int
	}{
		{"PUT", "/api/v1/settings", map[string]any{"branch_name": "Restored Branch", "max_wait_minutes": 25}, 200},
		{"POST", "/api/v1/services", map[string]any{"id": "loans", "prefix": "L", "name": "Loans", "avg_service_seconds": 600}, 201},
		{"POST", "/api/v1/counters", map[string]any{"id": "c9", "name": "Counter 9", "service_ids": []string{"general", "loans"}}, 201},
		{"POST", "/api/v1/counters/c3/pause", nil, 200},
	}
	for _, s := range steps {
		if st, body := box.Do(admin, s.method, s.path, s.body, nil); st != s.want {
			t.Fatalf("%s %s: %d %s", s.method, s.path, st, body)
		}
	}
	// Tomorrow in the branch's zone has free slots whatever the hour now.
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	day := clock.Now().In(shanghai).AddDate(0, 0, 1).Format("2006-01-02")
	var slots []queue.Slot
	getJSON(t, box, nil, "/api/v1/slots?service_id=advice&date="+day, &slots)
	var appts []string
	for _, sl := range slots {
		if sl.Available > 0 && len(appts) < 2 {
			var a struct{ Code string }
			st, body := box.Do(nil, "POST", "/api/v1/appointments", map[string]string{"service_id": "advice", "start": sl.Start.Format(time.RFC3339), "name": "Mei " + strconv.Itoa(len(appts)), "phone": "1390000000" + strconv.Itoa(len(appts))}, nil)
			if st != http.StatusCreated || json.Unmarshal(body, &a) != nil {
				t.Fatalf("book: %d %s", st, body)
			}
			appts = append(appts, a.Code)
		}
	}
	var tk []servertest.Ticket
	for i := range 10 {
		tk = append(tk, box.Issue(kiosk, []string{"general", "cash", "loans"}[i%3]))
	}
	// Tickets in every state: finished, serving, called, no-show,
	// cancelled, transferred, parked, waiting.
	called := func(ctr string) servertest.Ticket {
		c, ok := box.Next(staff, ctr)
		if !ok {
			t.Fatalf("nothing to call at %s", ctr)
		}
		return c
	}
	post := func(path string, body any) {
		t.Helper()
		if st, b := box.Do(staff, "POST", path, body, nil); st != http.StatusOK {
			t.Fatalf("POST %s: %d %s", path, st, b)
		}
	}
	a := called("c1")
	post("/api/v1/tickets/"+a.ID+"/start", nil)
	post("/api/v1/tickets/"+a.ID+"/finish", map[string]string{"notes": "opened an account"})
	b := called("c1")
	post("/api/v1/tickets/"+b.ID+"/start", nil)
	c := called("c2")
	post("/api/v1/tickets/"+c.ID+"/no-show", nil)
	d := called("c9")
	post("/api/v1/tickets/"+d.ID+"/park", nil)
	called("c2")
	post("/api/v1/tickets/"+tk[9].ID+"/cancel", nil)
	post("/api/v1/tickets/"+tk[8].ID+"/transfer", map[string]string{"service_id": "general"})

	// Everything a box is, as its API shows it.
	lastID, _ := strconv.Atoi(tk[len(tk)-1].ID)
	state := func(box *servertest.Box, staff, admin *http.Client) map[string]any {
		t.Helper()
		out := map[string]any{}
		get := func(name string, c *http.Client, path string, hdr map[string]string) {
			st, body := box.Do(c, "GET", path, nil, hdr)
			if st != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, st, trunc(body))
			}
			out[name] = dataOf(t, body)
		}
		for id := 1; id <= lastID; id++ {
			get("ticket "+strconv.Itoa(id), staff, "/api/v1/tickets/"+strconv.Itoa(id), nil)
		}
		for _, x := range tk {
			get("status "+x.Number, nil, "/api/v1/status/"+x.Token, nil)
		}
		for i, code := range appts {
			get("appointment "+code, nil, "/api/v1/appointments/"+code+"?phone=1390000000"+strconv.Itoa(i), nil)
		}
		get("events", staff, "/api/v1/events?limit=5000", nil)
		get("services", nil, "/api/v1/services", nil)
		get("counters", staff, "/api/v1/counters", nil)
		get("settings", nil, "/api/v1/settings", nil)
		get("queue", staff, "/api/v1/queue", nil)
		get("active", staff, "/api/v1/active", nil)
		// The stopped clock gives every call the same time, and the order of
		// tickets called at the same instant is not part of the contract.
		active := out["active"].(map[string]any)["active"].([]any)
		slices.SortFunc(active, func(a, b any) int {
			return strings.Compare(a.(map[string]any)["id"].(string), b.(map[string]any)["id"].(string))
		})
		get("appointments", staff, "/api/v1/appointments?date="+day, nil)
		get("slots", nil, "/api/v1/slots?service_id=advice&date="+day, nil)
		get("users", admin, "/api/v1/users", nil)
		get("devices", admin, "/api/v1/devices", nil)
		get("kiosk device", nil, "/api/v1/device", bearer(kiosk))
		get("display device", nil, "/api/v1/device", bearer(display))
		return out
	}
	before := state(box, staff, admin)

	st, backup := box.Do(admin, "GET", "/api/v1/backup", nil, nil)
	if st != http.StatusOK || len(backup) == 0 {
		t.Fatalf("backup: %d, %d bytes", st, len(backup))
	}
	file := filepath.Join(t.TempDir(), "queuebox-backup.db")
	if err := os.WriteFile(file, backup, 0o600); err != nil {
		t.Fatal(err)
	}
	// The box moves on after the backup; the restored one must not know it.
	after := box.Issue(kiosk, "general")
	box.Stop()

	dir2 := filepath.Join(t.TempDir(), "data")
	var out, errb bytes.Buffer
	if code := server.Main(context.Background(), []string{"restore", file, "--data", dir2}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("restore exited %d: %s %s", code, out.String(), errb.String())
	}
	box2 := servertest.Start(t, servertest.Options{Clock: clock, Dir: dir2})
	// Logging in proves the users' password hashes came back.
	admin2 := box2.Admin()
	staff2 := box2.Login("erin", "erin-password-1")
	got := state(box2, staff2, admin2)
	for k, want := range before {
		if !reflect.DeepEqual(got[k], want) {
			g, _ := json.Marshal(got[k])
			w, _ := json.Marshal(want)
			t.Errorf("after restore, %s = %s\nwant %s", k, trunc(g), trunc(w))
		}
	}
	// Numbering goes on from the backup exactly as the first box did.
	again := box2.Issue(kiosk, "general")
	if again.ID != after.ID || again.Number != after.Number {
		t.Errorf("first ticket after restore is %s (id %s), want %s (id %s) like the original box's after the backup", again.Number, again.ID, after.Number, after.ID)
	}
}

// ---------------------------------------------------------------------------
// 4. A full disk.

// faultMaxSize caps the database in the full-disk test: room for the
// branch's set-up, full after a few hundred tickets.
const faultMaxSize = 256 << 10

// wantStorageError checks a refusal is the catalogue's clear 409.
func wantStorageError(t *testing.T, what string, st int, body []byte) {
	t.Helper()
	code, msg, err := apiErrorOf(body)
	if st != http.StatusConflict || err != nil || code != "storage_unavailable" || !strings.Contains(msg, "disk") {
		t.Fatalf("%s on a full disk: %d %s (%v), want 409 storage_unavailable with a message about the disk", what, st, trunc(body), err)
	}
}

// numberPart is the running part of a ticket number: 7 for "A007".
func numberPart(t *testing.T, number string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimLeft(number, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
	if err != nil {
		t.Fatalf("ticket number %q: %v", number, err)
	}
	return n
}

func TestFaultDiskFull(t *testing.T) {
	clock := stoppedNow()
	box := servertest.Start(t, servertest.Options{Clock: clock, MaxSize: faultMaxSize})
	admin := box.Admin()
	_, kiosk := newDevice(t, box, admin, "kiosk")
	staff := newStaff(t, box, admin, "finn", "finn-password-1")

	var answered []servertest.Ticket
	issue := func() bool {
		t.Helper()
		st, body := box.Do(nil, "POST", "/api/v1/tickets", map[string]string{"service_id": "general"}, bearer(kiosk))
		if st == http.StatusCreated {
			var tk servertest.Ticket
			if err := json.Unmarshal(body, &tk); err != nil {
				t.Fatal(err)
			}
			if len(answered) > 0 {
				prev := answered[len(answered)-1]
				if numberPart(t, tk.Number) != numberPart(t, prev.Number)+1 {
					t.Fatalf("ticket %s follows %s: a gap or a repeat", tk.Number, prev.Number)
				}
			}
			answered = append(answered, tk)
			return true
		}
		wantStorageError(t, "issuing a ticket", st, body)
		return false
	}
	full := false
	for i := 0; i < 5000 && !full; i++ {
		full = !issue()
	}
	if !full {
		t.Fatalf("%d tickets and the %d-byte store never filled", len(answered), faultMaxSize)
	}
	t.Logf("the store refused a write after %d tickets", len(answered))
	last := answered[len(answered)-1]

	// Reading needs no room: the box keeps showing what it has.
	reads := []struct {
		c    *http.Client
		path string
		hdr  map[string]string
	}{
		{staff, "/api/v1/tickets/" + last.ID, nil},
		{nil, "/api/v1/status/" + last.Token, nil},
		{staff, "/api/v1/events?limit=5000", nil},
		{staff, "/api/v1/active", nil},
		{nil, "/api/v1/services", nil},
		{nil, "/api/v1/device", bearer(kiosk)},
		{admin, "/api/v1/backup", nil},
	}
	for _, r := range reads {
		if st, body := box.Do(r.c, "GET", r.path, nil, r.hdr); st != http.StatusOK {
			t.Errorf("GET %s on a full disk: %d %s, want 200", r.path, st, trunc(body))
		}
	}
	var q struct{ Waiting []servertest.Ticket }
	getJSON(t, box, staff, "/api/v1/queue", &q)
	if len(q.Waiting) != len(answered) {
		t.Errorf("%d tickets waiting on a full disk, want the %d answered", len(q.Waiting), len(answered))
	}

	// Writes that bypass the queue engine (users, devices, sessions) must
	// refuse as clearly.
	devices := 1
	for i := 0; ; i++ {
		st, body := box.Do(admin, "POST", "/api/v1/devices", map[string]string{"kind": "display", "name": fmt.Sprintf("TV %d", i)}, nil)
		if st == http.StatusCreated {
			devices++
			if i < 1000 {
				continue
			}
			t.Fatal("1000 devices and the store never filled")
		}
		wantStorageError(t, "pairing a device", st, body)
		break
	}
	if st, body := box.Do(nil, "POST", "/api/v1/session", map[string]string{"username": "finn", "password": "finn-password-1"}, nil); st != http.StatusOK {
		wantStorageError(t, "logging in", st, body)
	}
	for range 3 {
		issue()
	}
	last = answered[len(answered)-1]
	box.Stop()

	// More room, and what the box answered is exactly what it kept.
	box2 := servertest.Start(t, servertest.Options{Clock: clock, Dir: box.Dir})
	lastID, _ := strconv.Atoi(last.ID)
	st, body := box2.Do(staff, "GET", "/api/v1/tickets/"+strconv.Itoa(lastID+1), nil, nil)
	if code, _, _ := apiErrorOf(body); st != http.StatusNotFound || code != "unknown_ticket" {
		t.Errorf("the refused ticket (id %d) after the restart: %d %s, want 404 unknown_ticket", lastID+1, st, trunc(body))
	}
	for _, tk := range answered {
		var got servertest.Ticket
		getJSON(t, box2, staff, "/api/v1/tickets/"+tk.ID, &got)
		if got.Number != tk.Number || got.Status != "waiting" {
			t.Errorf("ticket %s after the restart: %s %s, want %s waiting", tk.ID, got.Number, got.Status, tk.Number)
		}
	}
	var evs struct{ Events []queue.Event }
	getJSON(t, box2, staff, "/api/v1/events?limit=5000", &evs)
	issued := 0
	for _, ev := range evs.Events {
		if ev.Type == queue.EventIssued {
			issued++
		}
	}
	if issued != len(answered) {
		t.Errorf("%d issued events on disk, want one per answered ticket (%d)", issued, len(answered))
	}
	var devs []struct{ ID string }
	getJSON(t, box2, admin, "/api/v1/devices", &devs)
	if len(devs) != devices {
		t.Errorf("%d devices on disk, want the %d that were answered 201", len(devs), devices)
	}
	next := box2.Issue(kiosk, "general")
	if next.ID != strconv.Itoa(lastID+1) || numberPart(t, next.Number) != numberPart(t, last.Number)+1 {
		t.Errorf("first ticket after the restart is %s (id %s), want the number after %s with id %d", next.Number, next.ID, last.Number, lastID+1)
	}

	t.Run("read-only data directory", func(t *testing.T) {
		if os.Geteuid() == 0 {
			// Root writes through any permission bits, so a read-only
			// directory fails nothing here; the capped store above is
			// the write failure these machines can produce.
			t.Skip("running as root: permission bits do not stop root's writes")
		}
		box3 := servertest.Start(t, servertest.Options{Clock: clock})
		box3.Issue(box3.Device("kiosk"), "general")
		box3.Stop()
		path := filepath.Join(box3.Dir, store.FileName)
		before, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o400); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(box3.Dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(box3.Dir, 0o700); os.Chmod(path, 0o600) })
		code, stdout, stderr := serveOnce(t, box3.Dir, freeAddr(t))
		if code == 0 || strings.Contains(stdout, "serving") {
			t.Fatalf("serve on a read-only database exited %d with %q, want a refusal", code, stdout)
		}
		if !strings.Contains(stderr, "permission") || strings.Contains(stderr, "damaged") {
			t.Errorf("serve said %q, want it to name the permission problem, not damage", stderr)
		}
		if after, err := os.ReadFile(path); err != nil || !bytes.Equal(after, before) {
			t.Errorf("the refused start changed the database (err %v)", err)
		}
	})
}

// ---------------------------------------------------------------------------
// 5. Ten thousand bad requests.

// lockedBuffer collects the server's log from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

const (
	floodRequests    = 10000
	floodConcurrency = 8
	// floodMaxBody is the server's body limit: a bigger body may be cut off
	// mid-send once the box has answered 413, which the client sees as a
	// broken connection rather than a response.
	floodMaxBody = 64 << 10
)

// floodReq is one generated request.
type floodReq struct {
	method  string
	pattern string // the route it was made from ("" for no route)
	target  string // path and query, escaped
	body    []byte
	chunked bool
	header  http.Header
	role    string
	what    string
}

// pageRoute reports whether pattern is an HTML page or static file, whose
// own 404s (a missing file) are the file server's plain text, not the API's.
func pageRoute(method, pattern string) bool {
	if method != http.MethodGet && method != http.MethodHead {
		return false
	}
	switch {
	case pattern == "", strings.HasPrefix(pattern, "/api/"), pattern == "/healthz", pattern == "/t/:token/qr.png":
		return false
	}
	return true
}

// floodGen makes requests from a fixed seed, so a failure can be replayed.
type floodGen struct {
	r        *rand.Rand
	patterns []string
	methods  map[string][]string // registered methods by pattern
	params   []string            // escaped path parameter values
	bigJSON  []byte              // 1 MiB, cut to the size wanted
	bigText  []byte
}

var (
	floodAllMethods = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}
	floodFields     = []string{"service_id", "priority", "id", "prefix", "name", "names", "avg_service_seconds", "slot_minutes", "slot_capacity",
		"service_ids", "timezone", "hours", "max_wait_minutes", "checkin_early_minutes", "checkin_late_minutes", "priority_weights", "branch_name",
		"username", "password", "role", "disabled", "kind", "printer_url", "outcome", "notes", "ticket_id", "reason", "start", "phone", "code", "guide"}
	floodValues = []string{`1`, `-1`, `0`, `1.5`, `1e400`, `-1e308`, `123456789012345678901234567890`, `true`, `false`, `null`, `[]`, `{}`, `""`,
		`"x"`, `[1,"a",null]`, `{"a":{"b":[]}}`, `"\u0000"`, `"\ud800"`, `"票号"`, `"` + strings.Repeat("長", 5000) + `"`,
		`{"mon":[]}`, `{"mon":"25:00-26:00"}`, `{"":""}`, `["general",1]`, `"2026-02-30T25:61:00Z"`, `"+86 138-0000-0000"`, `"../../etc/passwd"`}
	floodMalformed = []string{`{`, `}`, `{"a":`, `{"a":1,}`, `[1,2`, `{}{}`, `{"a" 1}`, `nul`, `tru`, `'x'`, `{"a":"\x"}`, "\xff\xfe{}", "\ufeff{}",
		`{"service_id":"general"}garbage`, `{"a":1}}`, "{\"a\":\"\x00\"}", `--boundary`, `a=1&b=2`}
	floodQueryKeys = []string{"topic", "since", "token", "limit", "date", "service_id", "phone", "text", "next", "device", "lang", "key", "id"}
	floodQueryVals = []string{"", "-1", "0", "1e9", "18446744073709551616", "99999999999999999999999", "x", "\x00", "票", "display", "status", "queue",
		"null", "[]", "2026-02-30", "9999-12-31", "../../etc/passwd", strings.Repeat("q", 10<<10), "%zz", "a b", "<script>"}
	floodContentTypes = []string{"application/json", "application/json", "application/json", "", "text/plain", "application/json; charset=utf-16",
		"multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/xml", "application/json;;;"}
)

func newFloodGen(e *echo.Echo, ticket servertest.Ticket) *floodGen {
	g := &floodGen{r: rand.New(rand.NewPCG(2026, 3)), methods: map[string][]string{}}
	for _, rt := range e.Routes() {
		if !slices.Contains(floodAllMethods, rt.Method) && rt.Method != "CONNECT" && rt.Method != "TRACE" {
			continue // echo's internal "route not found" entries
		}
		if _, ok := g.methods[rt.Path]; !ok {
			g.patterns = append(g.patterns, rt.Path)
		}
		g.methods[rt.Path] = append(g.methods[rt.Path], rt.Method)
	}
	// Routes() comes from a map: sort for a repeatable run.
	slices.Sort(g.patterns)
	for _, ms := range g.methods {
		slices.Sort(ms)
	}
	// Paths no route has: they meet the catch-alls.
	g.patterns = append(g.patterns, "", "/api/v2/tickets", "/api/v1/nope/:x", "/api", "/nope/:x")
	g.params = []string{
		ticket.ID, ticket.Token, "general", "cash", "c1", "c3", "12345678", "x",
		"..", "../..", "%2e%2e%2f", "..%2F..%2Fetc%2Fpasswd", "%00", "a%00b", "%0A", "%20", "%2F", ";", "~",
		"-1", "0", "99999999999999999999999", "1e9", "null", "%E7%A5%A8", "%F0%9F%98%80", "%27%22%3Cscript%3E",
		strings.Repeat("x", 10<<10), strings.Repeat("9", 10<<10),
	}
	g.bigText = bytes.Repeat([]byte("a"), 1<<20)
	g.bigJSON = []byte(`{"name":"` + strings.Repeat("x", 1<<20-12) + `"}`)
	return g
}

func (g *floodGen) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g *floodGen) next(roles []string) floodReq {
	pattern := g.patterns[g.r.IntN(len(g.patterns))]
	var req floodReq
	req.pattern = pattern
	if ms := g.methods[pattern]; len(ms) > 0 && g.r.IntN(10) < 7 {
		req.method = g.pick(ms)
	} else {
		req.method = g.pick(floodAllMethods)
	}
	if _, routed := g.methods[pattern]; !routed {
		req.pattern = ""
	}
	// The path, with every parameter replaced.
	var path strings.Builder
	for _, seg := range strings.Split(strings.TrimPrefix(pattern, "/"), "/") {
		path.WriteByte('/')
		switch {
		case strings.HasPrefix(seg, ":"):
			path.WriteString(g.pick(g.params))
		case seg == "*":
			path.WriteString(g.pick(g.params))
			if g.r.IntN(2) == 0 {
				path.WriteString("/" + g.pick(g.params))
			}
		default:
			path.WriteString(seg)
		}
	}
	req.target = path.String()
	if g.r.IntN(2) == 0 {
		var q []string
		for range 1 + g.r.IntN(4) {
			v := g.pick(floodQueryVals)
			if v != "%zz" { // that one goes raw: a broken escape
				v = url.QueryEscape(v)
			}
			q = append(q, g.pick(floodQueryKeys)+"="+v)
		}
		req.target += "?" + strings.Join(q, "&")
	}
	req.body, req.chunked, req.what = g.body()
	if req.method == http.MethodConnect {
		// Go's client sends a CONNECT body as raw tunnel bytes, which the
		// server then reads as the next request on the connection: a test
		// of net/http's framing, not of the box.
		req.body, req.chunked, req.what = nil, false, "no body"
	}
	req.header = http.Header{}
	if req.body != nil {
		if ct := g.pick(floodContentTypes); ct != "" {
			req.header.Set("Content-Type", ct)
		}
	}
	switch n := g.r.IntN(100); {
	case n < 8:
		req.header.Set("Origin", "http://evil.example")
	case n < 14:
		// A websocket handshake that can never complete (no valid key),
		// so the flood never holds a connection open.
		req.header.Set("Connection", "Upgrade")
		req.header.Set("Upgrade", "websocket")
		if g.r.IntN(2) == 0 {
			req.header.Set("Sec-WebSocket-Version", g.pick([]string{"13", "8", "x"}))
			req.header.Set("Sec-WebSocket-Key", "bad")
		}
	case n < 19:
		req.header.Set("Idempotency-Key", g.pick([]string{strings.Repeat("k", 5000), "票号", "\t", "a,b"}))
	}
	req.role = g.pick(roles)
	return req
}

// body returns a request body, whether to send it without a length, and
// what kind of body it is.
func (g *floodGen) body() ([]byte, bool, string) {
	switch n := g.r.IntN(100); {
	case n < 15:
		return nil, false, "no body"
	case n < 30:
		return []byte(g.pick(floodMalformed)), false, "malformed"
	case n < 52:
		var parts []string
		for range 1 + g.r.IntN(4) {
			parts = append(parts, strconv.Quote(g.pick(floodFields))+":"+g.pick(floodValues))
		}
		return []byte("{" + strings.Join(parts, ",") + "}"), false, "wrong types"
	case n < 60:
		return []byte(g.pick([]string{`{}`, `[]`, `null`, `""`, `0`, ` `, "\n"})), false, "missing fields"
	case n < 70:
		return []byte(g.pick([]string{`{"name":"𝕏\u202e\ufffd","phone":"１３８００００００００"}`, "{\"name\":\"\xc3\x28\xa0\xa1\"}",
			`{"service_id":"ｇｅｎｅｒａｌ"}`, `{"username":"ädmin","password":"пароль-пароль"}`, `{"notes":"` + strings.Repeat("🙂", 3000) + `"}`})), false, "unicode"
	case n < 78:
		return []byte(g.pick([]string{`{"priority":1e308}`, `{"slot_minutes":99999999999999999999}`, `{"avg_service_seconds":-9223372036854775809}`,
			`{"max_wait_minutes":9223372036854775807}`, `{"priority_weights":[1e10,2e10]}`, `{"slot_capacity":1.0000000000000002}`})), false, "huge numbers"
	case n < 86:
		depth := g.pick([]string{"100", "10001", "60000"})
		d, _ := strconv.Atoi(depth)
		return []byte(strings.Repeat("[", d) + strings.Repeat("]", d)), false, "nested " + depth
	case n < 95:
		size := []int{floodMaxBody + 1, 256 << 10, 1 << 20}[g.r.IntN(3)]
		src := g.bigText
		if g.r.IntN(2) == 0 {
			src = g.bigJSON
		}
		return src[:size], g.r.IntN(2) == 0, fmt.Sprintf("%d-byte body", size)
	}
	return []byte(g.pick([]string{`{"service_id":"general"}`, `{"service_id":"cash","priority":1}`, `{"kind":"display","name":"TV"}`,
		`{"username":"nobody","password":"nobody-password"}`, `{"code":"12345678"}`, `{"phone":"13800000000"}`})), false, "plausible"
}

func TestFaultGeneratedRequests(t *testing.T) {
	var logs lockedBuffer
	box := servertest.Start(t, servertest.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	admin := box.Admin()
	_, kiosk := newDevice(t, box, admin, "kiosk")
	_, display := newDevice(t, box, admin, "display")
	staff := newStaff(t, box, admin, "gus", "gus-password-1")
	ticket := box.Issue(kiosk, "general")
	base, _ := url.Parse(box.URL)
	cookie := func(c *http.Client) string {
		var parts []string
		for _, ck := range c.Jar.Cookies(base) {
			parts = append(parts, ck.Name+"="+ck.Value)
		}
		return strings.Join(parts, "; ")
	}
	roles := map[string]http.Header{
		"anon":       {},
		"kiosk":      {"Authorization": {"Bearer " + kiosk}},
		"display":    {"Authorization": {"Bearer " + display}},
		"staff":      {"Cookie": {cookie(staff)}},
		"admin":      {"Cookie": {cookie(admin)}},
		"bad bearer": {"Authorization": {"Bearer not-a-token"}},
		"bad cookie": {"Cookie": {"queuebox_session=forged"}},
		"basic auth": {"Authorization": {"Basic YWRtaW46eA=="}},
	}
	roleNames := slices.Sorted(func(yield func(string) bool) {
		for k := range roles {
			if !yield(k) {
				return
			}
		}
	})

	gen := newFloodGen(box.Server.Handler().(*echo.Echo), ticket)
	reqs := make([]floodReq, floodRequests)
	for i := range reqs {
		reqs[i] = gen.next(roleNames)
		// The flood must not end the sessions it calls with.
		if reqs[i].method == "DELETE" && reqs[i].pattern == "/api/v1/session" && roles[reqs[i].role].Get("Cookie") != "" {
			reqs[i].role = "bad cookie"
		}
	}

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: floodConcurrency, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()

	type failure struct {
		i   int
		why string
	}
	var (
		mu       sync.Mutex
		failures []failure
		byClass  = map[string]int{}
		cutOff   atomic.Int64
	)
	fail := func(i int, format string, args ...any) {
		mu.Lock()
		failures = append(failures, failure{i, fmt.Sprintf(format, args...)})
		mu.Unlock()
	}
	start := time.Now()
	work := make(chan int)
	var wg sync.WaitGroup
	for range floodConcurrency {
		wg.Go(func() {
			for i := range work {
				fr := reqs[i]
				var body io.Reader
				if fr.body != nil {
					body = bytes.NewReader(fr.body)
					if fr.chunked {
						body = struct{ io.Reader }{body} // hides the length: sent chunked
					}
				}
				req, err := http.NewRequest(fr.method, box.URL+fr.target, body)
				if err != nil {
					fail(i, "cannot build the request: %v", err)
					continue
				}
				req.Header = fr.header.Clone()
				for k, v := range roles[fr.role] {
					req.Header[k] = v
				}
				resp, err := client.Do(req)
				if err != nil {
					if len(fr.body) > floodMaxBody {
						cutOff.Add(1)
						continue
					}
					fail(i, "no answer: %v", err)
					continue
				}
				out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
				resp.Body.Close()
				mu.Lock()
				byClass[fmt.Sprintf("%dxx", resp.StatusCode/100)]++
				mu.Unlock()
				switch {
				case resp.StatusCode >= 500:
					fail(i, "got %d %s", resp.StatusCode, trunc(out))
				case resp.StatusCode >= 400 && fr.method != http.MethodHead && !pageRoute(fr.method, fr.pattern):
					if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
						fail(i, "got %d with Content-Type %q: %s", resp.StatusCode, ct, trunc(out))
					} else if _, _, err := apiErrorOf(out); err != nil {
						fail(i, "got %d: %v", resp.StatusCode, err)
					}
				}
			}
		})
	}
	for i := range reqs {
		work <- i
	}
	close(work)
	wg.Wait()
	t.Logf("%d requests in %v: %v; %d oversized bodies cut off mid-send", len(reqs), time.Since(start).Round(time.Millisecond), byClass, cutOff.Load())

	slices.SortFunc(failures, func(a, b failure) int { return a.i - b.i })
	for n, f := range failures {
		if n == 25 {
			t.Errorf("… and %d more", len(failures)-n)
			break
		}
		fr := reqs[f.i]
		t.Errorf("request %d: %s %s (route %q, %s, as %s): %s", f.i, fr.method, trunc([]byte(fr.target)), fr.pattern, fr.what, fr.role, f.why)
	}
	if l := logs.String(); strings.Contains(l, "panic") {
		t.Errorf("the server log has a panic:\n%s", trunc([]byte(l[max(0, strings.Index(l, "panic")-200):])))
	}
	if st, body := box.Do(nil, "GET", "/healthz", nil, nil); st != http.StatusOK {
		t.Errorf("after the flood /healthz answers %d %s", st, body)
	}
	// The flood called as these roles throughout; had it logged them out or
	// unpaired the kiosk, most of it would have tested only the guards.
	for _, c := range []*http.Client{staff, admin} {
		if st, body := box.Do(c, "GET", "/api/v1/session", nil, nil); st != http.StatusOK {
			t.Errorf("after the flood a session answers %d %s, want it still valid", st, trunc(body))
		}
	}
	if st, body := box.Do(nil, "GET", "/api/v1/device", nil, bearer(kiosk)); st != http.StatusOK {
		t.Errorf("after the flood the kiosk's token answers %d %s, want it still paired", st, trunc(body))
	}
}
