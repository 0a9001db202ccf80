package server

import (
	"errors"
	"net/http"
	"regexp"

	"github.com/labstack/echo/v4"

	"queuebox/server/live"
	"queuebox/server/store"
)

var usernamePattern = regexp.MustCompile(`^[a-z0-9._-]{1,32}$`)

type userOut struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Disabled bool   `json:"disabled,omitempty"`
}

func (s *Server) listUsers(c echo.Context) error {
	users, err := s.db.Users()
	if err != nil {
		return err
	}
	out := make([]userOut, 0, len(users))
	for _, u := range users {
		out = append(out, userOut{Username: u.Username, Role: u.Role, Disabled: u.Disabled})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) postUser(c echo.Context) error {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Role     string `json:"role"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if !usernamePattern.MatchString(req.Username) {
		return errInvalid.with("username must be 1–32 characters of a-z, 0-9, '.', '_' and '-'")
	}
	if _, ok := roleFromName(req.Role); !ok {
		return errInvalid.with("role must be \"staff\" or \"admin\"")
	}
	if _, err := s.db.User(req.Username); err == nil {
		return errExists.with("user %q already exists", req.Username)
	}
	hash, err := HashPassword(req.Password)
	if err != nil {
		return err
	}
	u := store.User{Username: req.Username, Role: req.Role, Hash: hash, CreatedAt: s.clock.Now()}
	if err := s.db.PutUser(u); err != nil {
		return err
	}
	s.log.Info("user created", "by", who(c).source(), "role", u.Role)
	return c.JSON(http.StatusCreated, userOut{Username: u.Username, Role: u.Role})
}

// putUser changes a user. Admins change anyone's role, state or password;
// every user changes their own password, giving the current one.
func (s *Server) putUser(c echo.Context) error {
	var req struct {
		Password        *string `json:"password"`
		CurrentPassword *string `json:"current_password"`
		Role            *string `json:"role"`
		Disabled        *bool   `json:"disabled"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	id := who(c)
	name := c.Param("name")
	self := name == id.username
	if id.role < roleAdmin {
		switch {
		case !self:
			return errForbidden.with("you may change only your own password")
		case req.Role != nil || req.Disabled != nil:
			return errForbidden.with("only an admin may change a role or disable a user")
		case req.Password == nil:
			return errInvalid.with("password is required")
		}
	}
	if self && req.Password != nil {
		// A session left open on a counter PC must not be enough to take
		// the account over.
		if req.CurrentPassword == nil || *req.CurrentPassword == "" {
			return errInvalid.with("current_password is required to change your own password")
		}
		if _, err := s.checkPassword(c, id.username, *req.CurrentPassword); err != nil {
			if errors.Is(err, errBadCredentials) {
				return errWrongPassword
			}
			return err
		}
	}
	u, err := s.db.User(name)
	if errors.Is(err, store.ErrNotFound) {
		return errUnknownUser
	} else if err != nil {
		return err
	}
	wasAdmin := u.Role == "admin" && !u.Disabled
	oldRole, wasDisabled := u.Role, u.Disabled
	if req.Role != nil {
		if _, ok := roleFromName(*req.Role); !ok {
			return errInvalid.with("role must be \"staff\" or \"admin\"")
		}
		u.Role = *req.Role
	}
	if req.Disabled != nil {
		u.Disabled = *req.Disabled
	}
	if req.Password != nil {
		if u.Hash, err = HashPassword(*req.Password); err != nil {
			return err
		}
	}
	if wasAdmin && (u.Role != "admin" || u.Disabled) {
		if n, err := s.activeAdmins(); err != nil {
			return err
		} else if n <= 1 {
			return errLastAdmin
		}
	}
	if err := s.db.PutUser(u); err != nil {
		return err
	}
	if (u.Disabled && !wasDisabled) || u.Role != oldRole || req.Password != nil {
		// Whoever held the old rights or password logs in again, and their
		// live sockets close. Changing one's own password keeps the
		// session it was changed in.
		keep := ""
		if self {
			keep = id.session
		}
		if err := s.db.DeleteUserSessionsExcept(u.Username, keep); err != nil {
			return err
		}
		s.endSockets("user changed", func(o live.Owner) bool {
			return o.User == u.Username && (keep == "" || o.Session != keep)
		})
		s.log.Info("user changed", "by", id.source(), "role", u.Role, "disabled", u.Disabled, "password", req.Password != nil)
	}
	return c.JSON(http.StatusOK, userOut{Username: u.Username, Role: u.Role, Disabled: u.Disabled})
}

func (s *Server) activeAdmins() (int, error) {
	users, err := s.db.Users()
	n := 0
	for _, u := range users {
		if u.Role == "admin" && !u.Disabled {
			n++
		}
	}
	return n, err
}
