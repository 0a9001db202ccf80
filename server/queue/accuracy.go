package queue

import (
	"math"
	"sort"
	"time"
)

// AccuracyFigures are the wait estimate's errors over a set of tickets:
// walk-ins that were called, each against what it was promised at issue.
type AccuracyFigures struct {
	Tickets int `json:"tickets"`
	// MAESeconds is the mean absolute error; BiasSeconds the mean of
	// promised − waited (below 0: people waited longer than promised).
	MAESeconds      float64 `json:"mae_seconds"`
	BiasSeconds     float64 `json:"bias_seconds"`
	RMSESeconds     float64 `json:"rmse_seconds"`
	Within5MinShare float64 `json:"within_5min_share"`
	// UnderBy5MinShare waited more than 5 minutes longer than promised.
	UnderBy5MinShare float64 `json:"under_by_5min_share"`
	// RangeHitShare waited within the range they were shown.
	RangeHitShare         float64 `json:"range_hit_share"`
	MeanRangeWidthSeconds float64 `json:"mean_range_width_seconds"`
}

// AccuracyRow is one local business day and service.
type AccuracyRow struct {
	Date      string `json:"date"`
	ServiceID string `json:"service_id"`
	AccuracyFigures
}

// AccuracyReport is the estimate's accuracy over a period.
type AccuracyReport struct {
	From  string          `json:"from"`
	To    string          `json:"to"`
	Total AccuracyFigures `json:"total"`
	Rows  []AccuracyRow   `json:"rows"`
}

type accSum struct {
	n, abs, sum, sq, within, under, hit, width float64
}

func (a *accSum) add(t *Ticket) {
	pr := t.Promise
	waited := t.CalledAt.Sub(t.IssuedAt).Seconds()
	e := float64(pr.WaitSeconds) - waited
	a.n++
	a.abs += math.Abs(e)
	a.sum += e
	a.sq += e * e
	if math.Abs(e) <= 300 {
		a.within++
	}
	if -e > 300 {
		a.under++
	}
	if waited >= float64(pr.LowSeconds) && waited <= float64(pr.HighSeconds) {
		a.hit++
	}
	a.width += float64(pr.HighSeconds - pr.LowSeconds)
}

func (a *accSum) figures() AccuracyFigures {
	if a.n == 0 {
		return AccuracyFigures{}
	}
	r := func(v float64) float64 { return math.Round(v*100) / 100 }
	return AccuracyFigures{Tickets: int(a.n), MAESeconds: r(a.abs / a.n), BiasSeconds: r(a.sum / a.n), RMSESeconds: r(math.Sqrt(a.sq / a.n)),
		Within5MinShare: r(a.within / a.n), UnderBy5MinShare: r(a.under / a.n), RangeHitShare: r(a.hit / a.n),
		MeanRangeWidthSeconds: r(a.width / a.n)}
}

// Accuracy scores the promises of the walk-in tickets of the local dates
// from..to (inclusive, YYYY-MM-DD) that were called.
func Accuracy(tickets []Ticket, from, to string) AccuracyReport {
	rep := AccuracyReport{From: from, To: to, Rows: []AccuracyRow{}}
	type key struct{ date, service string }
	sums := map[key]*accSum{}
	var total accSum
	for i := range tickets {
		t := &tickets[i]
		if t.Promise == nil || t.CalledAt == nil || t.AppointmentAt != nil || len(t.Transfers) > 0 || t.Date < from || t.Date > to {
			continue
		}
		k := key{t.Date, t.ServiceID}
		s := sums[k]
		if s == nil {
			s = &accSum{}
			sums[k] = s
		}
		s.add(t)
		total.add(t)
	}
	for k, s := range sums {
		rep.Rows = append(rep.Rows, AccuracyRow{Date: k.date, ServiceID: k.service, AccuracyFigures: s.figures()})
	}
	sort.Slice(rep.Rows, func(i, j int) bool {
		if rep.Rows[i].Date != rep.Rows[j].Date {
			return rep.Rows[i].Date < rep.Rows[j].Date
		}
		return rep.Rows[i].ServiceID < rep.Rows[j].ServiceID
	})
	rep.Total = total.figures()
	return rep
}

// AccuracyWindow turns from/to query values into local dates, checked:
// empty means today; the period is at most 366 days.
func (e *Engine) AccuracyWindow(from, to string) (string, string, time.Time, error) {
	e.mu.RLock()
	loc := e.cal.loc
	e.mu.RUnlock()
	today := e.clock.Now().In(loc).Format("2006-01-02")
	if from == "" {
		from = today
	}
	if to == "" {
		to = today
	}
	f, err := time.ParseInLocation("2006-01-02", from, loc)
	if err != nil {
		return "", "", time.Time{}, invalid("from", "must be a date YYYY-MM-DD")
	}
	t, err := time.ParseInLocation("2006-01-02", to, loc)
	if err != nil {
		return "", "", time.Time{}, invalid("to", "must be a date YYYY-MM-DD")
	}
	if t.Before(f) {
		return "", "", time.Time{}, invalid("to", "must not be before from")
	}
	if t.Sub(f) > 366*24*time.Hour {
		return "", "", time.Time{}, invalid("to", "must be at most 366 days after from")
	}
	// Tickets are issued on their date; a day's margin covers zone changes.
	return from, to, f.Add(-24 * time.Hour), nil
}
