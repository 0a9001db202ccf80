package access

import (
	"errors"
	"regexp"
)

// Password policy. bcrypt reads at most 72 bytes: a longer password would
// be cut silently, so it is refused instead.
const (
	MinPassword = 8
	MaxPassword = 72
)

var usernamePattern = regexp.MustCompile(`^[a-z0-9._-]{1,32}$`)

// CheckUsername refuses a name no user may have.
func CheckUsername(name string) error {
	if !usernamePattern.MatchString(name) {
		return invalid("username", "username must be 1–32 characters of a-z, 0-9, '.', '_' and '-'")
	}
	return nil
}

// CheckPassword refuses a new password the policy does not allow.
func CheckPassword(pw string) error {
	switch {
	case len(pw) < MinPassword:
		return invalid("password", "password must be at least %d characters", MinPassword)
	case len(pw) > MaxPassword:
		return invalid("password", "password must be at most %d bytes", MaxPassword)
	}
	return nil
}

// Account is what the rules know of a user.
type Account struct {
	Name     string
	Role     Role
	Disabled bool
}

// ActiveAdmin says whether the account can run the branch now.
func (a Account) ActiveAdmin() bool { return a.Role == RoleAdmin && !a.Disabled }

// ActiveAdmins counts the accounts that can run the branch.
func ActiveAdmins(accounts []Account) int {
	n := 0
	for _, a := range accounts {
		if a.ActiveAdmin() {
			n++
		}
	}
	return n
}

// ErrLastAdmin refuses a change that would leave the branch with nobody
// who can manage users (nor undo the change).
var ErrLastAdmin = errors.New("the last active admin cannot be disabled or demoted")

// CheckLastAdmin refuses to change before into after when before is the
// only active admin of the activeAdmins there are.
func CheckLastAdmin(before, after Account, activeAdmins int) error {
	if before.ActiveAdmin() && !after.ActiveAdmin() && activeAdmins <= 1 {
		return ErrLastAdmin
	}
	return nil
}

// UserChange is what a request to change a user asks for.
type UserChange struct {
	Target          string // the user to change
	Role            bool   // a new role is given
	Disabled        bool   // a new disabled state is given
	Password        bool   // a new password is given
	CurrentPassword bool   // the current password is given (non-empty)
}

// MayChange decides whether actor may make the change ch. Admins change
// anyone's role, state or password; everybody changes their own password.
// Whoever changes their own password, admins too, gives the current one:
// a session left open on a counter PC must not be enough to take the
// account over. checkCurrent says the caller must then verify it.
func MayChange(actor Account, ch UserChange) (checkCurrent bool, err error) {
	self := ch.Target == actor.Name
	if actor.Role < RoleAdmin {
		switch {
		case !self:
			return false, &Refused{"you may change only your own password"}
		case ch.Role || ch.Disabled:
			return false, &Refused{"only an admin may change a role or disable a user"}
		case !ch.Password:
			return false, invalid("password", "password is required")
		}
	}
	if self && ch.Password {
		if !ch.CurrentPassword {
			return false, invalid("current_password", "current_password is required to change your own password")
		}
		return true, nil
	}
	return false, nil
}
