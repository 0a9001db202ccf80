package live

// ring keeps the most recent events for since= resumes. Its events always
// have consecutive seqs (Publish resets it at a gap), so an event's position
// follows from its seq.
type ring struct {
	evs  []Event // fixed size
	head int     // index of the oldest event
	n    int
}

// first returns the seq of the oldest event; only valid when n > 0.
func (r *ring) first() uint64 { return r.evs[r.head].Seq }

// last returns the seq of the newest event; only valid when n > 0.
func (r *ring) last() uint64 { return r.evs[(r.head+r.n-1)%len(r.evs)].Seq }

func (r *ring) push(ev Event) {
	if r.n < len(r.evs) {
		r.evs[(r.head+r.n)%len(r.evs)] = ev
		r.n++
		return
	}
	r.evs[r.head] = ev
	r.head = (r.head + 1) % len(r.evs)
}

func (r *ring) reset() {
	clear(r.evs) // let the GC have the old events' data
	r.head, r.n = 0, 0
}

// keeps reports whether every event after seq is still held; only valid when
// n > 0.
func (r *ring) keeps(seq uint64) bool {
	first := r.first()
	return first == 0 || seq >= first-1
}

// since returns a copy of the held events after seq. Copying lets the caller
// render them after the hub lock is released.
func (r *ring) since(seq uint64) []Event {
	if r.n == 0 || seq >= r.last() {
		return nil
	}
	skip := 0
	if first := r.first(); seq >= first {
		skip = int(seq - first + 1)
	}
	out := make([]Event, 0, r.n-skip)
	for i := skip; i < r.n; i++ {
		out = append(out, r.evs[(r.head+i)%len(r.evs)])
	}
	return out
}
