package server

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// displaySnapshot opens the lobby display's live topic and returns its snapshot and the connection.
func displaySnapshot(t *testing.T, base string) (map[string]any, *websocket.Conn) {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/api/v1/live?topic=display", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Cleanup(func() { conn.Close() })
	var m struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	if err := conn.ReadJSON(&m); err != nil || m.Type != "snapshot" {
		t.Fatalf("snapshot: %v %+v", err, m)
	}
	return m.Data, conn
}

func TestLobbyNotice(t *testing.T) {
	h := newHarness(t, withStaff())
	srv := httptest.NewServer(h.s.Handler())
	t.Cleanup(srv.Close)
	snap, conn := displaySnapshot(t, srv.URL)
	if snap["notice"] != "" {
		t.Errorf("notice at start: %v", snap["notice"])
	}

	until := h.clock.Now().Add(30 * time.Minute).Format(time.RFC3339)
	var out map[string]any
	h.do("PUT", "/api/v1/notice", h.staff, `{"text":"  Counter 3 closed for lunch ","until":"`+until+`"}`).want(t, http.StatusOK).decode(t, &out)
	if out["text"] != "Counter 3 closed for lunch" || out["until"] == nil {
		t.Errorf("PUT /notice: got %v", out)
	}
	// The open display gets it at once.
	var m struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	for m.Type != "branch" {
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
	}
	if m.Data["notice"] != "Counter 3 closed for lunch" || m.Data["notice_until"] == nil {
		t.Errorf("display's branch message: %v", m.Data)
	}
	// After its end a fresh display shows none.
	h.clock.Advance(31 * time.Minute)
	if snap, _ := displaySnapshot(t, srv.URL); snap["notice"] != "" {
		t.Errorf("notice after its end: %v", snap["notice"])
	}
	// Without an end it stays; an empty text takes it down.
	h.do("PUT", "/api/v1/notice", h.staff, `{"text":"Cash desk opens at 14:00"}`).want(t, http.StatusOK)
	h.clock.Advance(3 * time.Hour)
	if snap, _ := displaySnapshot(t, srv.URL); snap["notice"] != "Cash desk opens at 14:00" {
		t.Errorf("notice without an end: %v", snap["notice"])
	}
	h.do("PUT", "/api/v1/notice", h.staff, `{"text":""}`).want(t, http.StatusOK)
	if snap, _ := displaySnapshot(t, srv.URL); snap["notice"] != "" {
		t.Errorf("notice after taking it down: %v", snap["notice"])
	}

	bad := []struct{ body, field string }{
		{`{"text":"` + strings.Repeat("x", 201) + `"}`, "notice"},
		{`{"text":"two\nlines"}`, "text"},
		{`{"text":"late","until":"tomorrow"}`, "until"},
		{`{"text":"late","until":"2020-01-01T00:00:00Z"}`, "until"},
	}
	for _, tt := range bad {
		r := h.do("PUT", "/api/v1/notice", h.staff, tt.body)
		if code, msg, _ := r.apiError(); r.status != http.StatusBadRequest || code != "invalid" || !strings.Contains(msg, tt.field) {
			t.Errorf("%s: got %v, want 400 naming %s", tt.body, r, tt.field)
		}
	}
}

func TestSpecialDaysAPI(t *testing.T) {
	h := newHarness(t)
	today := h.clock.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
	h.do("PUT", "/api/v1/special-days", h.admin, `{"special_days":{"`+today+`":"","2026-12-24":"09:00-12:00"}}`).want(t, http.StatusOK)
	r := h.do("POST", "/api/v1/tickets", h.kiosk, `{"service_id":"general"}`)
	if code, _, _ := r.apiError(); r.status != http.StatusConflict || code != "closed" {
		t.Errorf("issue on a holiday: got %v, want 409 closed", r)
	}
	var st struct {
		OpenNow     bool              `json:"open_now"`
		SpecialDays map[string]string `json:"special_days"`
	}
	h.do("GET", "/api/v1/settings", anonCaller, "").want(t, http.StatusOK).decode(t, &st)
	if st.OpenNow || len(st.SpecialDays) != 2 || st.SpecialDays["2026-12-24"] != "09:00-12:00" {
		t.Errorf("settings: got %+v", st)
	}
	// PUT /settings leaves the calendar alone; PUT /special-days replaces it whole.
	h.do("PUT", "/api/v1/settings", h.admin, `{"special_days":{"2027-01-01":""}}`).want(t, http.StatusOK)
	h.do("PUT", "/api/v1/special-days", h.admin, `{"special_days":{"2027-01-01":""}}`).want(t, http.StatusOK)
	raw := h.do("GET", "/api/v1/settings", anonCaller, "").want(t, http.StatusOK).body
	var after map[string]any
	_ = json.Unmarshal(raw, &after)
	if days, _ := after["special_days"].(map[string]any); len(days) != 1 || days["2027-01-01"] != "" || after["open_now"] != true {
		t.Errorf("after replacing: %s", raw)
	}
	for _, body := range []string{`{"special_days":{"Christmas":""}}`, `{"special_days":{"2026-12-25":"all day"}}`} {
		r := h.do("PUT", "/api/v1/special-days", h.admin, body)
		if code, msg, _ := r.apiError(); r.status != http.StatusBadRequest || code != "invalid" || !strings.Contains(msg, "special_days") {
			t.Errorf("%s: got %v, want 400 naming special_days", body, r)
		}
	}
}

// The admin's one holiday editor moves the older closed_dates into
// special_days in one request; both keys keep working on their own.
func TestSpecialDaysReplaceClosedDates(t *testing.T) {
	h := newHarness(t)
	h.do("PUT", "/api/v1/settings", h.admin, `{"closed_dates":["2027-01-01","2027-02-10"]}`).want(t, http.StatusOK)
	type calendar struct {
		ClosedDates []string          `json:"closed_dates"`
		SpecialDays map[string]string `json:"special_days"`
	}
	var st calendar
	h.do("PUT", "/api/v1/special-days", h.admin, `{"special_days":{"2027-03-01":""}}`).want(t, http.StatusOK).decode(t, &st)
	if len(st.ClosedDates) != 2 || len(st.SpecialDays) != 1 {
		t.Fatalf("special_days alone: got %+v, want closed_dates kept", st)
	}
	r := h.do("PUT", "/api/v1/special-days", h.admin,
		`{"special_days":{"2027-01-01":"","2027-02-10":"","2027-03-01":"10:00-12:00"},"closed_dates":[]}`)
	st = calendar{}
	r.want(t, http.StatusOK).decode(t, &st)
	want := map[string]string{"2027-01-01": "", "2027-02-10": "", "2027-03-01": "10:00-12:00"}
	if len(st.ClosedDates) != 0 || !maps.Equal(st.SpecialDays, want) {
		t.Errorf("with closed_dates: got %+v, want closed_dates empty and special_days %v", st, want)
	}
	r = h.do("PUT", "/api/v1/special-days", h.admin, `{"special_days":{},"closed_dates":["25 Dec"]}`)
	if code, msg, _ := r.apiError(); r.status != http.StatusBadRequest || code != "invalid" || !strings.HasPrefix(msg, "closed_dates") {
		t.Errorf("bad closed date: got %v, want 400 naming closed_dates", r)
	}
	st = calendar{}
	h.do("GET", "/api/v1/settings", anonCaller, "").want(t, http.StatusOK).decode(t, &st)
	if len(st.ClosedDates) != 0 || len(st.SpecialDays) != 3 {
		t.Errorf("a refused change changed the calendar: %+v", st)
	}
}
