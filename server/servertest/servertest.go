// Package servertest runs a real queuebox box on a loopback port for tests of
// the pages and the API: a temporary data directory, the demo-like branch
// open all day, an admin, and helpers to log in and pair a kiosk.
package servertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"testing"
	"time"

	"queuebox/server"
	"queuebox/server/config"
	"queuebox/server/queue"
)

// AdminPassword is the password of the user admin on every test box.
const AdminPassword = "test-admin-pass"

// Options change the test box.
type Options struct {
	// Config edits the configuration before the box starts.
	Config func(c *config.Config)
	// Clock is the box's clock. Without it (and without a clock file in the
	// configuration) the box gets a Clock starting at StartAt, so no test
	// depends on the hour it runs at.
	Clock queue.Clock
	// Dir is the data directory (default: a new temporary one), e.g. to
	// start a box on a restored backup or on another box's data.
	Dir string
	// MaxSize caps the database file in bytes; see server.Options.
	MaxSize int
	// Logger receives the server's log (default: discarded).
	Logger *slog.Logger
}

// Box is a running server.
type Box struct {
	URL    string
	Dir    string
	Server *server.Server

	t      testing.TB
	o      Options
	addr   string
	cancel context.CancelFunc
	done   chan error
}

// DefaultConfig is a branch open all day with three services and three counters.
func DefaultConfig(dir string) *config.Config {
	hours := map[string]string{}
	for _, d := range queue.Days {
		hours[d] = "00:00-24:00"
	}
	return &config.Config{
		Addr: "127.0.0.1:0", Data: dir, LogLevel: "error", AdminPassword: AdminPassword,
		Branch: config.Branch{Name: "Test Branch", Timezone: "Asia/Shanghai", Hours: hours},
		Services: []config.Service{
			{ID: "general", Prefix: "A", Name: "General", Names: map[string]string{"zh": "综合业务", "en": "General"}, AvgServiceSeconds: 300},
			{ID: "cash", Prefix: "B", Name: "Cash", Names: map[string]string{"zh": "现金业务", "en": "Cash"}, AvgServiceSeconds: 120},
			{ID: "advice", Prefix: "P", Name: "Advice", Names: map[string]string{"zh": "理财咨询", "en": "Advice"}, AvgServiceSeconds: 900, SlotMinutes: 15, SlotCapacity: 2},
		},
		Counters: []config.Counter{
			{ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general", "cash"}},
			{ID: "c2", Name: "Counter 2", ServiceIDs: []string{"general"}},
			{ID: "c3", Name: "Counter 3", ServiceIDs: []string{"advice", "cash"}},
		},
		Printer: config.Printer{URL: "none"},
	}
}

// Start runs a box until the test ends.
func Start(t testing.TB, o Options) *Box {
	t.Helper()
	dir := o.Dir
	if dir == "" {
		dir = t.TempDir()
	}
	b := &Box{t: t, o: o, Dir: dir, addr: "127.0.0.1:0"}
	b.start()
	t.Cleanup(b.Stop)
	return b
}

func (b *Box) start() {
	b.t.Helper()
	ln, err := net.Listen("tcp", b.addr)
	if err != nil {
		b.t.Fatalf("listen: %v", err)
	}
	b.addr = ln.Addr().String()
	b.URL = "http://" + b.addr
	cfg := DefaultConfig(b.Dir)
	if b.o.Config != nil {
		b.o.Config(cfg)
	}
	cfg.Data = b.Dir
	if b.o.Clock == nil && cfg.ClockFile == "" {
		// Kept across Restart: the box's time goes on.
		b.o.Clock = NewClock(StartAt())
	}
	s, err := server.New(cfg, b.o.Logger, server.Options{Clock: b.o.Clock, PublicURL: b.URL, MaxSize: b.o.MaxSize})
	if err != nil {
		ln.Close()
		b.t.Fatalf("start server: %v", err)
	}
	b.Server = s
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	b.done = make(chan error, 1)
	go func() { b.done <- s.Serve(ctx, ln) }()
}

// Now is what the box's clock says (with a clock file's offset for a box
// on one).
func (b *Box) Now() time.Time {
	if b.o.Clock == nil {
		return b.Server.Engine().Clock().Wall
	}
	return b.o.Clock.Now()
}

// Stop shuts the box down (idempotent).
func (b *Box) Stop() {
	if b.cancel == nil {
		return
	}
	b.cancel()
	b.cancel = nil
	select {
	case <-b.done:
	case <-time.After(15 * time.Second):
		b.t.Errorf("server did not stop")
	}
	b.Server.Close()
}

// Restart stops the box and starts it again on the same port and data.
func (b *Box) Restart() {
	b.t.Helper()
	b.Stop()
	b.start()
}

// Client is an HTTP client with its own cookie jar.
func (b *Box) Client() *http.Client {
	jar, _ := cookiejar.New(nil)
	// No keep-alive: a connection kept from before a Restart would be dead.
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
}

// Login returns a client logged in as user.
func (b *Box) Login(user, password string) *http.Client {
	b.t.Helper()
	c := b.Client()
	if st, body := b.Do(c, "POST", "/api/v1/session", map[string]string{"username": user, "password": password}, nil); st != 200 {
		b.t.Fatalf("login %s: %d %s", user, st, body)
	}
	return c
}

// Admin returns a client logged in as admin.
func (b *Box) Admin() *http.Client { return b.Login("admin", AdminPassword) }

// Staff creates a staff user and returns a client logged in as that user.
func (b *Box) Staff(name string) *http.Client {
	b.t.Helper()
	pw := "staff-pass-" + name
	if st, body := b.Do(b.Admin(), "POST", "/api/v1/users", map[string]string{"username": name, "password": pw, "role": "staff"}, nil); st != 201 {
		b.t.Fatalf("create staff %s: %d %s", name, st, body)
	}
	return b.Login(name, pw)
}

// Device pairs a device of kind ("kiosk" or "display") and returns its token.
func (b *Box) Device(kind string) string {
	b.t.Helper()
	var out struct{ Token string }
	st, body := b.Do(b.Admin(), "POST", "/api/v1/devices", map[string]string{"kind": kind, "name": "test " + kind}, nil)
	if st != 201 || json.Unmarshal(body, &out) != nil || out.Token == "" {
		b.t.Fatalf("create device: %d %s", st, body)
	}
	return out.Token
}

// Do sends a JSON request (body may be nil) and returns the status and body.
func (b *Box) Do(c *http.Client, method, path string, body any, header map[string]string) (int, []byte) {
	b.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			b.t.Fatalf("marshal: %v", err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.URL+path, rd)
	if err != nil {
		b.t.Fatalf("request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	}
	resp, err := c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// Ticket is the part of a ticket answer tests use most.
type Ticket struct {
	ID         string `json:"id"`
	Number     string `json:"number"`
	ServiceID  string `json:"service_id"`
	Status     string `json:"status"`
	Ahead      int    `json:"ahead"`
	Token      string `json:"token"`
	StatusURL  string `json:"status_url"`
	CounterID  string `json:"counter_id"`
	Tier       string `json:"tier"`
	CustomerID string `json:"customer_id"`
}

// Issue takes a ticket with a kiosk token.
func (b *Box) Issue(kioskToken, service string) Ticket {
	b.t.Helper()
	st, body := b.Do(nil, "POST", "/api/v1/tickets", map[string]string{"service_id": service}, map[string]string{"Authorization": "Bearer " + kioskToken})
	var tk Ticket
	if st != 201 || json.Unmarshal(body, &tk) != nil {
		b.t.Fatalf("issue %s: %d %s", service, st, body)
	}
	return tk
}

// Next calls the next ticket at a counter; ok is false when none waits.
func (b *Box) Next(staff *http.Client, counter string) (Ticket, bool) {
	b.t.Helper()
	st, body := b.Do(staff, "POST", "/api/v1/counters/"+counter+"/next", nil, nil)
	if st == 204 {
		return Ticket{}, false
	}
	var tk Ticket
	if st != 200 || json.Unmarshal(body, &tk) != nil {
		b.t.Fatalf("next at %s: %d %s", counter, st, body)
	}
	return tk, true
}
