package queue

import (
	"sort"
	"time"
)

// The no-show chain. A called customer who has not come to the counter
// within the branch's grace time (settings grace_seconds) does not stall
// the counter: the ticket goes back to the queue, lets push_back_places
// other calls of its service go first, and is called again when its turn
// comes. After max_recalls such returns it becomes a no-show, which counts
// against the customer's booking rights.

// ExpireCalls applies the chain to every called ticket whose grace has
// run out; it returns how many tickets it moved.
func (e *Engine) ExpireCalls() (int, error) {
	e.mu.Lock()
	grace := time.Duration(e.settings.GraceSeconds) * time.Second
	if grace <= 0 {
		e.mu.Unlock()
		return 0, nil
	}
	now := e.clock.Now()
	c := &Change{}
	n := 0
	for _, t := range e.active {
		if t.Status != StatusCalled || t.CalledAt == nil || now.Sub(*t.CalledAt) < grace {
			continue
		}
		n++
		if t.PushBacks >= e.settings.MaxRecalls {
			e.endLocked(c, t, StatusNoShow, EventNoShow, "clock", now)
			continue
		}
		ctr := e.counterCopy(t.CounterID)
		t.PushBacks++
		t.Status = StatusWaiting
		t.CalledAt, t.StartedAt = nil, nil
		t.CounterID = ""
		clearCallReason(t)
		t.HoldCalls = e.settings.PushBackPlaces
		e.queueOf(t.ServiceID).insert(t)
		c.Tickets = append(c.Tickets, *t)
		c.Events = append(c.Events, Event{Type: EventPushedBack, Actor: "clock", Ticket: copyTicket(t), Counter: ctr})
	}
	if n == 0 {
		e.mu.Unlock()
		return 0, nil
	}
	if err := e.commitUnlock(c, "expire calls"); err != nil {
		return 0, err
	}
	return n, nil
}

// releaseHoldsLocked counts a call of service against the tickets pushed
// back in it: each lets one more call go first.
func (e *Engine) releaseHoldsLocked(c *Change, serviceID string) {
	q := e.waiting[serviceID]
	if q == nil || q.held == 0 {
		return
	}
	for _, ll := range q.levels {
		for _, t := range ll.l {
			if t.HoldCalls > 0 {
				t.HoldCalls--
				if t.HoldCalls == 0 {
					q.held--
				}
				c.Tickets = append(c.Tickets, *t)
			}
		}
	}
}

// held reports whether t still lets others go first.
func held(t *Ticket) bool { return t.HoldCalls > 0 }

func anyHeld(queues []*waitQueue) bool {
	for _, q := range queues {
		if q.held > 0 {
			return true
		}
	}
	return false
}

// order lists every waiting ticket of the queues in the order pick would
// call them: a pushed-back ticket sits as many places behind the front as
// calls it still lets go first.
func (p policy) order(queues []*waitQueue) []*Ticket {
	all := p.orderAll(queues)
	if !anyHeld(queues) {
		return all
	}
	var free, back []*Ticket
	for _, t := range all {
		if held(t) {
			back = append(back, t)
		} else {
			free = append(free, t)
		}
	}
	// Fewest holds first: a later one counts the earlier ones' calls too.
	sort.SliceStable(back, func(i, j int) bool { return back[i].HoldCalls < back[j].HoldCalls })
	out := free
	for _, t := range back {
		i := min(t.HoldCalls, len(out))
		out = append(out[:i], append([]*Ticket{t}, out[i:]...)...)
	}
	return out
}
