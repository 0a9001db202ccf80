// Package forecast holds pure models learned from the branch's history.
package forecast

import "math"

// ErlangC is the probability that a customer has to wait in a queue served
// by c counters under an offered load of a erlangs (arrival rate × mean
// service time). It is 1 when the load is at or above c: the queue grows
// without end.
func ErlangC(c int, a float64) float64 {
	if c <= 0 || a >= float64(c) {
		return 1
	}
	if a <= 0 {
		return 0
	}
	// Erlang B by its stable recursion, then C from B.
	b := 1.0
	for k := 1; k <= c; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return float64(c) * b / (float64(c) - a*(1-b))
}

// ServiceLevel is the share of customers called within wait seconds, with
// c counters, arrivals per second and a mean service time of aht seconds
// (M/M/c).
func ServiceLevel(c int, arrivals, aht, wait float64) float64 {
	if arrivals <= 0 {
		return 1
	}
	if aht <= 0 || c <= 0 {
		return 0
	}
	a := arrivals * aht
	if a >= float64(c) {
		return 0
	}
	return 1 - ErlangC(c, a)*math.Exp(-(float64(c)-a)*wait/aht)
}

// MaxCounters bounds CountersFor: beyond it the input is not a branch.
const MaxCounters = 200

// CountersFor is the fewest counters that call share of customers within
// wait seconds, for arrivals per second and mean service time aht. Customers
// who walk out (abandon, 0..1 of arrivals) are taken out of the load: a
// simple correction of Erlang C towards Erlang A that holds while walk-outs
// are few. No arrivals need no counter.
func CountersFor(arrivals, aht, wait, share, abandon float64) int {
	if abandon > 0 && abandon < 1 {
		arrivals *= 1 - abandon
	}
	if arrivals <= 0 || aht <= 0 {
		return 0
	}
	c := max(1, int(math.Ceil(arrivals*aht)))
	for ; c < MaxCounters; c++ {
		if ServiceLevel(c, arrivals, aht, wait) >= share {
			return c
		}
	}
	return MaxCounters
}
