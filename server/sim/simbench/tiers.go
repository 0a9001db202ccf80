package main

import (
	"fmt"
	"io"

	"queuebox/server/sim"
)

// tierTable plays generated days with tiers and known customers under the
// box's policy and under plain FIFO, and prints per tier the wait mean, p95
// and max and the share called within the tier's target, with the goals:
// top tier mean ≤ 0.5 × standard's, each target met, standard p95 ≤ 1.15 ×
// its FIFO p95, nobody past the cap.
func tierTable(stdout, stderr io.Writer, days int, seed uint64) bool {
	fmt.Fprintf(stdout, "\ntiers on generated days (%d per load, last %d scored): the box's policy against FIFO on the same days\n", days, days/2)
	fmt.Fprintf(stdout, "%-6s %-9s %7s %8s %8s %8s %6s %10s %10s %10s\n",
		"load", "tier", "tickets", "mean s", "p95 s", "max s", "SLA", "FIFO mean", "FIFO p95", "p95 ratio")
	for _, load := range []float64{0.8, 0.95, 1.1} {
		tr := sim.Generate(sim.GenOptions{Days: days, ScoreLast: days / 2, Load: load, Seed: seed, Tiers: true})
		sum := func(fifo bool) *sim.Summary {
			lines, err := sim.Run(tr, sim.Options{FIFO: fifo})
			if err != nil {
				fmt.Fprintf(stderr, "simbench: %v\n", err)
				return nil
			}
			s, err := sim.Summarize(tr, lines, fifo)
			if err != nil {
				fmt.Fprintf(stderr, "simbench: %v\n", err)
				return nil
			}
			return s
		}
		box, fifo := sum(false), sum(true)
		if box == nil || fifo == nil {
			return false
		}
		if box.MaxWaitCap != nil {
			fmt.Fprintf(stdout, "%-6.2f calls that broke the %d-min cap: %d of %d\n", load, box.MaxWaitCap.CapMinutes, box.MaxWaitCap.Violations, box.MaxWaitCap.Calls)
		}
		for _, t := range tr.Tiers {
			b, f := box.Tiers[t.ID], fifo.Tiers[t.ID]
			if b == nil || f == nil {
				continue
			}
			sla, ratio := tierVsFIFO(b, f)
			fmt.Fprintf(stdout, "%-6.2f %-9s %7d %8.0f %8.0f %8.0f %6s %10.0f %10.0f %10.2f\n", load, t.ID, b.Tickets,
				val(b.WaitMeanSeconds), val(b.WaitP95Seconds), val(b.WaitMaxSeconds), sla, val(f.WaitMeanSeconds), val(f.WaitP95Seconds), ratio)
		}
	}
	fmt.Fprintln(stdout, "aims: top tier mean ≤ 0.5 × standard's, SLA ≥ the tier's target, standard p95 ratio ≤ 1.15")
	return true
}

// val reads an optional figure, 0 when there is none.
func val(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// tierVsFIFO gives a tier's SLA met share as printed ("—" without a target)
// and its p95 wait as a multiple of the same tier's under FIFO.
func tierVsFIFO(box, fifo *sim.Figures) (sla string, p95Ratio float64) {
	sla = "—"
	if box.SLAMetShare != nil {
		sla = fmt.Sprintf("%.2f", *box.SLAMetShare)
	}
	if fp := val(fifo.WaitP95Seconds); fp > 0 {
		p95Ratio = val(box.WaitP95Seconds) / fp
	}
	return sla, p95Ratio
}
