package server

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// At the end of the business day what is left is closed as expired: staff
// find those tickets by date and status, the log records each, and the next
// day never calls one of them.
func TestDayCloseOverHTTP(t *testing.T) {
	h := newHarness(t)
	day := h.clock.Now().In(mustZone(t, "Asia/Shanghai")).Format("2006-01-02")
	left := h.issue(t, h.kiosk, "general")
	called := h.issue(t, h.kiosk, "general")
	h.do("POST", "/api/v1/counters/c3/call", h.admin, `{"ticket_id":"`+called.ID+`","reason":"test"}`).want(t, http.StatusOK)

	// The next morning, 09:00 in Shanghai.
	local := h.clock.Now().In(mustZone(t, "Asia/Shanghai"))
	h.clock.Set(time.Date(local.Year(), local.Month(), local.Day()+1, 9, 0, 0, 0, local.Location()))
	h.admin = h.login(t, "admin", testAdminPassword) // yesterday's session has lapsed
	h.do("POST", "/api/v1/counters/c3/next", h.admin, "").want(t, http.StatusNoContent)

	var got struct {
		Date    string      `json:"date"`
		Tickets []apiTicket `json:"tickets"`
	}
	h.do("GET", "/api/v1/tickets?status=expired&date="+day, h.admin, "").want(t, http.StatusOK).decode(t, &got)
	if len(got.Tickets) != 2 || got.Tickets[0].ID != left.ID || got.Tickets[1].ID != called.ID {
		t.Fatalf("expired of %s = %+v, want %s and %s", day, got.Tickets, left.Number, called.Number)
	}
	for _, tk := range got.Tickets {
		if tk.Status != "expired" || tk.Token != "" {
			t.Errorf("%s: status %s, token %q; want expired, no token", tk.Number, tk.Status, tk.Token)
		}
	}
	r := h.do("GET", "/api/v1/events", h.admin, "").want(t, http.StatusOK)
	if n := strings.Count(string(r.body), `"type":"expired"`); n != 2 {
		t.Errorf("expired events = %d, want 2", n)
	}
	// Today's list starts empty, and the first number is A001 again.
	h.do("GET", "/api/v1/tickets", h.admin, "").want(t, http.StatusOK).decode(t, &got)
	if len(got.Tickets) != 0 || got.Date == day {
		t.Errorf("today (%s) lists %d tickets, want a new empty day", got.Date, len(got.Tickets))
	}
	if tk := h.issue(t, h.kiosk, "general"); tk.Number != "A001" {
		t.Errorf("first of the new day = %s", tk.Number)
	}
	h.do("GET", "/api/v1/tickets?status=gone", h.admin, "").want(t, http.StatusBadRequest)
	h.do("GET", "/api/v1/tickets?date=yesterday", h.admin, "").want(t, http.StatusBadRequest)
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
