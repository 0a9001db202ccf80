package server

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"queuebox/server/config"
)

// wantInvalid fails unless r is 400 invalid with a message naming field.
func wantInvalid(tb testing.TB, what string, r apiResponse, field string) {
	tb.Helper()
	code, msg, err := r.apiError()
	if r.status != http.StatusBadRequest || err != nil || code != "invalid" || !strings.Contains(msg, field) {
		tb.Errorf("%s: got %v, want 400 invalid naming %q", what, r, field)
	}
}

func TestQRCodesAreCachedCappedAndLimited(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	from := func(addr, text string) apiResponse {
		req := h.req("GET", "/api/v1/qr.png?text="+text, anonCaller, "")
		req.RemoteAddr = addr + ":40000"
		return h.serve(req)
	}

	r := from("10.80.0.1", "pairing-url").want(t, http.StatusOK)
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("QR Cache-Control %q, want no-store (the text may be a device token)", cc)
	}
	from("10.80.0.1", "pairing-url").want(t, http.StatusOK)
	if n := h.s.qr.len(); n != 1 {
		t.Errorf("the same text twice left %d cached images, want 1", n)
	}
	wantInvalid(t, "a 257-byte text", from("10.80.0.1", strings.Repeat("x", qrMaxText+1)), "text")

	// One address renders its burst, then waits; cached images and other
	// addresses are served meanwhile.
	for i := range qrBurst {
		from("10.80.0.2", fmt.Sprintf("code-%d", i)).want(t, http.StatusOK)
	}
	if r := from("10.80.0.2", "one-too-many"); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Errorf("render %d from one address: got %v (Retry-After %q), want 429 with Retry-After", qrBurst+1, r, r.header.Get("Retry-After"))
	}
	from("10.80.0.2", "code-0").want(t, http.StatusOK)
	from("10.80.0.3", "one-too-many").want(t, http.StatusOK)

	// The cache keeps at most its size.
	for i := range qrCacheSize + 10 {
		h.s.qr.put(fmt.Sprintf("filler-%d", i), []byte{1})
	}
	if n := h.s.qr.len(); n != qrCacheSize {
		t.Errorf("cache holds %d images, want at most %d", n, qrCacheSize)
	}

	// A ticket's QR carries its token: never kept by any cache.
	tk := h.issue(t, h.kiosk, "general")
	r = h.do("GET", "/t/"+tk.Token+"/qr.png", anonCaller, "").want(t, http.StatusOK)
	if cc := r.header.Get("Cache-Control"); strings.Contains(cc, "max-age") || !strings.Contains(cc, "no-store") {
		t.Errorf("status QR Cache-Control %q, want no-store", cc)
	}
}

func TestPrinterURLsAreOnlyPrinters(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withConfig(func(c *config.Config) { c.Printer.AllowedDevices = []string{"/dev/ttyUSB0"} }))
	_, id := h.newDevice(t, "kiosk", "Kiosk 2")
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"tcp://192.168.1.50:9100", true},
		{"file:///dev/usb/lp0", true},
		{"file:///dev/usb/lp12", true},
		{"file:///dev/ttyUSB0", true},
		{"none", true},
		{"file:///etc/passwd", false},
		{"file:///dev/usb/../../etc/passwd", false},
		{"file:///dev/usb/lp0/../../../tmp/x", false},
		{"file:///dev/sda", false},
		{"file:///tmp/queuebox.db", false},
		{"file:///dev/usb/lp0\n", false},
		{"http://192.168.1.50/", false},
	} {
		body, _ := json.Marshal(map[string]string{"printer_url": tt.url})
		r := h.do("PUT", "/api/v1/devices/"+id, h.admin, string(body))
		switch {
		case tt.ok && r.status != http.StatusOK:
			t.Errorf("%q: got %v, want 200", tt.url, r)
		case !tt.ok:
			wantInvalid(t, fmt.Sprintf("%q", tt.url), r, "printer_url")
		}
	}
	// The config's own printer follows the same rule.
	cfg := &config.Config{Data: t.TempDir(), Printer: config.Printer{URL: "file:///etc/passwd"}, LogLevel: "info"}
	if s, err := New(cfg, nil, Options{}); err == nil {
		s.Close()
		t.Error("printer.url file:///etc/passwd was accepted at start")
	}
}

// mintStaff stores a staff user and a session for it without a password
// hash or check (each costs most of a second under -race).
func (h *harness) mintStaff(tb testing.TB, name string) caller {
	tb.Helper()
	putUserDirect(tb, h, name, "staff", []byte("no password: sessions are minted"))
	return h.mintSession(tb, name)
}

func TestNamesRefuseControlBidiAndInvisibleCharacters(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.staff = h.mintStaff(t, "staff1")
	_, dev := h.newDevice(t, "display", "TV")
	tk := h.issue(t, h.kiosk, "general")
	for _, bad := range []struct{ what, text string }{
		{"newline", "Main\nStreet"}, {"tab", "Main\tStreet"}, {"bell", "Main\aStreet"},
		{"right-to-left override", "Main \u202eteertS"}, {"isolate", "Main \u2066Street\u2069"},
		{"zero-width space", "Main\u200bStreet"}, {"zero-width joiner", "Main\u200dStreet"},
		{"byte order mark", "\ufeffMain"}, {"line separator", "Main\u2028Street"},
	} {
		q := func(v string) string { b, _ := json.Marshal(v); return string(b) }
		for _, tt := range []struct {
			method, path, body, field string
			as                        caller
		}{
			{"PUT", "/api/v1/settings", `{"branch_name":` + q(bad.text) + `}`, "branch_name", h.admin},
			{"PUT", "/api/v1/services/cash", `{"prefix":"B","name":` + q(bad.text) + `,"avg_service_seconds":180}`, "name", h.admin},
			{"PUT", "/api/v1/services/cash", `{"prefix":"B","name":"Cash","names":{"zh":` + q(bad.text) + `},"avg_service_seconds":180}`, "names.zh", h.admin},
			{"PUT", "/api/v1/counters/c2", `{"name":` + q(bad.text) + `,"service_ids":["cash"]}`, "name", h.admin},
			{"POST", "/api/v1/devices", `{"kind":"kiosk","name":` + q(bad.text) + `}`, "name", h.admin},
			{"PUT", "/api/v1/devices/" + dev, `{"name":` + q(bad.text) + `}`, "name", h.admin},
			{"POST", "/api/v1/appointments", `{"service_id":"advice","start":"` + h.slotIn(3*time.Hour) + `","name":` + q(bad.text) + `,"phone":"13800000077"}`, "name", anonCaller},
		} {
			wantInvalid(t, bad.what+" in "+tt.method+" "+tt.path, h.do(tt.method, tt.path, tt.as, tt.body), tt.field)
		}
		if bad.what != "newline" {
			wantInvalid(t, bad.what+" in notes", h.do("POST", "/api/v1/tickets/"+tk.ID+"/notes", h.staff, `{"notes":`+q(bad.text)+`}`), "notes")
		}
	}
	// Notes may hold line breaks, and names any script.
	h.do("POST", "/api/v1/tickets/"+tk.ID+"/notes", h.staff, `{"notes":"first line\nsecond line"}`).want(t, http.StatusOK)
	h.do("PUT", "/api/v1/settings", h.admin, `{"branch_name":"示范支行 · Demo 🏦"}`).want(t, http.StatusOK)
}

func TestRejectedSettingsLeaveTheWeightsAlone(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.do("PUT", "/api/v1/settings", h.admin, `{"priority_weights":[1,2,3]}`).want(t, http.StatusOK)
	// 11 is above the largest weight allowed: the whole change is refused.
	r := h.do("PUT", "/api/v1/settings", h.admin, `{"priority_weights":[7,8,11]}`)
	wantInvalid(t, "weight 11", r, "priority_weights")
	var st struct {
		PriorityWeights []int `json:"priority_weights"`
	}
	h.do("GET", "/api/v1/settings", anonCaller, "").want(t, http.StatusOK).decode(t, &st)
	if fmt.Sprint(st.PriorityWeights) != "[1 2 3]" {
		t.Errorf("after a refused change the weights are %v, want [1 2 3]", st.PriorityWeights)
	}

	// Refused changes racing calls that read the weights (-race).
	for range 4 {
		h.issue(t, h.kiosk, "general")
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			if i%2 == 0 {
				h.do("PUT", "/api/v1/settings", h.admin, `{"priority_weights":[9,9,99]}`)
			} else {
				h.do("POST", "/api/v1/counters/c1/next", h.admin, "")
			}
		})
	}
	wg.Wait()
	h.do("GET", "/api/v1/settings", anonCaller, "").want(t, http.StatusOK).decode(t, &st)
	if fmt.Sprint(st.PriorityWeights) != "[1 2 3]" {
		t.Errorf("after refused changes the weights are %v, want [1 2 3]", st.PriorityWeights)
	}
}

func TestStaffOnlyTextStaysWithStaff(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.staff = h.mintStaff(t, "staff1")
	// The outcome codes are lower case in use; the labels word them for staff.
	const guide, code, label = "CHECK-ID-SECRET-GUIDE", "OUTCOME-SECRET-CODE", "OUTCOME-SECRET-LABEL"
	h.do("PUT", "/api/v1/services/general", h.admin, `{"prefix":"A","name":"General","avg_service_seconds":300,"guide":"`+guide+`","outcome_codes":["`+code+`"],
		"outcome_labels":{"`+code+`":{"en":"`+label+`"}}}`).want(t, http.StatusOK)
	addr := h.listen(t)
	display := mustOpen(t, addr, "topic=display", anonCaller)

	for _, c := range []caller{anonCaller, h.kiosk} {
		for _, path := range []string{"/api/v1/services", "/api/v1/services/general"} {
			r := h.do("GET", path, c, "").want(t, http.StatusOK)
			if strings.Contains(string(r.body), guide) || strings.Contains(string(r.body), code) || strings.Contains(string(r.body), label) {
				t.Errorf("%s as %s holds staff-only text: %s", path, c.name, r.body)
			}
		}
	}
	if r := h.do("GET", "/api/v1/services/general", h.staff, "").want(t, http.StatusOK); !strings.Contains(string(r.body), guide) {
		t.Errorf("staff do not get the guide: %s", r.body)
	}

	// The lobby display: snapshot, a service change and a call.
	tk := h.issue(t, h.kiosk, "general")
	h.do("POST", "/api/v1/counters/c1/next", h.staff, "").want(t, http.StatusOK)
	display.SetReadDeadline(time.Now().Add(5 * time.Second))
	for called := false; !called; {
		_, raw, err := display.ReadMessage()
		if err != nil {
			t.Fatalf("display socket: %v", err)
		}
		if strings.Contains(string(raw), guide) || strings.Contains(string(raw), code) || strings.Contains(string(raw), label) {
			t.Errorf("display message holds staff-only text: %.300s", raw)
		}
		called = strings.Contains(string(raw), `"type":"called"`)
	}
	h.do("POST", "/api/v1/tickets/"+tk.ID+"/notes", h.staff, `{"notes":"NOTE-SECRET"}`).want(t, http.StatusOK)
	if r := h.do("GET", "/api/v1/status/"+tk.Token, anonCaller, ""); strings.Contains(string(r.body), "NOTE-SECRET") {
		t.Errorf("status page holds the staff's notes: %s", r.body)
	}
}

func TestStaffCannotCancelThroughTheCustomersRoute(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.staff = h.mintStaff(t, "staff1")
	tk := h.issue(t, h.kiosk, "general")
	r := h.do("DELETE", "/api/v1/status/"+tk.Token, h.staff, "")
	if code, _, _ := r.apiError(); r.status != http.StatusForbidden || code != "forbidden" {
		t.Errorf("staff DELETE /status: got %v, want 403 forbidden", r)
	}
	h.do("DELETE", "/api/v1/status/"+tk.Token, anonCaller, "").want(t, http.StatusOK)
	// The log says truthfully who did what.
	var evs struct {
		Events []struct {
			Type, Actor string
		} `json:"events"`
	}
	h.do("GET", "/api/v1/events", h.staff, "").want(t, http.StatusOK).decode(t, &evs)
	last := evs.Events[len(evs.Events)-1]
	if last.Type != "cancelled" || last.Actor != "customer" {
		t.Errorf("last event %+v, want the customer's cancellation", last)
	}
}

func TestKioskCannotGuessBookingCodes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	other, _ := h.newDevice(t, "kiosk", "Kiosk 2")
	due := h.book(t, h.slotIn(15*time.Minute), "13800000088")
	for i := range checkinBurst {
		r := h.do("POST", "/api/v1/checkin", h.kiosk, fmt.Sprintf(`{"code":"%08d"}`, 90000000+i))
		if r.status != http.StatusNotFound {
			t.Fatalf("guess %d: got %v, want 404", i+1, r)
		}
	}
	// From now on this kiosk learns nothing, not even from the right code.
	r := h.do("POST", "/api/v1/checkin", h.kiosk, `{"code":"`+due.Code+`"}`)
	if code, _, _ := r.apiError(); r.status != http.StatusTooManyRequests || code != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Errorf("after %d wrong codes: got %v, want 429 rate_limited with Retry-After", checkinBurst, r)
	}
	// Another kiosk checks the customer in.
	h.do("POST", "/api/v1/checkin", other, `{"code":"`+due.Code+`"}`).want(t, http.StatusCreated)
	// The wait passes.
	h.clock.Advance(2 * time.Minute)
	h.do("POST", "/api/v1/checkin", h.kiosk, `{"code":"00000001"}`).want(t, http.StatusNotFound)
}

func TestSinceNearTheTopOfTheRangeDoesNotWrap(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.issue(t, h.kiosk, "general")
	for _, since := range []string{"18446744073709551615", "18446744073709551614"} {
		var out struct {
			Events []json.RawMessage `json:"events"`
		}
		h.do("GET", "/api/v1/events?since="+since, h.admin, "").want(t, http.StatusOK).decode(t, &out)
		if len(out.Events) != 0 {
			t.Errorf("since=%s: got %d events, want none (nothing comes after the newest)", since, len(out.Events))
		}
	}
	for _, since := range []string{"-1", "18446744073709551616", "99999999999999999999999"} {
		wantInvalid(t, "since="+since, h.do("GET", "/api/v1/events?since="+since, h.admin, ""), "since")
	}
	// A live socket resuming from there gets what happens next.
	addr := h.listen(t)
	conn := mustOpen(t, addr, "topic=display&since=18446744073709551615", anonCaller)
	h.issue(t, h.kiosk, "cash")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var m struct {
		Seq  uint64
		Type string
	}
	for m.Seq == 0 {
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatalf("resumed socket: %v", err)
		}
	}
	if m.Seq != h.s.engine.LastSeq() {
		t.Errorf("resumed socket got seq %d first, want the new event %d", m.Seq, h.s.engine.LastSeq())
	}
}

func TestOriginIsCheckedAgainstTheBoxsOwnHosts(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	post := func(host, origin string) apiResponse {
		req := h.req("POST", "/api/v1/tickets", h.kiosk, `{"service_id":"general"}`, "Origin", origin)
		req.Host = host
		return h.serve(req)
	}
	for _, tt := range []struct {
		host, origin string
		ok           bool
	}{
		{testHost, "http://" + testHost, true},                  // the public URL
		{"192.168.1.20:8080", "http://192.168.1.20:8080", true}, // the box by address
		{"localhost:8080", "http://localhost:8080", true},
		{"evil.example", "http://evil.example", false}, // DNS rebinding: Host forged to match
		{testHost, "http://evil.example", false},       // plain cross-site
		{"192.168.1.20:8080", "null", false},
	} {
		r := post(tt.host, tt.origin)
		code, _, _ := r.apiError()
		switch {
		case tt.ok && r.status != http.StatusCreated:
			t.Errorf("Host %s, Origin %s: got %v, want 201", tt.host, tt.origin, r)
		case !tt.ok && (r.status != http.StatusForbidden || code != "bad_origin"):
			t.Errorf("Host %s, Origin %s: got %v, want 403 bad_origin", tt.host, tt.origin, r)
		}
	}
	// The live handshake follows the same rule.
	addr := h.listen(t)
	req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/live?topic=display", nil)
	req.Host = "evil.example"
	for k, v := range map[string]string{"Origin": "http://evil.example", "Connection": "Upgrade", "Upgrade": "websocket",
		"Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="} {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("live handshake with a forged Host and Origin: %s, want 403", resp.Status)
	}
}

func TestAKiosksPrinterStatusIsNoPortScanner(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	kiosk, id := h.newDevice(t, "kiosk", "Scanner kiosk")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing listens there now: a connection is refused
	h.do("PUT", "/api/v1/devices/"+id, h.admin, `{"printer_url":"tcp://`+closed+`"}`).want(t, http.StatusOK)
	tk := h.issue(t, kiosk, "general")
	var ps struct {
		Printer struct {
			State     string `json:"state"`
			LastError string `json:"last_error"`
		} `json:"printer"`
	}
	deadline := time.Now().Add(20 * time.Second)
	for ps.Printer.State != "offline" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		h.do("GET", "/api/v1/tickets/"+tk.ID+"/print", kiosk, "").want(t, http.StatusOK).decode(t, &ps)
	}
	if ps.Printer.State != "offline" {
		t.Fatalf("printer state %q, want offline", ps.Printer.State)
	}
	if ps.Printer.LastError != "" {
		t.Errorf("a kiosk's printer status tells the connection error %q: it would tell open ports from closed ones", ps.Printer.LastError)
	}
}

func TestADistrustedClockNeverLimitsCheckIns(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.clock.Step(2 * time.Hour) // the box distrusts its clock until confirmed
	for i := range checkinBurst + 2 {
		r := h.do("POST", "/api/v1/checkin", h.kiosk, fmt.Sprintf(`{"code":"%08d"}`, 70000000+i))
		if code, _, _ := r.apiError(); code != "clock_untrusted" {
			t.Fatalf("check-in %d on a distrusted clock: got %v, want clock_untrusted", i+1, r)
		}
	}
	h.do("POST", "/api/v1/clock/confirm", h.admin, "").want(t, http.StatusOK)
	due := h.book(t, h.slotIn(15*time.Minute), "13800000099")
	h.do("POST", "/api/v1/checkin", h.kiosk, `{"code":"`+due.Code+`"}`).want(t, http.StatusCreated)
}
