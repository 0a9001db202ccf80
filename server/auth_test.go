package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"queuebox/server/access"
)

// loginFrom logs in as username from addr and returns the response.
func (h *harness) loginFrom(addr, username, password string) apiResponse {
	req := h.req("POST", "/api/v1/session", anonCaller, fmt.Sprintf(`{"username":%q,"password":%q}`, username, password))
	req.RemoteAddr = addr + ":40000"
	return h.serve(req)
}

func retryAfter(tb testing.TB, r apiResponse) int {
	tb.Helper()
	n, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || n <= 0 {
		tb.Fatalf("%v: Retry-After %q, want a number of seconds", r, r.header.Get("Retry-After"))
	}
	return n
}

func TestLoginThrottleNeverLocksTheRightPersonOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const attacker, counterPC, office = "10.66.0.1", "10.66.0.2", "10.66.0.3"

	// The first failure goes through HTTP; the next are recorded straight
	// into the throttle, since each real attempt costs a bcrypt comparison
	// (most of a second under -race).
	h.loginFrom(attacker, "admin", "guess-1").want(t, http.StatusUnauthorized)
	for range throttlePairFree - 1 {
		h.s.logins.attempt("admin", attacker, h.clock.Now())
	}
	// From the 6th attempt within the window the pair is refused, even with
	// the right password, and each refusal makes the wait longer.
	r := h.loginFrom(attacker, "admin", testAdminPassword).want(t, http.StatusTooManyRequests)
	if code, _, _ := r.apiError(); code != "rate_limited" {
		t.Fatalf("%v: want rate_limited", r)
	}
	first := retryAfter(t, r)
	second := retryAfter(t, h.loginFrom(attacker, "admin", "guess-7").want(t, http.StatusTooManyRequests))
	third := retryAfter(t, h.loginFrom(attacker, "admin", "guess-8").want(t, http.StatusTooManyRequests))
	if !(first < second && second < third) {
		t.Errorf("Retry-After %d, %d, %d: want it to grow with each refusal", first, second, third)
	}

	// The right password from another address logs in meanwhile.
	h.loginFrom(office, "admin", testAdminPassword).want(t, http.StatusOK)

	// Successful logins are not counted: a shared counter PC logs in all
	// day, and its logins leave nothing behind in the throttle.
	for range 2 {
		h.loginFrom(counterPC, "admin", testAdminPassword).want(t, http.StatusOK)
	}
	h.s.logins.mu.Lock()
	pair, whole := h.s.logins.entries[throttleKey{"admin", counterPC}], h.s.logins.entries[throttleKey{"", counterPC}]
	h.s.logins.mu.Unlock()
	if pair != nil || (whole != nil && len(whole.fails) > 0) {
		t.Errorf("successful logins left counts behind: pair %+v, address %+v", pair, whole)
	}

	// Once the wait is over the pair may try again.
	h.clock.Advance(time.Duration(third+1) * time.Second)
	h.loginFrom(attacker, "admin", testAdminPassword).want(t, http.StatusOK)
}

func TestLoginRefusesBadUsernamesBeforeAnyLookup(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	before := h.s.logins.size()
	for _, name := range []string{"Admin", "admin\n", "ad min", "ädmin", "admin\u202e", strings.Repeat("a", 33), strings.Repeat("x", 64<<10-100)} {
		r := h.loginFrom("10.67.0.1", name, "whatever-password")
		if r.status != http.StatusBadRequest {
			t.Errorf("username %.40q: got %v, want 400", name, r)
			continue
		}
		if code, msg, _ := r.apiError(); code != "invalid" || !strings.Contains(msg, "username") {
			t.Errorf("username %.40q: got %s %q, want invalid naming username", name, code, msg)
		}
	}
	if got := h.s.logins.size(); got != before {
		t.Errorf("the throttle holds %d keys after refused names, want %d: they must not become keys", got, before)
	}
}

func TestLoginThrottleMemoryIsBounded(t *testing.T) {
	t.Parallel()
	lt := newLoginThrottle()
	now := time.Date(2026, 3, 4, 2, 0, 0, 0, time.UTC)
	// Names sprayed from many addresses: the map never passes its cap.
	for i := range throttleMaxKeys + 500 {
		lt.attempt(fmt.Sprintf("user%d", i), fmt.Sprintf("10.%d.%d.%d", byte(i>>16), byte(i>>8), byte(i)), now)
	}
	if n := lt.size(); n > throttleMaxKeys {
		t.Errorf("throttle holds %d keys, want at most %d", n, throttleMaxKeys)
	}
	// Time alone empties it: nothing is remembered past the window and
	// the blocks.
	later := now.Add(throttleWindow + throttleMaxBlock + time.Minute)
	lt.attempt("admin", "10.0.0.1", later)
	if n := lt.size(); n > 2 {
		t.Errorf("after the window the throttle still holds %d keys, want only the new attempt's 2", n)
	}
}

func TestSessionCookieHasMaxAgeNotExpires(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.loginFrom("10.68.0.1", "admin", testAdminPassword).want(t, http.StatusOK)
	raw := r.header.Get("Set-Cookie")
	if !strings.Contains(raw, "Max-Age="+strconv.Itoa(int(access.SessionTTL/time.Second))) {
		t.Errorf("Set-Cookie %q: want Max-Age=%d", raw, int(access.SessionTTL/time.Second))
	}
	if strings.Contains(strings.ToLower(raw), "expires=") {
		t.Errorf("Set-Cookie %q: want no Expires (it would be computed from the box's clock)", raw)
	}
	if strings.Contains(raw, "Secure") {
		t.Errorf("Set-Cookie %q over plain HTTP: Secure would keep the browser from sending it", raw)
	}
}

func TestOwnPasswordChange(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withStaff())
	other := h.mintSession(t, "staff1") // the same user on another PC
	body := func(pw, current string) string {
		return fmt.Sprintf(`{"password":%q,"current_password":%q}`, pw, current)
	}

	for _, tt := range []struct {
		name   string
		path   string
		body   string
		status int
		code   string
	}{
		{"without the current password", "/api/v1/users/staff1", `{"password":"new-staff-pass-1"}`, 400, "invalid"},
		{"with a wrong current password", "/api/v1/users/staff1", body("new-staff-pass-1", "not-my-password"), 403, "wrong_password"},
		{"of another user", "/api/v1/users/admin", body("new-staff-pass-1", testStaffPassword), 403, "forbidden"},
		{"own role", "/api/v1/users/staff1", `{"role":"admin"}`, 403, "forbidden"},
		{"own state", "/api/v1/users/staff1", `{"disabled":false}`, 403, "forbidden"},
	} {
		r := h.do("PUT", tt.path, h.staff, tt.body)
		if code, _, _ := r.apiError(); r.status != tt.status || code != tt.code {
			t.Errorf("%s: got %v, want %d %s", tt.name, r, tt.status, tt.code)
		}
	}

	h.do("PUT", "/api/v1/users/staff1", h.staff, body("new-staff-pass-1", testStaffPassword)).want(t, http.StatusOK)
	// The session it was changed in goes on; the user's others end.
	h.do("GET", "/api/v1/session", h.staff, "").want(t, http.StatusOK)
	h.do("GET", "/api/v1/session", other, "").want(t, http.StatusUnauthorized)
	h.loginFrom("10.69.0.2", "staff1", "new-staff-pass-1").want(t, http.StatusOK)
}

// TestAdminOwnPassword: an admin is held to the rule everybody is: their own
// password changes only with the current one (the admin page asks for it),
// while another user's is reset without theirs.
func TestAdminOwnPassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withStaff())
	r := h.do("PUT", "/api/v1/users/admin", h.admin, `{"password":"admin-new-pass-2"}`)
	if code, msg, _ := r.apiError(); r.status != 400 || code != "invalid" || !strings.Contains(msg, "current_password") {
		t.Errorf("admin's own password without the current one: got %v, want 400 invalid naming current_password", r)
	}
	h.do("PUT", "/api/v1/users/staff1", h.admin, `{"password":"reset-by-admin-1"}`).want(t, http.StatusOK)
	h.do("PUT", "/api/v1/users/admin", h.admin, `{"password":"admin-new-pass-2","current_password":"`+testAdminPassword+`"}`).want(t, http.StatusOK)
	h.do("POST", "/api/v1/session", anonCaller, `{"username":"admin","password":"admin-new-pass-2"}`).want(t, http.StatusOK)
}
