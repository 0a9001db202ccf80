package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"queuebox/server/queue"
)

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) listEvents(c echo.Context) error {
	since, limit := uint64(0), 500
	if v := c.QueryParam("since"); v != "" {
		n, err := parseSince(v, s.engine.LastSeq())
		if err != nil {
			return err
		}
		since = n
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5000 {
			return errInvalid.with("limit must be between 1 and 5000")
		}
		limit = n
	}
	evs, err := s.db.Events(since, limit)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []queue.Event{}
	}
	for i := range evs {
		if evs[i].Ticket != nil {
			evs[i].Ticket.Token = "" // the audit log is no key to phone pages
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"events": evs})
}

func (s *Server) getBackup(c echo.Context) error {
	name := "queuebox-" + s.clock.Now().UTC().Format("20060102-150405") + ".db"
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "application/octet-stream")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	// A large database on a slow link may take longer than the server's
	// write timeout; the admin who asked for it is waiting.
	_ = http.NewResponseController(c.Response().Writer).SetWriteDeadline(time.Time{})
	c.Response().WriteHeader(http.StatusOK)
	_, err := s.db.WriteBackup(c.Response())
	return err
}
