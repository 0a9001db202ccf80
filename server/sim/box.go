package sim

import (
	"fmt"
	"log/slog"
	"time"

	"queuebox/server/queue"
	"queuebox/server/store"
)

// Box is the engine the simulator plays on, on a real database and a
// virtual clock. Run makes a throw-away one; OpenBox plays on a box's own
// database (e.g. to give a new demo box a past).
type Box struct {
	st  *asyncStore
	clk *clock
	eng *queue.Engine
}

// OpenBox builds an engine on db with a virtual clock reading start. The
// clock only moves forward as days are played; start must not be before
// the database's newest record.
func OpenBox(db *store.DB, start time.Time) (*Box, error) {
	st := &asyncStore{DB: db}
	clk := &clock{now: start}
	eng, err := queue.New(st, clk, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, fmt.Errorf("open the engine: %w", err)
	}
	return &Box{st: st, clk: clk, eng: eng}, nil
}

// Engine is the box's engine, e.g. for what identifies customers.
func (b *Box) Engine() *queue.Engine { return b.eng }

// Clock is the virtual clock the engine reads.
func (b *Box) Clock() queue.Clock { return b.clk }

// Flush waits until every change handed to the store is committed.
func (b *Box) Flush() error { return b.st.flush() }

func (b *Box) player(tr *Trace, p *plan, opt Options) *player {
	return &player{tr: tr, p: p, opt: opt, clk: b.clk, eng: b.eng, st: b.st, byID: map[string]*Line{}}
}

// Play plays tr's days on the box as it is configured: unlike Run it sets
// no settings, services, counters or tiers, so the trace's services and
// counters must be the box's own (the trace gives each desk's shifts and
// pace, and the days). Bookings must fit the box's slots. Each desk of the
// trace is paused outside its shifts and left paused or not as it was found.
// The days must come after everything the box has recorded.
func (b *Box) Play(tr *Trace, opt Options) ([]*Line, error) {
	p, err := tr.check()
	if err != nil {
		return nil, err
	}
	pl := b.player(tr, p, opt)
	was := map[string]bool{}
	for _, c := range b.eng.Counters() {
		was[c.ID] = c.Paused
	}
	for i, c := range tr.Counters {
		paused, ok := was[c.ID]
		if !ok {
			return nil, fmt.Errorf("counter %s of the trace is not one of the box's", c.ID)
		}
		if !paused {
			if _, err := b.eng.SetPaused(c.ID, true, "sim"); err != nil {
				return nil, fmt.Errorf("close counter %s: %w", c.ID, err)
			}
		}
		pl.addDesk(i, c.ID)
	}
	lines, err := pl.playDays()
	if err != nil {
		return nil, err
	}
	for _, c := range tr.Counters {
		if was[c.ID] {
			continue // the desks are all closed at the end of a day
		}
		if _, err := b.eng.SetPaused(c.ID, false, "sim"); err != nil {
			return nil, fmt.Errorf("reopen counter %s: %w", c.ID, err)
		}
	}
	return lines, b.st.flush()
}
