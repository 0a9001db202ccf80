package sim

import (
	"sort"
	"strings"
	"time"
)

// TierMisses goes call by call through the late tickets of a tier: the
// scored walk-ins called later than the tier's target wait. For each it
// looks at what the desks that serve its service did from its issue to its
// target, and counts it under the first that holds:
//   - Chosen: some desk called someone while nobody past the max-wait cap
//     waited for it, so the policy could have called this ticket instead;
//     ChosenWhy counts those calls' reasons (figures dropped);
//   - ForcedByCap: every desk that called anyone called while someone past
//     the cap waited for it (calling anyone else would have broken the cap);
//   - DeskHeld: nobody was called, but a desk of its service stood open and
//     free (kept for a booked slot);
//   - DesksBusy: nobody was called and every desk of its service was busy
//     or closed until its target had passed.
//
// Only Chosen misses are open to a better calling order on the same days
// (a different order earlier could still change who is past the cap later).
type TierMisses struct {
	Tier        string         `json:"tier"`
	Tickets     int            `json:"tickets"`
	Late        int            `json:"late"`
	Chosen      int            `json:"chosen"`
	ForcedByCap int            `json:"forced_by_cap"`
	DeskHeld    int            `json:"desk_held"`
	DesksBusy   int            `json:"desks_busy"`
	ChosenWhy   map[string]int `json:"chosen_why"`
}

// CountTierMisses counts the late tickets of every tier with a target, best
// tier first.
func CountTierMisses(tr *Trace, lines []*Line) ([]TierMisses, error) {
	p, err := tr.check()
	if err != nil {
		return nil, err
	}
	capD := time.Duration(p.settings.MaxWaitMinutes) * time.Minute
	serves := map[string]map[string]bool{}
	shifts := map[string][][2]int{}
	for i, c := range tr.Counters {
		serves[c.ID] = map[string]bool{}
		for _, s := range c.ServiceIDs {
			serves[c.ID][s] = true
		}
		shifts[c.ID] = p.shifts[i]
	}
	byDay := map[int][]*Line{}
	for _, l := range lines {
		byDay[l.dayIndex] = append(byDay[l.dayIndex], l)
	}
	// pastCap reports whether someone past the cap waited for desk at at
	// (the one it called then included).
	pastCap := func(day []*Line, desk string, at time.Time) bool {
		if capD <= 0 {
			return false
		}
		for _, o := range day {
			if o.issued.IsZero() || !serves[desk][o.ServiceID] || at.Sub(o.issued) <= capD {
				continue
			}
			if (o.called.IsZero() || !o.called.Before(at)) && (o.ended.IsZero() || o.ended.After(at)) {
				return true
			}
		}
		return false
	}
	free := func(day []*Line, desk string, at time.Time) bool {
		local := at.In(p.loc)
		sec := local.Hour()*3600 + local.Minute()*60 + local.Second()
		open := false
		for _, sh := range shifts[desk] {
			if sec >= sh[0] && sec < sh[1] {
				open = true
			}
		}
		if !open {
			return false
		}
		for _, o := range day {
			if o.CounterID != nil && *o.CounterID == desk && !o.called.After(at) && (o.ended.IsZero() || o.ended.After(at)) {
				return false
			}
		}
		return true
	}
	var out []TierMisses
	for _, t := range tr.Tiers {
		if t.SLAWaitSeconds == nil || *t.SLAWaitSeconds <= 0 {
			continue
		}
		sla := time.Duration(*t.SLAWaitSeconds * float64(time.Second))
		m := TierMisses{Tier: t.ID, ChosenWhy: map[string]int{}}
		for _, l := range lines {
			if !l.Scored || l.Tier != t.ID || l.Kind == "appointment" || l.called.IsZero() {
				continue
			}
			m.Tickets++
			if l.called.Sub(l.issued) <= sla {
				continue
			}
			m.Late++
			end := l.issued.Add(sla)
			calls, forced := 0, 0
			var why []string
			for _, o := range byDay[l.dayIndex] {
				if o == l || o.CounterID == nil || o.called.Before(l.issued) || o.called.After(end) || !serves[*o.CounterID][l.ServiceID] {
					continue
				}
				calls++
				if pastCap(byDay[l.dayIndex], *o.CounterID, o.called) {
					forced++
				} else {
					why = append(why, reasonKind(o.reason))
				}
			}
			switch {
			case len(why) > 0:
				m.Chosen++
				for _, w := range why {
					m.ChosenWhy[w]++
				}
			case forced > 0:
				m.ForcedByCap++
			case deskFree(tr, byDay[l.dayIndex], serves, l, end, free):
				m.DeskHeld++
			default:
				m.DesksBusy++
			}
		}
		out = append(out, m)
	}
	return out, nil
}

func deskFree(tr *Trace, day []*Line, serves map[string]map[string]bool, l *Line, end time.Time, free func([]*Line, string, time.Time) bool) bool {
	for _, c := range tr.Counters {
		if !serves[c.ID][l.ServiceID] {
			continue
		}
		for at := l.issued; at.Before(end); at = at.Add(15 * time.Second) {
			if free(day, c.ID, at) {
				return true
			}
		}
	}
	return false
}

// reasonKind is a call reason without its figures and times ("Gold · 3 min
// to target" → "Gold · min to target").
func reasonKind(r string) string {
	f := strings.FieldsFunc(r, func(c rune) bool { return c == ' ' })
	var kept []string
	for _, w := range f {
		if strings.ContainsAny(w, "0123456789") || w == "<1" {
			continue
		}
		kept = append(kept, w)
	}
	return strings.Join(kept, " ")
}

// SortedWhy lists reasons by count, most first.
func SortedWhy(why map[string]int) []string {
	ks := make([]string, 0, len(why))
	for k := range why {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		if why[ks[i]] != why[ks[j]] {
			return why[ks[i]] > why[ks[j]]
		}
		return ks[i] < ks[j]
	})
	return ks
}
