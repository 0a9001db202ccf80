package server

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"queuebox/assets"
)

// reportDay plays a morning with known waits through the real API, on the
// harness's Wednesday 2026-03-04 (Asia/Shanghai, wait cap 30 min = the SLA
// target): see TestReportSummaryExact for the figures it must give.
func reportDay(t *testing.T, h *harness) (a001 apiTicket) {
	t.Helper()
	start := time.Date(2026, 3, 4, 2, 0, 0, 0, time.UTC) // 10:00 local
	h.clock.Set(start)
	at := func(min int) { h.clock.Set(start.Add(time.Duration(min) * time.Minute)) }
	a001 = h.issue(t, h.kiosk, "general")
	a002 := h.issue(t, h.kiosk, "general")
	b001 := h.issue(t, h.kiosk, "cash")
	at(5)
	h.do("POST", "/api/v1/counters/c3/next", h.admin, "").want(t, http.StatusOK)
	at(6)
	h.step(a001.ID, "start").want(t, http.StatusOK)
	at(10)
	h.step(a001.ID, "finish").want(t, http.StatusOK)
	h.do("POST", "/api/v1/counters/c2/next", h.admin, "").want(t, http.StatusOK) // B001, waited 600 s
	at(12)
	h.step(b001.ID, "no-show").want(t, http.StatusOK)
	at(40)
	h.do("POST", "/api/v1/counters/c3/next", h.admin, "").want(t, http.StatusOK) // A002, waited 2400 s
	h.step(a002.ID, "start").want(t, http.StatusOK)
	at(45)
	a003 := h.issue(t, h.kiosk, "general")
	at(50)
	h.step(a002.ID, "finish").want(t, http.StatusOK)
	h.do("DELETE", "/api/v1/status/"+a003.Token, anonCaller, "").want(t, http.StatusOK) // walked out
	return a001
}

func rowsJSON(t *testing.T, r apiResponse) (rows []string, total string) {
	t.Helper()
	var body struct {
		From, To, By string
		Rows         []json.RawMessage
		Total        json.RawMessage
	}
	r.decode(t, &body)
	for _, row := range body.Rows {
		rows = append(rows, string(row))
	}
	return rows, string(body.Total)
}

func TestReportSummaryExact(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a001 := reportDay(t, h)
	h.do("POST", "/api/v1/status/"+a001.Token+"/feedback", anonCaller, `{"rating":5,"comment":"Quick and kind"}`).want(t, http.StatusCreated)

	rows, total := rowsJSON(t, h.do("GET", "/api/v1/reports/summary?from=2026-03-04&to=2026-03-04&by=service", h.admin, "").want(t, http.StatusOK))
	// cash: B001 waited 600 s then did not come. general: waits 300 and
	// 2400 (p50 = the 1st of 2, p90 = the 2nd), services 240 and 600; SLA
	// 30 min: A001 in, A002 out, A003 walked out → 1 of 3. Every ticket
	// was issued while counters stood free, so each was promised no wait:
	// the estimate's error is the wait itself (cash 600; general 300 and
	// 2400 → MAE 1350, one of two within 5 min).
	var kept struct {
		Promise *struct {
			WaitSeconds int `json:"wait_seconds"`
		} `json:"promise"`
	}
	h.do("GET", "/api/v1/tickets/"+a001.ID, h.admin, "").want(t, http.StatusOK).decode(t, &kept)
	if kept.Promise == nil || kept.Promise.WaitSeconds != 0 {
		t.Fatalf("A001 promised %+v, want no wait", kept.Promise)
	}
	want := []string{
		`{"key":"cash","issued":1,"served":0,"no_show":1,"cancelled":0,"walk_outs":0,"expired":0,"waiting":0,"wait_p50_seconds":600,"wait_p90_seconds":600,"wait_max_seconds":600,"wait_avg_seconds":600,"service_p50_seconds":null,"service_p90_seconds":null,"sla_met_share":1,"ratings":0,"rating_avg":null,"estimate_mae_seconds":600,"estimate_within_5min_share":0}`,
		`{"key":"general","issued":3,"served":2,"no_show":0,"cancelled":1,"walk_outs":1,"expired":0,"waiting":0,"wait_p50_seconds":300,"wait_p90_seconds":2400,"wait_max_seconds":2400,"wait_avg_seconds":1350,"service_p50_seconds":240,"service_p90_seconds":600,"sla_met_share":0.3333,"ratings":1,"rating_avg":5,"estimate_mae_seconds":1350,"estimate_within_5min_share":0.5}`,
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows %v, want %d", len(rows), rows, len(want))
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d:\ngot  %s\nwant %s", i, rows[i], want[i])
		}
	}
	wantTotal := `{"key":"total","issued":4,"served":2,"no_show":1,"cancelled":1,"walk_outs":1,"expired":0,"waiting":0,"wait_p50_seconds":600,"wait_p90_seconds":2400,"wait_max_seconds":2400,"wait_avg_seconds":1100,"service_p50_seconds":240,"service_p90_seconds":600,"sla_met_share":0.5,"ratings":1,"rating_avg":5,"estimate_mae_seconds":1100,"estimate_within_5min_share":0.3333}`
	if total != wantTotal {
		t.Errorf("total:\ngot  %s\nwant %s", total, wantTotal)
	}

	// The staff member is the user who called and served.
	rows, _ = rowsJSON(t, h.do("GET", "/api/v1/reports/summary?from=2026-03-04&to=2026-03-04&by=staff", h.admin, "").want(t, http.StatusOK))
	if len(rows) != 2 || !strings.HasPrefix(rows[0], `{"key":"admin","issued":3,"served":2,"no_show":1`) || !strings.HasPrefix(rows[1], `{"key":"-","issued":1,`) {
		t.Errorf("by staff: got %v", rows)
	}
	rows, _ = rowsJSON(t, h.do("GET", "/api/v1/reports/summary?from=2026-03-04&to=2026-03-04&by=counter", h.admin, "").want(t, http.StatusOK))
	if len(rows) != 3 || !strings.HasPrefix(rows[0], `{"key":"c2","issued":1,`) || !strings.HasPrefix(rows[1], `{"key":"c3","issued":2,"served":2`) {
		t.Errorf("by counter: got %v", rows)
	}
	// Another day holds none of it.
	rows, total = rowsJSON(t, h.do("GET", "/api/v1/reports/summary?from=2026-03-05&to=2026-03-06&by=day", h.admin, "").want(t, http.StatusOK))
	if len(rows) != 0 || !strings.HasPrefix(total, `{"key":"total","issued":0,`) {
		t.Errorf("other days: got %v %s", rows, total)
	}

	// The comment reaches the manager, with the staff member and rating.
	var comments []struct {
		Number, Staff, Comment string
		Rating                 int
	}
	h.do("GET", "/api/v1/reports/comments?from=2026-03-04", h.admin, "").want(t, http.StatusOK).decode(t, &comments)
	if len(comments) != 1 || comments[0].Number != a001.Number || comments[0].Staff != "admin" || comments[0].Rating != 5 || comments[0].Comment != "Quick and kind" {
		t.Errorf("comments: got %+v", comments)
	}

	// The report index survives a restart and is rebuilt when lost.
	if n, err := h.s.db.ReportRecords("2026-03-04", "2026-03-04"); err != nil || len(n) != 4 {
		t.Fatalf("records: got %d, %v; want 4", len(n), err)
	}
}

// Business days are the branch's local dates, across a DST change: a
// ticket at 23:30 local belongs to that day, one at 00:30 to the next.
func TestReportBusinessDaysAcrossDST(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	hours := `{"mon":"00:00-24:00","tue":"00:00-24:00","wed":"00:00-24:00","thu":"00:00-24:00","fri":"00:00-24:00","sat":"00:00-24:00","sun":"00:00-24:00"}`
	h.do("PUT", "/api/v1/settings", h.admin, `{"branch_name":"NY","timezone":"America/New_York","hours":`+hours+`,"max_wait_minutes":30,"checkin_early_minutes":15,"checkin_late_minutes":10}`).want(t, http.StatusOK)
	// 2026-11-01 is the day New York falls back from EDT (-4) to EST (-5).
	for _, utc := range []time.Time{
		time.Date(2026, 11, 1, 4, 30, 0, 0, time.UTC), // 00:30 EDT, Nov 1
		time.Date(2026, 11, 2, 4, 30, 0, 0, time.UTC), // 23:30 EST, Nov 1
		time.Date(2026, 11, 2, 5, 30, 0, 0, time.UTC), // 00:30 EST, Nov 2
	} {
		h.clock.Set(utc)
		h.issue(t, h.kiosk, "general")
	}
	h.admin = h.mintSession(t, "admin") // months later: a fresh session
	rows, _ := rowsJSON(t, h.do("GET", "/api/v1/reports/summary?from=2026-11-01&to=2026-11-02&by=day", h.admin, "").want(t, http.StatusOK))
	if len(rows) != 2 || !strings.HasPrefix(rows[0], `{"key":"2026-11-01","issued":2,`) || !strings.HasPrefix(rows[1], `{"key":"2026-11-02","issued":1,`) {
		t.Errorf("by day: got %v", rows)
	}
	rows, _ = rowsJSON(t, h.do("GET", "/api/v1/reports/summary?from=2026-11-01&to=2026-11-01&by=hour", h.admin, "").want(t, http.StatusOK))
	if len(rows) != 2 || !strings.HasPrefix(rows[0], `{"key":"00","issued":1,`) || !strings.HasPrefix(rows[1], `{"key":"23","issued":1,`) {
		t.Errorf("by hour: got %v", rows)
	}
	var csvBody [][]string
	r := h.do("GET", "/api/v1/reports/tickets.csv?from=2026-11-01&to=2026-11-01", h.admin, "").want(t, http.StatusOK)
	csvBody, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil || len(csvBody) != 3 {
		t.Fatalf("csv: %v, %d lines", err, len(csvBody))
	}
	if got := csvBody[2][5]; got != "2026-11-01T23:30:00-05:00" {
		t.Errorf("issued_at of the 23:30 ticket: got %q", got)
	}
}

func TestReportRangeErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, tc := range []struct{ query, field string }{
		{"from=2026-13-01&to=2026-12-01", "from"},
		{"from=yesterday", "from"},
		{"from=2026-03-01&to=2026-3-2", "to"},
		{"from=2026-03-05&to=2026-03-04", "from"},
		{"from=2025-01-01&to=2026-03-04", "to"},
		{"from=2026-03-01&to=2026-03-04&by=colour", "by"},
	} {
		for _, path := range []string{"/api/v1/reports/summary", "/api/v1/reports/summary.csv", "/api/v1/reports/tickets.csv"} {
			if strings.HasSuffix(path, "tickets.csv") && tc.field == "by" {
				continue
			}
			r := h.do("GET", path+"?"+tc.query, h.admin, "").want(t, http.StatusBadRequest)
			code, msg, err := r.apiError()
			if err != nil || code != "invalid" || !strings.HasPrefix(msg, tc.field) {
				t.Errorf("%s?%s: got %s %q (%v), want invalid naming %s", path, tc.query, code, msg, err, tc.field)
			}
		}
	}
	// 400 days is the most; 401 is refused.
	h.do("GET", "/api/v1/reports/summary?from=2025-02-01&to=2026-03-07", h.admin, "").want(t, http.StatusOK)
	h.do("GET", "/api/v1/reports/summary?from=2025-01-31&to=2026-03-07", h.admin, "").want(t, http.StatusBadRequest)
}

func TestTicketsCSV(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// A checked-in appointment's ticket: its name and phone must not leak.
	appt := h.book(t, h.slotIn(15*time.Minute), "13912345678")
	h.do("POST", "/api/v1/checkin", h.kiosk, `{"code":"`+appt.Code+`"}`).want(t, http.StatusCreated)
	reportDay(t, h)
	r := h.do("GET", "/api/v1/reports/tickets.csv?from=2026-03-04&to=2026-03-04", h.admin, "").want(t, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("content type: got %q", ct)
	}
	body := string(r.body)
	for _, secret := range []string{"13912345678", "12345678", "Test Customer"} {
		if strings.Contains(body, secret) {
			t.Errorf("the export holds %q:\n%s", secret, body)
		}
	}
	lines, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(lines[0], ",") != "number,date,service,tier,priority,issued_at,called_at,ended_at,wait_seconds,service_seconds,counter,staff,outcome,outcome_code,rating" {
		t.Errorf("header: got %v", lines[0])
	}
	if len(lines) != 6 {
		t.Fatalf("got %d lines, want header + 5 tickets:\n%s", len(lines), body)
	}
	// After the appointment's P001, reportDay's A001: waited 300 s, served
	// 240 s at c3 by admin.
	want := "A001,2026-03-04,general,standard,0,2026-03-04T10:00:00+08:00,2026-03-04T10:05:00+08:00,2026-03-04T10:10:00+08:00,300,240,c3,admin,done,,"
	if got := strings.Join(lines[2], ","); got != want {
		t.Errorf("row:\ngot  %s\nwant %s", got, want)
	}
	// Each report table comes as CSV too.
	r = h.do("GET", "/api/v1/reports/summary.csv?from=2026-03-04&to=2026-03-04&by=service", h.admin, "").want(t, http.StatusOK)
	lines, err = csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil || len(lines) != 5 || lines[0][0] != "key" || lines[4][0] != "total" || lines[3][0] != "general" || lines[3][7] != "300" {
		t.Errorf("summary csv: %v\n%s", err, r.body)
	}
}

func TestFeedback(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tk := h.issue(t, h.kiosk, "general")
	fb := "/api/v1/status/" + tk.Token + "/feedback"
	wantCode := func(r apiResponse, status int, code string) {
		t.Helper()
		r.want(t, status)
		if got, _, _ := r.apiError(); got != code {
			t.Errorf("%v: got code %q, want %q", r, got, code)
		}
	}
	wantCode(h.do("POST", fb, anonCaller, `{"rating":4}`), http.StatusConflict, "not_done")
	h.do("POST", "/api/v1/counters/c1/next", h.admin, "").want(t, http.StatusOK)
	wantCode(h.do("POST", fb, anonCaller, `{"rating":4}`), http.StatusConflict, "not_done")
	h.step(tk.ID, "start").want(t, http.StatusOK)
	h.step(tk.ID, "finish").want(t, http.StatusOK)
	for _, bad := range []string{`{"rating":0}`, `{"rating":6}`, `{}`, `{"rating":3,"comment":"a\u202eb"}`, `{"rating":3,"comment":"` + strings.Repeat("x", 501) + `"}`} {
		wantCode(h.do("POST", fb, anonCaller, bad), http.StatusBadRequest, "invalid")
	}
	var st struct{ Rated bool }
	h.do("GET", "/api/v1/status/"+tk.Token, anonCaller, "").want(t, http.StatusOK).decode(t, &st)
	if st.Rated {
		t.Error("status says rated before any rating")
	}
	h.do("POST", fb, anonCaller, `{"rating":4,"comment":"fine\nthanks"}`).want(t, http.StatusCreated)
	wantCode(h.do("POST", fb, anonCaller, `{"rating":1}`), http.StatusConflict, "already_rated")
	h.do("GET", "/api/v1/status/"+tk.Token, anonCaller, "").want(t, http.StatusOK).decode(t, &st)
	if !st.Rated {
		t.Error("status does not say rated after the rating")
	}
	wantCode(h.do("POST", "/api/v1/status/no-such-token/feedback", anonCaller, `{"rating":4}`), http.StatusNotFound, "unknown_ticket")
	_, total := rowsJSON(t, h.do("GET", "/api/v1/reports/summary?by=tier", h.admin, "").want(t, http.StatusOK))
	if !strings.Contains(total, `"ratings":1,"rating_avg":4`) {
		t.Errorf("total: got %s", total)
	}
}

// A cancelled ticket can never be rated, and neither can a no-show.
func TestFeedbackOnlyDone(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tk := h.issue(t, h.kiosk, "general")
	h.do("DELETE", "/api/v1/status/"+tk.Token, anonCaller, "").want(t, http.StatusOK)
	r := h.do("POST", "/api/v1/status/"+tk.Token+"/feedback", anonCaller, `{"rating":2}`).want(t, http.StatusConflict)
	if code, _, _ := r.apiError(); code != "not_done" {
		t.Errorf("got %s, want not_done", code)
	}
}

func TestClosingTheDay(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withStaff())
	a := h.issue(t, h.kiosk, "general")
	b := h.issue(t, h.kiosk, "general")
	h.issue(t, h.kiosk, "cash")
	h.do("POST", "/api/v1/counters/c1/next", h.staff, "").want(t, http.StatusOK) // A001

	h.do("PUT", "/api/v1/issuing", h.staff, `{"stopped":true}`).want(t, http.StatusForbidden)
	h.do("PUT", "/api/v1/issuing", h.admin, `{}`).want(t, http.StatusBadRequest)
	h.do("PUT", "/api/v1/issuing", h.admin, `{"stopped":true}`).want(t, http.StatusOK)
	var is struct{ Stopped bool }
	h.do("GET", "/api/v1/issuing", anonCaller, "").want(t, http.StatusOK).decode(t, &is)
	if !is.Stopped {
		t.Error("GET /issuing: not stopped")
	}
	for _, c := range []caller{h.kiosk, h.staff} {
		r := h.do("POST", "/api/v1/tickets", c, `{"service_id":"general"}`).want(t, http.StatusConflict)
		if code, _, _ := r.apiError(); code != "issuing_stopped" {
			t.Errorf("%s: got %s, want issuing_stopped", c.name, code)
		}
	}
	// Editing the settings does not reopen issuing.
	var st map[string]any
	h.do("GET", "/api/v1/settings", h.admin, "").want(t, http.StatusOK).decode(t, &st)
	raw, _ := json.Marshal(st)
	h.do("PUT", "/api/v1/settings", h.admin, string(raw)).want(t, http.StatusOK)
	h.do("POST", "/api/v1/tickets", h.kiosk, `{"service_id":"general"}`).want(t, http.StatusConflict)

	// Waiting customers are still served.
	h.do("POST", "/api/v1/counters/c1/next", h.staff, "").want(t, http.StatusOK) // A002 (A001 done)
	h.step(b.ID, "start").want(t, http.StatusOK)
	// The rest is sent home (expired, like the day's end would): the cash
	// ticket; the one in service stays.
	var sent struct {
		SentHome int `json:"sent_home"`
	}
	h.do("POST", "/api/v1/queue/send-home", h.staff, "").want(t, http.StatusForbidden)
	h.do("POST", "/api/v1/queue/send-home", h.admin, "").want(t, http.StatusOK).decode(t, &sent)
	if sent.SentHome != 1 {
		t.Errorf("sent home %d, want 1", sent.SentHome)
	}
	h.step(b.ID, "finish").want(t, http.StatusOK)

	var end struct {
		Date           string
		IssuingStopped bool `json:"issuing_stopped"`
		StillWaiting   int  `json:"still_waiting"`
		StillActive    int  `json:"still_active"`
		Total          struct {
			Issued, Served, Cancelled, Expired int
			WalkOuts                           int `json:"walk_outs"`
		}
		Staff []struct {
			Key    string
			Served int
		}
	}
	h.do("GET", "/api/v1/reports/day-end", h.admin, "").want(t, http.StatusOK).decode(t, &end)
	if end.Date != "2026-03-04" || !end.IssuingStopped || end.StillWaiting != 0 || end.StillActive != 0 ||
		end.Total.Issued != 3 || end.Total.Served != 2 || end.Total.Expired != 1 || end.Total.Cancelled != 0 || end.Total.WalkOuts != 0 {
		t.Errorf("day end: got %+v", end)
	}
	if len(end.Staff) != 2 || end.Staff[0].Key != "staff1" || end.Staff[0].Served != 2 {
		t.Errorf("day end by staff: got %+v", end.Staff)
	}
	_ = a

	// The next business day issues again by itself.
	h.clock.Advance(24 * time.Hour)
	h.do("POST", "/api/v1/tickets", h.kiosk, `{"service_id":"general"}`).want(t, http.StatusCreated)
}

func TestTodayView(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withStaff())
	reportDay(t, h)
	h.issue(t, h.kiosk, "cash") // 10:50, waiting
	h.clock.Advance(35 * time.Minute)
	var v struct {
		Date         string
		WaitingNow   int `json:"waiting_now"`
		LongestNow   int `json:"longest_wait_now_seconds"`
		CountersOpen int `json:"counters_open"`
		CountersBusy int `json:"counters_busy"`
		Total        struct {
			Served  int
			NoShow  int  `json:"no_show"`
			WaitP90 *int `json:"wait_p90_seconds"`
		}
		Services []struct {
			ID         string
			WaitingNow int  `json:"waiting_now"`
			Alert      bool `json:"alert"`
		}
		Alerts []struct{ Kind, Key, Reason string }
	}
	// Staff may read today's view; kiosks and the public may not.
	h.do("GET", "/api/v1/reports/today", h.kiosk, "").want(t, http.StatusForbidden)
	h.do("GET", "/api/v1/reports/today", h.staff, "").want(t, http.StatusOK).decode(t, &v)
	if v.Date != "2026-03-04" || v.WaitingNow != 1 || v.LongestNow != 35*60 || v.CountersOpen != 3 || v.CountersBusy != 0 ||
		v.Total.Served != 2 || v.Total.NoShow != 1 || v.Total.WaitP90 == nil || *v.Total.WaitP90 != 2400 {
		t.Errorf("today: got %+v", v)
	}
	// general met 1 of 3 (alert); cash waits 35 min > 30 (alert); the
	// standard tier met 2 of 4 (alert).
	if len(v.Alerts) != 3 || v.Alerts[0].Key != "general" || v.Alerts[0].Reason != "sla_share_low" ||
		v.Alerts[1].Key != "cash" || v.Alerts[1].Reason != "waiting_too_long" ||
		v.Alerts[2].Kind != "tier" || v.Alerts[2].Key != "standard" {
		t.Errorf("alerts: got %+v", v.Alerts)
	}
}

func TestReportCharts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	reportDay(t, h)
	for _, name := range []string{"hourly", "waits", "heatmap", "trend"} {
		for _, lang := range []string{"en", "zh"} {
			for _, rng := range []string{"from=2026-03-04&to=2026-03-04", "from=2026-02-01&to=2026-03-04"} {
				r := h.do("GET", "/api/v1/reports/charts/"+name+".svg?lang="+lang+"&"+rng, h.admin, "").want(t, http.StatusOK)
				body := string(r.body)
				if ct := r.header.Get("Content-Type"); ct != "image/svg+xml; charset=utf-8" {
					t.Errorf("%s: content type %q", name, ct)
				}
				if !strings.Contains(body, `<svg`) || !strings.Contains(body, `role="img" aria-label="`) || !strings.Contains(body, "<title>") {
					t.Errorf("%s %s: not a labelled SVG: %.200s", name, lang, body)
				}
				// Nothing the picture needs comes from elsewhere.
				rest := strings.ReplaceAll(body, "http://www.w3.org/2000/svg", "")
				rest = strings.ReplaceAll(rest, "http://www.w3.org/1999/xlink", "")
				if strings.Contains(rest, "http://") || strings.Contains(rest, "https://") || strings.Contains(rest, "url(") {
					t.Errorf("%s: refers to another resource", name)
				}
			}
		}
	}
	r := h.do("GET", "/api/v1/reports/charts/hourly.svg?lang=zh", h.admin, "").want(t, http.StatusOK)
	if !strings.Contains(string(r.body), "每小时取号数") || !strings.Contains(string(r.body), ">10<") {
		t.Errorf("hourly chart in Chinese: no title or no hour 10 label")
	}
	// The charts are drawn in the pages' palette (base.css), not the chart
	// library's own: "issued" in the blue token, "served" in the green one.
	rgb := func(token string) string {
		var r, g, b int
		fmt.Sscanf(assets.Tokens()[token], "#%02x%02x%02x", &r, &g, &b)
		return fmt.Sprintf("rgb(%d,%d,%d)", r, g, b)
	}
	hourly := string(h.do("GET", "/api/v1/reports/charts/hourly.svg?lang=en", h.admin, "").want(t, http.StatusOK).body)
	if !strings.Contains(hourly, "fill:"+rgb("blue")) || !strings.Contains(hourly, "fill:"+rgb("good")) || !strings.Contains(hourly, "fill:"+rgb("ink")) {
		t.Errorf("hourly chart not in the palette (want %s, %s, %s): %.300s", rgb("blue"), rgb("good"), rgb("ink"), hourly)
	}
	// The heatmap's hour names along the bottom never run together: each
	// starts well after the one before it ends.
	heat := string(h.do("GET", "/api/v1/reports/charts/heatmap.svg?lang=en", h.admin, "").want(t, http.StatusOK).body)
	hourNames := regexp.MustCompile(`<text x="(\d+)" y="(\d+)"[^>]*>(\d\d)</text>`).FindAllStringSubmatch(heat, -1)
	if len(hourNames) < 12 {
		t.Fatalf("heatmap: %d hour names, want every other hour at least", len(hourNames))
	}
	for i := 1; i < len(hourNames); i++ {
		prev, _ := strconv.Atoi(hourNames[i-1][1])
		x, _ := strconv.Atoi(hourNames[i][1])
		if hourNames[i][2] == hourNames[i-1][2] && x-prev < 2*18 { // two digits of 16 px type are about 18 px wide
			t.Errorf("heatmap: hour %s at x=%d crowds hour %s at x=%d", hourNames[i][3], x, hourNames[i-1][3], prev)
		}
	}
	h.do("GET", "/api/v1/reports/charts/pie.svg", h.admin, "").want(t, http.StatusBadRequest)
	h.do("GET", "/api/v1/reports/charts/hourly.svg?lang=fr", h.admin, "").want(t, http.StatusBadRequest)
}

func TestStaffingAdvice(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	reportDay(t, h)
	var adv struct {
		Days          int
		TargetSeconds int `json:"target_seconds"`
		Hours         []struct {
			Hour     int
			Arrivals float64 `json:"arrivals_per_hour"`
			Needed   int
			Open     float64
			Services []struct {
				ServiceID string  `json:"service_id"`
				Arrivals  float64 `json:"arrivals_per_hour"`
				AHT       float64 `json:"avg_service_seconds"`
				Walk      float64 `json:"walk_out_share"`
				Needed    int
			}
		}
	}
	h.do("GET", "/api/v1/reports/staffing?weekday=wed", h.admin, "").want(t, http.StatusOK).decode(t, &adv)
	// One Wednesday: at 10h, general had 3 arrivals (one walked out, two
	// served in 240 and 600 s), cash one (never served: the configured 180 s);
	// c2 and c3 called. Each needs one counter for 80% within 30 min.
	if adv.Days != 1 || adv.TargetSeconds != 1800 || len(adv.Hours) != 1 {
		t.Fatalf("advice: got %+v", adv)
	}
	hr := adv.Hours[0]
	if hr.Hour != 10 || hr.Arrivals != 4 || hr.Needed != 2 || hr.Open != 2 || len(hr.Services) != 2 {
		t.Fatalf("10h: got %+v", hr)
	}
	cash, general := hr.Services[0], hr.Services[1]
	if cash.ServiceID != "cash" || cash.Arrivals != 1 || cash.AHT != 180 || cash.Needed != 1 ||
		general.ServiceID != "general" || general.Arrivals != 3 || general.AHT != 420 || general.Walk != 0.333 || general.Needed != 1 {
		t.Errorf("services: got %+v", hr.Services)
	}
	h.do("GET", "/api/v1/reports/staffing?weekday=thu", h.admin, "").want(t, http.StatusOK).decode(t, &adv)
	if adv.Days != 0 || len(adv.Hours) != 0 {
		t.Errorf("thursday: got %+v", adv)
	}
	for _, bad := range []string{"weekday=monday", "weekday=wed&weeks=0", "weekday=wed&share=1.5", "weekday=wed&to=soon"} {
		h.do("GET", "/api/v1/reports/staffing?"+bad, h.admin, "").want(t, http.StatusBadRequest)
	}
}

// The ticket export writes its rows by hand: each field must read back as
// encoding/csv reads it, and no cell may start a spreadsheet formula.
func TestCSVFields(t *testing.T) {
	for _, s := range []string{"", "plain", "a,b", `say "hi"`, "two\nlines", " lead", "\ttab", "中文", "=SUM(A1)", "@x", "-", "+1"} {
		line := string(appendCSVField(nil, csvSafe(s))) + ",end\n"
		got, err := csv.NewReader(strings.NewReader(line)).Read()
		want := csvSafe(s)
		if err != nil || len(got) != 2 || got[0] != want || got[1] != "end" {
			t.Errorf("%q: line %q reads %q, %v; want %q", s, line, got, err, want)
		}
		if strings.ContainsAny(want[:min(1, len(want))], "=+@") || (want != "-" && strings.HasPrefix(want, "-")) {
			t.Errorf("%q: cell %q starts a formula", s, want)
		}
	}
}

// Ten ratings sent at once: exactly one is kept.
func TestFeedbackOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tk := h.issue(t, h.kiosk, "general")
	h.do("POST", "/api/v1/counters/c1/next", h.admin, "").want(t, http.StatusOK)
	h.step(tk.ID, "start").want(t, http.StatusOK)
	h.step(tk.ID, "finish").want(t, http.StatusOK)
	codes := make(chan int, 10)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- h.do("POST", "/api/v1/status/"+tk.Token+"/feedback", anonCaller, fmt.Sprintf(`{"rating":%d}`, i%5+1)).status
		}()
	}
	wg.Wait()
	close(codes)
	created := 0
	for c := range codes {
		switch c {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Errorf("status %d", c)
		}
	}
	if created != 1 {
		t.Errorf("%d ratings kept, want 1", created)
	}
	_, total := rowsJSON(t, h.do("GET", "/api/v1/reports/summary", h.admin, "").want(t, http.StatusOK))
	if !strings.Contains(total, `"ratings":1,`) {
		t.Errorf("total: %s", total)
	}
}
