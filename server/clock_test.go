package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"queuebox/server/config"
	"queuebox/server/queue"
	"queuebox/server/servertest"
)

// clockBox is a real box on the real clock, shifted by QUEUEBOX_CLOCK_FILE,
// which the test writes the way NTP or an admin would set the clock.
//
// The test's "right time" is 11:00 today in the branch (servertest.Today),
// not the real clock's, so no step of a test crosses the branch's midnight
// (which would start a new day's numbering under it): every offset the test
// writes is from there.
type clockBox struct {
	*servertest.Box
	file string
	base time.Duration // the right time minus the real clock
}

func startClockBox(t *testing.T, offset string) *clockBox {
	t.Helper()
	file := filepath.Join(t.TempDir(), "clock-offset")
	cb := &clockBox{file: file, base: time.Until(servertest.Today(11, 0)).Round(time.Second)}
	cb.set(t, offset)
	cb.Box = servertest.Start(t, servertest.Options{Config: func(c *config.Config) { c.ClockFile = file }})
	return cb
}

// set writes offset from the right time; what is not a duration is
// written as it is.
func (cb *clockBox) set(t *testing.T, offset string) {
	t.Helper()
	if d, err := time.ParseDuration(offset); err == nil {
		offset = (cb.base + d).String()
	}
	if err := os.WriteFile(cb.file, []byte(offset+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (cb *clockBox) clock(t *testing.T, c *http.Client) queue.ClockState {
	t.Helper()
	st, body := cb.Do(c, "GET", "/api/v1/clock", nil, nil)
	var out queue.ClockState
	if st != http.StatusOK || json.Unmarshal(body, &out) != nil {
		t.Fatalf("GET /clock: %d %s", st, body)
	}
	return out
}

// waitClock polls GET /clock until want holds: the box reads the file every
// 100 ms and looks at its clock every second. The deadline only stops a
// broken box from hanging the test.
func (cb *clockBox) waitClock(t *testing.T, c *http.Client, what string, want func(queue.ClockState) bool) queue.ClockState {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := cb.clock(t, c)
		if want(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("the box never saw %s: clock = %+v", what, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (cb *clockBox) queueNumbers(t *testing.T, c *http.Client) []string {
	t.Helper()
	st, body := cb.Do(c, "GET", "/api/v1/queue", nil, nil)
	var q struct {
		Waiting []servertest.Ticket `json:"waiting"`
	}
	if st != http.StatusOK || json.Unmarshal(body, &q) != nil {
		t.Fatalf("GET /queue: %d %s", st, body)
	}
	var out []string
	for _, tk := range q.Waiting {
		out = append(out, tk.Number)
	}
	return out
}

// TestClockFileStepsLikeNTP runs the real server, boots it 2 h ahead, steps
// the clock back while it runs and across a restart, and checks what staff,
// kiosks and the live queue see: the box stops issuing but keeps calling,
// says so on the live topic, and resumes in order once an admin confirms.
func TestClockFileStepsLikeNTP(t *testing.T) {
	box := startClockBox(t, "+2h")
	admin := box.Admin()
	kiosk := box.Device("kiosk")
	if st := box.waitClock(t, admin, "its clock", func(s queue.ClockState) bool { return s.RunningSeconds >= 0 }); !st.Trusted {
		t.Fatalf("a box booting 2 h ahead cannot know it: clock = %+v", st)
	}
	if off := box.clock(t, admin).Wall.Sub(time.Now().Add(box.base)); off < 119*time.Minute || off > 121*time.Minute {
		t.Fatalf("wall clock is %s ahead, want 2h from the clock file", off.Round(time.Second))
	}
	a1, a2 := box.Issue(kiosk, "general"), box.Issue(kiosk, "general")

	u, _ := http.NewRequest("GET", box.URL, nil)
	header := http.Header{}
	for _, c := range admin.Jar.Cookies(u.URL) {
		header.Add("Cookie", c.String())
	}
	conn := dial(t, box.Box, "topic=queue", header)
	if m := read(t, conn); m.Type != "snapshot" {
		t.Fatalf("first message %q, want snapshot", m.Type)
	}

	// NTP steps the clock back to the right time while the box runs.
	box.set(t, "0s")
	st := box.waitClock(t, admin, "the step back", func(s queue.ClockState) bool { return !s.Trusted })
	if st.Reason != queue.ClockBehindRecords || st.Message == "" {
		t.Errorf("clock = %+v, want distrusted as behind its records, with a message", st)
	}
	m := readUntil(t, conn, queue.EventClockUntrusted)
	var ev queue.Event
	if err := json.Unmarshal(m.Data, &ev); err != nil || ev.Clock == nil || ev.Clock.Trusted {
		t.Errorf("live clock message = %s (%v), want the distrusted clock", m.Data, err)
	}
	code, body := box.Do(nil, "POST", "/api/v1/tickets", map[string]string{"service_id": "general"}, map[string]string{"Authorization": "Bearer " + kiosk})
	if code != http.StatusConflict || !json.Valid(body) || !strings.Contains(string(body), `"clock_untrusted"`) {
		t.Errorf("issue on a distrusted clock: %d %s, want 409 clock_untrusted", code, body)
	}
	// Waiting customers are still served.
	if got, ok := box.Next(admin, "c2"); !ok || got.Number != a1.Number {
		t.Errorf("next = %s %v, want %s", got.Number, ok, a1.Number)
	}

	// A restart does not make the box forget what its records say.
	box.Restart()
	admin = box.Admin()
	if st := box.waitClock(t, admin, "its clock after the restart", func(s queue.ClockState) bool { return true }); st.Trusted {
		t.Fatalf("after a restart: clock = %+v, want still distrusted", st)
	}
	if code, _ := box.Do(admin, "POST", "/api/v1/clock/confirm", nil, nil); code != http.StatusOK {
		t.Fatalf("confirm: %d", code)
	}
	a3 := box.Issue(kiosk, "general")
	if got, want := box.queueNumbers(t, admin), []string{a2.Number, a3.Number}; !slices.Equal(got, want) {
		t.Errorf("queue = %v, want %v: first issued, first called", got, want)
	}
	if a3.Ahead != 1 {
		t.Errorf("%s ahead = %d, want 1", a3.Number, a3.Ahead)
	}

	// A far step ahead while running is distrusted until confirmed.
	box.set(t, "+3h")
	st = box.waitClock(t, admin, "the step ahead", func(s queue.ClockState) bool { return !s.Trusted })
	if st.Reason != queue.ClockSteppedAhead || st.StepSeconds < 3*3600-30 {
		t.Errorf("clock = %+v, want distrusted: stepped 3 h ahead", st)
	}
	// A file that holds no duration keeps the last offset.
	box.set(t, "soon")
	time.Sleep(300 * time.Millisecond)
	if st := box.clock(t, admin); st.Trusted {
		t.Errorf("a bad clock file changed the clock: %+v", st)
	}
	box.set(t, "0s")
	box.waitClock(t, admin, "the step undone", func(s queue.ClockState) bool { return s.Trusted })
	if tk := box.Issue(kiosk, "general"); tk.Ahead != 2 {
		t.Errorf("%s ahead = %d, want 2", tk.Number, tk.Ahead)
	}
}

// A box that boots in 1970 (no clock battery, no network yet) issues nothing
// and takes no booking until NTP sets its clock; then it works at once.
func TestClockFileBootIn1970(t *testing.T) {
	box := startClockBox(t, "0s")
	admin := box.Admin()
	kiosk := box.Device("kiosk")
	back := time.Since(time.Unix(0, 0)).Truncate(time.Hour)
	box.set(t, fmt.Sprintf("-%dh", int(back.Hours())))
	box.Restart()
	st := box.waitClock(t, admin, "a clock before the build", func(s queue.ClockState) bool { return s.Reason == queue.ClockBeforeBuild })
	if st.Trusted || st.Wall.Year() > 1971 {
		t.Fatalf("clock = %+v, want distrusted in 1970", st)
	}
	code, body := box.Do(nil, "POST", "/api/v1/tickets", map[string]string{"service_id": "general"}, map[string]string{"Authorization": "Bearer " + kiosk})
	if code != http.StatusConflict || !strings.Contains(string(body), `"clock_untrusted"`) {
		t.Errorf("issue in 1970: %d %s, want 409 clock_untrusted", code, body)
	}
	slot := servertest.Today(10, 0).AddDate(0, 0, 2).Format(time.RFC3339)
	code, body = box.Do(nil, "POST", "/api/v1/appointments", map[string]string{"service_id": "advice", "start": slot, "name": "Li", "phone": "13900000001"}, nil)
	if code != http.StatusConflict || !strings.Contains(string(body), `"clock_untrusted"`) {
		t.Errorf("book in 1970: %d %s, want 409 clock_untrusted", code, body)
	}
	if code, body := box.Do(admin, "POST", "/api/v1/clock/confirm", nil, nil); code != http.StatusConflict || !strings.Contains(string(body), `"clock_before_build"`) {
		t.Errorf("confirm in 1970: %d %s, want 409 clock_before_build", code, body)
	}
	box.set(t, "0s") // NTP sets the clock
	box.waitClock(t, admin, "the clock set right", func(s queue.ClockState) bool { return s.Trusted })
	if tk := box.Issue(kiosk, "general"); tk.Number != "A001" {
		t.Errorf("first ticket = %s, want A001", tk.Number)
	}
}
