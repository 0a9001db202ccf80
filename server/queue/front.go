package queue

// orderOf is p.order of one service's queue, at most its first k tickets
// (k < 0: all), without sorting the queue when the policy allows.
//
// Without a rotation, tiers or a pushed-back ticket, a lane (the walk-ins
// of one level, oldest first) is already in the policy's order: the older
// of two tickets of a lane has waited longer, so it is overdue, at risk or
// past the cap's look-ahead no later than the younger, and among tickets
// of one class and level the older goes first (pick relies on it too and
// looks at lane heads only). The order is then the lanes merged by better,
// and the checked-in appointments put in by better one by one: with one
// level and no appointments it costs no comparison at all, where a sort of
// thousands waiting asks better thousands of times, each time working out
// both tickets' class. The live push and the near-turn check order the
// queues on every change.
func (p policy) orderOf(q *waitQueue, k int) []*Ticket {
	if p.rotating() || p.tiers.enabled || q.held > 0 || !lanesByWait(q) {
		all := p.order([]*waitQueue{q})
		if k >= 0 && k < len(all) {
			all = all[:k]
		}
		return all
	}
	n := q.n
	if k >= 0 && k < n {
		n = k
	}
	out := make([]*Ticket, 0, n)
	heads := make([]lane, 0, len(q.levels)+len(q.appts))
	for _, ll := range q.levels {
		if len(ll.l) > 0 {
			heads = append(heads, ll.l)
		}
	}
	for i := range q.appts {
		heads = append(heads, q.appts[i:i+1]) // each its own: their rank is their slot's
	}
	for len(out) < n && len(heads) > 0 {
		best := 0
		for i := 1; i < len(heads); i++ {
			if p.better(heads[i][0], heads[best][0]) {
				best = i
			}
		}
		if len(heads) == 1 {
			rest := heads[0]
			if len(rest) > n-len(out) {
				rest = rest[:n-len(out)]
			}
			out = append(out, rest...)
			break
		}
		out = append(out, heads[best][0])
		if heads[best] = heads[best][1:]; len(heads[best]) == 0 {
			heads = append(heads[:best], heads[best+1:]...)
		}
	}
	return out
}

// lanesByWait reports whether every lane of q is oldest first by the box's
// running time as well as by issue, as orderOf needs (the running time only
// moves forward, so it always is).
func lanesByWait(q *waitQueue) bool {
	for _, ll := range q.levels {
		l := ll.l
		for i := 1; i < len(l); i++ {
			if l[i].IssuedRun < l[i-1].IssuedRun {
				return false
			}
		}
	}
	return true
}
