// Command simbench measures the wait estimate and the simulator (make bench):
// generated days at 0.8, 0.95 and 1.1 of nominal load played through the
// real engine, the estimate scored against the queue-length baseline, and
// how long a year-long busy trace takes to play.
//
//	go run ./server/sim/simbench           # the full run
//	go run ./server/sim/simbench -quick    # fewer days, no year
//	go run ./server/sim/simbench -year=false -tiers=false -alt-floor -spread 1.4 -seed 7
//	                                       # the estimate on another kind of branch
//	go run ./server/sim/simbench -other    # the calling policy on another generator's days
//	go run ./server/sim/simbench -misses -days 40
//	                                       # why tier tickets were late, call by call
//	go run ./server/sim/simbench -variants -days 30
//	                                       # the estimate on many other kinds of branch
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"queuebox/server/sim"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "fewer days and no year-long run")
	days := fs.Int("days", 60, "days per load (the last half scored)")
	seed := fs.Uint64("seed", 2026, "seed of the generated days")
	year := fs.Bool("year", true, "also time a year-long trace of a busy branch")
	tiers := fs.Bool("tiers", true, "also compare the tier policy with FIFO")
	var other sim.GenOptions
	fs.Float64Var(&other.Spread, "spread", 0, "multiply every service's spread of service times (another kind of day)")
	fs.Float64Var(&other.Impatient, "impatient", 0, "share of walk-ins who give up after a while (0: the standard 0.35)")
	fs.Float64Var(&other.Priority, "priority", 0, "share of priority walk-ins (0: the standard 0.10)")
	fs.BoolVar(&other.AltFloor, "alt-floor", false, "five desks on another plan instead of the standard six")
	policyCheck := fs.Bool("other", false, "only the robustness check: the calling policy on days of another generator")
	variants := fs.Bool("variants", false, "only the estimate on other kinds of branch (sim.Variants and more)")
	resid := fs.Bool("residuals", false, "only the estimate's errors by what the box knew at issue (with -only: those cases, else all and the standard bank)")
	misses := fs.Bool("misses", false, "only why tier tickets were called after their target, call by call (the bank's days and the other generator's)")
	only := fs.String("only", "", "with -variants: the cases whose name contains this")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *quick {
		*days = 16
	}
	if *resid {
		if !residualTable(stdout, *days, *seed, []float64{0.95, 1.1}, *only) {
			return 1
		}
		return 0
	}
	if *variants {
		if !variantTable(stdout, *days, *seed, []float64{0.95, 1.1}, *only) {
			return 1
		}
		return 0
	}
	if *misses {
		if !missTable(stdout, stderr, *days, *seed) {
			return 1
		}
		return 0
	}
	if *policyCheck {
		if !otherTable(stdout, stderr, *days, *seed) {
			return 1
		}
		return 0
	}
	fmt.Fprintf(stdout, "wait estimate on generated days (%d per load, last %d scored), against the queue-length (QL) baseline\n", *days, *days/2)
	fmt.Fprintf(stdout, "%-6s %8s %8s %8s %6s %8s %8s %7s %7s %8s %8s %8s\n",
		"load", "tickets", "rmse s", "QL rmse", "ratio", "±5 min", "under 5", "bias s", "range", "width s", "wait p95", "appt≤10")
	for _, load := range []float64{0.8, 0.95, 1.1} {
		o := other
		o.Days, o.ScoreLast, o.Load, o.Seed = *days, *days/2, load, *seed
		tr := sim.Generate(o)
		lines, err := sim.Run(tr, sim.Options{})
		if err != nil {
			fmt.Fprintf(stderr, "simbench: %v\n", err)
			return 1
		}
		s, err := sim.Summarize(tr, lines, false)
		if err != nil {
			fmt.Fprintf(stderr, "simbench: %v\n", err)
			return 1
		}
		f := s.Overall
		ratio := f.RMSESeconds / f.QL.RMSESeconds
		appt := 0.0
		if f.OnTimeCalledShare != nil {
			appt = *f.OnTimeCalledShare
		}
		fmt.Fprintf(stdout, "%-6.2f %8d %8.0f %8.0f %6.2f %8.2f %8.2f %7.0f %7.2f %8.0f %8.0f %8.2f\n", load, f.Tickets, f.RMSESeconds, f.QL.RMSESeconds, ratio,
			f.Within5MinShare, f.UnderBy5MinShare, f.BiasSeconds, *f.RangeHitShare, *f.MeanRangeWidth, *f.WaitP95Seconds, appt)
		fmt.Fprintf(stdout, "%-6s %8s %8s %8.0f %6s %8.2f %8.2f %7.0f   (QL baseline)\n", "", "", "", f.QL.RMSESeconds, "", f.QL.Within5MinShare, f.QL.UnderBy5MinShare, f.QL.BiasSeconds)
	}
	fmt.Fprintln(stdout, "aims: ratio ≤ 0.50, ±5 min ≥ 0.85, under 5 ≤ 0.07, |bias| ≤ 60 s, range ≥ 0.80 with width ≤ 600 s, appt≤10 ≥ 0.95")
	if *tiers && !tierTable(stdout, stderr, *days, *seed) {
		return 1
	}

	speed := func(label string, o sim.GenOptions) {
		tr := sim.Generate(o)
		n := 0
		for _, d := range tr.Days {
			n += len(d.Customers)
		}
		start := time.Now()
		if _, err := sim.Run(tr, sim.Options{}); err != nil {
			fmt.Fprintf(stderr, "simbench: %v\n", err)
			return
		}
		el := time.Since(start)
		fmt.Fprintf(stdout, "%-34s %4d days %7d customers %8.1f s  (%.0f customers/s)\n", label, len(tr.Days), n, el.Seconds(), float64(n)/el.Seconds())
	}
	fmt.Fprintln(stdout, "\nsimulator speed (aims: a year of a busy branch < 120 s, 30 days in seconds)")
	speed("30 days, one floor", sim.GenOptions{Days: 30, Load: 1, Seed: *seed})
	if !*quick && *year {
		speed("300 days, two floors (~600 a day)", sim.GenOptions{Days: 300, Load: 1.05, Seed: *seed, Size: 2})
	}
	return 0
}
