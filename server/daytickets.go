package server

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"queuebox/server/queue"
)

// maxDayTickets caps one answer of GET /tickets.
const maxDayTickets = 5000

var ticketStatuses = map[queue.Status]bool{
	queue.StatusWaiting: true, queue.StatusCalled: true, queue.StatusServing: true, queue.StatusParked: true,
	queue.StatusDone: true, queue.StatusNoShow: true, queue.StatusCancelled: true, queue.StatusExpired: true,
}

// listTickets answers GET /tickets?date=&status=: the tickets of a business
// date (default today), e.g. those the day's close left expired.
func (s *Server) listTickets(c echo.Context) error {
	date := c.QueryParam("date")
	if date == "" {
		date = s.engine.BusinessDate()
	} else if _, err := time.Parse("2006-01-02", date); err != nil {
		return errInvalid.with("date must be YYYY-MM-DD")
	}
	status := queue.Status(c.QueryParam("status"))
	if status != "" && !ticketStatuses[status] {
		return errInvalid.with("status must be one of waiting, called, serving, parked, done, no_show, cancelled, expired")
	}
	list, err := s.db.TicketsOfDate(date, status, maxDayTickets)
	if err != nil {
		return err
	}
	out := make([]queue.Ticket, len(list))
	for i, t := range list {
		t.Token = "" // a list is no key to phone pages
		out[i] = t
	}
	return c.JSON(http.StatusOK, map[string]any{"date": date, "tickets": out})
}
