package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The variants' service times have the mean they are given and the spread
// their shape implies: lognormal σ gives a coefficient of variation of
// √(e^σ² − 1), gamma of shape k one of 1/√k, so the estimate is checked on
// the spreads the table says.
func TestVariantServiceTimesHaveTheirMeanAndSpread(t *testing.T) {
	cases := []struct {
		s  vService
		cv float64
	}{
		{vService{mean: 600, dist: "lognormal", param: 0.3}, math.Sqrt(math.Exp(0.09) - 1)},
		{vService{mean: 600, dist: "lognormal", param: 0.8}, math.Sqrt(math.Exp(0.64) - 1)},
		{vService{mean: 600, dist: "gamma", param: 0.7}, 1 / math.Sqrt(0.7)},
		{vService{mean: 600, dist: "gamma", param: 4}, 0.5},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 40000
	for _, c := range cases {
		var sum, sq float64
		for i := 0; i < n; i++ {
			d := c.s.sample(rng)
			sum += d
			sq += d * d
		}
		mean := sum / n
		cv := math.Sqrt(sq/n-mean*mean) / mean
		// Draws are rounded and never under 15 s: a little off for very
		// spread shapes.
		if math.Abs(mean-600) > 20 || math.Abs(cv-c.cv) > 0.06 {
			t.Errorf("%s %.1f: mean %.0f s, cv %.2f; want 600 s and %.2f", c.s.dist, c.s.param, mean, cv, c.cv)
		}
	}
}

// Every variant makes days the simulator plays, whose scored walk-ins carry
// what the box knew when they were issued.
func TestVariantsPlay(t *testing.T) {
	for _, v := range Variants() {
		tr := v.Make(3, 1, 1, 5)
		lines, err := Run(tr, Options{TempDir: t.TempDir()})
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		scored, busy := 0, 0
		for _, l := range lines {
			if !l.Scored || l.Kind != "walkin" || l.ActualWait == nil {
				continue
			}
			scored++
			if l.Ctx == nil || l.Ctx.HistoryDays != 2 {
				t.Fatalf("%s: scored walk-in without its context at issue: %+v", v.Name, l.Ctx)
			}
			if l.Ctx.Busy > 0 {
				busy++
			}
		}
		if scored < 50 || busy == 0 {
			t.Errorf("%s: %d scored walk-ins, %d issued while a desk was busy; want a day's worth", v.Name, scored, busy)
		}
	}
}
