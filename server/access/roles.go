package access

import "fmt"

// Role is what a caller may do, weakest first: the order is the rule (a
// staff route admits admins too).
type Role int

const (
	// RoleAnon is a caller with neither a session nor a device token.
	RoleAnon Role = iota
	// RoleDevice is a paired device; what it may do depends on its kind.
	RoleDevice
	// RoleStaff is a clerk at a counter.
	RoleStaff
	// RoleAdmin runs the branch: services, counters, users, devices.
	RoleAdmin
)

// String is the role's name as the API and the database spell it.
func (r Role) String() string {
	switch r {
	case RoleAnon:
		return "anon"
	case RoleDevice:
		return "device"
	case RoleStaff:
		return "staff"
	case RoleAdmin:
		return "admin"
	}
	return fmt.Sprintf("role(%d)", int(r))
}

// ParseRole reads the role of a user: only "staff" and "admin" name one
// (anonymous callers and devices are no users).
func ParseRole(s string) (Role, error) {
	switch s {
	case "staff":
		return RoleStaff, nil
	case "admin":
		return RoleAdmin, nil
	}
	return RoleAnon, invalid("role", `role must be "staff" or "admin"`)
}

// RoleOf is the role a stored user holds. A name that is no user's role
// (a damaged record) grants nothing.
func RoleOf(stored string) Role {
	r, err := ParseRole(stored)
	if err != nil {
		return RoleAnon
	}
	return r
}

// MarshalText writes the role's name: the JSON form is a string.
func (r Role) MarshalText() ([]byte, error) {
	if r < RoleAnon || r > RoleAdmin {
		return nil, fmt.Errorf("marshal role: no role %d", int(r))
	}
	return []byte(r.String()), nil
}

// UnmarshalText reads a user's role ("staff" or "admin").
func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// MaySetPriority says whether the caller may give a ticket a priority:
// staff judge who goes first, a kiosk's customers do not.
func (r Role) MaySetPriority() bool { return r >= RoleStaff }

// MaySeeStaffDetails says whether the caller sees what only staff see of a
// service (its guide and outcome codes).
func (r Role) MaySeeStaffDetails() bool { return r >= RoleStaff }
