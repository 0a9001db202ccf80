package queue

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Tier is a class of customers and the service it is promised. Tiers are
// configured best first; the last one is the default, which anonymous
// tickets get. The rule fields (spend, visits, window) are read by the
// customers' rules; the queue reads the service fields.
type Tier struct {
	ID    string            `json:"id"`
	Name  string            `json:"name"`
	Names map[string]string `json:"names,omitempty"`
	// The rule: every condition set must hold in the last WindowDays days.
	// MinSpend is in the currency (decimals allowed).
	MinSpend   float64 `json:"min_spend,omitempty"`
	MinVisits  int     `json:"min_visits,omitempty"`
	WindowDays int     `json:"window_days,omitempty"`
	// Share weighs the tier's waiting time against others': with Gold 2 and
	// the default 1, a Gold customer who waited 3 minutes goes before a
	// standard one who waited 5. 0 takes the default (1.5 for the top
	// tier, 1 for the others).
	Share float64 `json:"share,omitempty"`
	// SLAWaitSeconds and SLATarget are the promise: SLATarget of the tier's
	// tickets called within SLAWaitSeconds (e.g. 300 and 0.9). A ticket
	// about to miss it goes first.
	SLAWaitSeconds int     `json:"sla_wait_seconds,omitempty"`
	SLATarget      float64 `json:"sla_target,omitempty"`
	// Counters serve only the tiers that list them (dedicated desks);
	// PreferCounters serve the tiers that list them first, others after.
	Counters       []string `json:"counters,omitempty"`
	PreferCounters []string `json:"prefer_counters,omitempty"`
}

// DefaultTierID is the tier of a branch that configured none.
const DefaultTierID = "standard"

// DefaultTiers is the one tier every branch has until it sets its own.
func DefaultTiers() []Tier { return []Tier{{ID: DefaultTierID, Name: "Standard"}} }

// ValidateTiers checks a tier list, naming the field of the first fault.
func ValidateTiers(tiers []Tier, counters map[string]bool) error {
	if len(tiers) == 0 || len(tiers) > 10 {
		return invalid("tiers", "must list 1 to 10 tiers, best first (the last is the default)")
	}
	seen := map[string]bool{}
	for i, t := range tiers {
		f := func(name string) string { return fmt.Sprintf("tiers[%d].%s", i, name) }
		switch {
		case !IDPattern.MatchString(t.ID):
			return invalid(f("id"), "must be 1–32 characters of a-z, 0-9 and -")
		case seen[t.ID]:
			return invalid(f("id"), "%q is used twice", t.ID)
		case strings.TrimSpace(t.Name) == "" || len(t.Name) > 64 || BadText(t.Name):
			return invalid(f("name"), "is required, at most 64 characters, no control characters")
		case t.MinSpend < 0 || t.MinSpend > 1e12 || math.IsNaN(t.MinSpend):
			return invalid(f("min_spend"), "must be between 0 and 1e12")
		case t.MinVisits < 0 || t.MinVisits > 10000:
			return invalid(f("min_visits"), "must be between 0 and 10000")
		case t.WindowDays < 0 || t.WindowDays > 3660:
			return invalid(f("window_days"), "must be between 0 (365) and 3660")
		case t.Share < 0 || t.Share > 100 || math.IsNaN(t.Share):
			return invalid(f("share"), "must be between 0 (default) and 100")
		case t.SLAWaitSeconds < 0 || t.SLAWaitSeconds > 86400:
			return invalid(f("sla_wait_seconds"), "must be between 0 (no target) and 86400")
		case t.SLATarget < 0 || t.SLATarget > 1 || math.IsNaN(t.SLATarget):
			return invalid(f("sla_target"), "must be a share between 0 and 1 (e.g. 0.9)")
		case t.SLATarget > 0 && t.SLAWaitSeconds == 0:
			// A share with no time to be called within would promise nothing.
			return invalid(f("sla_wait_seconds"), "is needed with sla_target: the promise is a share of tickets called within this many seconds")
		case i == len(tiers)-1 && (t.MinSpend > 0 || t.MinVisits > 0 || t.WindowDays > 0):
			// The default tier is everyone else: a condition on it would do nothing.
			field := "window_days"
			if t.MinSpend > 0 {
				field = "min_spend"
			} else if t.MinVisits > 0 {
				field = "min_visits"
			}
			return invalid(f(field), "must not be set: the last tier is the default, everyone the others leave, and takes no conditions")
		}
		for lang, name := range t.Names {
			if !langPattern.MatchString(lang) || strings.TrimSpace(name) == "" || len(name) > 64 || BadText(name) {
				return invalid(f("names."+lang), "must be a language code with a name of 1–64 characters")
			}
		}
		for _, list := range []struct {
			name string
			ids  []string
		}{{"counters", t.Counters}, {"prefer_counters", t.PreferCounters}} {
			for _, id := range list.ids {
				if counters != nil && !counters[id] {
					return invalid(f(list.name), "%q is not a counter", id)
				}
			}
		}
		seen[t.ID] = true
	}
	return nil
}

// BadText reports control, bidi-override and zero-width characters: what a
// name shown to people must not hold.
func BadText(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x200b && r <= 0x200f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0xfeff {
			return true
		}
	}
	return false
}

// tierPlan is the tiers as the policy reads them.
type tierPlan struct {
	byID    map[string]*tierInfo
	deflt   string
	only    map[string]map[string]bool // counter → tiers it serves only
	prefer  map[string]map[string]bool // counter → tiers it serves first
	enabled bool                       // more than one tier: tiers change the order
}

type tierInfo struct {
	id, name string
	share    float64
	sla      time.Duration
	target   float64 // share to call within sla; 1 when unset
}

// SLATally counts a tier's calls of one business day and those made
// within its target wait.
type SLATally struct {
	Date  string `json:"date"`
	Calls int    `json:"calls"`
	Met   int    `json:"met"`
	// WaitSeconds sums the waits of the calls.
	WaitSeconds float64 `json:"wait_seconds"`
	// Recent counts the calls (and those on time) of the last
	// SLAWindowDays business days with calls, this one included: the
	// share the tier's promise is judged on.
	Recent SLACount   `json:"recent"`
	past   []SLACount // the earlier days of Recent, oldest first
}

// SLACount is a number of calls and how many of them met the target.
type SLACount struct {
	Calls int `json:"calls"`
	Met   int `json:"met"`
}

// SLAWindowDays is how many business days (with calls of the tier) the
// tier's share on time is measured over when the policy decides whether a
// ticket may be let go late. A day alone is too short: its first calls are
// on time while the hard hours are still to come, so a day that starts
// well lets tickets go late that its peak then cannot make up for.
const SLAWindowDays = 7

// slaMargin keeps the tier's share of calls on time a little above its
// target, so a run of hard minutes does not drop it below.
const slaMargin = 0.03

func newTierPlan(tiers []Tier) tierPlan {
	if len(tiers) == 0 {
		tiers = DefaultTiers()
	}
	p := tierPlan{byID: map[string]*tierInfo{}, deflt: tiers[len(tiers)-1].ID,
		only: map[string]map[string]bool{}, prefer: map[string]map[string]bool{}, enabled: len(tiers) > 1}
	for i, t := range tiers {
		share := t.Share
		if share == 0 {
			// Only the top tier is sped up by default; the others get
			// their SLA target kept, which costs everyone else least.
			share = 1
			if i == 0 && len(tiers) > 1 {
				share = 1.5
			}
		}
		target := t.SLATarget
		if target == 0 {
			target = 1
		}
		p.byID[t.ID] = &tierInfo{id: t.ID, name: t.Name, share: share, sla: time.Duration(t.SLAWaitSeconds) * time.Second, target: target}
		for _, c := range t.Counters {
			if p.only[c] == nil {
				p.only[c] = map[string]bool{}
			}
			p.only[c][t.ID] = true
		}
		for _, c := range t.PreferCounters {
			if p.prefer[c] == nil {
				p.prefer[c] = map[string]bool{}
			}
			p.prefer[c][t.ID] = true
		}
	}
	return p
}

// info is a ticket's tier; unknown tiers (a tier deleted while its tickets
// wait) count as the default.
func (tp tierPlan) info(t *Ticket) *tierInfo {
	if ti, ok := tp.byID[t.Tier]; ok {
		return ti
	}
	return tp.byID[tp.deflt]
}

// slaLead is how long before its target a tier ticket goes first: about
// one service ahead of the promise, so the next free counter can keep it.
func slaLead(sla time.Duration) time.Duration {
	return max(60*time.Second, sla/2)
}

// urgent reports whether t is about to miss its tier's target and the
// tier cannot afford the miss: a target of 90% lets one ticket in ten be
// late, and every ticket kept on time when it was not needed is time taken
// from everyone else. Whether it can is read from the tier's calls of the
// last SLAWindowDays days, misses the policy could not help included (at
// a peak every desk may be taken by people past the cap). A ticket already late stays urgent only in a tier
// whose waiting counts more than everyone's (share above 1, by default the
// top tier): its promise is also a shorter wait on average, and a late
// one that drops back into the line waits like anyone (slack puts it after
// whoever would pass the cap sooner).
func (p policy) urgent(t *Ticket) bool {
	if !p.tiers.enabled {
		return false
	}
	ti := p.tiers.info(t)
	w := p.waited(t)
	if ti.sla <= 0 || w < ti.sla-max(slaLead(ti.sla), p.window(t)) || (w >= ti.sla && ti.share <= 1) {
		return false
	}
	r := p.tally[ti.id].Recent
	misses := r.Calls - r.Met
	return float64(misses+1)/float64(r.Calls+1) > (1-ti.target)-slaMargin
}

// countCall adds a first call of t to its tier's tally of the day.
func (e *Engine) countCallLocked(t *Ticket, now time.Time) {
	if !e.plan.enabled || t.PushBacks > 0 {
		return
	}
	ti := e.plan.info(t)
	date := e.cal.businessDate(now)
	tl := e.tally[ti.id]
	if tl.Date != date {
		past := tl.past
		if tl.Calls > 0 {
			past = append(past, SLACount{Calls: tl.Calls, Met: tl.Met})
		}
		if n := len(past) - (SLAWindowDays - 1); n > 0 {
			past = append([]SLACount(nil), past[n:]...)
		}
		tl = SLATally{Date: date, past: past}
		for _, d := range past {
			tl.Recent.Calls += d.Calls
			tl.Recent.Met += d.Met
		}
	}
	tl.Calls++
	tl.Recent.Calls++
	w := e.runningLocked() - t.IssuedRun
	if ti.sla <= 0 || w <= ti.sla {
		tl.Met++
		tl.Recent.Met++
	}
	tl.WaitSeconds += w.Seconds()
	if e.tally == nil {
		e.tally = map[string]SLATally{}
	}
	e.tally[ti.id] = tl
}

// toTarget is the time t has left before its tier's target (negative: missed).
func (p policy) toTarget(t *Ticket) time.Duration {
	return p.tiers.info(t).sla - p.waited(t)
}

// tierScore is how strongly t's wait counts: its waiting time plus a head
// start, weighed by its tier's share (less the head start, so share 1 is
// plain waiting time): a better tier is ahead even when everyone has only
// just arrived, and stays ahead by a share of the wait when it is long.
func (p policy) tierScore(t *Ticket) float64 {
	ti := p.tiers.info(t)
	w := p.waited(t).Seconds()
	return ti.share*(w+headStart.Seconds()) - headStart.Seconds()
}

// tierBetter orders two tickets of the same class and level by tier.
// ok is false when tiers do not decide between them.
func (p policy) tierBetter(a, b *Ticket, class int) (better, ok bool) {
	if !p.tiers.enabled {
		return false, false
	}
	switch class {
	case classLevel:
		// The default tier's long waiters are not passed by a better
		// tier's share (only by its urgent tickets): the priority lane
		// must not stretch everyone else's longest waits.
		ga, gb := p.guarded(a), p.guarded(b)
		if ga != gb {
			return ga, true
		}
		if ga {
			return false, false
		}
		sa, sb := p.tierScore(a), p.tierScore(b)
		if sa != sb {
			return sa > sb, true
		}
	}
	return false, false
}

// eligible reports whether counter may call t: a dedicated counter serves
// only its tiers, except a ticket past the branch's cap, which any counter
// of its service takes.
func (p policy) eligible(t *Ticket) bool {
	if p.counter == "" || !p.tiers.enabled {
		return true
	}
	only := p.tiers.only[p.counter]
	if only == nil || p.overdue(t) {
		return true
	}
	return only[p.tiers.info(t).id]
}

// preferred reports whether the calling counter serves t's tier first.
func (p policy) preferred(t *Ticket) bool {
	if p.counter == "" || !p.tiers.enabled {
		return false
	}
	return p.tiers.prefer[p.counter][p.tiers.info(t).id]
}

// tierReason says why a tier ticket heads the order ("Gold · 4 min to
// target"), or "" when its tier did not decide the pick.
func (p policy) tierReason(t *Ticket) Reason {
	if !p.tiers.enabled {
		return Reason{}
	}
	ti := p.tiers.info(t)
	if ti.id == p.tiers.deflt {
		return Reason{}
	}
	if ti.sla <= 0 {
		return Reason{ReasonTierShare, ReasonArgs{Tier: ti.id, TierName: ti.name, Share: ti.share}}
	}
	left := p.toTarget(t)
	if left < 0 {
		return Reason{ReasonTierPastTarget, ReasonArgs{Tier: ti.id, TierName: ti.name, Minutes: wholeMinutes(-left)}}
	}
	return Reason{ReasonTierTarget, ReasonArgs{Tier: ti.id, TierName: ti.name, Minutes: wholeMinutes(left)}}
}

// pickTiered is pick when tiers count: a ticket's rank no longer follows
// its place in its lane (a Gold ticket may pass older ones), so every
// waiting ticket the counter may call competes. A counter that prefers
// some tiers takes their best first, unless someone is past the cap or an
// appointment is due.
func (p policy) pickTiered(queues []*waitQueue) (*Ticket, Rotation) {
	var best, bestPref *Ticket
	each := func(f func(t *Ticket)) {
		for _, q := range queues {
			for _, ll := range q.levels {
				for _, t := range ll.l {
					f(t)
				}
			}
			for _, t := range q.appts {
				f(t)
			}
		}
	}
	levels := map[int]bool{}
	each(func(t *Ticket) {
		if !p.eligible(t) {
			return
		}
		levels[t.Priority] = true
		if best == nil || p.better(t, best) {
			best = t
		}
		if p.preferred(t) && (bestPref == nil || p.better(t, bestPref)) {
			bestPref = t
		}
	})
	if best == nil {
		return nil, p.rot
	}
	if c := p.class(best); c == classOverdue || c == classAppointment {
		return best, p.rot
	}
	if bestPref != nil {
		return bestPref, p.rot
	}
	if !p.rotating() || p.class(best) != classLevel {
		return best, p.rot
	}
	ls := make([]int, 0, len(levels))
	for l := range levels {
		ls = append(ls, l)
	}
	level, rot := p.turn(ls, p.rot)
	best = nil
	each(func(t *Ticket) {
		if t.Priority == level && p.eligible(t) && (best == nil || p.better(t, best)) {
			best = t
		}
	})
	return best, rot
}

func (e *Engine) setTiersLocked(tiers []Tier) {
	if len(tiers) == 0 {
		tiers = DefaultTiers()
	}
	e.tiers = tiers
	e.plan = newTierPlan(tiers)
}

// Tiers lists the branch's tiers, best first; the last is the default.
func (e *Engine) Tiers() []Tier {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return copyTiers(e.tiers)
}

// DefaultTier is the tier of anonymous tickets.
func (e *Engine) DefaultTier() string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.plan.deflt
}

func copyTiers(in []Tier) []Tier {
	out := make([]Tier, len(in))
	for i, t := range in {
		t.Names = copyNames(t.Names)
		t.Counters = append([]string(nil), t.Counters...)
		t.PreferCounters = append([]string(nil), t.PreferCounters...)
		out[i] = t
	}
	return out
}

// PutTiers replaces the tier list. Waiting tickets keep their tier; one
// whose tier is gone counts as the default tier.
func (e *Engine) PutTiers(tiers []Tier, actor string) ([]Tier, error) {
	e.mu.Lock()
	ids := map[string]bool{}
	for id := range e.counters {
		ids[id] = true
	}
	if err := ValidateTiers(tiers, ids); err != nil {
		e.mu.Unlock()
		return nil, err
	}
	tiers = copyTiers(tiers)
	e.setTiersLocked(tiers)
	errc := e.commit(&Change{Tiers: copyTiers(tiers), Events: []Event{{Type: EventTiers, Actor: actor}}})
	e.mu.Unlock()
	if err := e.wait(errc); err != nil {
		return nil, fmt.Errorf("save tiers: %w", err)
	}
	return copyTiers(tiers), nil
}

// headStart is where a tier's share starts counting: with share 1.5, a
// Gold customer who just came is level with a standard one who has waited
// five minutes, so quiet hours still see Gold served first.
const headStart = 10 * time.Minute

// guardMin is the least wait that protects a default-tier ticket.
const guardMin = 10 * time.Minute

// guarded reports whether t is a default-tier ticket that has waited
// longer than twice the day's mean wait of its tier so far.
func (p policy) guarded(t *Ticket) bool {
	ti := p.tiers.info(t)
	if ti.id != p.tiers.deflt {
		return false
	}
	g := guardMin
	if tl := p.tally[ti.id]; tl.Calls > 0 {
		g = max(g, time.Duration(3*tl.WaitSeconds/float64(tl.Calls)*float64(time.Second)))
	}
	return p.waited(t) > g
}

// waited is how long t has waited, on the box's running time.
func (p policy) waited(t *Ticket) time.Duration { return p.run - t.IssuedRun }

// validateCustomerSettings checks the per-phone cap, the no-show chain,
// booking rights and retention.
func validateCustomerSettings(st Settings) error {
	for _, f := range []struct {
		name     string
		v, limit int
	}{
		{"tickets_per_phone_per_day", st.TicketsPerPhonePerDay, 100},
		{"grace_seconds", st.GraceSeconds, 3600},
		{"push_back_places", st.PushBackPlaces, 100},
		{"max_recalls", st.MaxRecalls, 10},
		{"no_show_limit", st.NoShowLimit, 100},
		{"no_show_window_days", st.NoShowWindowDays, 3660},
		{"booking_block_days", st.BookingBlockDays, 3660},
		{"retention_months", st.RetentionMonths, 1200},
	} {
		if f.v < 0 || f.v > f.limit {
			return invalid(f.name, "must be between 0 (off) and %d", f.limit)
		}
	}
	if st.NoShowLimit > 0 && (st.NoShowWindowDays == 0 || st.BookingBlockDays == 0) {
		return invalid("no_show_limit", "needs no_show_window_days and booking_block_days above 0")
	}
	return nil
}

// greetLocked names the tier of a known customer on their status page.
func (e *Engine) greetLocked(t *Ticket, sv *StatusView) {
	if t.CustomerID == "" || t.Tier == e.plan.deflt {
		return
	}
	for _, tr := range e.tiers {
		if tr.ID == t.Tier {
			sv.Tier, sv.TierName, sv.TierNames = tr.ID, tr.Name, copyNames(tr.Names)
		}
	}
}

// Replay returns the ticket an earlier request of source with this
// idempotency key got, if the key is still honoured: a retried request
// that identifies a customer must get its ticket back before any per-phone
// rule counts it again.
func (e *Engine) Replay(source, key string) (TicketView, bool, error) {
	if key == "" {
		return TicketView{}, false, nil
	}
	now := e.clock.Now()
	e.mu.RLock()
	it, ok := e.idem[source+"\x00"+key]
	if !ok || now.Sub(it.At) >= IdemTTL {
		e.mu.RUnlock()
		return TicketView{}, false, nil
	}
	if t, found := e.active[it.TicketID]; found {
		v, saving := e.viewLocked(t), e.savingFor(t.ID)
		e.mu.RUnlock()
		// Answered once the first request's ticket is on disk.
		if err := saving.wait(); err != nil {
			return TicketView{}, false, fmt.Errorf("replay ticket: %w", err)
		}
		return v, true, nil
	}
	e.mu.RUnlock()
	old, err := e.store.Ticket(it.TicketID)
	if err != nil {
		return TicketView{}, false, err
	}
	return TicketView{Ticket: old}, true, nil
}
