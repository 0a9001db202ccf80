package report

import (
	"fmt"
	"math"
	"sort"
	"time"

	"queuebox/server/queue"
)

// Dimensions a summary may be grouped by.
var Dimensions = []string{"service", "counter", "staff", "hour", "day", "weekday", "tier"}

// ValidDimension reports whether by is one of Dimensions.
func ValidDimension(by string) bool {
	for _, d := range Dimensions {
		if d == by {
			return true
		}
	}
	return false
}

// NoKey is the row key of tickets that have no value for the dimension
// (never called, so no counter or staff).
const NoKey = "-"

// WithinEstimate is how close a promised wait must be to count as right.
const WithinEstimate = 5 * time.Minute

// Row is one line of a summary. Figures that need data the rows lack
// (a p50 of no waits, an average of no ratings) are null.
type Row struct {
	Key       string `json:"key"`
	Issued    int    `json:"issued"`
	Served    int    `json:"served"`
	NoShow    int    `json:"no_show"`
	Cancelled int    `json:"cancelled"`
	WalkOuts  int    `json:"walk_outs"`
	// Expired counts tickets the day ended on before anyone served them.
	Expired int `json:"expired"`
	// Waiting counts tickets not yet finished (today's figures).
	Waiting         int      `json:"waiting"`
	WaitP50         *int     `json:"wait_p50_seconds"`
	WaitP90         *int     `json:"wait_p90_seconds"`
	WaitMax         *int     `json:"wait_max_seconds"`
	WaitAvg         *float64 `json:"wait_avg_seconds"`
	ServiceP50      *int     `json:"service_p50_seconds"`
	ServiceP90      *int     `json:"service_p90_seconds"`
	SLAMetShare     *float64 `json:"sla_met_share"`
	Ratings         int      `json:"ratings"`
	RatingAvg       *float64 `json:"rating_avg"`
	EstimateMAE     *float64 `json:"estimate_mae_seconds"`
	EstimateWithin5 *float64 `json:"estimate_within_5min_share"`

	waits, services  []int
	slaMet, slaCount int
	ratingSum        int
	errSum           float64
	errN, errWithin  int
}

// Targets says how long a ticket may wait and still meet the service level.
type Targets func(serviceID, tier string) time.Duration

// Options are what a summary needs besides the records.
type Options struct {
	By       string
	Location *time.Location // the branch's zone, for hours and weekdays
	Target   Targets
}

// Summary is a report over a range of business days.
type Summary struct {
	From  string `json:"from"`
	To    string `json:"to"`
	By    string `json:"by"`
	Rows  []*Row `json:"rows"`
	Total *Row   `json:"total"`
}

// Aggregator builds a Summary from records added one at a time, so a year
// of records never has to sit in memory at once.
type Aggregator struct {
	o     Options
	rows  map[string]*Row
	total *Row
	hours [24]string
}

// NewAggregator starts a summary grouped by o.By.
func NewAggregator(o Options) (*Aggregator, error) {
	if !ValidDimension(o.By) {
		return nil, fmt.Errorf("unknown dimension %q", o.By)
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	a := &Aggregator{o: o, rows: map[string]*Row{}, total: &Row{Key: "total"}}
	for h := range a.hours {
		a.hours[h] = fmt.Sprintf("%02d", h)
	}
	return a, nil
}

// Add counts one record; r is not kept.
func (a *Aggregator) Add(r *Record) {
	k := a.keyOf(r)
	row := a.rows[k]
	if row == nil {
		row = &Row{Key: k}
		a.rows[k] = row
	}
	row.add(r, a.o.Target)
	a.total.add(r, a.o.Target)
}

// Summary computes every figure. Rows are in a natural order: hours and
// days ascending, weekdays from Monday, others by key with NoKey last.
func (a *Aggregator) Summary() *Summary {
	s := &Summary{By: a.o.By, Total: a.total.finish(), Rows: make([]*Row, 0, len(a.rows))}
	for _, row := range a.rows {
		s.Rows = append(s.Rows, row.finish())
	}
	sort.Slice(s.Rows, func(i, j int) bool { return lessKey(a.o.By, s.Rows[i].Key, s.Rows[j].Key) })
	return s
}

// Summarize groups records by o.By and computes every figure.
func Summarize(recs []Record, o Options) (*Summary, error) {
	a, err := NewAggregator(o)
	if err != nil {
		return nil, err
	}
	for i := range recs {
		a.Add(&recs[i])
	}
	return a.Summary(), nil
}

var weekdayOrder = map[string]int{"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}

func lessKey(by, a, b string) bool {
	if by == "weekday" {
		return weekdayOrder[a] < weekdayOrder[b]
	}
	if a == NoKey || b == NoKey {
		return b == NoKey && a != NoKey
	}
	return a < b
}

func (a *Aggregator) keyOf(r *Record) string {
	var k string
	switch a.o.By {
	case "service":
		k = r.ServiceID
	case "counter":
		k = r.CounterID
	case "staff":
		k = r.Staff
	case "hour":
		k = a.hours[time.UnixMilli(r.Issued).In(a.o.Location).Hour()]
	case "day":
		k = r.Date
	case "weekday":
		k = queue.Days[time.UnixMilli(r.Issued).In(a.o.Location).Weekday()]
	case "tier":
		k = r.Tier
	}
	if k == "" {
		return NoKey
	}
	return k
}

func (row *Row) add(r *Record, target Targets) {
	row.Issued++
	switch r.Status {
	case queue.StatusDone:
		row.Served++
	case queue.StatusNoShow:
		row.NoShow++
	case queue.StatusCancelled:
		row.Cancelled++
	case queue.StatusExpired:
		row.Expired++
	default:
		if r.Status.Active() {
			row.Waiting++
		}
	}
	if r.WalkOut {
		row.WalkOuts++
	}
	if w, ok := r.WaitSeconds(); ok {
		row.waits = append(row.waits, w)
		if r.Predicted >= 0 {
			d := math.Abs(float64(w - r.Predicted))
			row.errSum += d
			row.errN++
			if d <= WithinEstimate.Seconds() {
				row.errWithin++
			}
		}
	}
	if sv, ok := r.ServiceSeconds(); ok {
		row.services = append(row.services, sv)
	}
	if target != nil {
		// The service level counts every ticket that was called, gave up
		// waiting or was still waiting when its day ended: a walk-out or an
		// expired ticket is a customer the branch did not reach.
		if w, ok := r.WaitSeconds(); ok {
			row.slaCount++
			if time.Duration(w)*time.Second <= target(r.ServiceID, r.Tier) {
				row.slaMet++
			}
		} else if r.WalkOut || r.Status == queue.StatusExpired {
			row.slaCount++
		}
	}
	if r.Rating > 0 {
		row.Ratings++
		row.ratingSum += r.Rating
	}
}

func (row *Row) finish() *Row {
	if n := len(row.waits); n > 0 {
		sort.Ints(row.waits)
		row.WaitP50, row.WaitP90 = ptr(Percentile(row.waits, 50)), ptr(Percentile(row.waits, 90))
		row.WaitMax = ptr(row.waits[n-1])
		sum := 0
		for _, w := range row.waits {
			sum += w
		}
		row.WaitAvg = fptr(round2(float64(sum) / float64(n)))
	}
	if len(row.services) > 0 {
		sort.Ints(row.services)
		row.ServiceP50, row.ServiceP90 = ptr(Percentile(row.services, 50)), ptr(Percentile(row.services, 90))
	}
	if row.slaCount > 0 {
		row.SLAMetShare = fptr(round4(float64(row.slaMet) / float64(row.slaCount)))
	}
	if row.Ratings > 0 {
		row.RatingAvg = fptr(round2(float64(row.ratingSum) / float64(row.Ratings)))
	}
	if row.errN > 0 {
		row.EstimateMAE = fptr(round2(row.errSum / float64(row.errN)))
		row.EstimateWithin5 = fptr(round4(float64(row.errWithin) / float64(row.errN)))
	}
	return row
}

// Waits returns the row's waits in seconds, ascending (after Summarize).
func (row *Row) Waits() []int { return row.waits }

// Percentile is the nearest-rank percentile of sorted values: the smallest
// value with at least p% of the values at or below it.
func Percentile(sorted []int, p int) int {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 × n)
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

func ptr(n int) *int           { return &n }
func fptr(f float64) *float64  { return &f }
func round2(f float64) float64 { return math.Round(f*100) / 100 }
func round4(f float64) float64 { return math.Round(f*10000) / 10000 }

// Heatmap is arrivals and average wait per weekday (mon first) and local hour.
type Heatmap struct {
	Issued  [7][24]int      `json:"issued"`
	WaitAvg [7][24]*float64 `json:"wait_avg_seconds"`
	// Days counts how many of each weekday the range holds, so a cell can
	// be read as arrivals per such day.
	Days [7]int `json:"days"`
}

// HeatmapBuilder fills a Heatmap from records added one at a time.
type HeatmapBuilder struct {
	h   Heatmap
	loc *time.Location
	sum [7][24]int
	n   [7][24]int
}

// NewHeatmap starts the weekday × hour grid of the days from..to.
func NewHeatmap(loc *time.Location, from, to time.Time) *HeatmapBuilder {
	b := &HeatmapBuilder{loc: loc}
	for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
		b.h.Days[mondayFirst(day.Weekday())]++
	}
	return b
}

// Add counts one record; r is not kept.
func (b *HeatmapBuilder) Add(r *Record) {
	t := time.UnixMilli(r.Issued).In(b.loc)
	d, hr := mondayFirst(t.Weekday()), t.Hour()
	b.h.Issued[d][hr]++
	if w, ok := r.WaitSeconds(); ok {
		b.sum[d][hr] += w
		b.n[d][hr]++
	}
}

// Heatmap is the grid of what was added.
func (b *HeatmapBuilder) Heatmap() *Heatmap {
	h := b.h
	for d := range 7 {
		for hr := range 24 {
			if b.n[d][hr] > 0 {
				h.WaitAvg[d][hr] = fptr(round2(float64(b.sum[d][hr]) / float64(b.n[d][hr])))
			}
		}
	}
	return &h
}

// MakeHeatmap builds the weekday × hour grid of recs over the days from..to.
func MakeHeatmap(recs []Record, loc *time.Location, from, to time.Time) *Heatmap {
	b := NewHeatmap(loc, from, to)
	for i := range recs {
		b.Add(&recs[i])
	}
	return b.Heatmap()
}

func mondayFirst(w time.Weekday) int { return (int(w) + 6) % 7 }

// Histogram counts waits in buckets of width seconds; the last bucket holds
// everything from its start on.
func Histogram(sortedWaits []int, width, buckets int) []int {
	out := make([]int, buckets)
	for _, w := range sortedWaits {
		i := w / width
		if i >= buckets {
			i = buckets - 1
		}
		out[i]++
	}
	return out
}
