package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"queuebox/server/report"
)

// putIssuing answers PUT /issuing {"stopped": bool}: the manager stops
// issuing tickets for the rest of the business day (the kiosk then says the
// branch is closing), or resumes it. The next business day issues again.
func (s *Server) putIssuing(c echo.Context) error {
	var req struct {
		Stopped *bool `json:"stopped"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Stopped == nil {
		return errInvalid.with("stopped is required: true or false")
	}
	if _, err := s.engine.StopIssuing(*req.Stopped, who(c).source()); err != nil {
		return err
	}
	return s.getIssuing(c)
}

// getIssuing answers GET /issuing.
func (s *Server) getIssuing(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"stopped": s.engine.IssuingStopped(), "date": s.today()})
}

// postSendHome answers POST /queue/send-home: at closing, the tickets still
// waiting are ended (cancelled, their phones told) when the branch will not
// reach them. Tickets already called, in service or parked are left to staff.
func (s *Server) postSendHome(c echo.Context) error {
	n, err := s.engine.SendHomeWaiting(who(c).source())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]int{"sent_home": n})
}

// dayEnd is the end-of-day summary.
type dayEnd struct {
	Date           string        `json:"date"`
	IssuingStopped bool          `json:"issuing_stopped"`
	StillWaiting   int           `json:"still_waiting"`
	StillActive    int           `json:"still_active"`
	Services       []*report.Row `json:"services"`
	Staff          []*report.Row `json:"staff"`
	Total          *report.Row   `json:"total"`
	Comments       int           `json:"comments"`
}

// getDayEnd answers GET /reports/day-end?date=: the day's figures by service
// and by staff member, with what is still open.
func (s *Server) getDayEnd(c echo.Context) error {
	date := c.QueryParam("date")
	if date == "" {
		date = s.today()
	}
	q := c.QueryParams()
	q.Set("from", date)
	q.Set("to", date)
	r, err := s.reportRange(c)
	if err != nil {
		return errInvalid.with("date must be a date YYYY-MM-DD, not %q", date)
	}
	recs, err := s.db.ReportRecords(r.from, r.to)
	if err != nil {
		return err
	}
	opts := report.Options{By: "service", Location: r.loc, Target: s.slaTarget()}
	bySvc, err := report.Summarize(recs, opts)
	if err != nil {
		return err
	}
	opts.By = "staff"
	byStaff, err := report.Summarize(recs, opts)
	if err != nil {
		return err
	}
	out := dayEnd{Date: r.from, Services: bySvc.Rows, Staff: byStaff.Rows, Total: bySvc.Total}
	if r.from == s.today() {
		out.IssuingStopped = s.engine.IssuingStopped()
	}
	for _, t := range s.engine.Active() {
		if t.Date == r.from {
			out.StillActive++
			if t.Status == "waiting" {
				out.StillWaiting++
			}
		}
	}
	comments, err := s.db.Comments(r.from, r.to, 1000)
	if err != nil {
		return err
	}
	out.Comments = len(comments)
	return c.JSON(http.StatusOK, out)
}
