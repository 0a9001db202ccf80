package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"queuebox/server/queue"
)

// getAccuracy answers how good the wait estimate has been: per local day and
// service, each called walk-in's wait against what it was promised at issue.
func (s *Server) getAccuracy(c echo.Context) error {
	from, to, since, err := s.engine.AccuracyWindow(c.QueryParam("from"), c.QueryParam("to"))
	if err != nil {
		return err
	}
	tickets, err := s.db.TicketsSince(since)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, queue.Accuracy(tickets, from, to))
}
