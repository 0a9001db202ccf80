package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// noticeOut is the lobby display's notice as the API shows it.
type noticeOut struct {
	Text  string     `json:"text"`
	Until *time.Time `json:"until,omitempty"`
}

// putNotice posts a short notice on the lobby display ("Counter 3 closed
// for lunch"), optionally until a time; an empty text takes it down.
// Staff post it: it is the desk's news, not the branch's configuration.
func (s *Server) putNotice(c echo.Context) error {
	var req struct {
		Text  string `json:"text"`
		Until string `json:"until"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	req.Text = strings.TrimSpace(req.Text)
	if strings.ContainsAny(req.Text, "\r\n") {
		return errInvalid.with("text must be one line")
	}
	var until *time.Time
	if req.Until != "" {
		t, err := time.Parse(time.RFC3339, req.Until)
		if err != nil {
			return errInvalid.with("until must be a time like 2026-12-07T13:30:00+08:00")
		}
		if !t.After(s.clock.Now()) {
			return errInvalid.with("until must be in the future")
		}
		until = &t
	}
	st, err := s.engine.SetNotice(req.Text, until, who(c).source())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, noticeOut{Text: st.Notice, Until: st.NoticeUntil})
}

// putSpecialDays replaces the calendar of holidays and special opening
// hours: {"special_days": {"2026-12-25": "", "2026-12-24": "09:00-12:00"}}.
// With "closed_dates" too it replaces that older list in the same change:
// the admin's holiday editor sends "closed_dates": [] with every date in
// special_days, so special_days becomes the one source.
func (s *Server) putSpecialDays(c echo.Context) error {
	var req struct {
		SpecialDays *map[string]string `json:"special_days"`
		ClosedDates *[]string          `json:"closed_dates"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.SpecialDays == nil {
		// The calendar is replaced whole: a body without it (one meant
		// for PUT /settings) must not wipe it.
		return errInvalid.with(`special_days is required: the whole calendar, e.g. {"2026-12-25":""}; {} clears it`)
	}
	var err error
	if req.ClosedDates != nil {
		_, err = s.engine.SetCalendar(*req.SpecialDays, *req.ClosedDates, who(c).source())
	} else {
		_, err = s.engine.SetSpecialDays(*req.SpecialDays, who(c).source())
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.settingsOut())
}
