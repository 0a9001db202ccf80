package server

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"queuebox/server/access"
	"queuebox/server/live"
	"queuebox/server/store"
)

type userOut struct {
	Username string      `json:"username"`
	Role     access.Role `json:"role"`
	Disabled bool        `json:"disabled,omitempty"`
}

// account is what the access rules know of a stored user.
func account(u store.User) access.Account {
	return access.Account{Name: u.Username, Role: access.RoleOf(u.Role), Disabled: u.Disabled}
}

func newUserOut(u store.User) userOut {
	return userOut{Username: u.Username, Role: access.RoleOf(u.Role), Disabled: u.Disabled}
}

func (s *Server) listUsers(c echo.Context) error {
	users, err := s.db.Users()
	if err != nil {
		return err
	}
	out := make([]userOut, 0, len(users))
	for _, u := range users {
		out = append(out, newUserOut(u))
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
	if err := access.CheckUsername(req.Username); err != nil {
		return err
	}
	role, err := access.ParseRole(req.Role)
	if err != nil {
		return err
	}
	if _, err := s.db.User(req.Username); err == nil {
		return errExists.with("user %q already exists", req.Username)
	}
	hash, err := HashPassword(req.Password)
	if err != nil {
		return err
	}
	u := store.User{Username: req.Username, Role: role.String(), Hash: hash, CreatedAt: s.clock.Now()}
	if err := s.db.PutUser(u); err != nil {
		return err
	}
	s.log.Info("user created", "by", who(c).source(), "role", u.Role)
	return c.JSON(http.StatusCreated, newUserOut(u))
}

// putUser changes a user as the access rules allow (access.MayChange):
// admins change anyone's role, state or password; everybody changes their
// own password, giving the current one.
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
	checkCurrent, err := access.MayChange(access.Account{Name: id.username, Role: id.role}, access.UserChange{
		Target: name, Role: req.Role != nil, Disabled: req.Disabled != nil, Password: req.Password != nil,
		CurrentPassword: req.CurrentPassword != nil && *req.CurrentPassword != "",
	})
	if err != nil {
		return err
	}
	if checkCurrent {
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
	before := account(u)
	if req.Role != nil {
		role, err := access.ParseRole(*req.Role)
		if err != nil {
			return err
		}
		u.Role = role.String()
	}
	if req.Disabled != nil {
		u.Disabled = *req.Disabled
	}
	if req.Password != nil {
		if u.Hash, err = HashPassword(*req.Password); err != nil {
			return err
		}
	}
	after := account(u)
	if before.ActiveAdmin() && !after.ActiveAdmin() {
		n, err := s.activeAdmins()
		if err != nil {
			return err
		}
		if err := access.CheckLastAdmin(before, after, n); err != nil {
			return err
		}
	}
	if err := s.db.PutUser(u); err != nil {
		return err
	}
	if end, keepCurrent := access.SessionsAfterChange(before, after, req.Password != nil, self); end {
		// Whoever held the old rights or password logs in again, and their
		// live sockets close.
		keep := ""
		if keepCurrent {
			keep = id.session
		}
		if err := s.db.DeleteUserSessionsExcept(u.Username, keep); err != nil {
			return err
		}
		s.endSockets(access.EndUserChanged, func(o live.Owner) bool {
			return o.User == u.Username && (keep == "" || o.Session != keep)
		})
		s.log.Info("user changed", "by", id.source(), "role", u.Role, "disabled", u.Disabled, "password", req.Password != nil)
	}
	return c.JSON(http.StatusOK, newUserOut(u))
}

// activeAdmins counts the users who can run the branch now.
func (s *Server) activeAdmins() (int, error) {
	users, err := s.db.Users()
	if err != nil {
		return 0, err
	}
	accounts := make([]access.Account, len(users))
	for i, u := range users {
		accounts[i] = account(u)
	}
	return access.ActiveAdmins(accounts), nil
}
