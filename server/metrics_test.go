package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// scrape reads /metrics as the box itself would be asked (loopback).
func (h *harness) scrape(t *testing.T) string {
	t.Helper()
	req := h.req("GET", "/metrics", anonCaller, "")
	req.RemoteAddr = "127.0.0.1:51000"
	r := h.serve(req).want(t, http.StatusOK)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want the Prometheus text format", ct)
	}
	return string(r.body)
}

// waitMetrics scrapes until every line in want is there (the ticket
// counters follow the bus, a moment behind the commit).
func (h *harness) waitMetrics(t *testing.T, want ...string) string {
	t.Helper()
	var body string
	eventually(t, "metrics", func() error {
		body = h.scrape(t)
		for _, w := range want {
			if !strings.Contains(body, w+"\n") {
				return fmt.Errorf("no line %q", w)
			}
		}
		return nil
	})
	return body
}

func TestMetricsContent(t *testing.T) {
	h := newHarness(t, withOptions(fastRetries))
	r := newReceiver(t)
	h.addWebhook(t, r, `["*"]`)
	h.scrape(t) // before anything: every service is listed at zero
	a := h.issue(t, h.kiosk, "general")
	h.issue(t, h.kiosk, "general")
	b := h.issue(t, h.kiosk, "cash")
	h.clock.Advance(5 * time.Minute)
	h.do("POST", "/api/v1/counters/c3/next", h.admin, "").want(t, http.StatusOK) // a, after 300 s
	h.step(a.ID, "start").want(t, http.StatusOK)
	h.step(a.ID, "finish").want(t, http.StatusOK)
	h.step(b.ID, "cancel").want(t, http.StatusOK)
	h.do("GET", "/api/v1/status/"+a.Token, anonCaller, "").want(t, http.StatusOK)
	r.waitCount(7)

	body := h.waitMetrics(t,
		`queuebox_tickets_issued_total{service="general"} 2`,
		`queuebox_tickets_issued_total{service="cash"} 1`,
		`queuebox_tickets_issued_total{service="spare"} 0`,
		`queuebox_tickets_called_total{service="general"} 1`,
		`queuebox_tickets_done_total{service="general"} 1`,
		`queuebox_tickets_no_show_total{service="general"} 0`,
		`queuebox_tickets_cancelled_total{service="cash"} 1`,
		`queuebox_waiting_tickets{service="general"} 1`,
		`queuebox_waiting_tickets{service="cash"} 0`,
		`queuebox_wait_seconds_bucket{service="general",le="120"} 0`,
		`queuebox_wait_seconds_bucket{service="general",le="300"} 1`,
		`queuebox_wait_seconds_sum{service="general"} 300`,
		`queuebox_live_clients{topic="display"} 0`,
		`queuebox_live_clients{topic="status"} 0`,
		`queuebox_http_requests_total{code="201",method="POST",route="/api/v1/tickets"} 3`,
		`queuebox_http_requests_total{code="200",method="GET",route="/api/v1/status/:token"} 1`,
		`queuebox_http_request_duration_seconds_count{method="POST",route="/api/v1/tickets"} 3`,
		`queuebox_webhook_deliveries_total{result="ok"} 7`,
		`queuebox_webhooks 1`,
		`queuebox_printer_state{printer="none",state="disabled"} 1`,
	)
	for _, name := range []string{"queuebox_db_size_bytes ", "queuebox_db_written_bytes_total ", "queuebox_db_commit_seconds_count ", "queuebox_print_jobs_total{outcome=", "go_goroutines "} {
		if !strings.Contains(body, name) {
			t.Errorf("no %s in /metrics", name)
		}
	}
	// Routes are named by pattern: a ticket's token never shows.
	if strings.Contains(body, a.Token) {
		t.Error("/metrics holds a ticket token")
	}
}

func TestMetricsAccess(t *testing.T) {
	h := newHarness(t)
	from := func(addr, auth string) apiResponse {
		req := h.req("GET", "/metrics", anonCaller, "")
		req.RemoteAddr = addr
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		return h.serve(req)
	}
	check := func(name string, r apiResponse, want int) {
		t.Helper()
		if r.status != want {
			t.Errorf("%s: got %v, want %d", name, r, want)
			return
		}
		if want == http.StatusForbidden {
			if code, _, err := r.apiError(); code != "forbidden" || err != nil {
				t.Errorf("%s: got code %q (%v), want forbidden", name, code, err)
			}
		}
	}
	check("loopback v4", from("127.0.0.1:50000", ""), http.StatusOK)
	check("loopback v6", from("[::1]:50000", ""), http.StatusOK)
	check("LAN, no token configured", from("192.168.1.50:50000", ""), http.StatusForbidden)
	check("LAN, a token when none is configured", from("192.168.1.50:50000", "Bearer "), http.StatusForbidden)

	h.s.cfg.Metrics.Token = "scrape-secret-1"
	check("LAN, no token", from("192.168.1.50:50000", ""), http.StatusForbidden)
	check("LAN, wrong token", from("192.168.1.50:50000", "Bearer scrape-secret-2"), http.StatusForbidden)
	check("LAN, token as Basic", from("192.168.1.50:50000", "Basic scrape-secret-1"), http.StatusForbidden)
	check("LAN, right token", from("192.168.1.50:50000", "Bearer scrape-secret-1"), http.StatusOK)
	// A kiosk's device token is not the metrics token.
	check("LAN, device token", from("192.168.1.50:50000", "Bearer "+h.kiosk.bearer), http.StatusForbidden)
}
