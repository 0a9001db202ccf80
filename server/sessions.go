package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"queuebox/server/access"
)

func (s *Server) postSession(c echo.Context) error {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Username == "" || req.Password == "" {
		return errInvalid.with("username and password are required")
	}
	if err := access.CheckUsername(req.Username); err != nil {
		// Before any lookup or count: a name that cannot exist must not
		// cost a password check or a place in the throttle.
		return err
	}
	if len(req.Password) > access.MaxPassword {
		return errBadCredentials // no password that long was ever set
	}
	u, err := s.login(c, req.Username, req.Password)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]userOut{"user": {Username: u.Username, Role: access.RoleOf(u.Role)}})
}

func (s *Server) deleteSession(c echo.Context) error {
	if err := s.logout(c); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) getSession(c echo.Context) error {
	id := who(c)
	return c.JSON(http.StatusOK, map[string]userOut{"user": {Username: id.username, Role: id.role}})
}
