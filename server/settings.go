package server

import (
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"queuebox/server/queue"
)

func (s *Server) getSettings(c echo.Context) error {
	return c.JSON(http.StatusOK, s.settingsOut())
}

type settingsOut struct {
	queue.Settings
	OpenNow bool `json:"open_now"`
	// Members tells the kiosk to offer identification by phone (the
	// branch has tiers or a per-phone cap).
	Members bool `json:"members"`
	// IssuingStopped is true when the manager stopped issuing for today.
	IssuingStopped bool `json:"issuing_stopped"`
}

func (s *Server) settingsOut() settingsOut {
	st := s.engine.Settings()
	return settingsOut{Settings: st, OpenNow: s.engine.OpenNow(), IssuingStopped: s.engine.IssuingStopped(),
		Members: len(s.engine.Tiers()) > 1 || st.TicketsPerPhonePerDay > 0}
}

func (s *Server) putSettings(c echo.Context) error {
	// Start from the current settings so a partial body changes only what it
	// names. The weights are copied: decoding reuses a slice's array, and
	// this one is the engine's own.
	st := s.engine.Settings()
	st.PriorityWeights = slices.Clone(st.PriorityWeights)
	days := st.SpecialDays // replaced whole by PUT /special-days, never merged here
	if err := bind(c, &st); err != nil {
		return err
	}
	st.SpecialDays = days
	if _, err := s.engine.PutSettings(st, who(c).source()); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.settingsOut())
}
