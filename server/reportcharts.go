package server

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"strings"
	"sync"

	"github.com/go-analyze/charts"
	"github.com/labstack/echo/v4"

	"queuebox/assets"
	"queuebox/server/report"
)

// Charts are drawn on the box as SVG with go-analyze/charts, so the reports
// page needs no script library and no CDN, and the same picture can be
// saved or printed.

// chartWords are the labels of the charts in each language.
var chartWords = map[string]map[string]string{
	"en": {
		"hourly": "Tickets per hour of the day", "issued": "Issued", "served": "Served",
		"waits": "Wait distribution (minutes)", "tickets": "Tickets",
		"heatmap": "Arrivals per weekday and hour", "trend": "Per day: tickets and p90 wait (minutes)",
		"p90": "p90 wait (min)", "days": "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
	},
	"zh": {
		"hourly": "每小时取号数", "issued": "取号", "served": "已办结",
		"waits": "等候时间分布（分钟）", "tickets": "票数",
		"heatmap": "按星期与小时的到达量", "trend": "每日取号数与 p90 等候（分钟）",
		"p90": "p90 等候（分钟）", "days": "周一,周二,周三,周四,周五,周六,周日",
	},
}

// chartNames are the charts GET /reports/charts/:name draws.
var chartNames = []string{"hourly.svg", "waits.svg", "heatmap.svg", "trend.svg"}

// getReportChart answers GET /reports/charts/{hourly,waits,heatmap,trend}.svg.
func (s *Server) getReportChart(c echo.Context) error {
	name := c.Param("name")
	known := false
	for _, n := range chartNames {
		known = known || n == name
	}
	if !known {
		return errInvalid.with("name must be one of %s, not %q", strings.Join(chartNames, ", "), name)
	}
	lang := c.QueryParam("lang")
	if lang == "" {
		lang = "en"
	}
	words, ok := chartWords[lang]
	if !ok {
		return errInvalid.with("lang must be en or zh, not %q", lang)
	}
	r, err := s.reportRange(c)
	if err != nil {
		return err
	}
	draw := map[string]func(dayRange, map[string]string) ([]byte, error){
		"hourly": s.hourlyChart, "waits": s.waitsChart, "heatmap": s.heatmapChart, "trend": s.trendChart,
	}
	kind := strings.TrimSuffix(name, ".svg")
	svg, err := draw[kind](r, words)
	title := words[kind]
	if err != nil {
		return fmt.Errorf("draw chart %s: %w", name, err)
	}
	svg = labelSVG(svg, title)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "image/svg+xml; charset=utf-8", svg)
}

// labelSVG gives the picture a role and a title, so screen readers (and
// tests) can name it.
func labelSVG(svg []byte, title string) []byte {
	t := html.EscapeString(title)
	i := bytes.Index(svg, []byte("<svg"))
	j := bytes.IndexByte(svg[max(i, 0):], '>')
	if i < 0 || j < 0 {
		return svg
	}
	j += i
	var b bytes.Buffer
	b.Write(svg[:j])
	fmt.Fprintf(&b, ` role="img" aria-label="%s"><title>%s</title>`, t, t)
	b.Write(svg[j+1:])
	return b.Bytes()
}

// countAxis starts at zero: bars of counts that start elsewhere mislead.
func countAxis() []charts.ValueAxisOption {
	return []charts.ValueAxisOption{{Min: charts.Ptr(0.0)}}
}

func newPainter(w, h int) *charts.Painter {
	return charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputSVG, Width: w, Height: h, Theme: chartTheme()})
}

// legendPad keeps the legend clear of the right edge: the library measures
// Chinese text narrower than a browser draws it.
var legendPad = charts.Box{Right: 48, Top: 4, IsSet: true}

// chartTheme draws the charts in the pages' palette (assets/static/base.css):
// ink text on a card, the pages' lines, and series in the blue, green and
// amber the pages use for "issued", "served" and "soon".
var chartTheme = sync.OnceValue(func() charts.ColorPalette {
	t := assets.Tokens()
	c := func(name string) charts.Color { return charts.ParseColor(t[name]) }
	return charts.MakeTheme(charts.ThemeOption{
		AxisStrokeColor:    c("line-strong"),
		AxisSplitLineColor: c("line"),
		BackgroundColor:    c("card"),
		TextColor:          c("ink"),
		TextColorXAxis:     c("muted"),
		TextColorYAxis:     c("muted"),
		SeriesColors:       []charts.Color{c("blue"), c("good"), c("amber"), c("special"), c("bad")},
	})
})

func (s *Server) hourlyChart(r dayRange, words map[string]string) ([]byte, error) {
	sum, err := s.aggregate(r, "hour")
	if err != nil {
		return nil, err
	}
	issued, served := make([]float64, 24), make([]float64, 24)
	for _, row := range sum.Rows {
		var h int
		fmt.Sscanf(row.Key, "%d", &h)
		issued[h], served[h] = float64(row.Issued), float64(row.Served)
	}
	// Show the hours the branch worked, not a day of empty night.
	lo, hi := 24, -1
	for h := range 24 {
		if issued[h] > 0 {
			lo, hi = min(lo, h), max(hi, h)
		}
	}
	if hi < 0 {
		lo, hi = 8, 18
	}
	labels := make([]string, 0, hi-lo+1)
	for h := lo; h <= hi; h++ {
		labels = append(labels, fmt.Sprintf("%02d", h))
	}
	opt := charts.NewBarChartOptionWithData([][]float64{issued[lo : hi+1], served[lo : hi+1]})
	opt.Theme = chartTheme()
	opt.Title.Text = words["hourly"]
	opt.CategoryAxis.Labels = labels
	opt.Legend = charts.LegendOption{SeriesNames: []string{words["issued"], words["served"]}, Offset: charts.OffsetRight, Padding: legendPad}
	opt.ValueAxis = countAxis()
	p := newPainter(720, 360)
	if err := p.BarChart(opt); err != nil {
		return nil, err
	}
	return p.Bytes()
}

// waitBuckets are the wait chart's bars: 0–5, 5–10, … 55–60 and 60+ minutes.
const waitBuckets = 13

func (s *Server) waitsChart(r dayRange, words map[string]string) ([]byte, error) {
	var waits []int
	if err := s.db.EachReportRecord(r.from, r.to, func(rec *report.Record) error {
		if w, ok := rec.WaitSeconds(); ok {
			waits = append(waits, w)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	counts := report.Histogram(waits, 300, waitBuckets)
	vals := make([]float64, waitBuckets)
	labels := make([]string, waitBuckets)
	for i, n := range counts {
		vals[i] = float64(n)
		labels[i] = fmt.Sprintf("%d-%d", i*5, i*5+5)
	}
	labels[waitBuckets-1] = fmt.Sprintf("%d+", (waitBuckets-1)*5)
	opt := charts.NewBarChartOptionWithData([][]float64{vals})
	opt.Theme = chartTheme()
	opt.Title.Text = words["waits"]
	opt.CategoryAxis.Labels = labels
	opt.Legend = charts.LegendOption{SeriesNames: []string{words["tickets"]}, Offset: charts.OffsetRight, Padding: legendPad}
	opt.ValueAxis = countAxis()
	p := newPainter(720, 360)
	if err := p.BarChart(opt); err != nil {
		return nil, err
	}
	return p.Bytes()
}

func (s *Server) heatmapChart(r dayRange, words map[string]string) ([]byte, error) {
	h, err := s.heatmap(r)
	if err != nil {
		return nil, err
	}
	vals := make([][]float64, 7)
	for d := range 7 {
		vals[d] = make([]float64, 24)
		for hr := range 24 {
			vals[d][hr] = float64(h.Issued[d][hr])
		}
	}
	// Every other hour is named: the chart library sets each name at the
	// start of its column and pulls the last one back inside the chart, so
	// with all 24 the last two ran together ("2223").
	hours := make([]string, 24)
	for i := 0; i < len(hours); i += 2 {
		hours[i] = fmt.Sprintf("%02d", i)
	}
	opt := charts.NewHeatMapOptionWithData(vals)
	opt.Theme = chartTheme()
	opt.Title.Text = words["heatmap"]
	opt.XAxis.Labels = hours
	opt.YAxis.Labels = strings.Split(words["days"], ",")
	p := newPainter(900, 380)
	if err := p.HeatMapChart(opt); err != nil {
		return nil, err
	}
	return p.Bytes()
}

func (s *Server) trendChart(r dayRange, words map[string]string) ([]byte, error) {
	sum, err := s.aggregate(r, "day")
	if err != nil {
		return nil, err
	}
	byDay := map[string]*report.Row{}
	for _, row := range sum.Rows {
		byDay[row.Key] = row
	}
	var labels []string
	var issued, p90 []float64
	for d := r.first; !d.After(r.last); d = d.AddDate(0, 0, 1) {
		key := d.Format("2006-01-02")
		labels = append(labels, key[5:])
		row := byDay[key]
		switch {
		case row == nil:
			issued, p90 = append(issued, 0), append(p90, charts.GetNullValue())
		case row.WaitP90 == nil:
			issued, p90 = append(issued, float64(row.Issued)), append(p90, charts.GetNullValue())
		default:
			issued, p90 = append(issued, float64(row.Issued)), append(p90, float64(*row.WaitP90)/60)
		}
	}
	if len(labels) == 1 {
		// A line needs two points; one day is drawn as a flat line.
		labels, issued, p90 = append(labels, labels[0]), append(issued, issued[0]), append(p90, p90[0])
	}
	opt := charts.NewLineChartOptionWithData([][]float64{issued, p90})
	opt.Theme = chartTheme()
	opt.Title.Text = words["trend"]
	opt.XAxis.Labels = labels
	opt.Legend = charts.LegendOption{SeriesNames: []string{words["issued"], words["p90"]}, Offset: charts.OffsetRight, Padding: legendPad}
	opt.SeriesList[1].YAxisIndex = 1
	opt.YAxis = []charts.YAxisOption{countAxis()[0], {Min: charts.Ptr(0.0)}}
	p := newPainter(900, 360)
	if err := p.LineChart(opt); err != nil {
		return nil, err
	}
	return p.Bytes()
}
