package customers

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Rule is when a customer belongs to a tier: every condition set must hold
// in the last WindowDays days (a condition of 0 is not set). Rules are
// tried best tier first; the last tier is the default and needs no rule.
type Rule struct {
	ID   string
	Name string
	// MinSpend is in cents (hundredths of the currency).
	MinSpend   int64
	MinVisits  int
	WindowDays int
}

// DefaultWindowDays is the window of a rule that sets none.
const DefaultWindowDays = 365

func (r Rule) window() int {
	if r.WindowDays <= 0 {
		return DefaultWindowDays
	}
	return r.WindowDays
}

// Purchase is one sale to a customer. Amount is in cents.
type Purchase struct {
	Amount int64     `json:"amount"`
	At     time.Time `json:"at"`
	Ref    string    `json:"ref"`
}

// Facts are what the rules look at.
type Facts struct {
	Purchases []Purchase
	Visits    []time.Time
}

func (f Facts) spentSince(from time.Time) int64 {
	var n int64
	for _, p := range f.Purchases {
		if !p.At.Before(from) {
			n += p.Amount
		}
	}
	return n
}

func (f Facts) visitsSince(from time.Time) int {
	n := 0
	for _, v := range f.Visits {
		if !v.Before(from) {
			n++
		}
	}
	return n
}

// Evaluate finds the best tier whose rule the facts meet at now, and says
// why in words ("spent 52,300 in the last 365 days ≥ 50,000"). With no
// rules it returns "".
func Evaluate(rules []Rule, f Facts, now time.Time) (tier, reason string) {
	if len(rules) == 0 {
		return "", ""
	}
	var misses []string
	for i, r := range rules {
		last := i == len(rules)-1
		if last {
			if len(misses) == 0 {
				return r.ID, "the default tier"
			}
			return r.ID, "no other tier's rule met: " + strings.Join(misses, "; ")
		}
		ok, why := meets(r, f, now)
		if ok {
			return r.ID, why
		}
		misses = append(misses, why)
	}
	panic("unreachable")
}

// meets reports whether f meets r, with the reason: every condition when it
// does, the first one missed when it does not.
func meets(r Rule, f Facts, now time.Time) (bool, string) {
	days := r.window()
	from := now.AddDate(0, 0, -days)
	var held []string
	if r.MinSpend > 0 {
		spent := f.spentSince(from)
		if spent < r.MinSpend {
			return false, fmt.Sprintf("%s: spent %s in the last %d days < %s", r.label(), FormatAmount(spent), days, FormatAmount(r.MinSpend))
		}
		held = append(held, fmt.Sprintf("spent %s in the last %d days ≥ %s", FormatAmount(spent), days, FormatAmount(r.MinSpend)))
	}
	if r.MinVisits > 0 {
		n := f.visitsSince(from)
		if n < r.MinVisits {
			return false, fmt.Sprintf("%s: %s in the last %d days < %d", r.label(), visits(n), days, r.MinVisits)
		}
		held = append(held, fmt.Sprintf("%s in the last %d days ≥ %d", visits(n), days, r.MinVisits))
	}
	if len(held) == 0 {
		return true, r.label() + " has no conditions"
	}
	return true, strings.Join(held, " and ")
}

func (r Rule) label() string {
	if r.Name != "" {
		return r.Name
	}
	return r.ID
}

func visits(n int) string {
	if n == 1 {
		return "1 visit"
	}
	return strconv.Itoa(n) + " visits"
}

// FormatAmount writes cents with thousands separators: 5230000 → "52,300",
// 5230050 → "52,300.50".
func FormatAmount(cents int64) string {
	neg := cents < 0
	if neg {
		cents = -cents
	}
	whole := strconv.FormatInt(cents/100, 10)
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	s := b.String()
	if frac := cents % 100; frac != 0 {
		s += fmt.Sprintf(".%02d", frac)
	}
	if neg {
		s = "-" + s
	}
	return s
}

// ParseAmount reads an amount in the currency ("52300", "52,300.5",
// "19.99") as cents. At most two decimals.
func ParseAmount(s string) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		return 0, fmt.Errorf("is empty")
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	if hasFrac && (len(frac) == 0 || len(frac) > 2) {
		return 0, fmt.Errorf("%q must have at most two decimals", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > 1e12 || strings.HasPrefix(whole, "+") {
		return 0, fmt.Errorf("%q is not an amount", s)
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("%q is not an amount", s)
	}
	return w*100 + f, nil
}

// Resolve applies an admin's override to the computed tier.
func Resolve(computed, computedReason, override, overrideReason string) (tier, reason string) {
	if override == "" {
		return computed, computedReason
	}
	if overrideReason == "" {
		overrideReason = "no reason given"
	}
	return override, "set by an admin: " + overrideReason
}

// TrimVisits keeps the visits inside the longest window of rules (and at
// most max of them, the newest), so a record does not grow forever.
func TrimVisits(v []time.Time, rules []Rule, now time.Time, max int) []time.Time {
	days := 0
	for _, r := range rules {
		days = maxInt(days, r.window())
	}
	from := now.AddDate(0, 0, -days)
	sort.Slice(v, func(i, j int) bool { return v[i].Before(v[j]) })
	i := sort.Search(len(v), func(i int) bool { return !v[i].Before(from) })
	v = v[i:]
	if len(v) > max {
		v = v[len(v)-max:]
	}
	return v
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
