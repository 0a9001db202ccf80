package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"queuebox/server/queue"
)

// TestSendTicketIsEchoJSON: a ticket's answer is written by hand, and must
// be the very bytes and headers c.JSON gives (the contract's shape).
func TestSendTicketIsEchoJSON(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 30, 1, 120000000, time.FixedZone("", 8*3600))
	called := at.Add(7 * time.Minute)
	outs := []ticketOut{
		{},
		{TicketView: queue.TicketView{Ticket: queue.Ticket{ID: "12", Number: "A012", ServiceID: "general", Status: queue.StatusWaiting,
			Token: "q3T9xZk2Lm0PaB7cVd1E8w", Date: "2026-12-07", IssuedAt: at, IssuedRun: 5 * time.Second, Source: "device:kiosk-1", Tier: "standard",
			Promise: &queue.Promise{WaitSeconds: 300, LowSeconds: 120, HighSeconds: 600, ModelSeconds: 290, SpreadSeconds: 40}},
			Ahead: 3, EWTSeconds: 300, EWTLowSeconds: 120, EWTHighSeconds: 600},
			StatusURL: "http://box.local:8080/t/q3T9xZk2Lm0PaB7cVd1E8w", Print: "queued"},
		{TicketView: queue.TicketView{Ticket: queue.Ticket{ID: "13", Number: "<B>&1", Status: queue.StatusCalled, CalledAt: &called,
			CounterID: "c1", CallReason: "next in line", Notes: "柜台 \"notes\"\n\u2028", Transfers: []string{"cash"}, Recalls: 1}},
			StatusURL: "https://例え.jp/t/x?a=1&b=<2>"},
	}
	for i, o := range outs {
		for _, query := range []string{"", "?pretty"} {
			e := echo.New()
			send := func(f func(echo.Context) error) *httptest.ResponseRecorder {
				rec := httptest.NewRecorder()
				if err := f(e.NewContext(httptest.NewRequest(http.MethodGet, "/api/v1/tickets/1"+query, nil), rec)); err != nil {
					t.Fatal(err)
				}
				return rec
			}
			got := send(func(c echo.Context) error { return sendTicket(c, http.StatusCreated, o) })
			want := send(func(c echo.Context) error { return c.JSON(http.StatusCreated, o) })
			if got.Code != want.Code || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") || got.Body.String() != want.Body.String() {
				t.Errorf("answer %d%s: got %d %q %q, want %d %q %q", i, query, got.Code, got.Header().Get("Content-Type"), got.Body,
					want.Code, want.Header().Get("Content-Type"), want.Body)
			}
		}
	}
}

// TestKioskIssueBodies: the kiosk's own body is read without a decoder;
// every other body is read by bind as before, whatever it holds.
func TestKioskIssueBodies(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct {
		body    string
		status  int
		code    string // the error's code, for a refusal
		service string // the ticket's service, for a ticket
	}{
		{`{"service_id":"general"}`, http.StatusCreated, "", "general"},
		{`{"service_id":"cash"}`, http.StatusCreated, "", "cash"},
		{`{ "service_id": "general" }`, http.StatusCreated, "", "general"},
		{`{"service_id":"general"}` + "\n", http.StatusCreated, "", "general"},
		{`{"SERVICE_ID":"cash"}`, http.StatusCreated, "", "cash"}, // encoding/json ignores case
		{`{"service_id":"nope"}`, http.StatusNotFound, "unknown_service", ""},
		{`{"service_id":"General"}`, http.StatusNotFound, "unknown_service", ""},
		{`{"service_id":""}`, http.StatusBadRequest, "invalid", ""},
		{`{"service_id":"general","priority":3}`, http.StatusForbidden, "forbidden", ""},
		{`{"service_id":"general"}{}`, http.StatusBadRequest, "bad_json", ""},
		{`{"service_id":"gen`, http.StatusBadRequest, "bad_json", ""},
		{`{"service_id":"` + strings.Repeat("a", 40) + `"}`, http.StatusNotFound, "unknown_service", ""},
	} {
		r := h.do("POST", "/api/v1/tickets", h.kiosk, c.body)
		if r.status != c.status {
			t.Errorf("%s: %v, want %d", c.body, r, c.status)
			continue
		}
		if c.code != "" {
			if code, _, err := r.apiError(); err != nil || code != c.code {
				t.Errorf("%s: error %q (%v), want %q", c.body, code, err, c.code)
			}
			continue
		}
		var tk apiTicket
		r.decode(t, &tk)
		if tk.ServiceID != c.service {
			t.Errorf("%s: a ticket of %q, want %q", c.body, tk.ServiceID, c.service)
		}
	}
}

// TestPrintableNames: a slip names the service in Chinese and English (the
// English falls back to the service's name).
func TestPrintableNames(t *testing.T) {
	h := newHarness(t)
	tk := h.issue(t, h.kiosk, "general")
	v, err := h.s.engine.Ticket(tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p := h.s.printable(v); p.ServiceZH != "综合业务" || p.ServiceEN != "General" || p.Number != tk.Number {
		t.Errorf("slip of %s names %q / %q (number %q), want 综合业务 / General", tk.Number, p.ServiceZH, p.ServiceEN, p.Number)
	}
}
