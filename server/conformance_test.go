package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Checks found by going through the contract as an integrator would (a
// till, a CRM, a monitoring system): what they send wrong must get a message
// a person can act on.

func TestBodyTypeErrorsSpeakJSON(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct {
		path, body, want string
	}{
		{"/api/v1/tickets", `{"service_id":"general","priority":1.5}`, "priority must be a whole number, not 1.5"},
		{"/api/v1/tickets", `{"service_id":"general","priority":99999999999999999999}`, "priority must be a whole number, not 99999999999999999999"},
		{"/api/v1/tickets", `{"service_id":5}`, "service_id must be a string, not a number"},
		{"/api/v1/tickets", `{"service_id":"general","priority":"1"}`, "priority must be a whole number, not a string"},
		{"/api/v1/tickets", `[]`, "the body must be a JSON object, not a list"},
		{"/api/v1/webhooks", `{"url":"http://127.0.0.1:9/x","events":"*"}`, "events must be a list, not a string"},
	} {
		code, msg, err := h.do("POST", tt.path, h.admin, tt.body).want(t, http.StatusBadRequest).apiError()
		if err != nil || code != "invalid" || msg != tt.want {
			t.Errorf("%s %s: got %s %q, want invalid %q", tt.path, tt.body, code, msg, tt.want)
		}
	}
	code, msg, _ := h.do("PUT", "/api/v1/tiers", h.admin, `{"id":"gold"}`).want(t, http.StatusBadRequest).apiError()
	if code != "invalid" || msg != "the body must be a JSON list, not an object" {
		t.Errorf("PUT /tiers with an object: %s %q", code, msg)
	}
}

// A till gets its token and no pairing link: there is no page for it to
// open (the link pointed at /pos/, a 404), it sends the token as a header.
func TestATillGetsNoPairingLink(t *testing.T) {
	h := newHarness(t)
	for _, kind := range []string{"kiosk", "display", "pos"} {
		var d struct {
			Token      string  `json:"token"`
			PairingURL *string `json:"pairing_url"`
		}
		h.do("POST", "/api/v1/devices", h.admin, `{"kind":"`+kind+`","name":"Dev `+kind+`"}`).want(t, http.StatusCreated).decode(t, &d)
		switch {
		case d.Token == "":
			t.Errorf("%s: no token", kind)
		case kind == "pos" && d.PairingURL != nil:
			t.Errorf("pos: pairing_url %q, want none (a till has no page)", *d.PairingURL)
		case kind != "pos" && (d.PairingURL == nil || !strings.HasSuffix(*d.PairingURL, "/"+kind+"/?device="+d.Token)):
			t.Errorf("%s: pairing_url %v", kind, d.PairingURL)
		}
	}
	// The kiosk's and display's links lead to a page.
	for _, p := range []string{"/kiosk/", "/display/"} {
		h.do("GET", p, anonCaller, "").want(t, http.StatusOK)
	}
}

// GET /customers/{id} always carries its history lists, empty for a new
// customer, so a CRM can read them without checking for a missing key.
func TestCustomerDetailAlwaysHasItsLists(t *testing.T) {
	h := newHarness(t)
	var cu struct {
		ID string `json:"id"`
	}
	h.do("POST", "/api/v1/customers", h.admin, `{"phone":"13800138000"}`).want(t, http.StatusCreated).decode(t, &cu)
	var raw map[string]json.RawMessage
	h.do("GET", "/api/v1/customers/"+cu.ID, h.admin, "").want(t, http.StatusOK).decode(t, &raw)
	if string(raw["recent_visits"]) != "[]" {
		t.Errorf("recent_visits = %s, want []", raw["recent_visits"])
	}
	if v := string(raw["tier_history"]); !strings.HasPrefix(v, "[") {
		t.Errorf("tier_history = %s, want a list", v)
	}
	h.do("POST", "/api/v1/tickets", h.admin, `{"service_id":"general","phone":"13800138000"}`).want(t, http.StatusCreated)
	var after struct {
		RecentVisits []string `json:"recent_visits"`
	}
	h.do("GET", "/api/v1/customers/"+cu.ID, h.admin, "").want(t, http.StatusOK).decode(t, &after)
	if len(after.RecentVisits) != 1 {
		t.Errorf("after a ticket: recent_visits %v, want one visit", after.RecentVisits)
	}
}

// Staff views show a phone number masked; only admin views show it whole
// (the contract's Customers part). A day's appointments are a staff view.
func TestStaffSeeAppointmentPhonesMasked(t *testing.T) {
	h := newHarness(t, withStaff())
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	a := h.book(t, h.slotIn(2*time.Hour), "138 0013 8000")
	for _, tt := range []struct {
		who  caller
		want string
	}{{h.staff, "+86 138****8000"}, {h.admin, "+8613800138000"}} {
		var list []struct {
			Code, Name, Phone string
		}
		h.do("GET", "/api/v1/appointments?date="+h.clock.Now().Add(2*time.Hour).In(shanghai).Format("2006-01-02"), tt.who, "").want(t, http.StatusOK).decode(t, &list)
		if len(list) != 1 || list[0].Code != a.Code || list[0].Phone != tt.want || list[0].Name != "Test Customer" {
			t.Errorf("%s: appointments %+v, want %s's booking with phone %s", tt.who.name, list, a.Code, tt.want)
		}
	}
}

// A partial settings body changes only what it names; a null there wiped
// the field (hours: null closed the branch every day, as a serializer that
// writes unset fields as null sends): a null now keeps the field as it is,
// like a missing key, so GET → PUT round trips and such serializers are
// safe. PUT /special-days without special_days (a body meant for /settings)
// no longer wipes the holiday calendar.
func TestNullNeverWipesASetting(t *testing.T) {
	h := newHarness(t)
	h.do("PUT", "/api/v1/special-days", h.admin, `{"special_days":{"2026-12-25":""}}`).want(t, http.StatusOK)
	h.do("PUT", "/api/v1/settings", h.admin, `{"priority_weights":[3,1]}`).want(t, http.StatusOK)
	before := string(h.do("GET", "/api/v1/settings", h.admin, "").want(t, http.StatusOK).body)
	for _, body := range []string{
		`{"hours":null}`,
		`{"timezone":"Asia/Shanghai","hours":null,"max_wait_minutes":null,"branch_name":null}`,
		`{"hours":{"mon":null}}`,
		`{"priority_weights":null}`,
		before,
	} {
		h.do("PUT", "/api/v1/settings", h.admin, body).want(t, http.StatusOK)
		if after := string(h.do("GET", "/api/v1/settings", h.admin, "").want(t, http.StatusOK).body); after != before {
			t.Errorf("PUT /settings %s changed the settings:\n%s\n%s", body, before, after)
		}
	}
	for _, body := range []string{`{"hours":{"mon":"09:00-17:00"}}`, `{"special_days":null}`, `null`} {
		code, msg, _ := h.do("PUT", "/api/v1/special-days", h.admin, body).want(t, http.StatusBadRequest).apiError()
		if code != "invalid" || !strings.HasPrefix(msg, "special_days ") {
			t.Errorf("PUT /special-days %s: %s %q, want invalid naming special_days", body, code, msg)
		}
	}
	if after := string(h.do("GET", "/api/v1/settings", h.admin, "").want(t, http.StatusOK).body); after != before {
		t.Errorf("refused calendars changed the settings:\n%s\n%s", before, after)
	}
	// Clearing stays possible, by saying so; a bad value is still refused.
	h.do("PUT", "/api/v1/special-days", h.admin, `{"special_days":{}}`).want(t, http.StatusOK)
	h.do("PUT", "/api/v1/settings", h.admin, `{"hours":{"sun":""}}`).want(t, http.StatusOK)
	h.do("PUT", "/api/v1/settings", h.admin, `{"hours":{"mon":9}}`).want(t, http.StatusBadRequest)
	h.do("PUT", "/api/v1/settings", h.admin, `[]`).want(t, http.StatusBadRequest)
}

// An integrator that knows only the contract's fields PUTs back a service or
// counter as it knows it: the box's extensions (a counter's pause, schedule
// and names; a service's guide, priority level and outcome codes) stay, and
// a body naming one field changes only that one. A field sent explicitly
// still replaces the old value whole.
func TestPutKeepsWhatTheBodyDoesNotName(t *testing.T) {
	h := newHarness(t)
	h.do("PUT", "/api/v1/counters/c1", h.admin, `{"name":"Counter 1","service_ids":["general","cash"],
		"names":{"zh":"1 号窗口"},"schedule":{"mon":"09:00-12:00"}}`).want(t, http.StatusOK)
	h.do("POST", "/api/v1/counters/c1/pause", h.admin, "").want(t, http.StatusOK)
	h.do("PUT", "/api/v1/services/general", h.admin, `{"prefix":"A","name":"General","avg_service_seconds":300,
		"priority":2,"guide":"Check the ID card","outcome_codes":["ok"],"names":{"zh":"综合业务"}}`).want(t, http.StatusOK)

	// The contract's Counter and Service, as a contract-only client sends them.
	var ctr struct {
		Name       string            `json:"name"`
		Names      map[string]string `json:"names"`
		ServiceIDs []string          `json:"service_ids"`
		Paused     bool              `json:"paused"`
		Schedule   map[string]string `json:"schedule"`
	}
	h.do("PUT", "/api/v1/counters/c1", h.admin, `{"id":"c1","name":"Desk One","service_ids":["general"]}`).want(t, http.StatusOK).decode(t, &ctr)
	if ctr.Name != "Desk One" || len(ctr.ServiceIDs) != 1 || !ctr.Paused || ctr.Schedule["mon"] != "09:00-12:00" || ctr.Names["zh"] != "1 号窗口" {
		t.Errorf("counter after a contract-only PUT: %+v, want renamed, one service, still paused, schedule and names kept", ctr)
	}
	ctr.Schedule = nil // the answer leaves an empty schedule out
	h.do("PUT", "/api/v1/counters/c1", h.admin, `{"schedule":{},"names":null}`).want(t, http.StatusOK).decode(t, &ctr)
	if len(ctr.Schedule) != 0 || ctr.Names["zh"] != "1 号窗口" || ctr.Name != "Desk One" {
		t.Errorf("counter after clearing its schedule: %+v, want no schedule, the rest kept", ctr)
	}
	var svc struct {
		Name         string   `json:"name"`
		Priority     int      `json:"priority"`
		OutcomeCodes []string `json:"outcome_codes"`
		Guide        string   `json:"guide"`
		AvgService   int      `json:"avg_service_seconds"`
	}
	h.do("PUT", "/api/v1/services/general", h.admin, `{"id":"general","prefix":"A","name":"General banking","names":{"zh":"综合业务"},
		"avg_service_seconds":240,"slot_minutes":0,"slot_capacity":0}`).want(t, http.StatusOK).decode(t, &svc)
	if svc.Name != "General banking" || svc.AvgService != 240 || svc.Priority != 2 || svc.Guide != "Check the ID card" || len(svc.OutcomeCodes) != 1 {
		t.Errorf("service after a contract-only PUT: %+v, want the new name and time, priority, guide and outcomes kept", svc)
	}
	h.do("PUT", "/api/v1/services/general", h.admin, `{"name":"General"}`).want(t, http.StatusOK).decode(t, &svc)
	if svc.Name != "General" || svc.AvgService != 240 {
		t.Errorf("service after a rename: %+v", svc)
	}
	h.do("PUT", "/api/v1/services/general", h.admin, `{"id":"other"}`).want(t, http.StatusBadRequest)
	h.do("PUT", "/api/v1/services/nope", h.admin, `{"name":"x"}`).want(t, http.StatusNotFound)
	h.do("PUT", "/api/v1/counters/nope", h.admin, `{"name":"x"}`).want(t, http.StatusNotFound)
	h.do("PUT", "/api/v1/counters/c1", h.admin, `{"service_ids":"general"}`).want(t, http.StatusBadRequest)
}

// A monitoring system balances issued against the ends: done, no-show,
// cancelled and expired (the day's end or a send-home at closing). Expired
// tickets had no counter, so the sums never met.
func TestMetricsCountExpiredTickets(t *testing.T) {
	h := newHarness(t)
	h.scrape(t)
	h.issue(t, h.kiosk, "general")
	h.issue(t, h.kiosk, "cash")
	h.do("POST", "/api/v1/queue/send-home", h.admin, "").want(t, http.StatusOK)
	h.waitMetrics(t,
		`queuebox_tickets_expired_total{service="general"} 1`,
		`queuebox_tickets_expired_total{service="cash"} 1`,
		`queuebox_tickets_expired_total{service="spare"} 0`,
		`queuebox_waiting_tickets{service="general"} 0`,
	)
}

// Query parameters an integrator gets wrong are named: a tier that does not
// exist is a typo (it listed no customers, as if the tier were empty), and
// a too-long accuracy period says what is wrong in a sentence.
func TestQueryMistakesAreNamed(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct{ path, want string }{
		{"/api/v1/customers?tier=platinum", `tier "platinum" is not a tier of this branch`},
		{"/api/v1/estimates/accuracy?from=2020-01-01&to=2026-03-04", "to must be at most 366 days after from"},
	} {
		code, msg, _ := h.do("GET", tt.path, h.admin, "").want(t, http.StatusBadRequest).apiError()
		if code != "invalid" || msg != tt.want {
			t.Errorf("GET %s: %s %q, want invalid %q", tt.path, code, msg, tt.want)
		}
	}
	h.do("GET", "/api/v1/customers?tier=standard", h.admin, "").want(t, http.StatusOK)
}

// Every 429 says when to come back (Retry-After, whole seconds), as the
// login throttle does: a booking page or an integrator that is limited
// must not have to guess, or retry at once and stay limited.
func TestEveryRateLimitSaysWhenToComeBack(t *testing.T) {
	h := newHarness(t)
	from := func(r *http.Request) *http.Request { r.RemoteAddr = "10.9.9.9:4000"; return r }
	var last apiResponse
	for i := range 11 {
		body := fmt.Sprintf(`{"service_id":"advice","start":%q,"name":"Guest","phone":"1370000000%d"}`, h.slotIn(time.Duration(i+2)*time.Hour), i%10)
		last = h.serve(from(h.req("POST", "/api/v1/appointments", anonCaller, body)))
	}
	var lookup apiResponse
	for range 31 {
		lookup = h.serve(from(h.req("GET", "/api/v1/appointments/12345678?phone=13700000001", anonCaller, "")))
	}
	for _, r := range []apiResponse{last, lookup} {
		if r.status != http.StatusTooManyRequests {
			t.Fatalf("%s %s: %d, want 429", r.method, r.path, r.status)
		}
		if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 3600 {
			t.Errorf("%s %s: Retry-After %q, want whole seconds within the hour", r.method, r.path, r.header.Get("Retry-After"))
		}
	}
}

// A till (device kind pos) may post purchases, but it knows a customer only
// by the phone number the cashier types: it cannot look customers up, so
// POST /customers/{id}/purchases was out of its reach. POST /purchases
// takes the phone, makes the customer when new (as the CSV import does),
// and is idempotent by ref like the other route.
func TestATillPostsPurchasesByPhone(t *testing.T) {
	h := newHarness(t)
	till, _ := h.newDevice(t, "pos", "Till 1")
	body := `{"phone":"138 0013 8000","amount":"60,000","at":"2026-03-01","ref":"R-1001"}`
	var out struct {
		Added    bool `json:"added"`
		Customer struct {
			ID, Phone, Tier string
		} `json:"customer"`
	}
	h.do("POST", "/api/v1/purchases", till, body).want(t, http.StatusCreated).decode(t, &out)
	if !out.Added || out.Customer.ID == "" || out.Customer.Phone != "+86 138****8000" {
		t.Errorf("first purchase: %+v, want added for a new customer, phone masked for the till", out)
	}
	r := h.do("POST", "/api/v1/purchases", till, `{"phone":"+86 138-0013-8000","amount":"60,000","ref":"R-1001"}`).want(t, http.StatusCreated)
	var again struct {
		Added    bool                `json:"added"`
		Customer struct{ ID string } `json:"customer"`
	}
	r.decode(t, &again)
	if again.Added || again.Customer.ID != out.Customer.ID || r.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the same receipt again: %+v (replayed %q), want the first purchase of the same customer", again, r.header.Get("Idempotent-Replayed"))
	}
	var list []struct{ ID string }
	h.do("GET", "/api/v1/customers?phone=13800138000", h.admin, "").want(t, http.StatusOK).decode(t, &list)
	if len(list) != 1 || list[0].ID != out.Customer.ID {
		t.Errorf("customers with that phone: %+v", list)
	}
	for _, tt := range []struct{ body, field string }{
		{`{"phone":"12","amount":5,"ref":"R-2"}`, "phone"},
		{`{"phone":"13900139000","amount":"abc","ref":"R-3"}`, "amount"},
		{`{"phone":"13900139000","amount":5}`, "ref"},
	} {
		code, msg, _ := h.do("POST", "/api/v1/purchases", till, tt.body).want(t, http.StatusBadRequest).apiError()
		if code != "invalid" || !strings.HasPrefix(msg, tt.field) {
			t.Errorf("%s: %s %q, want invalid naming %s", tt.body, code, msg, tt.field)
		}
	}
	// A refused purchase made no customer.
	h.do("GET", "/api/v1/customers?phone=13900139000", h.admin, "").want(t, http.StatusOK).decode(t, &list)
	if len(list) != 0 {
		t.Errorf("a refused purchase made a customer: %+v", list)
	}
	h.do("POST", "/api/v1/purchases", h.kiosk, body).want(t, http.StatusForbidden)
}

// A 405 names the methods the path takes (Allow), so a client that used the
// wrong one learns the right one.
func TestMethodNotAllowedSaysWhichMethods(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct{ method, path, allow string }{
		{"PATCH", "/api/v1/settings", "GET, HEAD, PUT"},
		{"DELETE", "/api/v1/tickets/1", "GET, HEAD"},
		{"GET", "/api/v1/counters/c1/next", "POST"},
	} {
		r := h.do(tt.method, tt.path, h.admin, "").want(t, http.StatusMethodNotAllowed)
		if got := r.header.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, got, tt.allow)
		}
	}
	h.do("PATCH", "/api/v1/no-such-thing", h.admin, "").want(t, http.StatusNotFound)
}
