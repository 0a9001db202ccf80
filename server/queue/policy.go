package queue

import (
	"fmt"
	"sort"
	"time"
)

// The routing policy decides who is called next. One definition, rank,
// orders every waiting ticket; pick takes the first, order lists them all, and
// ahead counts the same order, so GET /queue, "ahead" and call-next can never
// disagree.
//
// The rules, in order:
//  1. anti-starvation: a ticket that has waited longer than the branch's
//     maximum-wait cap is called first, oldest first, whatever its kind
//     (with tiers, a better tier first among them: tiers.go);
//  2. a checked-in appointment whose slot has come (AppointmentLead before
//     its start) is next, earliest slot first;
//  3. a ticket at risk goes next, the least slack first (see risk.go): one
//     that will pass the cap, or (with tiers) miss its tier's SLA target,
//     before the desks of its service are expected to turn over a few times;
//     a tier ticket whose target only this call can still keep goes first
//     among them (its "last chance");
//  4. otherwise the highest priority level goes first — or, when the branch
//     sets priority weights, levels take turns in a weighted rotation (e.g.
//     weights [1, 0, 2]: two VIP calls, then one normal call), skipping
//     levels nobody waits in;
//  5. inside a level, the first issued goes first (FIFO): the order in which
//     the box issued the tickets (their ids), whatever the wall clock did —
//     with tiers, the waiting time weighed by the tier's share (tiers.go). A
//     transfer keeps its id, so it does not lose its place. An appointment
//     that checked in early waits like a walk-in until its slot comes.
//
// Waits are measured on the box's running time (see timekeeping.go), which
// grows with issue order, so the overdue tickets of a lane are its head.

// AppointmentLead is how long before its slot a checked-in appointment moves
// ahead of walk-ins.
const AppointmentLead = 2 * time.Minute

// lane is one service's waiting walk-in tickets of one priority level, oldest first.
type lane []*Ticket

func before(a, b *Ticket) bool {
	return ticketSeq(a) < ticketSeq(b)
}

func sortBySeq(ts []*Ticket) {
	sort.Slice(ts, func(i, j int) bool { return before(ts[i], ts[j]) })
}

// ticketSeq orders ids made by the engine (decimal counters) numerically.
func ticketSeq(t *Ticket) uint64 {
	var n uint64
	for i := 0; i < len(t.ID); i++ {
		n = n*10 + uint64(t.ID[i]-'0')
	}
	return n
}

// waitQueue holds one service's waiting tickets: walk-ins by level, and
// checked-in appointments apart, since their rank changes as slots come.
type waitQueue struct {
	levels levelLanes
	appts  []*Ticket
	n      int
	held   int // pushed-back tickets still letting others go first
	// shared is set on the replay's copy: its lists start as the queue's
	// own arrays, so it takes tickets out without writing to them (and a
	// ticket put in makes a new array, as none has room to spare).
	shared bool
}

// levelLanes are a queue's walk-in lanes, one per priority level someone
// waits in, highest level first. A queue has a few at most: a list, not a
// map, since the replay looks at every lane's head for each call it plays
// and iterating a map was most of the cost of its pick.
type levelLanes []levelLane

type levelLane struct {
	level int
	l     lane
}

// get is level's lane (nil when nobody waits in it).
func (ls levelLanes) get(level int) lane {
	for _, x := range ls {
		if x.level == level {
			return x.l
		}
	}
	return nil
}

// set makes l level's lane; an empty l drops the level.
func (ls *levelLanes) set(level int, l lane) {
	s := *ls
	i := 0
	for i < len(s) && s[i].level > level {
		i++
	}
	switch {
	case i < len(s) && s[i].level == level && len(l) == 0:
		*ls = append(s[:i], s[i+1:]...)
	case i < len(s) && s[i].level == level:
		s[i].l = l
	case len(l) > 0:
		s = append(s, levelLane{})
		copy(s[i+1:], s[i:])
		s[i] = levelLane{level, l}
		*ls = s
	}
}

func insertSorted(l []*Ticket, t *Ticket) []*Ticket {
	if len(l) == 0 || before(l[len(l)-1], t) {
		// A new ticket comes after everyone: no search.
		return append(l, t)
	}
	i := sort.Search(len(l), func(i int) bool { return before(t, l[i]) })
	l = append(l, nil)
	copy(l[i+1:], l[i:])
	l[i] = t
	return l
}

func removeSorted(l []*Ticket, t *Ticket, shared bool) ([]*Ticket, bool) {
	if len(l) > 0 && l[0] == t {
		// The head goes on nearly every call, and the estimate's replay
		// calls a whole queue one head at a time: finding it must not cost
		// a search, and dropping it must not move the rest (that made each
		// replay quadratic in the tickets waiting). The next append that
		// outgrows the array lets go of the slot.
		if !shared {
			l[0] = nil
		}
		return l[1:len(l):cap(l)], true
	}
	i := sort.Search(len(l), func(i int) bool { return !before(l[i], t) })
	if i >= len(l) || l[i] != t {
		return l, false
	}
	if shared {
		return append(append(make([]*Ticket, 0, len(l)-1), l[:i]...), l[i+1:]...), true
	}
	return append(l[:i], l[i+1:]...), true
}

func (q *waitQueue) insert(t *Ticket) {
	if held(t) {
		q.held++
	}
	if t.AppointmentAt != nil {
		q.appts = insertSorted(q.appts, t)
		q.n++
		return
	}
	q.levels.set(t.Priority, insertSorted(q.levels.get(t.Priority), t))
	q.n++
}

func (q *waitQueue) remove(t *Ticket) {
	var ok bool
	if t.AppointmentAt != nil {
		q.appts, ok = removeSorted(q.appts, t, q.shared)
	} else {
		var l lane
		l, ok = removeSorted(q.levels.get(t.Priority), t, q.shared)
		q.levels.set(t.Priority, l)
	}
	if ok {
		q.n--
		if held(t) {
			q.held--
		}
	}
}

// Rotation is where the weighted rotation between levels stands: how many
// calls each level has had in the current round.
type Rotation struct {
	Used map[int]int `json:"used"`
}

// policy is the routing policy at one moment with the settings it depends on.
type policy struct {
	now     time.Time
	run     time.Duration // the box's running time
	cap     time.Duration // 0 = no cap
	weights []int         // calls per round by level; nil = strict priority
	rot     Rotation
	tiers   tierPlan
	tally   map[string]SLATally // today's calls per tier, read only
	counter string              // the counter calling, for dedicated and preferred desks
	fifo    bool                // every ticket alike: issue order only (the simulator's baseline)
	// horizon is, per service, how long until another desk serving it is
	// expected to be free: how long a ticket passed over now waits at least.
	horizon map[string]time.Duration
}

func (p policy) rotating() bool { return len(p.weights) > 0 }

func (p policy) weight(level int) int {
	if level < len(p.weights) {
		return p.weights[level]
	}
	return 0
}

// turn picks the level whose turn it is among those with someone waiting,
// and returns the rotation after that call. A round gives each level its
// weight in calls, highest level first; a level of weight 0 is served only
// when no weighted level has anyone waiting.
func (p policy) turn(levels []int, rot Rotation) (int, Rotation) {
	sort.Sort(sort.Reverse(sort.IntSlice(levels)))
	choose := func() (int, bool) {
		for _, l := range levels {
			if rot.Used[l] < p.weight(l) {
				return l, true
			}
		}
		return 0, false
	}
	l, ok := choose()
	if !ok {
		rot = Rotation{}
		if l, ok = choose(); !ok {
			// Only unweighted levels wait: the highest goes.
			return levels[0], rot
		}
	}
	used := make(map[int]int, len(rot.Used)+1)
	for k, v := range rot.Used {
		used[k] = v
	}
	used[l]++
	return l, Rotation{Used: used}
}

func levelName(l int) string {
	switch l {
	case 0:
		return "normal"
	case 1:
		return "priority"
	case 2:
		return "VIP"
	}
	return fmt.Sprintf("level %d", l)
}

// Ranking classes, called in this order.
const (
	classOverdue = iota
	classAppointment
	classAtRisk
	classLevel
)

func (p policy) overdue(t *Ticket) bool {
	return p.cap > 0 && p.run-t.IssuedRun > p.cap
}

func (p policy) due(t *Ticket) bool {
	return t.AppointmentAt != nil && !p.now.Before(t.AppointmentAt.Add(-AppointmentLead))
}

func (p policy) class(t *Ticket) int {
	switch {
	case p.fifo:
		return classLevel
	case p.overdue(t):
		return classOverdue
	case p.due(t):
		return classAppointment
	case p.atRisk(t):
		return classAtRisk
	}
	return classLevel
}

// better reports whether a is called before b: the one ranking of the policy.
func (p policy) better(a, b *Ticket) bool {
	if ha, hb := held(a), held(b); ha != hb {
		// A pushed-back ticket lets the others go first, even past the cap.
		return hb
	}
	ca, cb := p.class(a), p.class(b)
	if ca != cb {
		return ca < cb
	}
	switch ca {
	case classOverdue:
		// Everyone here goes before anyone under the cap; among them a
		// better tier still counts, so a peak past the cap does not undo it.
		if p.tiers.enabled {
			if sa, sb := p.tierScore(a), p.tierScore(b); sa != sb {
				return sa > sb
			}
		}
	case classAppointment:
		if !a.AppointmentAt.Equal(*b.AppointmentAt) {
			return a.AppointmentAt.Before(*b.AppointmentAt)
		}
	case classAtRisk:
		if la, lb := p.lastChance(a), p.lastChance(b); la != lb {
			return la
		}
		if sa, sb := p.slack(a), p.slack(b); sa != sb {
			return sa < sb
		}
	case classLevel:
		if a.Priority != b.Priority {
			return a.Priority > b.Priority
		}
		if better, ok := p.tierBetter(a, b, ca); ok {
			return better
		}
	}
	return before(a, b)
}

// reason says why t is called when it heads the order.
func (p policy) reason(t *Ticket, loc *time.Location) Reason {
	switch p.class(t) {
	case classOverdue:
		return Reason{ReasonCap, ReasonArgs{CapMinutes: int(p.cap / time.Minute)}}
	case classAppointment:
		return Reason{ReasonAppointment, ReasonArgs{At: t.AppointmentAt.In(loc).Format("15:04")}}
	case classAtRisk:
		return p.riskReason(t)
	}
	if r := p.tierReason(t); r.Code != "" && t.Priority == PriorityNormal {
		return r
	}
	if p.rotating() {
		return Reason{ReasonRotation, ReasonArgs{Level: levelName(t.Priority), Weights: p.levelWeights()}}
	}
	if t.Priority > PriorityNormal {
		return Reason{ReasonPriority, ReasonArgs{Priority: t.Priority}}
	}
	return Reason{Code: ReasonNextInLine}
}

// levelWeights is the rotation, highest level first, e.g. 2 VIP : 1 normal.
func (p policy) levelWeights() []LevelWeight {
	var out []LevelWeight
	for l := len(p.weights) - 1; l >= 0; l-- {
		if p.weights[l] > 0 {
			out = append(out, LevelWeight{Level: levelName(l), Weight: p.weights[l]})
		}
	}
	return out
}

// pick returns the ticket the policy calls next from the given queues, and
// the rotation after that call.
func (p policy) pick(queues []*waitQueue) (*Ticket, Rotation) {
	if p.tiers.enabled || anyHeld(queues) {
		return p.pickTiered(queues)
	}
	var best *Ticket
	consider := func(t *Ticket) {
		if best == nil || p.better(t, best) {
			best = t
		}
	}
	for _, q := range queues {
		for _, ll := range q.levels {
			// Inside a lane the head is the oldest and so also the first
			// to be overdue: only heads compete.
			consider(ll.l[0])
		}
		for _, t := range q.appts {
			consider(t)
		}
	}
	if best == nil || !p.rotating() || p.class(best) != classLevel {
		return best, p.rot
	}
	// Whose turn is it? Then the oldest of that level.
	var levels []int
	seen := map[int]bool{}
	for _, q := range queues {
		for _, ll := range q.levels {
			if !seen[ll.level] {
				seen[ll.level] = true
				levels = append(levels, ll.level)
			}
		}
		for _, t := range q.appts {
			if !seen[t.Priority] {
				seen[t.Priority] = true
				levels = append(levels, t.Priority)
			}
		}
	}
	level, rot := p.turn(levels, p.rot)
	best = nil
	for _, q := range queues {
		if l := q.levels.get(level); len(l) > 0 {
			consider(l[0])
		}
		for _, t := range q.appts {
			if t.Priority == level {
				consider(t)
			}
		}
	}
	return best, rot
}

// order lists every waiting ticket of the queues in the order pick would call them.
func (p policy) orderAll(queues []*waitQueue) []*Ticket {
	var all []*Ticket
	for _, q := range queues {
		for _, ll := range q.levels {
			all = append(all, ll.l...)
		}
		all = append(all, q.appts...)
	}
	sort.Slice(all, func(i, j int) bool { return p.better(all[i], all[j]) })
	if !p.rotating() {
		return all
	}
	// The overdue and the due appointments keep their place at the front;
	// the rest is replayed turn by turn from the current rotation.
	front := 0
	for front < len(all) && p.class(all[front]) != classLevel {
		front++
	}
	byLevel := map[int][]*Ticket{}
	for _, t := range all[front:] {
		byLevel[t.Priority] = append(byLevel[t.Priority], t) // stays oldest first
	}
	out := append([]*Ticket(nil), all[:front]...)
	rot := p.rot
	for len(byLevel) > 0 {
		levels := make([]int, 0, len(byLevel))
		for l := range byLevel {
			levels = append(levels, l)
		}
		var l int
		l, rot = p.turn(levels, rot)
		out = append(out, byLevel[l][0])
		if byLevel[l] = byLevel[l][1:]; len(byLevel[l]) == 0 {
			delete(byLevel, l)
		}
	}
	return out
}

// ahead counts the tickets of q that order puts before t, without sorting
// the walk-ins: it must stay cheap with thousands waiting, since every issue
// answers it. Appointments are few and are compared one by one.
func (p policy) ahead(q *waitQueue, t *Ticket) int {
	if p.rotating() || p.tiers.enabled || q.held > 0 {
		// The rotation interleaves levels; count by replaying it.
		for i, x := range p.order([]*waitQueue{q}) {
			if x == t {
				return i
			}
		}
		return 0
	}
	n := 0
	class := p.class(t)
	for _, ll := range q.levels {
		level, l := ll.level, ll.l
		older := func() int {
			if len(l) > 0 && l[len(l)-1] == t {
				return len(l) - 1 // a new ticket, at its lane's end: no search
			}
			return sort.Search(len(l), func(i int) bool { return !before(l[i], t) })
		}
		switch {
		case class == classOverdue || class == classAtRisk:
			// Every older ticket is overdue or at risk too, with less
			// slack (one service, one horizon), and comes first.
			n += older()
		case class == classAppointment:
			n += sort.Search(len(l), func(i int) bool { return !p.overdue(l[i]) })
		case level > t.Priority:
			n += len(l)
		case level == t.Priority:
			n += older()
		default:
			// Lower levels: only their overdue and at-risk tickets jump ahead.
			n += sort.Search(len(l), func(i int) bool { return p.class(l[i]) == classLevel })
		}
	}
	for _, a := range q.appts {
		if a != t && p.better(a, t) {
			n++
		}
	}
	return n
}
