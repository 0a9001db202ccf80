package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"queuebox/server/queue"
)

// dropNulls takes the nulls out of a partial settings body (and out of its
// hours): decoded onto the current settings a null would wipe the field
// (hours: null closed the branch every day), which a caller leaving a field
// unset (or sending back what GET gave, where an unset list is null) never
// means. A null thus keeps the field as it is, like a missing key.
// It stays apart from bindPatch because the two mean different things for a
// map: a settings body is decoded onto the current settings, so its hours
// merge day by day ({"hours":{"sun":""}} closes Sundays and keeps the other
// days), while bindPatch replaces a named map whole (a counter's schedule).
func dropNulls(c echo.Context) error {
	raw, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return decodeError(err)
	}
	defer func() { c.Request().Body = io.NopCloser(bytes.NewReader(raw)) }()
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) != nil || top == nil {
		return nil // bind explains what is wrong with it
	}
	isNull := func(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }
	for k, v := range top {
		if isNull(v) {
			delete(top, k)
		}
	}
	var hours map[string]json.RawMessage
	if h, ok := top["hours"]; ok && json.Unmarshal(h, &hours) == nil && hours != nil {
		for d, v := range hours {
			if isNull(v) {
				delete(hours, d)
			}
		}
		if top["hours"], err = json.Marshal(hours); err != nil {
			return err
		}
	}
	raw, err = json.Marshal(top)
	return err
}

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
	if err := dropNulls(c); err != nil {
		return err
	}
	if err := bind(c, &st); err != nil {
		return err
	}
	st.SpecialDays = days
	if _, err := s.engine.PutSettings(st, who(c).source()); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.settingsOut())
}
