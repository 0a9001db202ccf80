package server

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"
)

// verdict is what one kind of caller gets from one route.
type verdict int

const (
	allowed verdict = iota // 2xx, or a 4xx from the handler itself (never 401/403)
	unauth                 // 401 unauthenticated
	forbid                 // 403 forbidden
)

func (a verdict) String() string {
	return [...]string{"allowed", "401 unauthenticated", "403 forbidden"}[a]
}

// check says what is wrong with r for a cell that expects a.
func (a verdict) check(r apiResponse) error {
	if r.status >= 400 {
		code, _, err := r.apiError()
		if err != nil {
			return fmt.Errorf("%v: %v", r, err)
		}
		switch {
		case a == unauth && (r.status != http.StatusUnauthorized || code != "unauthenticated"),
			a == forbid && (r.status != http.StatusForbidden || code != "forbidden"):
			return fmt.Errorf("got %d %s, want %v", r.status, code, a)
		case a == allowed && (r.status == http.StatusUnauthorized || r.status == http.StatusForbidden || r.status >= 500 ||
			code == "not_found" || code == "method_not_allowed"):
			// not_found and method_not_allowed mean the request never reached a route.
			return fmt.Errorf("got %d %s, want %v", r.status, code, a)
		}
		return nil
	}
	if a != allowed {
		return fmt.Errorf("got %d, want %v", r.status, a)
	}
	return nil
}

// Who may call a route, as [anon, device, staff, admin].
var (
	anyone       = [4]verdict{allowed, allowed, allowed, allowed}
	kioskOrStaff = [4]verdict{unauth, allowed, allowed, allowed}
	deviceOnly   = [4]verdict{unauth, allowed, forbid, forbid}
	staffOnly    = [4]verdict{unauth, forbid, allowed, allowed}
	adminOnly    = [4]verdict{unauth, forbid, forbid, allowed}
)

const (
	newbieName     = "newbie"
	newbiePassword = "newbie-password-1"
)

// apiRoute is one route of routes.go with a request a permitted caller could
// make to it. Paths and bodies may hold {placeholders}, which routeFixture
// fills in.
type apiRoute struct {
	method, pattern string
	path, body      string
	who             [4]verdict
	// logsOut marks the route that ends the caller's session.
	logsOut bool
	// binary marks a route whose success is a file, not JSON.
	binary bool
}

// apiRoutes lists every route by hand: a new route without a row here, or a
// row whose route is gone, fails TestAuthz.
func apiRoutes() []apiRoute {
	return []apiRoute{
		// An empty login reaches the handler as surely as a real one, without
		// a bcrypt comparison per cell (most of a second each under -race).
		{method: "POST", pattern: "/api/v1/session", path: "/api/v1/session", body: `{"username":"","password":""}`, who: anyone},
		{method: "DELETE", pattern: "/api/v1/session", path: "/api/v1/session", who: anyone, logsOut: true},
		{method: "GET", pattern: "/api/v1/session", path: "/api/v1/session", who: staffOnly},
		{method: "GET", pattern: "/api/v1/users", path: "/api/v1/users", who: adminOnly},
		{method: "POST", pattern: "/api/v1/users", path: "/api/v1/users", body: `{"username":"` + newbieName + `","password":"` + newbiePassword + `","role":"staff"}`, who: adminOnly},
		{method: "PUT", pattern: "/api/v1/users/:name", path: "/api/v1/users/staff1", body: `{"role":"staff"}`, who: adminOnly},
		{method: "GET", pattern: "/api/v1/devices", path: "/api/v1/devices", who: adminOnly},
		{method: "POST", pattern: "/api/v1/devices", path: "/api/v1/devices", body: `{"kind":"display","name":"Lobby TV"}`, who: adminOnly},
		{method: "PUT", pattern: "/api/v1/devices/:id", path: "/api/v1/devices/{device}", body: `{"name":"Spare kiosk, hall"}`, who: adminOnly},
		{method: "DELETE", pattern: "/api/v1/devices/:id", path: "/api/v1/devices/{device}", who: adminOnly},
		{method: "GET", pattern: "/api/v1/device", path: "/api/v1/device", who: deviceOnly},
		{method: "GET", pattern: "/api/v1/devices/health", path: "/api/v1/devices/health", who: staffOnly},

		{method: "GET", pattern: "/api/v1/services", path: "/api/v1/services", who: anyone},
		{method: "GET", pattern: "/api/v1/services/:id", path: "/api/v1/services/general", who: anyone},
		{method: "POST", pattern: "/api/v1/services", path: "/api/v1/services", body: `{"id":"loans","prefix":"L","name":"Loans","avg_service_seconds":600}`, who: adminOnly},
		{method: "PUT", pattern: "/api/v1/services/:id", path: "/api/v1/services/cash", body: `{"prefix":"B","name":"Cash desk","avg_service_seconds":200}`, who: adminOnly},
		{method: "DELETE", pattern: "/api/v1/services/:id", path: "/api/v1/services/spare", who: adminOnly},
		{method: "GET", pattern: "/api/v1/counters", path: "/api/v1/counters", who: staffOnly},
		{method: "GET", pattern: "/api/v1/counters/:id", path: "/api/v1/counters/c1", who: staffOnly},
		{method: "POST", pattern: "/api/v1/counters", path: "/api/v1/counters", body: `{"id":"c9","name":"Counter 9","service_ids":["general"]}`, who: adminOnly},
		{method: "PUT", pattern: "/api/v1/counters/:id", path: "/api/v1/counters/c3", body: `{"name":"Counter 3","service_ids":["general","cash"]}`, who: adminOnly},
		{method: "DELETE", pattern: "/api/v1/counters/:id", path: "/api/v1/counters/c9", who: adminOnly},
		{method: "POST", pattern: "/api/v1/counters/:id/pause", path: "/api/v1/counters/c2/pause", who: staffOnly},
		{method: "POST", pattern: "/api/v1/counters/:id/resume", path: "/api/v1/counters/c2/resume", who: staffOnly},
		{method: "GET", pattern: "/api/v1/counters/:id/queue", path: "/api/v1/counters/c1/queue", who: staffOnly},
		{method: "GET", pattern: "/api/v1/counters/:id/parked", path: "/api/v1/counters/c1/parked", who: staffOnly},
		{method: "GET", pattern: "/api/v1/settings", path: "/api/v1/settings", who: anyone},
		{method: "PUT", pattern: "/api/v1/settings", path: "/api/v1/settings", body: `{"timezone":"Asia/Shanghai"}`, who: adminOnly},
		{method: "PUT", pattern: "/api/v1/special-days", path: "/api/v1/special-days", body: `{"special_days":{"2030-01-01":""}}`, who: adminOnly},
		{method: "PUT", pattern: "/api/v1/notice", path: "/api/v1/notice", body: `{"text":"Counter 3 closed for lunch"}`, who: staffOnly},

		{method: "POST", pattern: "/api/v1/tickets", path: "/api/v1/tickets", body: `{"service_id":"general"}`, who: kioskOrStaff},
		{method: "GET", pattern: "/api/v1/tickets", path: "/api/v1/tickets?status=expired", who: staffOnly},
		{method: "GET", pattern: "/api/v1/tickets/:id", path: "/api/v1/tickets/{ticket}", who: staffOnly},
		{method: "POST", pattern: "/api/v1/tickets/:id/recall", path: "/api/v1/tickets/{ticket}/recall", who: staffOnly},
		{method: "POST", pattern: "/api/v1/tickets/:id/start", path: "/api/v1/tickets/{ticket}/start", who: staffOnly},
		{method: "POST", pattern: "/api/v1/tickets/:id/finish", path: "/api/v1/tickets/{ticket}/finish", who: staffOnly},
		{method: "POST", pattern: "/api/v1/tickets/:id/no-show", path: "/api/v1/tickets/{ticket}/no-show", who: staffOnly},
		{method: "POST", pattern: "/api/v1/tickets/:id/cancel", path: "/api/v1/tickets/{ticket}/cancel", who: staffOnly},
		{method: "POST", pattern: "/api/v1/tickets/:id/revert-no-show", path: "/api/v1/tickets/{ticket}/revert-no-show", who: staffOnly},
		{method: "POST", pattern: "/api/v1/tickets/:id/park", path: "/api/v1/tickets/{ticket}/park", who: staffOnly},
		{method: "POST", pattern: "/api/v1/tickets/:id/notes", path: "/api/v1/tickets/{ticket}/notes", body: `{"notes":"needs an interpreter"}`, who: staffOnly},
		{method: "POST", pattern: "/api/v1/tickets/:id/transfer", path: "/api/v1/tickets/{ticket}/transfer", body: `{"service_id":"cash"}`, who: staffOnly},
		{method: "GET", pattern: "/api/v1/tickets/:id/print", path: "/api/v1/tickets/{ticket}/print", who: kioskOrStaff},
		{method: "POST", pattern: "/api/v1/tickets/:id/print", path: "/api/v1/tickets/{ticket}/print", who: staffOnly},
		{method: "GET", pattern: "/api/v1/printer", path: "/api/v1/printer", who: staffOnly},
		{method: "GET", pattern: "/api/v1/queue", path: "/api/v1/queue", who: staffOnly},
		{method: "GET", pattern: "/api/v1/active", path: "/api/v1/active", who: staffOnly},
		{method: "POST", pattern: "/api/v1/counters/:id/next", path: "/api/v1/counters/c1/next", who: staffOnly},
		{method: "POST", pattern: "/api/v1/counters/:id/seat", path: "/api/v1/counters/c1/seat", who: staffOnly},
		{method: "DELETE", pattern: "/api/v1/seat", path: "/api/v1/seat", who: staffOnly},
		{method: "POST", pattern: "/api/v1/counters/:id/call", path: "/api/v1/counters/c1/call", body: `{"ticket_id":"{ticket}","reason":"came back with the form"}`, who: staffOnly},
		{method: "GET", pattern: "/api/v1/status/:token", path: "/api/v1/status/{token}", who: anyone},
		// Staff cancel through their own route, which records who did it.
		{method: "DELETE", pattern: "/api/v1/status/:token", path: "/api/v1/status/{token}", who: [4]verdict{allowed, forbid, forbid, forbid}},
		{method: "POST", pattern: "/api/v1/status/:token/feedback", path: "/api/v1/status/{token}/feedback", body: `{"rating":5}`, who: anyone},

		{method: "GET", pattern: "/api/v1/reports/today", path: "/api/v1/reports/today", who: staffOnly},
		{method: "GET", pattern: "/api/v1/reports/summary", path: "/api/v1/reports/summary?from={date}&to={date}&by=service", who: adminOnly},
		{method: "GET", pattern: "/api/v1/reports/summary.csv", path: "/api/v1/reports/summary.csv?by=hour", who: adminOnly, binary: true},
		{method: "GET", pattern: "/api/v1/reports/tickets.csv", path: "/api/v1/reports/tickets.csv", who: adminOnly, binary: true},
		{method: "GET", pattern: "/api/v1/reports/heatmap", path: "/api/v1/reports/heatmap", who: adminOnly},
		{method: "GET", pattern: "/api/v1/reports/comments", path: "/api/v1/reports/comments", who: adminOnly},
		{method: "GET", pattern: "/api/v1/reports/charts/:name", path: "/api/v1/reports/charts/hourly.svg", who: adminOnly, binary: true},
		{method: "GET", pattern: "/api/v1/reports/day-end", path: "/api/v1/reports/day-end", who: adminOnly},
		{method: "GET", pattern: "/api/v1/reports/staffing", path: "/api/v1/reports/staffing?weekday=wed", who: adminOnly},
		{method: "GET", pattern: "/api/v1/issuing", path: "/api/v1/issuing", who: anyone},
		{method: "PUT", pattern: "/api/v1/issuing", path: "/api/v1/issuing", body: `{"stopped":false}`, who: adminOnly},
		{method: "POST", pattern: "/api/v1/queue/send-home", path: "/api/v1/queue/send-home", who: adminOnly},

		{method: "GET", pattern: "/api/v1/slots", path: "/api/v1/slots?service_id=advice&date={date}", who: anyone},
		{method: "POST", pattern: "/api/v1/appointments", path: "/api/v1/appointments", body: `{"service_id":"advice","start":"{slot}","name":"Mei","phone":"13900000000"}`, who: anyone},
		{method: "GET", pattern: "/api/v1/appointments", path: "/api/v1/appointments?date={date}", who: staffOnly},
		{method: "GET", pattern: "/api/v1/estimates/accuracy", path: "/api/v1/estimates/accuracy?from={date}&to={date}", who: staffOnly},
		{method: "GET", pattern: "/api/v1/appointments/:code", path: "/api/v1/appointments/{appt}?phone={phone}", who: anyone},
		{method: "GET", pattern: "/api/v1/appointments/:code/calendar.ics", path: "/api/v1/appointments/{appt}/calendar.ics?phone={phone}", who: anyone, binary: true},
		{method: "POST", pattern: "/api/v1/appointments/:code/cancel", path: "/api/v1/appointments/{appt}/cancel", body: `{"phone":"{phone}"}`, who: anyone},
		{method: "POST", pattern: "/api/v1/appointments/:code/move", path: "/api/v1/appointments/{appt}/move", body: `{"phone":"{phone}","start":"2030-01-01T00:00:00Z"}`, who: anyone},
		{method: "POST", pattern: "/api/v1/checkin", path: "/api/v1/checkin", body: `{"code":"{checkin}"}`, who: kioskOrStaff},
		{method: "POST", pattern: "/api/v1/appointments/:code/revert-no-show", path: "/api/v1/appointments/{appt}/revert-no-show", who: staffOnly},

		{method: "GET", pattern: "/api/v1/clock", path: "/api/v1/clock", who: staffOnly},
		{method: "POST", pattern: "/api/v1/clock/confirm", path: "/api/v1/clock/confirm", who: adminOnly},

		{method: "POST", pattern: "/api/v1/customers", path: "/api/v1/customers", body: `{"phone":"13800000009"}`, who: staffOnly},
		{method: "GET", pattern: "/api/v1/customers", path: "/api/v1/customers?phone={phone}", who: staffOnly},
		{method: "POST", pattern: "/api/v1/customers/import", path: "/api/v1/customers/import", who: adminOnly},
		{method: "GET", pattern: "/api/v1/customers/:id", path: "/api/v1/customers/{customer}", who: staffOnly},
		{method: "PUT", pattern: "/api/v1/customers/:id", path: "/api/v1/customers/{customer}", body: `{"name":"Wang"}`, who: adminOnly},
		{method: "GET", pattern: "/api/v1/customers/:id/export", path: "/api/v1/customers/{customer}/export", who: adminOnly},
		{method: "POST", pattern: "/api/v1/customers/:id/forgive", path: "/api/v1/customers/{customer}/forgive", who: staffOnly},
		{method: "POST", pattern: "/api/v1/customers/:id/purchases", path: "/api/v1/customers/{customer}/purchases", body: `{"amount":10,"ref":"r1"}`, who: [4]verdict{unauth, forbid, forbid, allowed}},
		{method: "POST", pattern: "/api/v1/purchases", path: "/api/v1/purchases", body: `{"phone":"13800000011","amount":10,"ref":"r1"}`, who: [4]verdict{unauth, forbid, forbid, allowed}},
		{method: "DELETE", pattern: "/api/v1/customers/:id", path: "/api/v1/customers/{customer}", who: adminOnly},
		{method: "GET", pattern: "/api/v1/tiers", path: "/api/v1/tiers", who: staffOnly},
		{method: "PUT", pattern: "/api/v1/tiers", path: "/api/v1/tiers", body: `[{"id":"gold","name":"Gold","min_spend":50000},{"id":"standard","name":"Standard"}]`, who: adminOnly},

		// A bad since stops the handler right before the websocket upgrade,
		// which a plain request cannot complete: past the guard, so allowed.
		{method: "GET", pattern: "/api/v1/live", path: "/api/v1/live?topic=display&since=x", who: anyone},
		{method: "GET", pattern: "/api/v1/live", path: "/api/v1/live?topic=queue&since=x", who: staffOnly},

		{method: "GET", pattern: "/api/v1/qr.png", path: "/api/v1/qr.png?text=hello", who: anyone, binary: true},

		{method: "GET", pattern: "/api/v1/events", path: "/api/v1/events", who: staffOnly},
		{method: "GET", pattern: "/api/v1/backup", path: "/api/v1/backup", who: adminOnly, binary: true},

		{method: "POST", pattern: "/api/v1/webhooks", path: "/api/v1/webhooks", body: `{"url":"http://127.0.0.1:9/hook","events":["ticket.called"]}`, who: adminOnly},
		{method: "GET", pattern: "/api/v1/webhooks", path: "/api/v1/webhooks", who: adminOnly},
		// An unknown id gets past the guard to the handler's own 404.
		{method: "DELETE", pattern: "/api/v1/webhooks/:id", path: "/api/v1/webhooks/wh_none", who: adminOnly},
		{method: "GET", pattern: "/api/v1/webhooks/:id/deliveries", path: "/api/v1/webhooks/wh_none/deliveries", who: adminOnly},
		{method: "POST", pattern: "/api/v1/webhooks/:id/test", path: "/api/v1/webhooks/wh_none/test", who: adminOnly},
	}
}

// routeFixture makes what the route table refers to: a waiting ticket, a
// spare device to revoke, a booking to look up and cancel, one due now to
// check in, and a free slot to book.
func (h *harness) routeFixture(tb testing.TB) *strings.Replacer {
	tb.Helper()
	const phone = "13800000001"
	tk := h.issue(tb, h.admin, "general")
	_, spare := h.newDevice(tb, "kiosk", "Spare kiosk")
	later := h.book(tb, h.slotIn(5*time.Hour), phone)
	due := h.book(tb, h.slotIn(15*time.Minute), "13800000002")
	loc, err := time.LoadLocation(h.s.engine.Settings().Timezone)
	if err != nil {
		tb.Fatal(err)
	}
	var cu struct{ ID string }
	h.do("POST", "/api/v1/customers", h.admin, `{"phone":"13800000003","name":"Fixture"}`).want(tb, http.StatusCreated).decode(tb, &cu)
	return strings.NewReplacer(
		"{customer}", cu.ID,
		"{ticket}", tk.ID, "{token}", tk.Token, "{device}", spare,
		"{appt}", later.Code, "{phone}", phone, "{checkin}", due.Code,
		"{slot}", h.slotIn(4*time.Hour), "{date}", h.clock.Now().In(loc).Format("2006-01-02"),
	)
}

func TestAuthz(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withStaff())

	t.Run("table covers every route", func(t *testing.T) {
		got := map[string]bool{}
		for _, r := range h.s.echo.Routes() {
			if strings.HasSuffix(r.Path, "*") || !isHTTPMethod(r.Method) {
				continue // catch-alls answer 404/405 for what no route matches
			}
			if !strings.HasPrefix(r.Path, "/api/") {
				continue // pages are public HTML; the guards are on the API
			}
			got[r.Method+" "+r.Path] = true
		}
		want := map[string]bool{}
		for _, rt := range apiRoutes() {
			want[rt.method+" "+rt.pattern] = true
		}
		var missing, stale []string
		for k := range got {
			if !want[k] {
				missing = append(missing, k)
			}
		}
		for k := range want {
			if !got[k] {
				stale = append(stale, k)
			}
		}
		sort.Strings(missing)
		sort.Strings(stale)
		if len(missing) > 0 {
			t.Errorf("routes without a row in apiRoutes: %v", missing)
		}
		if len(stale) > 0 {
			t.Errorf("rows in apiRoutes for routes the router does not have: %v", stale)
		}
	})

	t.Run("matrix", func(t *testing.T) {
		fill := h.routeFixture(t)
		callers := [4]caller{anonCaller, h.kiosk, h.staff, h.admin}
		users := [4]string{2: "staff1", 3: "admin"}
		for _, rt := range apiRoutes() {
			for i, c := range callers {
				if rt.logsOut && c.cookie != "" {
					// Logging out must not end the session the other rows use.
					c = h.mintSession(t, users[i])
					c.name = callers[i].name
				}
				r := h.do(rt.method, fill.Replace(rt.path), c, fill.Replace(rt.body))
				if err := rt.who[i].check(r); err != nil {
					t.Errorf("%s %s as %s: %v", rt.method, rt.pattern, c.name, err)
				}
			}
		}
	})

	t.Run("device may not set priority", func(t *testing.T) {
		tests := []struct {
			as         caller
			body       string
			wantStatus int
			wantCode   string
		}{
			{h.kiosk, `{"service_id":"general","priority":1}`, http.StatusForbidden, "forbidden"},
			{h.kiosk, `{"service_id":"general","priority":0}`, http.StatusForbidden, "forbidden"},
			{h.kiosk, `{"service_id":"general"}`, http.StatusCreated, ""},
			{h.staff, `{"service_id":"general","priority":2}`, http.StatusCreated, ""},
		}
		for _, tt := range tests {
			r := h.do("POST", "/api/v1/tickets", tt.as, tt.body)
			if r.status != tt.wantStatus {
				t.Errorf("%s sends %s: got %v, want status %d", tt.as.name, tt.body, r, tt.wantStatus)
				continue
			}
			if tt.wantCode != "" {
				if code, _, err := r.apiError(); err != nil || code != tt.wantCode {
					t.Errorf("%s sends %s: got code %q (%v), want %q", tt.as.name, tt.body, code, err, tt.wantCode)
				}
			}
		}
	})

	t.Run("revoked device token", func(t *testing.T) {
		kiosk, id := h.newDevice(t, "kiosk", "Doomed kiosk")
		h.do("GET", "/api/v1/device", kiosk, "").want(t, http.StatusOK)
		h.do("DELETE", "/api/v1/devices/"+id, h.admin, "").want(t, http.StatusNoContent)
		tests := []struct {
			name         string
			as           caller
			method, path string
			body         string
		}{
			{"revoked, own route", kiosk, "GET", "/api/v1/device", ""},
			{"revoked, issue", kiosk, "POST", "/api/v1/tickets", `{"service_id":"general"}`},
			// A kiosk must learn it was unpaired even where anyone may call.
			{"revoked, public route", kiosk, "GET", "/api/v1/services", ""},
			{"unknown token", caller{name: "stranger", bearer: "not-a-token-of-this-box"}, "POST", "/api/v1/tickets", `{"service_id":"general"}`},
		}
		for _, tt := range tests {
			r := h.do(tt.method, tt.path, tt.as, tt.body)
			code, _, err := r.apiError()
			if r.status != http.StatusUnauthorized || code != "bad_device_token" || err != nil {
				t.Errorf("%s: got %v (%v), want 401 bad_device_token", tt.name, r, err)
			}
		}
		// Not a bearer token at all is refused the same way, never read as anonymous.
		req := h.req("GET", "/api/v1/services", anonCaller, "")
		req.Header.Set("Authorization", "Basic YWRtaW46eA==")
		if r := h.serve(req); r.status != http.StatusUnauthorized {
			t.Errorf("Basic auth header: got %v, want 401", r)
		}
	})

	t.Run("disabled user's session stops working", func(t *testing.T) {
		// The matrix usually made this user already; 409 exists is as good.
		r := h.do("POST", "/api/v1/users", h.admin, `{"username":"`+newbieName+`","password":"`+newbiePassword+`","role":"staff"}`)
		if r.status != http.StatusCreated && r.status != http.StatusConflict {
			t.Fatalf("create user: %v", r)
		}
		user := h.login(t, newbieName, newbiePassword)
		h.do("GET", "/api/v1/queue", user, "").want(t, http.StatusOK)
		h.do("PUT", "/api/v1/users/"+newbieName, h.admin, `{"disabled":true}`).want(t, http.StatusOK)
		for _, path := range []string{"/api/v1/queue", "/api/v1/session"} {
			r := h.do("GET", path, user, "")
			if code, _, _ := r.apiError(); r.status != http.StatusUnauthorized || code != "unauthenticated" {
				t.Errorf("disabled user: got %v, want 401 unauthenticated", r)
			}
		}
		r = h.do("POST", "/api/v1/session", anonCaller, `{"username":"`+newbieName+`","password":"`+newbiePassword+`"}`)
		if code, _, _ := r.apiError(); r.status != http.StatusUnauthorized || code != "bad_credentials" {
			t.Errorf("disabled user logs in: got %v, want 401 bad_credentials", r)
		}
	})

	t.Run("origin", func(t *testing.T) {
		tests := []struct {
			origin     string
			method     string
			path, body string
			wantStatus int
		}{
			{"http://evil.example", "POST", "/api/v1/tickets", `{"service_id":"cash"}`, http.StatusForbidden},
			{"http://evil.example", "DELETE", "/api/v1/session", "", http.StatusForbidden},
			{"null", "POST", "/api/v1/tickets", `{"service_id":"cash"}`, http.StatusForbidden},
			{"http://" + testHost, "POST", "/api/v1/tickets", `{"service_id":"cash"}`, http.StatusCreated},
			// Reading is harmless from anywhere: the same-origin policy keeps the answer from the other site.
			{"http://evil.example", "GET", "/api/v1/queue", "", http.StatusOK},
		}
		for _, tt := range tests {
			r := h.do(tt.method, tt.path, h.staff, tt.body, "Origin", tt.origin)
			if r.status != tt.wantStatus {
				t.Errorf("%s %s from %s: got %v, want %d", tt.method, tt.path, tt.origin, r, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusForbidden {
				if code, _, _ := r.apiError(); code != "bad_origin" {
					t.Errorf("%s %s from %s: got code %q, want bad_origin", tt.method, tt.path, tt.origin, code)
				}
			}
		}
	})

	// Last: it ends the staff session the subtests above use.
	t.Run("logout", func(t *testing.T) {
		h.do("GET", "/api/v1/session", h.staff, "").want(t, http.StatusOK)
		r := h.do("DELETE", "/api/v1/session", h.staff, "").want(t, http.StatusNoContent)
		cleared := false
		for _, ck := range (&http.Response{Header: r.header}).Cookies() {
			cleared = cleared || ck.Name == sessionCookie && ck.Value == "" && ck.MaxAge < 0
		}
		if !cleared {
			t.Errorf("logout: got Set-Cookie %q, want the session cookie cleared", r.header.Values("Set-Cookie"))
		}
		// The old cookie is dead on the server, not only dropped by the browser.
		for _, path := range []string{"/api/v1/session", "/api/v1/queue"} {
			r := h.do("GET", path, h.staff, "")
			if code, _, _ := r.apiError(); r.status != http.StatusUnauthorized || code != "unauthenticated" {
				t.Errorf("after logout: got %v, want 401 unauthenticated", r)
			}
		}
	})
}

func isHTTPMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return true
	}
	return false
}
