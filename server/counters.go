package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"queuebox/server/queue"
)

func (s *Server) listCounters(c echo.Context) error {
	return c.JSON(http.StatusOK, s.engine.Counters())
}

func (s *Server) getCounter(c echo.Context) error {
	ctr, err := s.engine.Counter(c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ctr)
}

func (s *Server) postCounter(c echo.Context) error {
	var ctr queue.Counter
	if err := bind(c, &ctr); err != nil {
		return err
	}
	out, err := s.engine.PutCounter(ctr, true, who(c).source())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// putCounter changes a counter: the fields the body names (see bindPatch).
func (s *Server) putCounter(c echo.Context) error {
	ctr, err := s.engine.Counter(c.Param("id"))
	if err != nil {
		return err
	}
	if err := bindPatch(c, &ctr); err != nil {
		return err
	}
	if ctr.ID == "" {
		ctr.ID = c.Param("id")
	} else if ctr.ID != c.Param("id") {
		return errInvalid.with("id in the body differs from the id in the path")
	}
	out, err := s.engine.PutCounter(ctr, false, who(c).source())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) deleteCounter(c echo.Context) error {
	if err := s.engine.DeleteCounter(c.Param("id"), who(c).source()); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) pauseCounter(paused bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		out, err := s.engine.SetPaused(c.Param("id"), paused, who(c).source())
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	}
}

func (s *Server) counterQueue(c echo.Context) error {
	list, err := s.engine.CounterQueue(c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string][]ticketOut{"waiting": s.ticketsOut(list)})
}

func (s *Server) counterParked(c echo.Context) error {
	list, err := s.engine.Parked(c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string][]ticketOut{"parked": s.ticketsOut(list)})
}
