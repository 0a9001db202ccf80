package store_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

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

// ModelEvents reads the same span as Events, split among its readers or
// not, and fails on the same record: the first damaged one.
func TestModelEventsSpanAndDamage(t *testing.T) {
	dir := t.TempDir()
	const n = 10000
	if err := store.WriteHistory(dir, func(put func(*queue.Change) error) error {
		for i := range uint64(n) {
			if err := put(issued(i + 1)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, dir)
	for _, span := range [][2]int{{0, n}, {0, 10}, {4999, 3000}, {n - 5, 100}, {n, 10}} {
		want, err := db.Events(uint64(span[0]), span[1])
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.ModelEvents(uint64(span[0]), span[1])
		if err != nil {
			t.Fatalf("ModelEvents(%d, %d): %v", span[0], span[1], err)
		}
		if !slices.Equal(seqs(got), seqs(want)) {
			t.Errorf("ModelEvents(%d, %d) seqs %v, want %v", span[0], span[1], seqs(got), seqs(want))
		}
	}
	closeDB(t, db)

	b := rawBolt(t, dir)
	if err := b.Update(func(tx *bolt.Tx) error {
		for _, seq := range []uint64{9000, 3000} {
			if err := tx.Bucket([]byte("events")).Put(u64(seq), []byte{1, 0xff}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	b.Close()
	db = openDB(t, dir)
	_, want := db.Events(0, n)
	_, got := db.ModelEvents(0, n)
	if want == nil || got == nil || got.Error() != want.Error() {
		t.Errorf("on damaged records ModelEvents says %v, want %v (as Events)", got, want)
	}
}
