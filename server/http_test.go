package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"queuebox/server/servertest"
)

// HEAD is answered like GET without a body, for monitoring (`curl -I`).
func TestHeadIsAnsweredLikeGet(t *testing.T) {
	box := servertest.Start(t, servertest.Options{})
	for _, path := range []string{"/healthz", "/api/v1/services", "/display/"} {
		resp, err := http.Head(box.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(body) != 0 {
			t.Errorf("HEAD %s: %d with %d body bytes, want 200 and none", path, resp.StatusCode, len(body))
		}
	}
}

// Every answer — a page, an API answer, an error — carries the security
// headers, and API answers are never cached; one answer's headers do not
// leak into the next one's (their values are shared, never changed).
func TestEveryAnswerCarriesTheSecurityHeaders(t *testing.T) {
	box := servertest.Start(t, servertest.Options{})
	want := map[string]string{
		"X-Content-Type-Options":     "nosniff",
		"X-Frame-Options":            "DENY",
		"Referrer-Policy":            "no-referrer",
		"Cross-Origin-Opener-Policy": "same-origin",
	}
	for range 2 {
		for _, tt := range []struct {
			path    string
			status  int
			noStore bool
		}{
			{"/api/v1/services", http.StatusOK, true},
			{"/api/v1/tickets/no-such-ticket", http.StatusUnauthorized, true},
			{"/display/", http.StatusOK, false},
			{"/healthz", http.StatusOK, false},
		} {
			resp, err := http.Get(box.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("GET %s: %d, want %d", tt.path, resp.StatusCode, tt.status)
			}
			for k, v := range want {
				if got := resp.Header.Values(k); len(got) != 1 || got[0] != v {
					t.Errorf("GET %s: %s %q, want %q once", tt.path, k, got, v)
				}
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("GET %s: Content-Security-Policy %q", tt.path, csp)
			}
			if cc := resp.Header.Values("Cache-Control"); tt.noStore && (len(cc) != 1 || cc[0] != "no-store") {
				t.Errorf("GET %s: Cache-Control %q, want no-store once", tt.path, cc)
			}
		}
	}
}

// Every answer is dated by the box's clock, not the real one: the pages keep
// their clock on the box's by the Date header (a box on a clock file's
// offset, a test box set to another hour).
func TestAnswersAreDatedByTheBoxsClock(t *testing.T) {
	for _, off := range []time.Duration{5 * time.Hour, -30 * time.Hour, 0} {
		clock := servertest.NewClock(time.Now().Add(off))
		box := servertest.Start(t, servertest.Options{Clock: clock})
		for _, path := range []string{"/healthz", "/api/v1/services", "/display/", "/api/v1/no-such-thing"} {
			resp, err := http.Get(box.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got, err := http.ParseTime(resp.Header.Get("Date"))
			if d := got.Sub(clock.Now()); err != nil || d < -2*time.Second || d > 2*time.Second {
				t.Errorf("box %s off: GET %s is dated %q, want the box's %s", off, path, resp.Header.Get("Date"), clock.Now().UTC().Format(http.TimeFormat))
			}
		}
		box.Stop()
	}
}
