package store_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"queuebox/server/forecast"
	"queuebox/server/queue"
	"queuebox/server/queue/queuetest"
	"queuebox/server/sim"
	"queuebox/server/store"
)

// observingModel is the wait model, noting every observation it is fed.
type observingModel struct {
	*forecast.Model
	seen []forecast.Observation
}

func (m *observingModel) Observe(o forecast.Observation) {
	m.seen = append(m.seen, o)
	m.Model.Observe(o)
}

// learnFrom is what an engine on db learns from the events read reads.
func learnFrom(t *testing.T, db *store.DB, read func(since uint64, limit int) ([]queue.Event, error)) *observingModel {
	t.Helper()
	e, err := queue.New(db, queuetest.NewClock(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)), nil)
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	m := &observingModel{Model: forecast.New()}
	e.SetEstimator(m)
	evs, err := read(0, 1<<30)
	if err != nil {
		t.Fatalf("read events: %v", err)
	}
	e.Learn(evs)
	return m
}

// sameLearning checks that the wait model learns the same from
// ModelEvents as from Events: the same observations in the same order, and
// so the same state.
func sameLearning(t *testing.T, db *store.DB, atLeast int) {
	t.Helper()
	want := learnFrom(t, db, db.Events)
	got := learnFrom(t, db, db.ModelEvents)
	if len(want.seen) < atLeast {
		t.Fatalf("the history gave %d observations, want at least %d for the comparison to mean much", len(want.seen), atLeast)
	}
	if len(got.seen) != len(want.seen) {
		t.Fatalf("ModelEvents gave %d observations, Events %d", len(got.seen), len(want.seen))
	}
	for i := range want.seen {
		if !reflect.DeepEqual(got.seen[i], want.seen[i]) {
			t.Fatalf("observation %d from ModelEvents:\n got %+v\nwant %+v", i, got.seen[i], want.seen[i])
		}
	}
	sameAnswers(t, got.Model, want.Model, want.seen)
}

// sameAnswers compares what two models say of every service and counter
// seen. (Their states are not compared bit for bit: the model sums over a
// map now and then, so even one history learned twice differs in the last
// bits of a float.)
func sameAnswers(t *testing.T, got, want *forecast.Model, seen []forecast.Observation) {
	t.Helper()
	const slack = time.Microsecond
	near := func(a, b time.Duration) bool { return a-b < slack && b-a < slack }
	pairs := map[[2]string]bool{}
	for _, o := range seen {
		pairs[[2]string{o.ServiceID, o.CounterID}] = true
	}
	for p := range pairs {
		for _, elapsed := range []time.Duration{0, 4 * time.Minute} {
			gm, gsd := got.RemainingSpread(p[0], p[1], 5*time.Minute, elapsed)
			wm, wsd := want.RemainingSpread(p[0], p[1], 5*time.Minute, elapsed)
			if !near(gm, wm) || !near(gsd, wsd) {
				t.Errorf("service %q at counter %q after %v: remaining %v ± %v, want %v ± %v", p[0], p[1], elapsed, gm, gsd, wm, wsd)
			}
		}
		gp, gh := got.NoShow(p[0], 10*time.Minute)
		wp, wh := want.NoShow(p[0], 10*time.Minute)
		if math.Abs(gp-wp) > 1e-9 || !near(gh, wh) {
			t.Errorf("service %q: no-show %v holding %v, want %v holding %v", p[0], gp, gh, wp, wh)
		}
		gpt, glo, ghi := got.Correct(p[0], 20*time.Minute, 5*time.Minute, false)
		wpt, wlo, whi := want.Correct(p[0], 20*time.Minute, 5*time.Minute, false)
		if !near(gpt, wpt) || !near(glo, wlo) || !near(ghi, whi) {
			t.Errorf("service %q: 20 min shown as %v [%v, %v], want %v [%v, %v]", p[0], gpt, glo, ghi, wpt, wlo, whi)
		}
	}
	if g, w := got.ShowRate(), want.ShowRate(); math.Abs(g-w) > 1e-9 {
		t.Errorf("show rate %v, want %v", g, w)
	}
}

// Simulated weeks of a branch (tiers, appointments, promises, no-shows,
// people who left) teach the model the same read either way, and the lean
// reader follows every record of them itself.
func TestModelEventsLearnLikeEvents(t *testing.T) {
	dir := t.TempDir()
	tr := sim.Generate(sim.GenOptions{Days: 8, Seed: 11, Tiers: true})
	if _, err := sim.Run(tr, sim.Options{KeepDir: dir}); err != nil {
		t.Fatalf("simulate: %v", err)
	}
	db := openDB(t, dir)
	sameLearning(t, db, 5000)
	lean, all, err := store.LeanEvents(db)
	if err != nil {
		t.Fatal(err)
	}
	if lean != all {
		t.Errorf("the lean reader followed %d of the %d events the box wrote, want all", lean, all)
	}
}

// Events with random values in every field (escapes, other scripts,
// invalid UTF-8, other zones, nulls) teach the model the same read either
// way: a field the learner reads that the lean reader drops fails here.
func TestModelEventsLearnLikeEventsEveryField(t *testing.T) {
	db := openDB(t, t.TempDir())
	r := rand.New(rand.NewPCG(3, 14))
	types := []string{queue.EventIssued, queue.EventCalled, queue.EventFinished, queue.EventNoShow,
		queue.EventApptCheckedIn, queue.EventApptNoShow, queue.EventStarted, queue.EventTransferred}
	var seq uint64
	for range 40 {
		var c queue.Change
		for range 50 {
			var ev queue.Event
			queuetest.Fill(r, reflect.ValueOf(&ev), nil)
			seq++
			ev.Seq, ev.Type = seq, types[r.IntN(len(types))]
			if ev.Ticket == nil && r.IntN(4) > 0 {
				// Most learned events carry a ticket: the learner skips
				// the others.
				ev.Ticket = &queue.Ticket{}
				queuetest.Fill(r, reflect.ValueOf(ev.Ticket), nil)
			}
			if ev.Ticket != nil {
				ev.Ticket.ID = strconv.FormatUint(seq, 10) // the store indexes events by ticket
			}
			c.Events = append(c.Events, ev)
		}
		apply(t, db, &c)
	}
	sameLearning(t, db, 1000)
}
