package queue

import (
	"math"
	"time"
)

// Look-ahead urgency. A ticket is at risk when its deadline comes before the
// desks of its service are expected to have turned over riskTurns times:
// passed over now, it would most likely miss. Its deadlines are the branch's
// max-wait cap and, with tiers, its tier's SLA target (when the tier's day
// needs it, see urgent). Tickets at risk go first, the least slack first
// (slack = time left to the deadline − the time until another desk is
// expected to be free), which is "earliest deadline first": it keeps people
// from reaching the cap at all, so the cap rarely has to overrule a tier's
// promise or a booked slot.

// riskTurns is how many desk turns ahead the policy looks.
const riskTurns = 3

// horizonOf is how long a ticket of service passed over now is expected to
// wait for another desk.
func (p policy) horizonOf(service string) time.Duration { return p.horizon[service] }

// window is how far ahead the policy looks for t: riskTurns desk turns, at
// most half the cap (a slow, lone desk would otherwise put everyone at risk
// from the moment they take a ticket).
func (p policy) window(t *Ticket) time.Duration {
	w := riskTurns * p.horizonOf(t.ServiceID)
	if p.cap > 0 {
		w = min(w, p.cap/2)
	}
	return w
}

// capRisk reports whether t will pass the cap within the look-ahead.
func (p policy) capRisk(t *Ticket) bool {
	return p.cap > 0 && !p.overdue(t) && p.cap-p.waited(t) <= p.window(t)
}

func (p policy) atRisk(t *Ticket) bool { return p.capRisk(t) || p.urgent(t) }

// slack is the least time t can still be passed over and meet the deadline
// that puts it at risk. A top-tier ticket past its target has slack 0: it
// goes before those who can still wait a desk turn, after those who cannot.
func (p policy) slack(t *Ticket) time.Duration {
	s := time.Duration(math.MaxInt64)
	h := p.horizonOf(t.ServiceID)
	if p.capRisk(t) {
		s = p.cap - p.waited(t) - h
	}
	if p.urgent(t) {
		left := p.toTarget(t)
		if left < 0 {
			// Missed already: first among those who can still wait a
			// turn, after anyone who would pass a deadline sooner.
			s = min(s, 0)
		} else {
			s = min(s, left-h)
		}
	}
	return s
}

// lastChance reports whether t's tier target can be kept only by calling it
// now: the tier needs it (urgent), the target has not passed, and no other
// desk of its service is expected to be free before it. Such a ticket goes
// before those at risk of passing the cap who have not passed it yet: a
// ticket passed over then reaches the cap a desk turn later and is called
// first at once (nobody past the cap is ever passed over), while the tier's
// promise, once missed, is lost for good. Only a tier whose waiting counts
// more than everyone's (share above 1, by default the top tier) has this
// right: a tier promised an on-time share alone keeps it by its urgency,
// and letting it also pass those near the cap stretched the standard
// tier's longest waits (on the bank's days with a 20-min cap and Silver's
// 15-min target, at 1.1 of nominal load, the standard p95 went from 1.13
// to 1.16× FIFO's without keeping more Silver tickets on time).
func (p policy) lastChance(t *Ticket) bool {
	if !p.urgent(t) || p.tiers.info(t).share <= 1 {
		return false
	}
	left := p.toTarget(t)
	if left < 0 {
		return false
	}
	// Desks free up about one per horizon, at random: the chance that none
	// does within left is about exp(−left/horizon). The ticket can wait for
	// another desk only while that chance is within what the tier's
	// target lets be late.
	late := 1 - p.tiers.info(t).target
	if late <= 0 {
		return true
	}
	return left.Seconds() < p.horizonOf(t.ServiceID).Seconds()*math.Log(1/late)
}

// riskReason says which deadline made t go first: "Gold · 4 min to target"
// or "3 min to the 30-min cap".
func (p policy) riskReason(t *Ticket) Reason {
	toCap := p.cap - p.waited(t)
	if p.urgent(t) && (!p.capRisk(t) || p.toTarget(t) < toCap) {
		if r := p.tierReason(t); r.Code != "" {
			return r
		}
		return Reason{ReasonTarget, ReasonArgs{Minutes: wholeMinutes(p.toTarget(t))}}
	}
	return Reason{ReasonCapRisk, ReasonArgs{Minutes: wholeMinutes(toCap), CapMinutes: int(p.cap / time.Minute)}}
}

// horizonsLocked estimates, per service, the time until one of the open
// desks serving it is next free: desks free up at the rate of one job each,
// a desk's job being the mean of its services' (learned or configured)
// service times.
func (e *Engine) horizonsLocked() map[string]time.Duration {
	rate := make(map[string]float64, len(e.services))
	for _, c := range e.counters {
		if c.Paused || len(c.ServiceIDs) == 0 {
			continue
		}
		var job time.Duration
		for _, s := range c.ServiceIDs {
			d := e.prior(s)
			if e.est != nil {
				d = e.est.Remaining(s, c.ID, d, 0)
			}
			job += d
		}
		job /= time.Duration(len(c.ServiceIDs))
		if job <= 0 {
			continue
		}
		for _, s := range c.ServiceIDs {
			rate[s] += 1 / job.Seconds()
		}
	}
	h := make(map[string]time.Duration, len(e.services))
	for id := range e.services {
		if r := rate[id]; r > 0 {
			h[id] = time.Duration(float64(time.Second) / r)
		} else {
			h[id] = e.prior(id) // nobody open: at least one job away
		}
	}
	return h
}
