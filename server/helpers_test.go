package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"queuebox/server/config"
	"queuebox/server/queue/queuetest"
	"queuebox/server/store"
)

const (
	testAdminPassword = "admin-password-1"
	testStaffPassword = "staff-password-1"
	// testHost is the Host of every harness request; same-origin checks compare against it.
	testHost = "box.test"
)

type manualClock = queuetest.Clock

func hoursEveryDay(h string) map[string]string {
	return map[string]string{"mon": h, "tue": h, "wed": h, "thu": h, "fri": h, "sat": h, "sun": h}
}

// caller is who a request is made as: nobody, a session cookie or a device token.
type caller struct {
	name   string
	cookie string
	bearer string
}

var anonCaller = caller{name: "anon"}

// harness is a real server with an admin and a kiosk signed in, and with
// withStaff a staff member.
type harness struct {
	s     *Server
	clock *manualClock
	ip    atomic.Uint32

	admin, staff, kiosk caller
}

type harnessSetup struct {
	staff  bool
	config func(*config.Config)
	opts   func(*Options)
}

// withConfig edits the configuration before the server is built.
func withConfig(f func(*config.Config)) harnessOption {
	return func(s *harnessSetup) { s.config = f }
}

// withOptions edits the server's Options (caps, timeouts).
func withOptions(f func(*Options)) harnessOption {
	return func(s *harnessSetup) { s.opts = f }
}

type harnessOption func(*harnessSetup)

// withStaff adds a staff member, created and logged in through the API. It is
// an option because each password hash or check costs most of a second under
// -race, and most tests are as well served by the admin.
func withStaff() harnessOption {
	return func(s *harnessSetup) { s.staff = true }
}

func newHarness(tb testing.TB, opts ...harnessOption) *harness {
	tb.Helper()
	cfg := &config.Config{
		Data:          tb.TempDir(),
		AdminPassword: testAdminPassword,
		LogLevel:      "info",
		Printer:       config.Printer{URL: "none"},
		Branch:        config.Branch{Name: "Test Branch", Timezone: "Asia/Shanghai", Hours: hoursEveryDay("00:00-24:00")},
		Services: []config.Service{
			{ID: "general", Prefix: "A", Name: "General", Names: map[string]string{"zh": "综合业务"}, AvgServiceSeconds: 300},
			{ID: "cash", Prefix: "B", Name: "Cash", AvgServiceSeconds: 180},
			{ID: "spare", Prefix: "S", Name: "Spare", AvgServiceSeconds: 60},
			{ID: "advice", Prefix: "P", Name: "Advice", AvgServiceSeconds: 900, SlotMinutes: 15, SlotCapacity: 1},
		},
		Counters: []config.Counter{
			{ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general", "cash"}},
			{ID: "c2", Name: "Counter 2", ServiceIDs: []string{"cash"}},
			{ID: "c3", Name: "Counter 3", ServiceIDs: []string{"general"}},
		},
	}
	var setup harnessSetup
	for _, o := range opts {
		o(&setup)
	}
	if setup.config != nil {
		setup.config(cfg)
	}
	// A Wednesday morning in the branch's zone, far from any day change.
	clock := queuetest.NewClock(time.Date(2026, 3, 4, 2, 0, 0, 0, time.UTC))
	o := Options{Clock: clock, PublicURL: "http://" + testHost}
	if setup.opts != nil {
		setup.opts(&o)
	}
	s, err := New(cfg, nil, o)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	h := &harness{s: s, clock: clock}
	h.admin = h.login(tb, "admin", testAdminPassword)
	h.admin.name = "admin"
	if setup.staff {
		h.do("POST", "/api/v1/users", h.admin, `{"username":"staff1","password":"`+testStaffPassword+`","role":"staff"}`).want(tb, http.StatusCreated)
		h.staff = h.login(tb, "staff1", testStaffPassword)
		h.staff.name = "staff"
	}
	h.kiosk, _ = h.newDevice(tb, "kiosk", "Kiosk 1")
	h.kiosk.name = "device"
	return h
}

// listen serves the harness's server on a loopback port through Serve (with
// its caps, timeouts and TLS) until the test ends, and returns its address.
func (h *harness) listen(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.s.Serve(ctx, ln) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// apiResponse is a finished request.
type apiResponse struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
}

func (r apiResponse) String() string {
	b := r.body
	if len(b) > 300 {
		b = append(b[:300:300], "…"...)
	}
	return fmt.Sprintf("%s %s → %d %s", r.method, r.path, r.status, b)
}

// want fails the test unless the status is the expected one.
func (r apiResponse) want(tb testing.TB, status int) apiResponse {
	tb.Helper()
	if r.status != status {
		tb.Fatalf("%v: got status %d, want %d", r, r.status, status)
	}
	return r
}

func (r apiResponse) decode(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		tb.Fatalf("%v: decode body: %v", r, err)
	}
}

// apiError reads the body as the one error shape the API has, and says what
// is wrong with it when it is not exactly {"error":{"code","message"}}.
func (r apiResponse) apiError() (code, message string, err error) {
	var body struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			ID      string `json:"id"` // only `exists` and `webhook_exists` name the record they met
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return "", "", fmt.Errorf("not an error body: %v", err)
	}
	if dec.More() {
		return "", "", fmt.Errorf("more than one JSON value")
	}
	if body.Error == nil || body.Error.Code == "" || body.Error.Message == "" {
		return "", "", fmt.Errorf("error.code or error.message is missing")
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return "", "", fmt.Errorf("Content-Type %q is not JSON", ct)
	}
	return body.Error.Code, body.Error.Message, nil
}

// nextIP gives every request its own client address, so the login rate
// limiter only counts where a test means it to.
func (h *harness) nextIP() string {
	n := h.ip.Add(1)
	return fmt.Sprintf("10.%d.%d.%d:40000", byte(n>>16), byte(n>>8), byte(n))
}

// req builds a request as c. A non-empty body is sent as JSON unless a
// Content-Type header is given; hdr is name, value pairs.
func (h *harness) req(method, path string, c caller, body string, hdr ...string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Host = testHost
	req.RemoteAddr = h.nextIP()
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.cookie})
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return req
}

func (h *harness) serve(req *http.Request) apiResponse {
	rec := httptest.NewRecorder()
	h.s.Handler().ServeHTTP(rec, req)
	return apiResponse{method: req.Method, path: req.URL.RequestURI(), status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func (h *harness) do(method, path string, c caller, body string, hdr ...string) apiResponse {
	return h.serve(h.req(method, path, c, body, hdr...))
}

// mintSession stores a session straight in the database, for a test that
// must spend one (logging out) without paying for a password check.
func (h *harness) mintSession(tb testing.TB, username string) caller {
	tb.Helper()
	tok := randomToken(32)
	if err := h.s.db.PutSession(hashToken(tok), store.Session{Username: username, Expires: h.clock.Now().Add(time.Hour)}); err != nil {
		tb.Fatalf("PutSession: %v", err)
	}
	return caller{name: username, cookie: tok}
}

func (h *harness) login(tb testing.TB, username, password string) caller {
	tb.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	r := h.do("POST", "/api/v1/session", anonCaller, string(body)).want(tb, http.StatusOK)
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			return caller{name: username, cookie: ck.Value}
		}
	}
	tb.Fatalf("%v: no %s cookie", r, sessionCookie)
	return caller{}
}

func (h *harness) newDevice(tb testing.TB, kind, name string) (c caller, id string) {
	tb.Helper()
	var d struct{ ID, Token string }
	h.do("POST", "/api/v1/devices", h.admin, fmt.Sprintf(`{"kind":%q,"name":%q}`, kind, name)).want(tb, http.StatusCreated).decode(tb, &d)
	if d.ID == "" || d.Token == "" {
		tb.Fatalf("device without id or token: %+v", d)
	}
	return caller{name: name, bearer: d.Token}, d.ID
}

// apiTicket is the part of a Ticket the tests look at.
type apiTicket struct {
	ID        string `json:"id"`
	Number    string `json:"number"`
	ServiceID string `json:"service_id"`
	Status    string `json:"status"`
	Priority  int    `json:"priority"`
	Token     string `json:"token"`
	StatusURL string `json:"status_url"`
}

func (h *harness) issue(tb testing.TB, c caller, serviceID string) apiTicket {
	tb.Helper()
	var t apiTicket
	h.do("POST", "/api/v1/tickets", c, `{"service_id":"`+serviceID+`"}`).want(tb, http.StatusCreated).decode(tb, &t)
	return t
}

// operator is whoever works the queue in a test: the staff member when the
// harness has one, else the admin (who has staff rights).
func (h *harness) operator() caller {
	if h.staff.cookie != "" {
		return h.staff
	}
	return h.admin
}

// step moves a ticket with POST /tickets/{id}/{action}.
func (h *harness) step(id, action string) apiResponse {
	return h.do("POST", "/api/v1/tickets/"+id+"/"+action, h.operator(), "")
}

func (h *harness) waiting(tb testing.TB, query string) []apiTicket {
	tb.Helper()
	var q struct {
		Waiting []apiTicket `json:"waiting"`
	}
	h.do("GET", "/api/v1/queue"+query, h.operator(), "").want(tb, http.StatusOK).decode(tb, &q)
	return q.Waiting
}

// apiAppointment is the part of an appointment the tests look at.
type apiAppointment struct {
	ID     string `json:"id"`
	Code   string `json:"code"`
	Status string `json:"status"`
}

// slotIn is the start of the advice slot d from now, as the API writes times.
func (h *harness) slotIn(d time.Duration) string {
	return h.clock.Now().Add(d).Format(time.RFC3339)
}

func (h *harness) book(tb testing.TB, start, phone string) apiAppointment {
	tb.Helper()
	var a apiAppointment
	body := fmt.Sprintf(`{"service_id":"advice","start":%q,"name":"Test Customer","phone":%q}`, start, phone)
	h.do("POST", "/api/v1/appointments", anonCaller, body).want(tb, http.StatusCreated).decode(tb, &a)
	return a
}
