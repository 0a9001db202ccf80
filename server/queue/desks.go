package queue

import "sync"

// deskCache remembers which ticket each counter has called or is serving,
// for the estimate's replay: finding them by walking every active ticket
// cost more than the rest of a replay once a few thousand wait, and every
// issue replays. A ticket only becomes a counter's through callLocked (or
// comes back so from the store), which moves deskGen on; one leaves it in
// many ways, and busyLocked checks each remembered ticket is still there.
type deskCache struct {
	mu   sync.Mutex
	gen  uint64 // deskGen the map was made at
	made bool
	busy map[string]*Ticket
	// dups: the walk that made the map found a counter with two tickets
	// (the engine never makes that, a store could hold it).
	dups bool
}

// deskChangedLocked notes that a counter may have taken a ticket.
func (e *Engine) deskChangedLocked() { e.deskGen++ }

// deskTookLocked notes that counter cid has taken t, having let go of any
// other (callLocked): a map made before is kept, with t put in, rather
// than made again by walking every active ticket on the next replay.
func (e *Engine) deskTookLocked(cid string, t *Ticket) {
	d := &e.desks
	d.mu.Lock()
	defer d.mu.Unlock()
	current := d.made && d.gen == e.deskGen
	e.deskGen++
	if current {
		d.busy[cid] = t
		d.gen = e.deskGen
	}
}

// busyLocked returns the ticket each counter has called or is serving, by
// counter id. The caller holds e.mu (read or write) and may keep the map.
func (e *Engine) busyLocked() map[string]*Ticket {
	d := &e.desks
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.made || d.gen != e.deskGen {
		d.busy, d.dups = map[string]*Ticket{}, false
		for _, t := range e.active {
			if atDesk(t) {
				if d.busy[t.CounterID] != nil {
					d.dups = true
				}
				d.busy[t.CounterID] = t
			}
		}
		d.gen, d.made = e.deskGen, true
	}
	out := make(map[string]*Ticket, len(d.busy))
	for cid, t := range d.busy {
		if e.active[t.ID] == t && atDesk(t) && t.CounterID == cid {
			out[cid] = t
		}
	}
	return out
}

// atCounterLocked returns the tickets counter cid has called or is
// serving: its entry in the busy desks' map (made first if need be), not a
// walk of every active ticket on each call, unless the map found a counter
// with two. The caller holds e.mu.
func (e *Engine) atCounterLocked(cid string) []*Ticket {
	busy := e.busyLocked()
	e.desks.mu.Lock()
	dups := e.desks.dups
	e.desks.mu.Unlock()
	if !dups {
		if t := busy[cid]; t != nil {
			return []*Ticket{t}
		}
		return nil
	}
	var out []*Ticket
	for _, t := range e.active {
		if atDesk(t) && t.CounterID == cid {
			out = append(out, t)
		}
	}
	return out
}

func atDesk(t *Ticket) bool {
	return (t.Status == StatusCalled || t.Status == StatusServing) && t.CounterID != ""
}
