package server

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"queuebox/server/forecast"
	"queuebox/server/report"
)

// staffingWeeks is how much history the advice learns from by default.
const staffingWeeks = 8

// staffingService is one service's need in one hour.
type staffingService struct {
	ServiceID         string  `json:"service_id"`
	ArrivalsPerHour   float64 `json:"arrivals_per_hour"`
	AvgServiceSeconds float64 `json:"avg_service_seconds"`
	WalkOutShare      float64 `json:"walk_out_share"`
	Needed            int     `json:"needed"`
}

// staffingHour is the advice for one hour of the weekday.
type staffingHour struct {
	Hour              int               `json:"hour"`
	ArrivalsPerHour   float64           `json:"arrivals_per_hour"`
	AvgServiceSeconds float64           `json:"avg_service_seconds"`
	WalkOutShare      float64           `json:"walk_out_share"`
	Needed            int               `json:"needed"`
	Open              float64           `json:"open"`
	Services          []staffingService `json:"services"`
}

// getStaffing answers GET /reports/staffing?weekday=mon&weeks=8&to=&share=0.8:
// per hour of that weekday, the arrivals and service times learned from the
// weeks of history up to to, the counters each service needs to call share
// of its customers within its wait target (Erlang C, less the walk-outs the
// history shows), their sum, and how many counters were at work.
func (s *Server) getStaffing(c echo.Context) error {
	wd, ok := report.Weekday(c.QueryParam("weekday"))
	if !ok {
		return errInvalid.with("weekday must be one of mon, tue, wed, thu, fri, sat, sun")
	}
	weeks := staffingWeeks
	if v := c.QueryParam("weeks"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 52 {
			return errInvalid.with("weeks must be a whole number from 1 to 52")
		}
		weeks = n
	}
	share := 0.8
	if v := c.QueryParam("share"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0.5 || f > 0.99 {
			return errInvalid.with("share must be a fraction from 0.5 to 0.99")
		}
		share = f
	}
	to := c.QueryParam("to")
	if to == "" {
		to = s.today()
	}
	last, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return errInvalid.with("to must be a date YYYY-MM-DD, not %q", to)
	}
	from := last.AddDate(0, 0, -7*weeks+1).Format(time.DateOnly)
	recs, err := s.db.ReportRecords(from, to)
	if err != nil {
		return err
	}
	loc := s.branchLocation()
	loads, days := report.WeekdayLoad(recs, loc, wd)
	target := s.slaTarget()
	hours := map[int]*staffingHour{}
	var order []int
	for _, l := range loads {
		h := hours[l.Hour]
		if h == nil {
			h = &staffingHour{Hour: l.Hour, Open: round1(l.Open)}
			hours[l.Hour] = h
			order = append(order, l.Hour)
		}
		aht := l.ServiceSeconds
		if aht == 0 {
			if svc, err := s.engine.Service(l.ServiceID); err == nil {
				aht = float64(svc.AvgServiceSeconds)
			}
		}
		wait := target(l.ServiceID, report.DefaultTier).Seconds()
		need := forecast.CountersFor(l.Arrivals/3600, aht, wait, share, l.WalkOutShare)
		h.Services = append(h.Services, staffingService{ServiceID: l.ServiceID, ArrivalsPerHour: round1(l.Arrivals),
			AvgServiceSeconds: math.Round(aht), WalkOutShare: math.Round(l.WalkOutShare*1000) / 1000, Needed: need})
		h.ArrivalsPerHour += l.Arrivals
		h.AvgServiceSeconds += l.Arrivals * aht
		h.WalkOutShare += l.Arrivals * l.WalkOutShare
		h.Needed += need
	}
	out := struct {
		Weekday       string          `json:"weekday"`
		From          string          `json:"from"`
		To            string          `json:"to"`
		Days          int             `json:"days"`
		Share         float64         `json:"share"`
		TargetSeconds int             `json:"target_seconds"`
		Hours         []*staffingHour `json:"hours"`
	}{Weekday: c.QueryParam("weekday"), From: from, To: to, Days: days, Share: share,
		TargetSeconds: int(target("", report.DefaultTier).Seconds()), Hours: []*staffingHour{}}
	for _, hr := range order {
		h := hours[hr]
		if h.ArrivalsPerHour > 0 {
			h.AvgServiceSeconds = math.Round(h.AvgServiceSeconds / h.ArrivalsPerHour)
			h.WalkOutShare = math.Round(h.WalkOutShare/h.ArrivalsPerHour*1000) / 1000
		}
		h.ArrivalsPerHour = round1(h.ArrivalsPerHour)
		out.Hours = append(out.Hours, h)
	}
	return c.JSON(http.StatusOK, out)
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }
