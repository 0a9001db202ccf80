package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func done(m *Model, service, counter string, at time.Time, d time.Duration) {
	m.Observe(Observation{Kind: ObsDone, At: at.Add(d), ServiceID: service, CounterID: counter, IssuedAt: at.Add(-time.Minute), CalledAt: at})
}

// bimodal is a model that has seen service a at c1 take 100 s and 500 s by
// turns.
func bimodal() *Model {
	m := New()
	for i := 0; i < 300; i++ {
		d := 100 * time.Second
		if i%2 == 1 {
			d = 500 * time.Second
		}
		done(m, "a", "c1", t0.Add(time.Duration(i)*time.Minute), d)
	}
	return m
}

type pace struct {
	svc, ctr string
	want     time.Duration
}

// expectPaces checks the fresh service times m expects.
func expectPaces(t *testing.T, m *Model, prior time.Duration, cases ...pace) {
	t.Helper()
	for _, c := range cases {
		if got := m.Remaining(c.svc, c.ctr, prior, 0); !near(got, c.want, 0.12) {
			t.Errorf("%s at %s: %v, want about %v", c.svc, c.ctr, got, c.want)
		}
	}
}

func near(got, want time.Duration, tol float64) bool {
	return math.Abs(got.Seconds()-want.Seconds()) <= tol*want.Seconds()
}

func TestLearnsServiceTimesAndCounterPace(t *testing.T) {
	m := New()
	prior := 100 * time.Second
	if got := m.Remaining("a", "c1", prior, 0); got != prior {
		t.Fatalf("before any history: %v, want the configured %v", got, prior)
	}
	for i := 0; i < 400; i++ {
		at := t0.Add(time.Duration(i) * time.Minute)
		done(m, "a", "c1", at, 400*time.Second)
		done(m, "a", "c2", at, 200*time.Second) // twice the pace
		done(m, "b", "c1", at, 800*time.Second) // same desk, another service
	}
	expectPaces(t, m, prior, pace{"a", "c1", 400 * time.Second}, pace{"a", "c2", 200 * time.Second},
		pace{"b", "c1", 800 * time.Second}, pace{"b", "c2", 400 * time.Second})
}

func TestRemainingGivenElapsed(t *testing.T) {
	m := bimodal()
	// Still busy after 200 s: it is one of the long ones, 300 s to go.
	if got := m.Remaining("a", "c1", time.Minute, 200*time.Second); !near(got, 300*time.Second, 0.1) {
		t.Errorf("remaining after 200 s = %v, want about 300 s", got)
	}
	if got := m.Remaining("a", "c1", time.Minute, 0); !near(got, 300*time.Second, 0.1) {
		t.Errorf("fresh = %v, want the mean, about 300 s", got)
	}
}

// A desk may be quick at one service and slow at another, not one pace for
// all: c1 does a in 100 s and b in 800 s, c2 a in 200 s and b in 400 s (a
// single pace per desk would have c1 quicker at both).
func TestPaceOfADeskAtEachService(t *testing.T) {
	m := New()
	for i := 0; i < 400; i++ {
		at := t0.Add(time.Duration(i) * time.Minute)
		done(m, "a", "c1", at, 100*time.Second)
		done(m, "b", "c1", at, 800*time.Second)
		done(m, "a", "c2", at, 200*time.Second)
		done(m, "b", "c2", at, 400*time.Second)
	}
	expectPaces(t, m, time.Minute, pace{"a", "c1", 100 * time.Second}, pace{"b", "c1", 800 * time.Second},
		pace{"a", "c2", 200 * time.Second}, pace{"b", "c2", 400 * time.Second})
}

// The quantiles of what is left follow the learned durations too: half
// take 100 s and half 500 s, so a fresh one's lower quantiles are 100 s and
// its upper ones 500 s, and after 200 s every quantile is the 300 s left of
// a long one.
func TestRemainingQuantiles(t *testing.T) {
	m := bimodal()
	q := make([]float64, 4) // the 1/8, 3/8, 5/8 and 7/8 quantiles
	for _, c := range []struct {
		elapsed time.Duration
		want    [4]float64
	}{{0, [4]float64{100, 100, 500, 500}}, {200 * time.Second, [4]float64{300, 300, 300, 300}}} {
		m.RemainingQuantiles("a", "c1", time.Minute, c.elapsed, q)
		for j, w := range c.want {
			if math.Abs(q[j]-w) > 0.1*w {
				t.Errorf("after %v, the quantiles are %.0f s, want about %v", c.elapsed, q, c.want)
				break
			}
		}
	}
	// Unknown service: an exponential around the configured average.
	m.RemainingQuantiles("new", "c9", 100*time.Second, 0, q)
	if math.Abs(q[1]-47) > 2 || math.Abs(q[3]-208) > 5 {
		t.Errorf("quantiles of an unknown 100 s service %.0f s, want those of an exponential (13, 47, 98, 208)", q)
	}
}

// Where every desk keeps one pace for all its services (c2 is twice as slow
// as c1 at both), what a desk shows at one service is chance: the pair's
// adjustment fades and each estimate stays with the service's mean times
// the desk's pace.
func TestPaceOfADeskAtOneServiceIsNotReadIntoChance(t *testing.T) {
	m := New()
	rng := rand.New(rand.NewPCG(1, 2))
	draw := func(mean float64) time.Duration { // log-normal, spread 0.6
		return secs(mean * math.Exp(0.6*rng.NormFloat64()-0.18))
	}
	for i := 0; i < 600; i++ {
		at := t0.Add(time.Duration(i) * time.Minute)
		done(m, "a", "c1", at, draw(100))
		done(m, "b", "c1", at, draw(400))
		done(m, "a", "c2", at, draw(200))
		done(m, "b", "c2", at, draw(800))
	}
	for _, k := range []pairKey{{"a", "c1"}, {"b", "c1"}, {"a", "c2"}, {"b", "c2"}} {
		p := m.pair[k]
		noise := m.pairNoise(k.service, p.n)
		if w := m.pairTau / (m.pairTau + noise); w > 0.25 {
			t.Errorf("%s at %s: pair pace %.2f trusted %.2f; want it mostly faded (chance alone)", k.service, k.counter, p.factor, w)
		}
	}
	a1, a2 := m.Remaining("a", "c1", time.Minute, 0), m.Remaining("a", "c2", time.Minute, 0)
	b1, b2 := m.Remaining("b", "c1", time.Minute, 0), m.Remaining("b", "c2", time.Minute, 0)
	if r := (a2.Seconds() / a1.Seconds()) / (b2.Seconds() / b1.Seconds()); r < 0.9 || r > 1.1 {
		t.Errorf("c2 against c1: %.2f× at a, %.2f× at b; want the one pace for both", a2.Seconds()/a1.Seconds(), b2.Seconds()/b1.Seconds())
	}
}

// The spread of what is left of a service follows the learned durations:
// half take 100 s and half 500 s, so a fresh one is 300 ± 200 s, and one
// that has taken 200 s already is one of the long ones, 300 s to go, with
// hardly any doubt left.
func TestRemainingSpreadGivenElapsed(t *testing.T) {
	m := bimodal()
	mean, sd := m.RemainingSpread("a", "c1", time.Minute, 0)
	if !near(mean, 300*time.Second, 0.1) || !near(sd, 200*time.Second, 0.15) {
		t.Errorf("fresh: %v ± %v, want about 300 ± 200 s", mean, sd)
	}
	mean, sd = m.RemainingSpread("a", "c1", time.Minute, 200*time.Second)
	if !near(mean, 300*time.Second, 0.1) || sd > 40*time.Second {
		t.Errorf("after 200 s: %v ± %v, want about 300 s and little spread", mean, sd)
	}
}

// The range is learned in units of the spread the replay gives: errors seen
// at a spread of 600 s, spread like a normal curve, make for a 1200 s
// spread a range twice as wide that holds about 80% of such waits.
func TestRangeScalesWithTheSpreadAndHoldsItsShare(t *testing.T) {
	m := New()
	normal := func(i, n int) float64 { // the (i+0.5)/n quantile of a standard normal
		return math.Sqrt2 * math.Erfinv(2*(float64(i)+0.5)/float64(n)-1)
	}
	const n = 400
	for i := 0; i < n; i++ {
		at := t0.Add(time.Duration(i) * time.Minute)
		waited := secs(1800 + 600*normal((i*7)%n, n)) // shuffled
		m.Observe(Observation{Kind: ObsCalled, At: at.Add(waited), IssuedAt: at, ServiceID: "a", Promised: true, ModelSeconds: 1800, SpreadSeconds: 600})
	}
	_, lo1, hi1 := m.Correct("a", 1800*time.Second, 600*time.Second, false)
	_, lo2, hi2 := m.Correct("a", 1800*time.Second, 1200*time.Second, false)
	if r := (hi2 - lo2).Seconds() / (hi1 - lo1).Seconds(); r < 1.9 || r > 2.1 {
		t.Errorf("range %v–%v at a spread of 600 s, %v–%v at 1200 s: %.2f times as wide, want 2", lo1, hi1, lo2, hi2, r)
	}
	in := 0
	for i := 0; i < n; i++ {
		w := secs(1800 + 1200*normal(i, n))
		if w >= lo2 && w <= hi2 {
			in++
		}
	}
	if share := float64(in) / n; share < 0.76 || share > 0.84 {
		t.Errorf("the range %v–%v holds %.2f of waits spread 1200 s around 1800 s, want about 0.80", lo2, hi2, share)
	}
}

func TestWalkOutsGrowWithTheWait(t *testing.T) {
	m := New()
	for i := 0; i < 200; i++ {
		at := t0.Add(time.Duration(i) * time.Minute)
		short := Observation{Kind: ObsDone, At: at.Add(time.Minute), ServiceID: "a", CounterID: "c1", IssuedAt: at.Add(-2 * time.Minute), CalledAt: at}
		m.Observe(short)
		long := Observation{ServiceID: "a", CounterID: "c1", IssuedAt: at.Add(-40 * time.Minute), CalledAt: at, At: at.Add(90 * time.Second)}
		long.Kind = ObsDone
		if i%2 == 0 {
			long.Kind = ObsNoShow
		}
		m.Observe(long)
	}
	pShort, _ := m.NoShow("a", 2*time.Minute)
	pLong, hold := m.NoShow("a", 40*time.Minute)
	if pShort > 0.05 || pLong < 0.4 || pLong > 0.6 {
		t.Errorf("no-show chance after 2 min %.2f, after 40 min %.2f; want about 0 and 0.5", pShort, pLong)
	}
	if !near(hold, 90*time.Second, 0.05) {
		t.Errorf("a no-show holds the desk %v, want the 90 s seen", hold)
	}
}

func TestExpectedPriorityArrivals(t *testing.T) {
	m := New()
	for d := 0; d < 5; d++ {
		day := t0.AddDate(0, 0, d)
		for i := 0; i < 4; i++ {
			// Four priority walk-ins between 10:00 and 10:15, every day.
			at := day.Add(time.Hour + time.Duration(i*3)*time.Minute)
			m.Observe(Observation{Kind: ObsIssued, At: at, ServiceID: "a", Priority: 1})
			m.Observe(Observation{Kind: ObsIssued, At: at, ServiceID: "a", Priority: 0})
		}
	}
	today := t0.AddDate(0, 0, 5)
	m.Observe(Observation{Kind: ObsIssued, At: today.Add(-time.Hour), ServiceID: "a"}) // starts the new day
	got := m.Arrivals(today.Add(50*time.Minute), today.Add(90*time.Minute), time.UTC, false)
	n := 0
	for _, a := range got {
		if a.Priority != 1 {
			t.Fatalf("level 0 listed without all: %+v", a)
		}
		if a.At.Before(today.Add(time.Hour)) || !a.At.Before(today.Add(75*time.Minute)) {
			t.Errorf("arrival at %v, outside 10:00–10:15 where they come", a.At)
		}
		n++
	}
	if n < 3 || n > 5 {
		t.Errorf("%d priority arrivals expected between 09:50 and 10:30, want about 4", n)
	}
	if len(m.Arrivals(today.Add(50*time.Minute), today.Add(90*time.Minute), time.UTC, true)) < 2*n {
		t.Error("with all, level 0 arrivals are missing")
	}
}

func TestRangeFromLearnedErrors(t *testing.T) {
	m := New()
	p, lo, hi := m.Correct("a", 600*time.Second, 100*time.Second, false)
	if !near(p, 600*time.Second, 0.05) || lo >= p || hi <= p {
		t.Fatalf("before history: %v in %v–%v, want about 600 s inside a range", p, lo, hi)
	}
	for i := 0; i < 500; i++ {
		at := t0.Add(time.Duration(i) * time.Minute)
		// The replay said 600 s; people waited 660–780 s.
		waited := time.Duration(660+(i%5)*30) * time.Second
		m.Observe(Observation{Kind: ObsCalled, At: at.Add(waited), IssuedAt: at, ServiceID: "a", Promised: true, ModelSeconds: 600, SpreadSeconds: 100})
	}
	p, lo, hi = m.Correct("a", 600*time.Second, 100*time.Second, false)
	if !near(p, 750*time.Second, 0.03) {
		t.Errorf("corrected point %v, want about the mean 720 s leaned 30 s late", p)
	}
	if lo < 650*time.Second || lo > 700*time.Second || hi < 740*time.Second || hi > 790*time.Second {
		t.Errorf("range %v–%v, want the middle of 660–780 s", lo, hi)
	}
}

// Errors that run long more often than short (most waits a little shorter
// than the replay's figure, a few much longer): the range is the narrowest
// span that held 8 in 10 of them, well narrower than the middle 80%, and
// it still holds about 8 in 10 of such waits.
func TestRangeIsTheNarrowestSpanThatHeldItsShare(t *testing.T) {
	m := New()
	expQ := func(i, n int) float64 { return -math.Log(1 - (float64(i)+0.5)/float64(n)) } // exponential quantiles
	const n = 400
	for i := 0; i < n; i++ {
		at := t0.Add(time.Duration(i) * time.Minute)
		waited := secs(1800 + 600*(expQ((i*7)%n, n)-1)) // shuffled
		m.Observe(Observation{Kind: ObsCalled, At: at.Add(waited), IssuedAt: at, ServiceID: "a", Promised: true, ModelSeconds: 1800, SpreadSeconds: 600})
	}
	_, lo, hi := m.Correct("a", 1800*time.Second, 600*time.Second, false)
	scale := errScale(600)
	middle := (math.Log(10) - math.Log(10.0/9)) * scale // the middle 80% of an exponential
	if w := (hi - lo).Seconds(); w > 0.8*middle {
		t.Errorf("range %v–%v (%.0f s), want well under the middle 80%%'s %.0f s", lo, hi, w, middle)
	}
	in := 0
	for i := 0; i < n; i++ {
		w := secs(1800 + 600*(expQ(i, n)-1))
		if w >= lo && w <= hi {
			in++
		}
	}
	if share := float64(in) / n; share < 0.76 || share > 0.84 {
		t.Errorf("the range %v–%v holds %.2f of such waits, want about 0.80", lo, hi, share)
	}
}

// Services that end as often at any minute as at the next (exponential
// times, 300 s on average): one that has run 1500 s, longer than nearly all
// seen, still has about 300 s to go, read from the longest ones seen, not
// a guess that it is nearly over.
func TestRemainingPastNearlyAllSeenReadsTheTail(t *testing.T) {
	m := New()
	const n = 500
	for i := 0; i < n; i++ {
		q := (float64((i*37)%n) + 0.5) / n // shuffled quantiles
		done(m, "a", "c1", t0.Add(time.Duration(i)*time.Minute), secs(-300*math.Log(1-q)))
	}
	mean, _ := m.RemainingSpread("a", "c1", time.Minute, 1500*time.Second)
	if mean < 180*time.Second || mean > 450*time.Second {
		t.Errorf("after 1500 s of a 300 s exponential service: %v left, want about 300 s", mean)
	}
	q := make([]float64, 4)
	m.RemainingQuantiles("a", "c1", time.Minute, 1500*time.Second, q)
	if q[3] < 300 || q[0] > 100 {
		t.Errorf("quantiles of what is left after 1500 s: %.0f s, want those of about 300 s on average", q)
	}
}

// TestDayCacheNamesEachArrivalsDay: the date Observe files an arrival
// under is localDate's, though it is written out only when the day
// changes: across midnight, back to an earlier day, in another zone and
// over a change of clocks.
func TestDayCacheNamesEachArrivalsDay(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip("no zone data:", err)
	}
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skip("no zone data:", err)
	}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	var c dayCache
	for _, tc := range []struct {
		at  string
		loc *time.Location
	}{
		{"2026-12-07T09:00:00Z", nil},
		{"2026-12-07T23:59:59Z", nil},
		{"2026-12-08T00:00:00Z", nil},      // midnight
		{"2026-12-07T12:00:00Z", nil},      // an earlier day again
		{"2026-12-07T16:30:00Z", shanghai}, // 00:30 on the 8th there
		{"2026-12-07T15:59:00Z", shanghai}, // 23:59 on the 7th there
		{"2027-03-28T00:30:00Z", london},   // the night the clocks go forward
		{"2027-03-28T23:30:00Z", london},   // 00:30 on the 29th there
		{"2027-03-28T23:30:00Z", nil},      // the same moment in UTC: the 28th
	} {
		date, bin := c.localDate(at(tc.at), tc.loc)
		wantDate, wantBin := localDate(at(tc.at), tc.loc)
		if date != wantDate || bin != wantBin {
			t.Errorf("%s in %v: got %s bin %d, want %s bin %d", tc.at, tc.loc, date, bin, wantDate, wantBin)
		}
	}
}
