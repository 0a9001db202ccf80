package queue

import (
	"sort"
	"time"
)

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
//  4. the booked slots within the window are shared out, earliest slot
//     first and one slot a desk, among the other desks that will surely be
//     free for them: open, nobody at them, nobody for them to call, serving
//     the slot's service and working at the slot. If a slot is left over
//     and this desk works then, it is the one the slot needs: it does not
//     start a walk-in expected to run past that slot (by more than
//     planGrace): it gives the first walk-in of another of its services
//     whose job is expected to end in time, or stays free and asks again.
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
	why  Reason // Code "": the policy's own reason
}

// booking is a booked slot a desk may have to be free for. An empty
// service stands for any of the desk's services.
type booking struct {
	at      time.Time
	service string
}

// otherDesk is another open desk as planning sees it: what it serves and
// when it is expected to be free. The live box lists the desks free now;
// a forward replay may list its virtual desks with their finish times.
type otherDesk struct {
	c    *Counter
	free time.Time
}

// planIn is what planning reads besides the queues: the booked slots of the
// desk's services due within the hold window and, to decide whether this
// desk is the one a slot needs, the other desks. With desks nil, idle
// counts the other desks that will surely be free (nobody at them, nobody
// for them to call): the estimate's forward replay plans that way.
type planIn struct {
	due   func() []booking
	desks func() []otherDesk
	idle  func() int
	// works reports whether c is scheduled to work at t.
	works func(c *Counter, t time.Time) bool
}

// choose is the call the engine makes for ctr: the policy's pick with
// appointment planning applied. held reports a desk kept free on purpose.
// due lists the slots of booked (not yet checked-in) appointments of the
// desk's services; idle counts the other open desks of those services that
// have nobody at them and nobody to call, so will be free for the slot.
func (e *Engine) choose(p policy, ctr *Counter, queues []*waitQueue, due func() []time.Time, idle func() int) (t *Ticket, rot Rotation, held bool) {
	in := planIn{idle: idle, due: func() []booking {
		var out []booking
		for _, at := range due() {
			out = append(out, booking{at: at})
		}
		return out
	}}
	d := e.decide(p, ctr, queues, in)
	return d.t, d.rot, d.held
}

// decide is choose with the reason for a pick that planning changed.
func (e *Engine) decide(p policy, ctr *Counter, queues []*waitQueue, in planIn) decision {
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
	var slots []booking
	for _, b := range in.due() {
		if b.at.After(p.now) && b.at.Sub(p.now) <= hold {
			slots = append(slots, b)
		}
	}
	if appt == nil && len(slots) == 0 {
		return decision{t: t, rot: rot}
	}
	sort.Slice(slots, func(i, j int) bool { return slots[i].at.Before(slots[j].at) })
	var first time.Time
	if len(slots) > 0 {
		first = slots[0].at
	}
	// 1. The booked service's queue first (past the cap too: among those
	// any order keeps the cap).
	var why Reason
	if booked := e.bookedQueues(queues); len(booked) > 0 && len(booked) < len(queues) {
		if bt, brot := p.pick(booked); bt != nil && bt.AppointmentAt == nil && bt != t && p.class(bt) <= class {
			t, rot, class = bt, brot, p.class(bt)
			why = p.reason(t, loc)
			why.Args.BeforeBooked = e.nextSlot(appt, first).In(loc).Format("15:04")
		}
	}
	if class == classOverdue {
		return decision{t: t, rot: rot, why: why}
	}
	// 2. The booked customer who is here already.
	if appt != nil {
		return decision{t: appt, rot: p.rot, why: Reason{ReasonBookedEarly, ReasonArgs{At: appt.AppointmentAt.In(loc).Format("15:04")}}}
	}
	// Which slot, if any, needs this desk: the other desks take the slots
	// they will be free for, earliest slot first.
	need, needed := e.deskNeeded(ctr, slots, in, p.now)
	if !needed {
		return decision{t: t, rot: rot, why: why}
	}
	// 3. Nobody who would pass the cap before the slot is held back.
	if p.capBy(t, need.Add(planGrace)) {
		return decision{t: t, rot: rot, why: why}
	}
	// 4. Keep the desk for the slot.
	fits := func(x *Ticket) bool {
		expected := e.prior(x.ServiceID)
		if e.est != nil {
			expected = e.est.Remaining(x.ServiceID, ctr.ID, expected, 0)
		}
		return !p.now.Add(expected).After(need.Add(planGrace))
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
		for _, ll := range q.levels {
			if head == nil || p.better(ll.l[0], head) {
				head = ll.l[0]
			}
		}
		if head != nil && head != t && p.eligible(head) && fits(head) && (alt == nil || p.better(head, alt)) {
			alt = head
		}
	}
	if alt != nil {
		return decision{t: alt, rot: p.rot, why: Reason{ReasonShortJob, ReasonArgs{At: need.In(loc).Format("15:04")}}}
	}
	return decision{rot: p.rot, held: true}
}

// deskNeeded reports the first of slots (earliest first) that no other
// desk will take, if this desk works then: each slot goes to the other desk
// of its service free first (by the slot, plus planGrace) and working at
// the slot, one slot per desk. Without the desks (in.desks nil), the slots
// are only counted against in.idle.
func (e *Engine) deskNeeded(ctr *Counter, slots []booking, in planIn, now time.Time) (time.Time, bool) {
	if len(slots) == 0 {
		return time.Time{}, false
	}
	if in.desks == nil {
		if len(slots) <= in.idle() {
			return time.Time{}, false
		}
		return slots[0].at, true
	}
	others := in.desks()
	sort.SliceStable(others, func(i, j int) bool { return others[i].free.Before(others[j].free) })
	taken := make([]bool, len(others))
	for _, b := range slots {
		covered := false
		for i, o := range others {
			if taken[i] || (b.service != "" && !o.c.Serves(b.service)) || o.free.After(b.at.Add(planGrace)) {
				continue
			}
			if in.works != nil && !in.works(o.c, b.at) {
				continue
			}
			taken[i], covered = true, true
			break
		}
		if !covered && (in.works == nil || in.works(ctr, b.at)) {
			return b.at, true
		}
	}
	return time.Time{}, false
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

// planInputs gives decide the live box's booked slots and other desks.
func (e *Engine) planInputs(ctr *Counter, now time.Time) planIn {
	due := func() []booking {
		hold := time.Duration(e.settings.AppointmentHoldMinutes) * time.Minute
		var out []booking
		for _, a := range e.appts {
			if a.Status == ApptBooked && a.Start.After(now) && a.Start.Sub(now) <= hold && ctr.Serves(a.ServiceID) {
				out = append(out, booking{at: a.Start, service: a.ServiceID})
			}
		}
		return out
	}
	desks := func() []otherDesk {
		busy := map[string]bool{}
		for _, t := range e.active {
			if t.Status == StatusCalled || t.Status == StatusServing {
				busy[t.CounterID] = true
			}
		}
		var out []otherDesk
		for _, id := range e.counterIDs() {
			c := e.counters[id]
			// Only a desk with nobody at it and nobody to call will surely
			// still be free for the slot. (A busy desk could be counted by
			// when its job is expected to end; the estimate's forward replay
			// plans with free desks only, and the estimate must follow the
			// calls: tried, it took slightly more walk-ins before slots,
			// kept no more slots on time and made the estimate worse.)
			if id == ctr.ID || c.Paused || busy[id] || e.waitingForLocked(c) > 0 || !sharesService(c, ctr) {
				continue
			}
			out = append(out, otherDesk{c: c, free: now})
		}
		return out
	}
	works := func(c *Counter, t time.Time) bool {
		for _, iv := range e.workIntervals(c, now, t.Add(time.Minute)) {
			if !t.Before(iv.from) && t.Before(iv.to) {
				return true
			}
		}
		return false
	}
	return planIn{due: due, desks: desks, works: works}
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
	for _, ll := range q.levels {
		return ll.l[0].ServiceID
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
