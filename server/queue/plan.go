package queue

import "time"

// Planning ahead for booked slots (Settings.AppointmentHoldMinutes). The
// plain policy only moves an appointment forward once its slot has come, so
// an advice desk happily starts a 25-minute walk-in two minutes before a
// booked slot. With planning on, when the policy would give a desk a walk-in:
//  1. a checked-in appointment whose slot is due within the hold window is
//     called instead (the customer is here; early beats late);
//  2. if a booked customer's slot at this desk's services is due within the
//     window and no other desk is idle for it, the desk does not start a
//     walk-in expected to run past the slot (by more than planGrace): it
//     gives the first walk-in of another of its services whose job is
//     expected to end in time, or stays free and asks again.
// Tickets past the max-wait cap are never held back: the policy calls them
// first and planning does not touch such a pick.

// planGrace is how far past a slot a walk-in may be expected to run.
const planGrace = 3 * time.Minute

// choose is the call the engine makes for ctr: the policy's pick with
// appointment planning applied. held reports a desk kept free on purpose.
// due lists the slots of booked (not yet checked-in) appointments of the
// desk's services; idle counts the other open desks of those services that
// have nobody at them and nobody to call, so will be free for the slot.
func (e *Engine) choose(p policy, ctr *Counter, queues []*waitQueue, due func() []time.Time, idle func() int) (t *Ticket, rot Rotation, held bool) {
	t, rot = p.pick(queues)
	hold := time.Duration(e.settings.AppointmentHoldMinutes) * time.Minute
	if t == nil || hold <= 0 || p.fifo || p.class(t) != classLevel || t.AppointmentAt != nil {
		return t, rot, false
	}
	var appt *Ticket
	for _, q := range queues {
		for _, a := range q.appts {
			if a.AppointmentAt.Sub(p.now) <= hold && (appt == nil || a.AppointmentAt.Before(*appt.AppointmentAt)) {
				appt = a
			}
		}
	}
	if appt != nil {
		return appt, p.rot, false
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
	if n == 0 || n <= idle() {
		return t, rot, false
	}
	fits := func(x *Ticket) bool {
		expected := e.prior(x.ServiceID)
		if e.est != nil {
			expected = e.est.Remaining(x.ServiceID, ctr.ID, expected, 0)
		}
		return !p.now.Add(expected).After(first.Add(planGrace))
	}
	if fits(t) {
		return t, rot, false
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
		if head != nil && head != t && fits(head) && (alt == nil || p.better(head, alt)) {
			alt = head
		}
	}
	if alt != nil {
		return alt, p.rot, false
	}
	return nil, p.rot, true
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
