package main

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"queuebox/server/sim"
)

// residual is one scored walk-in's error and what the box knew at issue.
type residual struct {
	l      *sim.Line
	err    float64 // actual − shown, seconds
	z      float64 // actual − replay's figure, in units of the replay's spread
	hit    bool
	width  float64
	within bool
}

// residualTable plays the cases named (all of robustCases with "" in
// names) at the loads and prints, per feature the box knew at issue, the
// mean error and its spread in bins: a bin whose mean error stands apart
// is structure the estimate misses.
func residualTable(stdout io.Writer, days int, seed uint64, loads []float64, only string) bool {
	var rs []residual
	cases := robustCases()
	cases = append(cases, robustCase{"bank", func(days, score int, load float64, seed uint64) *sim.Trace {
		return sim.Generate(sim.GenOptions{Days: days, ScoreLast: score, Load: load, Seed: seed})
	}})
	for _, c := range cases {
		if only != "" && !strings.Contains(c.name, only) {
			continue
		}
		for _, load := range loads {
			tr := c.make(days, days/2, load, seed)
			lines, err := sim.Run(tr, sim.Options{})
			if err != nil {
				fmt.Fprintf(stdout, "%s %.2f: %v\n", c.name, load, err)
				return false
			}
			for _, l := range lines {
				if !l.Scored || l.Kind != "walkin" || l.ActualWait == nil || l.Ctx == nil || (l.Outcome != "done" && l.Outcome != "no_show") {
					continue
				}
				a := float64(*l.ActualWait)
				sc := math.Hypot(float64(l.Ctx.SpreadSeconds), 60)
				rs = append(rs, residual{l: l, err: a - float64(l.PredictedWait), z: (a - float64(l.Ctx.ModelSeconds)) / sc,
					hit:   a >= float64(l.PredictedLow) && a <= float64(l.PredictedHigh),
					width: float64(l.PredictedHigh - l.PredictedLow), within: math.Abs(a-float64(l.PredictedWait)) <= 300})
			}
		}
	}
	fmt.Fprintf(stdout, "errors of the shown wait (actual − shown) by what the box knew at issue: %d scored walk-ins\n", len(rs))
	type feature struct {
		name  string
		key   func(r residual) float64
		edges []float64
	}
	ctx := func(f func(c *sim.IssueContext) float64) func(r residual) float64 {
		return func(r residual) float64 { return f(r.l.Ctx) }
	}
	feats := []feature{
		{"shown wait (min)", func(r residual) float64 { return float64(r.l.PredictedWait) / 60 }, []float64{1, 5, 10, 20, 30, 45}},
		{"ahead", func(r residual) float64 { return float64(*r.l.AheadAtIssue) }, []float64{1, 3, 6, 10, 15, 25}},
		{"open desks", func(r residual) float64 { return float64(*r.l.OpenCountersAtIssue) }, []float64{1, 2, 3, 4, 6}},
		{"spread ÷ model", ctx(func(c *sim.IssueContext) float64 {
			return float64(c.SpreadSeconds) / math.Max(float64(c.ModelSeconds), 60)
		}), []float64{0.2, 0.3, 0.4, 0.6, 0.8, 1}},
		{"busy desks", ctx(func(c *sim.IssueContext) float64 { return float64(c.Busy) }), []float64{1, 2, 3, 4}},
		{"busy elapsed ÷ mean", ctx(func(c *sim.IssueContext) float64 { return c.BusyElapsed }), []float64{0.25, 0.5, 1, 1.5, 2}},
		{"opening within 1 h", ctx(func(c *sim.IssueContext) float64 { return float64(c.OpeningSoon) }), []float64{1, 2}},
		{"closing within 1 h", ctx(func(c *sim.IssueContext) float64 { return float64(c.ClosingSoon) }), []float64{1, 2}},
		{"hour of day", ctx(func(c *sim.IssueContext) float64 { return c.HourOfDay }), []float64{9, 10, 11, 12, 13, 14, 15, 16}},
		{"walk-outs today", ctx(func(c *sim.IssueContext) float64 { return c.WalkOutsToday }), []float64{0.05, 0.1, 0.2, 0.3, 0.5}},
		{"history days", ctx(func(c *sim.IssueContext) float64 { return float64(c.HistoryDays) }), []float64{1, 2, 3, 5, 10, 20}},
		{"priority", func(r residual) float64 { return float64(r.l.Priority) }, []float64{1, 2}},
	}
	for _, f := range feats {
		fmt.Fprintf(stdout, "\n%-22s %6s %8s %8s %7s %6s %6s %6s %8s\n", f.name, "n", "mean s", "rmse s", "z mean", "z sd", "±5", "range", "width s")
		bins := make([][]residual, len(f.edges)+1)
		for _, r := range rs {
			i := sort.SearchFloat64s(f.edges, math.Nextafter(f.key(r), math.Inf(1)))
			bins[i] = append(bins[i], r)
		}
		for i, b := range bins {
			if len(b) < 30 {
				continue
			}
			label := ""
			switch {
			case i == 0:
				label = fmt.Sprintf("< %g", f.edges[0])
			case i == len(f.edges):
				label = fmt.Sprintf("≥ %g", f.edges[i-1])
			default:
				label = fmt.Sprintf("%g – %g", f.edges[i-1], f.edges[i])
			}
			var sum, sq, zs, zq, w float64
			hit, within := 0, 0
			for _, r := range b {
				sum += r.err
				sq += r.err * r.err
				zs += r.z
				zq += r.z * r.z
				w += r.width
				if r.hit {
					hit++
				}
				if r.within {
					within++
				}
			}
			n := float64(len(b))
			zm := zs / n
			fmt.Fprintf(stdout, "%-22s %6d %8.0f %8.0f %7.2f %6.2f %6.2f %6.2f %8.0f\n", label, len(b), sum/n, math.Sqrt(sq/n), zm, math.Sqrt(math.Max(zq/n-zm*zm, 0)),
				float64(within)/n, float64(hit)/n, w/n)
		}
	}
	return true
}
