package access

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRoleOrder(t *testing.T) {
	// Routes admit a role and every stronger one: the order is the rule.
	order := []Role{RoleAnon, RoleDevice, RoleStaff, RoleAdmin}
	for i := 1; i < len(order); i++ {
		if !(order[i-1] < order[i]) {
			t.Errorf("%v is not weaker than %v", order[i-1], order[i])
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Role
		ok   bool
	}{
		{"staff", RoleStaff, true},
		{"admin", RoleAdmin, true},
		{"Admin", RoleAnon, false},
		{"anon", RoleAnon, false},   // no user is anonymous
		{"device", RoleAnon, false}, // devices are paired, never users
		{"", RoleAnon, false},
		{"root", RoleAnon, false},
	} {
		got, err := ParseRole(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseRole(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		var inv *Invalid
		if err != nil && (!errors.As(err, &inv) || inv.Field != "role" || !strings.Contains(inv.Msg, `"staff" or "admin"`)) {
			t.Errorf("ParseRole(%q) error = %#v, want an Invalid naming the field role and the choices", tc.in, err)
		}
	}
	// A damaged stored role grants nothing.
	if got := RoleOf("superuser"); got != RoleAnon {
		t.Errorf("RoleOf(superuser) = %v, want anon", got)
	}
	if got := RoleOf("admin"); got != RoleAdmin {
		t.Errorf("RoleOf(admin) = %v, want admin", got)
	}
}

func TestRoleJSON(t *testing.T) {
	// The wire form is the name, as before roles were typed.
	type out struct {
		Role Role `json:"role"`
	}
	for _, r := range []Role{RoleStaff, RoleAdmin} {
		b, err := json.Marshal(out{r})
		if want := `{"role":"` + r.String() + `"}`; err != nil || string(b) != want {
			t.Errorf("marshal %v = %s, %v; want %s", r, b, err, want)
		}
		var back out
		if err := json.Unmarshal(b, &back); err != nil || back.Role != r {
			t.Errorf("unmarshal %s = %v, %v; want %v", b, back.Role, err, r)
		}
	}
	var back out
	if err := json.Unmarshal([]byte(`{"role":"boss"}`), &back); err == nil {
		t.Errorf("unmarshal role boss: no error")
	}
	if _, err := json.Marshal(out{Role(7)}); err == nil {
		t.Errorf("marshal role 7: no error")
	}
}

func TestRoleRights(t *testing.T) {
	for _, tc := range []struct {
		r        Role
		priority bool
	}{{RoleAnon, false}, {RoleDevice, false}, {RoleStaff, true}, {RoleAdmin, true}} {
		if got := tc.r.MaySetPriority(); got != tc.priority {
			t.Errorf("%v.MaySetPriority() = %v, want %v", tc.r, got, tc.priority)
		}
		if got := tc.r.MaySeeStaffDetails(); got != tc.priority {
			t.Errorf("%v.MaySeeStaffDetails() = %v, want %v", tc.r, got, tc.priority)
		}
	}
}

func TestCheckUsername(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"alice", true},
		{"a.b_c-9", true},
		{strings.Repeat("a", 32), true},
		{strings.Repeat("a", 33), false},
		{"", false},
		{"Alice", false},
		{"al ice", false},
		{"ali/ce", false},
		{"alicé", false},
	} {
		err := CheckUsername(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("CheckUsername(%q) = %v, want ok %v", tc.name, err, tc.ok)
		}
		var inv *Invalid
		if err != nil && (!errors.As(err, &inv) || inv.Field != "username") {
			t.Errorf("CheckUsername(%q) error = %#v, want an Invalid for username", tc.name, err)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct {
		pw   string
		want string // "" = allowed, else a part of the message
	}{
		{"", "at least 8"},
		{"1234567", "at least 8"},
		{"12345678", ""},
		{strings.Repeat("x", 72), ""},
		{strings.Repeat("x", 73), "at most 72 bytes"},
		{strings.Repeat("密", 24), ""},        // 72 bytes
		{strings.Repeat("密", 25), "at most"}, // 75 bytes: bcrypt would cut it
	} {
		err := CheckPassword(tc.pw)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckPassword(%d bytes) = %v, want ok", len(tc.pw), err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckPassword(%d bytes) = %v, want an error saying %q", len(tc.pw), err, tc.want)
		}
		var inv *Invalid
		if err != nil && (!errors.As(err, &inv) || inv.Field != "password") {
			t.Errorf("CheckPassword error = %#v, want an Invalid for password", err)
		}
	}
}

func TestActiveAdmins(t *testing.T) {
	accounts := []Account{
		{Name: "a", Role: RoleAdmin},
		{Name: "b", Role: RoleAdmin, Disabled: true},
		{Name: "c", Role: RoleStaff},
		{Name: "d", Role: RoleAdmin},
	}
	if got := ActiveAdmins(accounts); got != 2 {
		t.Errorf("ActiveAdmins = %d, want 2 (a disabled admin runs nothing)", got)
	}
	if got := ActiveAdmins(nil); got != 0 {
		t.Errorf("ActiveAdmins(nil) = %d, want 0", got)
	}
}

func TestCheckLastAdmin(t *testing.T) {
	admin := Account{Name: "root", Role: RoleAdmin}
	demoted := Account{Name: "root", Role: RoleStaff}
	disabled := Account{Name: "root", Role: RoleAdmin, Disabled: true}
	staff := Account{Name: "bob", Role: RoleStaff}
	for _, tc := range []struct {
		name          string
		before, after Account
		admins        int
		want          error
	}{
		{"demote the last admin", admin, demoted, 1, ErrLastAdmin},
		{"disable the last admin", admin, disabled, 1, ErrLastAdmin},
		{"demote one of two admins", admin, demoted, 2, nil},
		{"disable one of two admins", admin, disabled, 2, nil},
		{"new password for the last admin", admin, admin, 1, nil},
		{"disable a clerk with one admin", staff, Account{Name: "bob", Role: RoleStaff, Disabled: true}, 1, nil},
		{"enable a disabled admin", disabled, admin, 0, nil},
		{"demote a disabled admin", disabled, Account{Name: "root", Role: RoleStaff, Disabled: true}, 1, nil},
	} {
		if got := CheckLastAdmin(tc.before, tc.after, tc.admins); !errors.Is(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestMayChange(t *testing.T) {
	admin := Account{Name: "root", Role: RoleAdmin}
	clerk := Account{Name: "alice", Role: RoleStaff}
	type want struct {
		check bool
		err   string // "" = allowed; "refused" or the Invalid's field
	}
	for _, tc := range []struct {
		name  string
		actor Account
		ch    UserChange
		want  want
	}{
		// A clerk changes only their own password, and gives the current one.
		{"clerk, own password", clerk, UserChange{Target: "alice", Password: true, CurrentPassword: true}, want{check: true}},
		{"clerk, own password without the current", clerk, UserChange{Target: "alice", Password: true}, want{err: "current_password"}},
		{"clerk, nothing asked", clerk, UserChange{Target: "alice"}, want{err: "password"}},
		{"clerk, own role", clerk, UserChange{Target: "alice", Role: true}, want{err: "refused"}},
		{"clerk, disables self", clerk, UserChange{Target: "alice", Disabled: true}, want{err: "refused"}},
		{"clerk, another's password", clerk, UserChange{Target: "bob", Password: true, CurrentPassword: true}, want{err: "refused"}},
		// An admin resets anyone else's password without theirs...
		{"admin, another's password", admin, UserChange{Target: "alice", Password: true}, want{}},
		{"admin, another's role and state", admin, UserChange{Target: "alice", Role: true, Disabled: true}, want{}},
		// ...but their own only with their current one, like everybody.
		{"admin, own password without the current", admin, UserChange{Target: "root", Password: true}, want{err: "current_password"}},
		{"admin, own password", admin, UserChange{Target: "root", Password: true, CurrentPassword: true}, want{check: true}},
		{"admin, own role", admin, UserChange{Target: "root", Role: true}, want{}}, // the last-admin rule guards this
	} {
		check, err := MayChange(tc.actor, tc.ch)
		var got want
		got.check = check
		var inv *Invalid
		var ref *Refused
		switch {
		case errors.As(err, &ref):
			got.err = "refused"
		case errors.As(err, &inv):
			got.err = inv.Field
		case err != nil:
			got.err = "unexpected " + err.Error()
		}
		if got != tc.want {
			t.Errorf("%s: got %+v (%v), want %+v", tc.name, got, err, tc.want)
		}
	}
}

func TestSessionLifetime(t *testing.T) {
	now := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	exp := SessionExpires(now)
	if got := exp.Sub(now); got != 12*time.Hour {
		t.Fatalf("session lasts %v, want 12h", got)
	}
	for _, tc := range []struct {
		at   time.Time
		live bool
	}{
		{now, true},
		{exp.Add(-time.Second), true},
		{exp, true},
		{exp.Add(time.Nanosecond), false},
		{now.Add(24 * time.Hour), false},
	} {
		if got := SessionLive(exp, tc.at); got != tc.live {
			t.Errorf("SessionLive at +%v = %v, want %v", tc.at.Sub(now), got, tc.live)
		}
	}
}

func TestSessionsAfterChange(t *testing.T) {
	staff := Account{Name: "alice", Role: RoleStaff}
	admin := Account{Name: "alice", Role: RoleAdmin}
	off := Account{Name: "alice", Role: RoleStaff, Disabled: true}
	for _, tc := range []struct {
		name          string
		before, after Account
		password      bool
		self          bool
		end, keep     bool
	}{
		{"nothing changed", staff, staff, false, false, false, false},
		{"promoted", staff, admin, false, false, true, false},
		{"demoted", admin, staff, false, false, true, false},
		{"disabled", staff, off, false, false, true, false},
		{"enabled again", off, staff, false, false, false, false},
		{"password reset by an admin", staff, staff, true, false, true, false},
		{"own password changed", staff, staff, true, true, true, true},
		{"own role changed", admin, staff, false, true, true, true},
		{"own change that changes nothing", staff, staff, false, true, false, false},
	} {
		end, keep := SessionsAfterChange(tc.before, tc.after, tc.password, tc.self)
		if end != tc.end || keep != tc.keep {
			t.Errorf("%s: end %v keep %v, want end %v keep %v", tc.name, end, keep, tc.end, tc.keep)
		}
	}
}

func TestEndReasons(t *testing.T) {
	// Pages and logs tell these apart; no two may read the same.
	seen := map[EndReason]bool{}
	for _, r := range []EndReason{EndLoggedOut, EndExpired, EndUserChanged, EndDeviceRevoked} {
		if r == "" || seen[r] {
			t.Errorf("end reason %q empty or repeated", r)
		}
		seen[r] = true
	}
}

func TestDeviceKinds(t *testing.T) {
	for _, tc := range []struct {
		in                               string
		ok                               bool
		issue, prints, purchase, watched bool
	}{
		{"kiosk", true, true, true, false, true},
		{"display", true, false, false, false, true},
		{"pos", true, false, false, true, false},
		{"Kiosk", false, false, false, false, false},
		{"printer", false, false, false, false, false},
		{"", false, false, false, false, false},
	} {
		k, err := ParseDeviceKind(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseDeviceKind(%q) = %v, want ok %v", tc.in, err, tc.ok)
			continue
		}
		if err != nil {
			var inv *Invalid
			if !errors.As(err, &inv) || inv.Field != "kind" || !strings.Contains(inv.Msg, `"pos"`) {
				t.Errorf("ParseDeviceKind(%q) error = %#v, want an Invalid for kind listing the kinds", tc.in, err)
			}
			continue
		}
		if k.String() != tc.in {
			t.Errorf("kind %q reads back as %q", tc.in, k)
		}
		if got := k.MayIssue(); got != tc.issue {
			t.Errorf("%s.MayIssue() = %v, want %v", k, got, tc.issue)
		}
		if got := k.Prints(); got != tc.prints {
			t.Errorf("%s.Prints() = %v, want %v", k, got, tc.prints)
		}
		if got := k.MayReportPurchases(); got != tc.purchase {
			t.Errorf("%s.MayReportPurchases() = %v, want %v", k, got, tc.purchase)
		}
		if got := k.Watched(); got != tc.watched {
			t.Errorf("%s.Watched() = %v, want %v", k, got, tc.watched)
		}
	}
}

func TestCheckDeviceName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"Entrance kiosk", true},
		{"大厅显示屏", true},
		{strings.Repeat("k", 64), true},
		{strings.Repeat("k", 65), false},
		{"", false},
		{"   ", false},
		{"kiosk\n2", false},
		{"kiosk\u202e2", false},
		{"kiosk\xff", false},
	} {
		err := CheckDeviceName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("CheckDeviceName(%q) = %v, want ok %v", tc.name, err, tc.ok)
		}
		var inv *Invalid
		if err != nil && (!errors.As(err, &inv) || inv.Field != "name" || !strings.HasPrefix(inv.Msg, "name ")) {
			t.Errorf("CheckDeviceName(%q) error = %#v, want an Invalid naming the field", tc.name, err)
		}
	}
}
