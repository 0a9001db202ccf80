package forecast

import (
	"math"
	"testing"
)

// Values of Erlang C from its closed form (sum of the Poisson terms), which
// the recursion must agree with.
func TestErlangC(t *testing.T) {
	for _, tc := range []struct {
		c    int
		a    float64
		want float64
	}{
		{1, 0.5, 0.5},   // M/M/1: P(wait) = ρ
		{2, 1, 1.0 / 3}, // worked by hand
		{10, 8, 0.4092},
		{20, 15, 0.1604},
		{3, 3, 1}, // saturated
		{5, 0, 0}, // no load
	} {
		got := ErlangC(tc.c, tc.a)
		if math.Abs(got-tc.want) > 0.0015 {
			t.Errorf("ErlangC(%d, %g) = %.4f, want %.4f", tc.c, tc.a, got, tc.want)
		}
	}
}

func TestServiceLevelAndCounters(t *testing.T) {
	// The textbook call-centre case: 200 calls an hour, 180 s each (10
	// erlangs), 80% answered within 20 s → 14 agents (88.8%); 13 give 79.6%.
	arrivals := 200.0 / 3600
	if got := CountersFor(arrivals, 180, 20, 0.8, 0); got != 14 {
		t.Errorf("CountersFor(textbook) = %d, want 14", got)
	}
	if sl := ServiceLevel(14, arrivals, 180, 20); math.Abs(sl-0.8884) > 0.001 {
		t.Errorf("ServiceLevel(14) = %.4f, want 0.8884", sl)
	}
	if sl := ServiceLevel(13, arrivals, 180, 20); math.Abs(sl-0.7956) > 0.001 {
		t.Errorf("ServiceLevel(13) = %.4f, want 0.7956", sl)
	}
	// A branch: 12 customers an hour, 5 minutes each, 80% called within
	// 10 minutes. One counter has load 1 (saturated); two give ~0.93.
	if got := CountersFor(12.0/3600, 300, 600, 0.8, 0); got != 2 {
		t.Errorf("CountersFor(branch) = %d, want 2", got)
	}
	// Walk-outs take load away: half of 30 an hour walking out is 15.
	if a, b := CountersFor(30.0/3600, 300, 600, 0.8, 0.5), CountersFor(15.0/3600, 300, 600, 0.8, 0); a != b {
		t.Errorf("with walk-outs: %d, want %d", a, b)
	}
	if got := CountersFor(0, 300, 600, 0.8, 0); got != 0 {
		t.Errorf("no arrivals: %d counters, want 0", got)
	}
	// More counters never serve worse.
	prev := 0.0
	for c := 3; c < 12; c++ {
		sl := ServiceLevel(c, 30.0/3600, 300, 300)
		if sl < prev {
			t.Errorf("ServiceLevel falls from %g to %g at %d counters", prev, sl, c)
		}
		prev = sl
	}
}
