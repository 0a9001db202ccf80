package access

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzNames: whatever a request sends as a username, a device name, a role,
// a kind or a password, the checks answer without panicking, and what they
// accept is safe to store and to show on a page or in the log.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"alice", "Entrance kiosk", "admin", "kiosk", "", " ", "a\nb", "\u202e", "\xff", "大厅", "12345678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckUsername(s) == nil {
			if len(s) < 1 || len(s) > 32 || strings.ToLower(s) != s || strings.ContainsAny(s, " /\\\n") || !utf8.ValidString(s) {
				t.Errorf("username %q accepted", s)
			}
		}
		if CheckDeviceName(s) == nil {
			if !utf8.ValidString(s) || len(s) > MaxDeviceName || strings.TrimSpace(s) == "" ||
				strings.IndexFunc(s, unicode.IsControl) >= 0 {
				t.Errorf("device name %q accepted", s)
			}
		}
		if r, err := ParseRole(s); err == nil && (r.String() != s || r < RoleStaff) {
			t.Errorf("role %q read as %v", s, r)
		}
		if k, err := ParseDeviceKind(s); err == nil && k.String() != s {
			t.Errorf("kind %q read as %v", s, k)
		}
		if err := CheckPassword(s); err == nil && (len(s) < MinPassword || len(s) > MaxPassword) {
			t.Errorf("password of %d bytes accepted", len(s))
		}
	})
}
