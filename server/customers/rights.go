package customers

import (
	"fmt"
	"sort"
	"time"
)

// NoShowRule is how no-shows cost booking rights: Limit no-shows within
// WindowDays days pause online booking for BlockDays days from the last of
// them. A zero Limit turns the rule off. Walk-in tickets are never refused.
type NoShowRule struct {
	Limit      int
	WindowDays int
	BlockDays  int
}

// Rights is what a customer may do online.
type Rights struct {
	CanBook bool      `json:"can_book"`
	Until   time.Time `json:"until,omitzero"`
	// Reason is the plain sentence the customer reads.
	Reason string `json:"reason,omitempty"`
	// Counted are the no-shows that count against the customer now.
	Counted int `json:"counted"`
}

// BookingRights applies rule to a customer's no-shows. No-shows up to
// forgiven (staff forgave them) do not count.
func BookingRights(noShows []time.Time, forgiven time.Time, rule NoShowRule, now time.Time) Rights {
	var ns []time.Time
	for _, t := range noShows {
		if t.After(forgiven) && !t.After(now) {
			ns = append(ns, t)
		}
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i].Before(ns[j]) })
	r := Rights{CanBook: true}
	if rule.Limit <= 0 || rule.BlockDays <= 0 {
		return r
	}
	window := time.Duration(rule.WindowDays) * 24 * time.Hour
	var until time.Time
	for i := rule.Limit - 1; i < len(ns); i++ {
		if ns[i].Sub(ns[i-rule.Limit+1]) <= window {
			if u := ns[i].AddDate(0, 0, rule.BlockDays); u.After(until) {
				until = u
			}
		}
	}
	from := now.AddDate(0, 0, -rule.WindowDays)
	for _, t := range ns {
		if !t.Before(from) {
			r.Counted++
		}
	}
	if now.Before(until) {
		r.CanBook = false
		r.Until = until
		missed := fmt.Sprintf("%d booked visits or calls were", rule.Limit)
		if rule.Limit == 1 {
			missed = "a booked visit or call was"
		}
		r.Reason = fmt.Sprintf("Online booking is paused until %s because %s missed within %d days. Walk-in tickets are always welcome.",
			until.Format("2 Jan 2006"), missed, rule.WindowDays)
	}
	return r
}

// Expired reports whether a customer last seen at lastSeen falls under a
// retention of months (0 keeps customers forever).
func Expired(lastSeen time.Time, months int, now time.Time) bool {
	return months > 0 && lastSeen.Before(now.AddDate(0, -months, 0))
}
