package main

import (
	"fmt"
	"io"
	"strings"

	"queuebox/server/sim"
)

// missTable plays the bank's days with tiers and the other generator's days
// at the three loads under the box's policy and says, per tier with a
// target, why its late tickets were late (sim.CountTierMisses): forced by
// someone past the cap at every call of their desks, every desk busy, a
// desk kept free for a booked slot, or a call the policy chose (and which).
func missTable(stdout, stderr io.Writer, days int, seed uint64) bool {
	fmt.Fprintf(stdout, "\nlate tier tickets, call by call (%d days per load, last %d scored): what the desks of their service did from issue to target\n", days, days/2)
	fmt.Fprintf(stdout, "%-7s %-6s %-9s %7s %5s %7s %7s %6s %6s  %s\n", "days", "load", "tier", "tickets", "late", "chosen", "capped", "held", "busy", "chosen calls' reasons")
	gens := []struct {
		name string
		gen  func(days int, load float64, seed uint64) *sim.Trace
	}{
		{"bank", func(days int, load float64, seed uint64) *sim.Trace {
			return sim.Generate(sim.GenOptions{Days: days, ScoreLast: days / 2, Load: load, Seed: seed, Tiers: true})
		}},
		{"other", otherBranch},
	}
	for _, g := range gens {
		for _, load := range []float64{0.8, 0.95, 1.1} {
			tr := g.gen(days, load, seed)
			lines, err := sim.Run(tr, sim.Options{})
			if err != nil {
				fmt.Fprintf(stderr, "simbench: %v\n", err)
				return false
			}
			ms, err := sim.CountTierMisses(tr, lines)
			if err != nil {
				fmt.Fprintf(stderr, "simbench: %v\n", err)
				return false
			}
			for _, m := range ms {
				var why []string
				for _, k := range sim.SortedWhy(m.ChosenWhy) {
					why = append(why, fmt.Sprintf("%d %s", m.ChosenWhy[k], k))
				}
				fmt.Fprintf(stdout, "%-7s %-6.2f %-9s %7d %5d %7d %7d %6d %6d  %s\n", g.name, load, m.Tier, m.Tickets, m.Late,
					m.Chosen, m.ForcedByCap, m.DeskHeld, m.DesksBusy, strings.Join(why, "; "))
			}
		}
	}
	fmt.Fprintln(stdout, "capped: every call of their desks went to someone past the cap (calling them would break it); busy: no desk of their service freed in time; held: a desk stood free for a booked slot")
	return true
}
