package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"sync"

	"queuebox/server/sim"
)

// robustCase is one kind of day the estimate is scored on.
type robustCase struct {
	name string
	make func(days, score int, load float64, seed uint64) *sim.Trace
}

// robustCases are sim.Variants, the standard bank with a short history and
// with other spreads, and the other branch of the policy check.
func robustCases() []robustCase {
	var cs []robustCase
	for _, v := range sim.Variants() {
		cs = append(cs, robustCase{v.Name, v.Make})
	}
	std := func(o sim.GenOptions) func(days, score int, load float64, seed uint64) *sim.Trace {
		return func(days, score int, load float64, seed uint64) *sim.Trace {
			o.Days, o.ScoreLast, o.Load, o.Seed = days, score, load, seed
			return sim.Generate(o)
		}
	}
	cs = append(cs,
		robustCase{"bank-short-history", func(days, score int, load float64, seed uint64) *sim.Trace {
			// Two days of history before the scored ones.
			return std(sim.GenOptions{})(score+2, score, load, seed)
		}},
		robustCase{"other-short-history", func(days, score int, load float64, seed uint64) *sim.Trace {
			// One day of history before the scored ones.
			tr := otherBranch(score+1, load, seed)
			tr.ScoreLastDays = &score
			return tr
		}},
		robustCase{"bank-alt-floor", std(sim.GenOptions{AltFloor: true, Spread: 1.4})},
		robustCase{"other-branch", func(days, score int, load float64, seed uint64) *sim.Trace {
			tr := otherBranch(days, load, seed)
			tr.ScoreLastDays = &score
			return tr
		}},
	)
	return cs
}

// robustRow is one case's figures at one load.
type robustRow struct {
	name string
	load float64
	f    *sim.Figures
	err  error
}

// flags names what is off in a row: bias past a minute, a range that holds
// under 75% or over 93% (too wide), or an estimate no better than QL.
func (r robustRow) flags() string {
	f := r.f
	var out []string
	if math.Abs(f.BiasSeconds) > 60 {
		out = append(out, "bias")
	}
	if h := *f.RangeHitShare; h < 0.75 {
		out = append(out, "range-narrow")
	} else if h > 0.93 {
		out = append(out, "range-wide")
	}
	if f.RMSESeconds >= f.QL.RMSESeconds {
		out = append(out, "worse-than-QL")
	}
	return strings.Join(out, ",")
}

// variantTable scores the estimate on every robustness case (or those whose
// name contains only) at the given loads, two at a time.
func variantTable(stdout io.Writer, days int, seed uint64, loads []float64, only string) bool {
	fmt.Fprintf(stdout, "wait estimate on other kinds of branch (%d days each, last %d scored; short history: 2 days (bank) or 1 (other) before the scored)\n", days, days/2)
	fmt.Fprintf(stdout, "%-20s %5s %7s %6s %6s %6s %7s %6s %7s %7s  %s\n", "case", "load", "tickets", "ratio", "±5", "late5", "bias s", "range", "width s", "wait s", "flags")
	var jobs []robustRow
	cases := map[string]robustCase{}
	for _, c := range robustCases() {
		if only != "" && !strings.Contains(c.name, only) {
			continue
		}
		cases[c.name] = c
		for _, l := range loads {
			jobs = append(jobs, robustRow{name: c.name, load: l})
		}
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				j := &jobs[i]
				tr := cases[j.name].make(days, days/2, j.load, seed)
				lines, err := sim.Run(tr, sim.Options{})
				if err == nil {
					var s *sim.Summary
					if s, err = sim.Summarize(tr, lines, false); err == nil {
						j.f = s.Overall
					}
				}
				j.err = err
			}
		}()
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	ok := true
	for _, j := range jobs {
		if j.err != nil {
			fmt.Fprintf(stdout, "%-20s %5.2f failed: %v\n", j.name, j.load, j.err)
			ok = false
			continue
		}
		f := j.f
		if f.Tickets == 0 {
			fmt.Fprintf(stdout, "%-20s %5.2f no tickets scored\n", j.name, j.load)
			continue
		}
		fmt.Fprintf(stdout, "%-20s %5.2f %7d %6.2f %6.2f %6.2f %7.0f %6.2f %7.0f %7.0f  %s\n", j.name, j.load, f.Tickets, f.RMSESeconds/f.QL.RMSESeconds,
			f.Within5MinShare, f.UnderBy5MinShare, f.BiasSeconds, *f.RangeHitShare, *f.MeanRangeWidth, val(f.WaitMeanSeconds), j.flags())
	}
	return ok
}
