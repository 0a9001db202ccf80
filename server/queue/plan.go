package queue

import "time"

// Planning ahead for booked slots (Settings.AppointmentHoldMinutes). The
// plain policy only moves an appointment forward once its slot has come, so
// an advice desk happily starts a 25-minute walk-in two minutes before a
// booked slot, and a walk-in that reaches the cap just then is called before
// the booked customer (the cap outranks the slot). With planning on, when a
// slot of a desk's services is due within the hold window and the policy's
// pick is nobody past the cap and no slot that has come:
//  1. a desk that also serves other services takes the booked service's
//     queue first (in the policy's own order), so its walk-ins do not reach
//     the cap just when the booked customer is due;
//  2. a checked-in appointment whose slot is within the window is called
//     instead (the customer is here; early beats late);
//  3. a walk-in at risk of passing the cap (risk.go) is called now: held
//     back, it would pass the cap and then go before the slot anyway;
//  4. if a booked customer's slot is due within the window and no other
//     desk is idle for it, the desk does not start a walk-in expected to
//     run past the slot (by more than planGrace): it gives the first
//     walk-in of another of its services whose job is expected to end in
//     time, or stays free and asks again.
// Tickets past the max-wait cap are never held back: the policy calls them
// first and planning does not touch such a pick.

// planGrace is how far past a slot a walk-in may be expected to run.
const planGrace = 3 * time.Minute

// decision is a desk's call: the ticket (nil: nobody), the rotation after
// it, whether the desk is kept free on purpose, and why, when planning
// changed the policy's pick ("" lets the policy give its reason).
type decision struct {
	t    *Ticket
	rot  Rotation
	held bool
	why  string
}

// choose is the call the engine makes for ctr: the policy's pick with
// appointment planning applied. held reports a desk kept free on purpose.
// due lists the slots of booked (not yet checked-in) appointments of the
// desk's services; idle counts the other open desks of those services that
// have nobody at them and nobody to call, so will be free for the slot.
func (e *Engine) choose(p policy, ctr *Counter, queues []*waitQueue, due func() []time.Time, idle func() int) (t *Ticket, rot Rotation, held bool) {
	d := e.decide(p, ctr, queues, due, idle)
	return d.t, d.rot, d.held
}

// decide is choose with the reason for a pick that planning changed.
func (e *Engine) decide(p policy, ctr *Counter, queues []*waitQueue, due func() []time.Time, idle func() int) decision {
	t, rot := p.pick(queues)
	hold := time.Duration(e.settings.AppointmentHoldMinutes) * time.Minute
	if t == nil || hold <= 0 || p.fifo || t.AppointmentAt != nil {
		return decision{t: t, rot: rot}
	}
	class := p.class(t)
	if class == classAppointment {
		return decision{t: t, rot: rot}
	}
	loc := e.cal.loc
	// The first slot within the window: checked-in customers and bookings.
	var appt *Ticket
	for _, q := range queues {
		for _, a := range q.appts {
			if a.AppointmentAt.Sub(p.now) <= hold && (appt == nil || a.AppointmentAt.Before(*appt.AppointmentAt)) {
				appt = a
			}
		}
	}
	var first time.Time
	n := 0
	for _, s := range due() {
		if s.After(p.now) && s.Sub(p.now) <= hold {
			n++
			if first.IsZero() || s.Before(first) {
				first = s
			}
		}
	}
	if appt == nil && n == 0 {
		return decision{t: t, rot: rot}
	}
	// 1. The booked service's queue first (past the cap too: among those
	// any order keeps the cap).
	why := ""
	if booked := e.bookedQueues(queues); len(booked) > 0 && len(booked) < len(queues) {
		if bt, brot := p.pick(booked); bt != nil && bt.AppointmentAt == nil && bt != t && p.class(bt) <= class {
			t, rot, class = bt, brot, p.class(bt)
			why = p.reason(t, loc) + ", before booked " + e.nextSlot(appt, first).In(loc).Format("15:04")
		}
	}
	if class == classOverdue {
		return decision{t: t, rot: rot, why: why}
	}
	// 2. The booked customer who is here already.
	if appt != nil {
		return decision{t: appt, rot: p.rot, why: "booked " + appt.AppointmentAt.In(loc).Format("15:04") + ", here early"}
	}
	// 3. Nobody who would pass the cap before the slot is held back.
	if n <= idle() || p.capBy(t, first.Add(planGrace)) {
		return decision{t: t, rot: rot, why: why}
	}
	// 4. Keep the desk for the slot.
	fits := func(x *Ticket) bool {
		expected := e.prior(x.ServiceID)
		if e.est != nil {
			expected = e.est.Remaining(x.ServiceID, ctr.ID, expected, 0)
		}
		return !p.now.Add(expected).After(first.Add(planGrace))
	}
	if fits(t) {
		return decision{t: t, rot: rot, why: why}
	}
	// A shorter job that ends in time: the head of another service's queue
	// at this desk (nobody here is past the cap, or the policy would have
	// picked them).
	var alt *Ticket
	for _, q := range queues {
		var head *Ticket
		for _, l := range q.levels {
			if head == nil || p.better(l[0], head) {
				head = l[0]
			}
		}
		if head != nil && head != t && p.eligible(head) && fits(head) && (alt == nil || p.better(head, alt)) {
			alt = head
		}
	}
	if alt != nil {
		return decision{t: alt, rot: p.rot, why: "short job before booked " + first.In(loc).Format("15:04")}
	}
	return decision{rot: p.rot, held: true}
}

// bookedQueues are the queues of bookable services among queues.
func (e *Engine) bookedQueues(queues []*waitQueue) []*waitQueue {
	var out []*waitQueue
	for _, q := range queues {
		if s, ok := e.services[q.serviceID()]; ok && s.Bookable() {
			out = append(out, q)
		}
	}
	return out
}

// planInputs gives choose the live box's booked slots and idle desks.
func (e *Engine) planInputs(ctr *Counter, now time.Time) (func() []time.Time, func() int) {
	due := func() []time.Time {
		hold := time.Duration(e.settings.AppointmentHoldMinutes) * time.Minute
		var out []time.Time
		for _, a := range e.appts {
			if a.Status == ApptBooked && a.Start.After(now) && a.Start.Sub(now) <= hold && ctr.Serves(a.ServiceID) {
				out = append(out, a.Start)
			}
		}
		return out
	}
	idle := func() int {
		busy := map[string]bool{}
		for _, t := range e.active {
			if t.Status == StatusCalled || t.Status == StatusServing {
				busy[t.CounterID] = true
			}
		}
		n := 0
		for id, c := range e.counters {
			// Only a desk with nobody to call will still be free for the slot.
			if id == ctr.ID || c.Paused || busy[id] || e.waitingForLocked(c) > 0 {
				continue
			}
			for _, s := range ctr.ServiceIDs {
				if c.Serves(s) {
					n++
					break
				}
			}
		}
		return n
	}
	return due, idle
}

// WaitingFor counts the tickets waiting for the services a counter serves.
func (e *Engine) WaitingFor(counterID string) int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	ctr, ok := e.counters[counterID]
	if !ok {
		return 0
	}
	return e.waitingForLocked(ctr)
}

func (e *Engine) waitingForLocked(ctr *Counter) int {
	n := 0
	for _, id := range ctr.ServiceIDs {
		if q := e.waiting[id]; q != nil {
			n += q.n
		}
	}
	return n
}

// UseFIFO makes every ticket alike for the routing policy: no priority
// levels, no appointment precedence, no planning. It is the fairness
// baseline the simulator compares against, not a setting of a live box.
func (e *Engine) UseFIFO() {
	e.mu.Lock()
	e.fifo = true
	e.changedLocked()
	e.mu.Unlock()
}

// serviceID is the service of q's tickets ("" when nobody waits).
func (q *waitQueue) serviceID() string {
	for _, l := range q.levels {
		return l[0].ServiceID
	}
	for _, t := range q.appts {
		return t.ServiceID
	}
	return ""
}

// capBy reports whether t, not called before at, will have passed the cap by then.
func (p policy) capBy(t *Ticket, at time.Time) bool {
	return p.cap > 0 && p.waited(t)+at.Sub(p.now) > p.cap
}

// nextSlot is the earlier of a checked-in customer's slot and a booked one.
func (e *Engine) nextSlot(appt *Ticket, booked time.Time) time.Time {
	if appt != nil && (booked.IsZero() || appt.AppointmentAt.Before(booked)) {
		return *appt.AppointmentAt
	}
	return booked
}
