package queue

import (
	"fmt"
	"sort"
	"time"
)

// The routing policy decides who is called next. One function, pick, decides
// every call; order replays it to list the queue, and ahead counts the same
// order, so GET /queue, "ahead" and call-next can never disagree.
//
// The rules, in order:
//  1. anti-starvation: a ticket that has waited longer than the branch's
//     maximum-wait cap is called first, oldest first, whatever its level;
//  2. otherwise the highest priority level goes first;
//  3. inside a level, the oldest issue time goes first (FIFO). A transfer
//     keeps its issue time, so it does not lose its place.

// lane is one service's waiting tickets of one priority level, oldest first.
type lane []*Ticket

func before(a, b *Ticket) bool {
	if !a.IssuedAt.Equal(b.IssuedAt) {
		return a.IssuedAt.Before(b.IssuedAt)
	}
	return ticketSeq(a) < ticketSeq(b)
}

// ticketSeq orders ids made by the engine (decimal counters) numerically.
func ticketSeq(t *Ticket) uint64 {
	var n uint64
	for i := 0; i < len(t.ID); i++ {
		n = n*10 + uint64(t.ID[i]-'0')
	}
	return n
}

// waitQueue holds one service's waiting tickets by level.
type waitQueue struct {
	levels map[int]lane
	n      int
}

func (q *waitQueue) insert(t *Ticket) {
	if q.levels == nil {
		q.levels = map[int]lane{}
	}
	l := q.levels[t.Priority]
	i := sort.Search(len(l), func(i int) bool { return before(t, l[i]) })
	l = append(l, nil)
	copy(l[i+1:], l[i:])
	l[i] = t
	q.levels[t.Priority] = l
	q.n++
}

func (q *waitQueue) remove(t *Ticket) {
	l := q.levels[t.Priority]
	i := sort.Search(len(l), func(i int) bool { return !before(l[i], t) })
	if i < len(l) && l[i] == t {
		l = append(l[:i], l[i+1:]...)
		if len(l) == 0 {
			delete(q.levels, t.Priority)
		} else {
			q.levels[t.Priority] = l
		}
		q.n--
	}
}

// policy is the routing policy with the settings it depends on.
type policy struct {
	now time.Time
	cap time.Duration // 0 = no cap
}

func (p policy) overdue(t *Ticket) bool {
	return p.cap > 0 && p.now.Sub(t.IssuedAt) > p.cap
}

// better reports whether a is called before b.
func (p policy) better(a, b *Ticket) bool {
	ao, bo := p.overdue(a), p.overdue(b)
	if ao != bo {
		return ao
	}
	if !ao && a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	return before(a, b)
}

// reason says in words why t is called when it heads the order.
func (p policy) reason(t *Ticket) string {
	switch {
	case p.overdue(t):
		return fmt.Sprintf("waited past the %d-min cap", int(p.cap/time.Minute))
	case t.Priority > PriorityNormal:
		return fmt.Sprintf("priority level %d, oldest first", t.Priority)
	default:
		return "next in line"
	}
}

// pick returns the ticket the policy calls next from the given queues.
func (p policy) pick(queues []*waitQueue) *Ticket {
	var best *Ticket
	for _, q := range queues {
		for _, l := range q.levels {
			// Inside a lane, the head is both the oldest and, being the
			// oldest, the first to become overdue: only heads compete.
			if best == nil || p.better(l[0], best) {
				best = l[0]
			}
		}
	}
	return best
}

// order lists every waiting ticket of the queues in the order pick would call them.
func (p policy) order(queues []*waitQueue) []*Ticket {
	var all []*Ticket
	for _, q := range queues {
		for _, l := range q.levels {
			all = append(all, l...)
		}
	}
	sort.Slice(all, func(i, j int) bool { return p.better(all[i], all[j]) })
	return all
}

// ahead counts the tickets of q that order puts before t, without sorting:
// it must stay cheap with thousands waiting, since every issue answers it.
func (p policy) ahead(q *waitQueue, t *Ticket) int {
	n := 0
	tOver := p.overdue(t)
	for level, l := range q.levels {
		// Tickets issued before t in this lane.
		older := sort.Search(len(l), func(i int) bool { return !before(l[i], t) })
		switch {
		case tOver:
			// Only older tickets are overdue before t; all of them are.
			n += older
		case level > t.Priority:
			n += len(l)
		case level == t.Priority:
			n += older
		default:
			// Lower levels: only their overdue tickets jump ahead.
			n += sort.Search(len(l), func(i int) bool { return !p.overdue(l[i]) })
		}
	}
	return n
}
