package server

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"queuebox/server/queue"
	"queuebox/server/report"
	"queuebox/server/store"
)

// maxReportDays is the longest range one report may cover.
const maxReportDays = 400

// defaultSLATarget is the wait a ticket may have and still meet the service
// level when the branch sets no wait cap.
const defaultSLATarget = 15 * time.Minute

// slaAlertShare is the share of tickets within target below which today's
// view raises an alert for a service or tier.
const slaAlertShare = 0.8

// dayRange is a validated range of business days in the branch's zone.
type dayRange struct {
	from, to string
	first    time.Time // local midnight of from
	last     time.Time // local midnight of to
	loc      *time.Location
}

func (s *Server) branchLocation() *time.Location {
	loc, err := time.LoadLocation(s.engine.Settings().Timezone)
	if err != nil {
		return time.UTC // settings are validated on write; never here in practice
	}
	return loc
}

// today is the current business date, by the engine's branch time.
func (s *Server) today() string {
	return s.engine.BusinessDate()
}

// reportRange reads ?from=&to= (both default to today).
func (s *Server) reportRange(c echo.Context) (dayRange, error) {
	loc := s.branchLocation()
	r := dayRange{loc: loc, from: c.QueryParam("from"), to: c.QueryParam("to")}
	if r.from == "" {
		r.from = s.today()
	}
	if r.to == "" {
		r.to = r.from
	}
	var err error
	if r.first, err = time.ParseInLocation(time.DateOnly, r.from, loc); err != nil {
		return r, errInvalid.with("from must be a date YYYY-MM-DD, not %q", r.from)
	}
	if r.last, err = time.ParseInLocation(time.DateOnly, r.to, loc); err != nil {
		return r, errInvalid.with("to must be a date YYYY-MM-DD, not %q", r.to)
	}
	if r.from > r.to {
		return r, errInvalid.with("from (%s) must not be after to (%s)", r.from, r.to)
	}
	if days := daysBetween(r.from, r.to) + 1; days > maxReportDays {
		return r, errInvalid.with("to: the range holds %d days; at most %d", days, maxReportDays)
	}
	return r, nil
}

// aggregate reads ?from=&to= and summarises the records of those days by
// by, one record at a time.
func (s *Server) aggregate(r dayRange, by string) (*report.Summary, error) {
	agg, err := report.NewAggregator(report.Options{By: by, Location: r.loc, Target: s.slaTarget()})
	if err != nil {
		return nil, err
	}
	if err := s.db.EachReportRecord(r.from, r.to, func(rec *report.Record) error {
		agg.Add(rec)
		return nil
	}); err != nil {
		return nil, err
	}
	sum := agg.Summary()
	sum.From, sum.To = r.from, r.to
	return sum, nil
}

// daysBetween counts calendar days, whatever DST does to the hours between.
func daysBetween(from, to string) int {
	a, _ := time.Parse(time.DateOnly, from)
	b, _ := time.Parse(time.DateOnly, to)
	return int(b.Sub(a).Hours() / 24)
}

// slaTarget is how long a ticket of a service and tier may wait.
func (s *Server) slaTarget() report.Targets {
	target := defaultSLATarget
	if m := s.engine.Settings().MaxWaitMinutes; m > 0 {
		target = time.Duration(m) * time.Minute
	}
	byTier := map[string]time.Duration{}
	for _, t := range s.engine.Tiers() {
		if t.SLAWaitSeconds > 0 {
			byTier[t.ID] = time.Duration(t.SLAWaitSeconds) * time.Second
		}
	}
	return func(_, tier string) time.Duration {
		if d, ok := byTier[tier]; ok {
			return d
		}
		return target
	}
}

func reportBy(c echo.Context) (string, error) {
	by := c.QueryParam("by")
	if by == "" {
		by = "service"
	}
	if !report.ValidDimension(by) {
		return "", errInvalid.with("by must be one of service, counter, staff, hour, day, weekday, tier; not %q", by)
	}
	return by, nil
}

func (s *Server) summary(c echo.Context) (*report.Summary, error) {
	by, err := reportBy(c)
	if err != nil {
		return nil, err
	}
	r, err := s.reportRange(c)
	if err != nil {
		return nil, err
	}
	return s.aggregate(r, by)
}

// getReportSummary answers GET /reports/summary.
func (s *Server) getReportSummary(c echo.Context) error {
	sum, err := s.summary(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sum)
}

// summaryCSVHeader are the columns of a report table as CSV.
var summaryCSVHeader = []string{"key", "issued", "served", "no_show", "cancelled", "walk_outs", "expired", "wait_p50_seconds",
	"wait_p90_seconds", "wait_max_seconds", "wait_avg_seconds", "service_p50_seconds", "service_p90_seconds",
	"sla_met_share", "ratings", "rating_avg", "estimate_mae_seconds", "estimate_within_5min_share"}

// getReportSummaryCSV answers GET /reports/summary.csv: the same table.
func (s *Server) getReportSummaryCSV(c echo.Context) error {
	sum, err := s.summary(c)
	if err != nil {
		return err
	}
	w := startCSV(c, fmt.Sprintf("queuebox-%s-%s-by-%s.csv", sum.From, sum.To, sum.By))
	_ = w.Write(summaryCSVHeader)
	for _, row := range append(sum.Rows, sum.Total) {
		_ = w.Write([]string{csvSafe(row.Key), strconv.Itoa(row.Issued), strconv.Itoa(row.Served), strconv.Itoa(row.NoShow),
			strconv.Itoa(row.Cancelled), strconv.Itoa(row.WalkOuts), strconv.Itoa(row.Expired), intCell(row.WaitP50), intCell(row.WaitP90),
			intCell(row.WaitMax), floatCell(row.WaitAvg), intCell(row.ServiceP50), intCell(row.ServiceP90),
			floatCell(row.SLAMetShare), strconv.Itoa(row.Ratings), floatCell(row.RatingAvg), floatCell(row.EstimateMAE),
			floatCell(row.EstimateWithin5)})
	}
	w.Flush()
	return w.Error()
}

func startCSV(c echo.Context, name string) *csv.Writer {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Response().WriteHeader(http.StatusOK)
	return csv.NewWriter(c.Response())
}

func intCell(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

func floatCell(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') && s != report.NoKey {
		return "'" + s
	}
	return s
}

// ticketsCSVHeader are the columns of the ticket export: no phone numbers,
// names, notes or comments — only what the box measured.
var ticketsCSVHeader = []string{"number", "date", "service", "tier", "priority", "issued_at", "called_at", "ended_at",
	"wait_seconds", "service_seconds", "counter", "staff", "outcome", "outcome_code", "rating"}

// getTicketsCSV answers GET /reports/tickets.csv: one row per ticket issued
// in the range, oldest day first. It reads a day at a time: a slow client
// never holds a read transaction open, nor a year of records in memory.
func (s *Server) getTicketsCSV(c echo.Context) error {
	r, err := s.reportRange(c)
	if err != nil {
		return err
	}
	w := startCSV(c, fmt.Sprintf("queuebox-tickets-%s-%s.csv", r.from, r.to))
	_ = w.Write(ticketsCSVHeader)
	w.Flush()
	// The rows are appended by hand: a year is 250,000 of them, and
	// encoding/csv's []string per row costs more than the rest together.
	var buf []byte
	for day := r.first; !day.After(r.last); day = day.AddDate(0, 0, 1) {
		date := day.Format(time.DateOnly)
		buf = buf[:0]
		if err := s.db.EachReportRecord(date, date, func(rec *report.Record) error {
			buf = appendTicketRow(buf, rec, r.loc)
			return nil
		}); err != nil {
			// The header is out: end the file short and say why in the log.
			s.log.Warn("ticket export cut short", "date", date, "err", err)
			return nil
		}
		if _, err := c.Response().Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// appendTicketRow appends one CSV line of the ticket export.
func appendTicketRow(b []byte, rec *report.Record, loc *time.Location) []byte {
	at := func(b []byte, ms int64) []byte {
		if ms != 0 {
			b = time.UnixMilli(ms).In(loc).AppendFormat(b, time.RFC3339)
		}
		return append(b, ',')
	}
	num := func(b []byte, n int, ok bool) []byte {
		if ok {
			b = strconv.AppendInt(b, int64(n), 10)
		}
		return append(b, ',')
	}
	b = appendCSVField(b, rec.Number)
	b = append(appendCSVField(append(b, ','), rec.Date), ',')
	b = append(appendCSVField(b, csvSafe(rec.ServiceID)), ',')
	b = append(appendCSVField(b, csvSafe(rec.Tier)), ',')
	b = num(b, rec.Priority, true)
	b = at(at(at(b, rec.Issued), rec.Called), rec.Ended)
	wait, called := rec.WaitSeconds()
	service, served := rec.ServiceSeconds()
	b = num(num(b, wait, called), service, served)
	b = append(appendCSVField(b, csvSafe(rec.CounterID)), ',')
	b = append(appendCSVField(b, csvSafe(rec.Staff)), ',')
	b = append(appendCSVField(b, string(rec.Status)), ',')
	b = append(appendCSVField(b, csvSafe(rec.Outcome)), ',')
	if rec.Rating > 0 {
		b = strconv.AppendInt(b, int64(rec.Rating), 10)
	}
	return append(b, '\n')
}

// appendCSVField quotes a field the way encoding/csv does when it must.
func appendCSVField(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") && (s == "" || (s[0] != ' ' && s[0] != '\t')) {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// getReportHeatmap answers GET /reports/heatmap: arrivals and average wait
// per weekday and hour.
func (s *Server) getReportHeatmap(c echo.Context) error {
	r, err := s.reportRange(c)
	if err != nil {
		return err
	}
	h, err := s.heatmap(r)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		From string `json:"from"`
		To   string `json:"to"`
		*report.Heatmap
	}{r.from, r.to, h})
}

func (s *Server) heatmap(r dayRange) (*report.Heatmap, error) {
	b := report.NewHeatmap(r.loc, r.first, r.last)
	err := s.db.EachReportRecord(r.from, r.to, func(rec *report.Record) error {
		b.Add(rec)
		return nil
	})
	return b.Heatmap(), err
}

// getComments answers GET /reports/comments: customers' comments, newest first.
func (s *Server) getComments(c echo.Context) error {
	r, err := s.reportRange(c)
	if err != nil {
		return err
	}
	list, err := s.db.Comments(r.from, r.to, 200)
	if err != nil {
		return err
	}
	if list == nil {
		list = []store.Comment{}
	}
	return c.JSON(http.StatusOK, list)
}

// todayService is one service's line on today's live view.
type todayService struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Names        map[string]string `json:"names,omitempty"`
	WaitingNow   int               `json:"waiting_now"`
	LongestNow   int               `json:"longest_wait_now_seconds"`
	OldestIssued *time.Time        `json:"oldest_issued_at"`
	*report.Row
	TargetSeconds int  `json:"target_seconds"`
	Alert         bool `json:"alert"`
}

// todayAlert says which service or tier is missing its service level.
type todayAlert struct {
	Kind          string   `json:"kind"` // "service" or "tier"
	Key           string   `json:"key"`
	Reason        string   `json:"reason"` // "waiting_too_long" or "sla_share_low"
	LongestNow    int      `json:"longest_wait_now_seconds,omitempty"`
	SLAMetShare   *float64 `json:"sla_met_share,omitempty"`
	TargetSeconds int      `json:"target_seconds"`
}

// todayView is the manager's first screen.
type todayView struct {
	Date           string         `json:"date"`
	Now            time.Time      `json:"now"`
	Seq            uint64         `json:"seq"`
	IssuingStopped bool           `json:"issuing_stopped"`
	WaitingNow     int            `json:"waiting_now"`
	LongestNow     int            `json:"longest_wait_now_seconds"`
	OldestIssued   *time.Time     `json:"oldest_issued_at"`
	CountersOpen   int            `json:"counters_open"`
	CountersBusy   int            `json:"counters_busy"`
	CountersTotal  int            `json:"counters_total"`
	Services       []todayService `json:"services"`
	Tiers          []*report.Row  `json:"tiers"`
	Total          *report.Row    `json:"total"`
	Alerts         []todayAlert   `json:"alerts"`
	SLAAlertShare  float64        `json:"sla_alert_share"`
}

// today builds the live figures of the current business day: the report
// records so far joined with the engine's waiting tickets.
func (s *Server) todayView() (*todayView, error) {
	seq := s.engine.LastSeq()
	now := s.engine.Clock().BranchTime
	date := s.today()
	recs, err := s.db.ReportRecords(date, date)
	if err != nil {
		return nil, err
	}
	target := s.slaTarget()
	opts := report.Options{By: "service", Location: s.branchLocation(), Target: target}
	bySvc, err := report.Summarize(recs, opts)
	if err != nil {
		return nil, err
	}
	opts.By = "tier"
	byTier, err := report.Summarize(recs, opts)
	if err != nil {
		return nil, err
	}
	v := &todayView{Date: date, Now: now, Seq: seq, IssuingStopped: s.engine.IssuingStopped(), Total: bySvc.Total,
		Tiers: byTier.Rows, Alerts: []todayAlert{}, SLAAlertShare: slaAlertShare}
	rows := map[string]*report.Row{}
	for _, r := range bySvc.Rows {
		rows[r.Key] = r
	}
	waiting, err := s.engine.Queue("")
	if err != nil {
		return nil, err
	}
	oldest := map[string]time.Time{}
	count := map[string]int{}
	for _, t := range waiting {
		count[t.ServiceID]++
		if o, ok := oldest[t.ServiceID]; !ok || t.IssuedAt.Before(o) {
			oldest[t.ServiceID] = t.IssuedAt
		}
	}
	for _, svc := range s.engine.Services() {
		ts := todayService{ID: svc.ID, Name: svc.Name, Names: svc.Names, WaitingNow: count[svc.ID], Row: rows[svc.ID],
			TargetSeconds: int(target(svc.ID, report.DefaultTier).Seconds())}
		if ts.Row == nil {
			ts.Row = &report.Row{Key: svc.ID}
		}
		if o, ok := oldest[svc.ID]; ok {
			o := o
			ts.OldestIssued = &o
			ts.LongestNow = int(now.Sub(o).Seconds())
			if v.OldestIssued == nil || o.Before(*v.OldestIssued) {
				v.OldestIssued = &o
			}
		}
		v.WaitingNow += ts.WaitingNow
		v.LongestNow = max(v.LongestNow, ts.LongestNow)
		if ts.LongestNow > ts.TargetSeconds {
			ts.Alert = true
			v.Alerts = append(v.Alerts, todayAlert{Kind: "service", Key: svc.ID, Reason: "waiting_too_long",
				LongestNow: ts.LongestNow, TargetSeconds: ts.TargetSeconds})
		} else if sh := ts.Row.SLAMetShare; sh != nil && *sh < slaAlertShare {
			ts.Alert = true
			v.Alerts = append(v.Alerts, todayAlert{Kind: "service", Key: svc.ID, Reason: "sla_share_low",
				SLAMetShare: sh, TargetSeconds: ts.TargetSeconds})
		}
		v.Services = append(v.Services, ts)
	}
	// A tier with its own promise (Gold: 5 min) alerts as soon as one of
	// its customers waits past it, as a service does past its target.
	tierOldest := map[string]time.Time{}
	for _, t := range waiting {
		if o, ok := tierOldest[t.Tier]; !ok || t.IssuedAt.Before(o) {
			tierOldest[t.Tier] = t.IssuedAt
		}
	}
	late := map[string]bool{}
	for _, tr := range s.engine.Tiers() {
		o, ok := tierOldest[tr.ID]
		if !ok || tr.SLAWaitSeconds <= 0 {
			continue
		}
		if long := int(now.Sub(o).Seconds()); long > tr.SLAWaitSeconds {
			late[tr.ID] = true
			v.Alerts = append(v.Alerts, todayAlert{Kind: "tier", Key: tr.ID, Reason: "waiting_too_long",
				LongestNow: long, TargetSeconds: tr.SLAWaitSeconds})
		}
	}
	for _, tr := range byTier.Rows {
		if sh := tr.SLAMetShare; sh != nil && *sh < slaAlertShare && !late[tr.Key] {
			v.Alerts = append(v.Alerts, todayAlert{Kind: "tier", Key: tr.Key, Reason: "sla_share_low", SLAMetShare: sh,
				TargetSeconds: int(target("", tr.Key).Seconds())})
		}
	}
	busy := map[string]bool{}
	for _, t := range s.engine.Active() {
		if t.Status == queue.StatusCalled || t.Status == queue.StatusServing {
			busy[t.CounterID] = true
		}
	}
	for _, ctr := range s.engine.Counters() {
		v.CountersTotal++
		if !ctr.Paused {
			v.CountersOpen++
		}
		if busy[ctr.ID] {
			v.CountersBusy++
		}
	}
	return v, nil
}

// getToday answers GET /reports/today (staff may read it: it holds no
// personal data and helps the floor as much as the manager).
func (s *Server) getToday(c echo.Context) error {
	v, err := s.todayView()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}
