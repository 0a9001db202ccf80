// Package forecast holds the models queuebox learns from its own events:
// how long each service takes (and how much faster or slower each counter
// is), how often people have left before they are called, when walk-ins of
// each priority arrive over the day, how often booked appointments come, and
// how far the wait estimate has been off, from which the range shown to
// customers is made. It is pure: no I/O, no wall clock; every figure comes
// from the observations fed to it.
package forecast

import (
	"math"
	"sort"
	"time"
)

// Observation kinds.
const (
	ObsIssued     = "issued"      // a ticket was issued (walk-in or checked-in appointment)
	ObsCalled     = "called"      // a ticket was called for the first time
	ObsDone       = "done"        // a service ended
	ObsNoShow     = "no_show"     // a called customer never came
	ObsApptShow   = "appt_show"   // a booked appointment checked in
	ObsApptNoShow = "appt_noshow" // a booked appointment never came
)

// Observation is one event of the engine, reduced to what the models need.
type Observation struct {
	Kind string
	At   time.Time
	// Loc is the branch's time zone, for the time of day of arrivals.
	Loc         *time.Location
	ServiceID   string
	CounterID   string
	Priority    int
	Appointment bool
	IssuedAt    time.Time
	CalledAt    time.Time
	// Promised is set when the ticket carries the model's figure at issue,
	// and with it how uncertain the replay said that figure was.
	Promised      bool
	ModelSeconds  int
	SpreadSeconds int
	// Transferred tickets moved between queues; their waits say little.
	Transferred bool
}

// Arrival is an expected future arrival.
type Arrival struct {
	ServiceID string
	Priority  int
	At        time.Time
}

const (
	binMinutes = 15
	bins       = 24 * 60 / binMinutes
	shapeCap   = 512
	residCap   = 800
)

// Model is the learned state. It is not safe for concurrent use: the engine
// feeds and asks it under its own lock.
type Model struct {
	svc      map[string]*serviceStats
	ctr      map[string]*counterStats
	pair     map[pairKey]*counterStats // a service at one counter, against the two apart
	pairTau  float64                   // how much paces of pairs differ beyond chance (variance)
	pairN    int                       // durations learned since pairTau was worked out
	noShow   map[string]*binRates      // by service, "" for every service together
	noShowH  float64                   // seconds a counter is held by a no-show
	noShowHN int
	resid    map[residKey]*ring // errors against the size of the wait: the point
	spread   map[residKey]*ring // errors against the replay's uncertainty: the range
	arr      map[arrKey]*[bins]float64
	all      [bins]float64 // completed days' arrivals, every class together
	days     int           // completed days in arr and all
	today    string
	arrDay   dayCache // the date of the last arrival, as Observe names it
	todayArr map[arrKey]*[bins]float64
	todayAll [bins]float64
	apptShow float64
	apptMiss float64
}

type serviceStats struct {
	mean  float64
	n     int
	shape ring // durations divided by the expected one
}

type counterStats struct {
	factor float64
	n      int
}

type pairKey struct{ service, counter string }

type rate struct{ yes, n float64 }

// binRates are a rate per wait bin (see waitBin).
type binRates [waitBins]rate

type residKey struct {
	appt    bool
	service string // "" for every service together
	bin     int
}

type arrKey struct {
	service  string
	priority int
}

// New returns an empty model.
func New() *Model {
	return &Model{svc: map[string]*serviceStats{}, ctr: map[string]*counterStats{}, pair: map[pairKey]*counterStats{}, noShow: map[string]*binRates{},
		noShowH: 90, resid: map[residKey]*ring{}, spread: map[residKey]*ring{}, arr: map[arrKey]*[bins]float64{}, todayArr: map[arrKey]*[bins]float64{}}
}

// ring keeps the last values seen, with a sorted copy made on demand.
type ring struct {
	v      []float64
	next   int
	sorted []float64
	sum    float64
	sumsq  float64
}

func (r *ring) add(x float64, capacity int) {
	if len(r.v) < capacity {
		r.v = append(r.v, x)
	} else {
		old := r.v[r.next]
		r.sum -= old
		r.sumsq -= old * old
		r.v[r.next] = x
		r.next = (r.next + 1) % capacity
		if r.sorted != nil {
			i := sort.SearchFloat64s(r.sorted, old)
			r.sorted = append(r.sorted[:i], r.sorted[i+1:]...)
		}
	}
	r.sum += x
	r.sumsq += x * x
	if r.sorted != nil {
		// Kept in order as values come and go: quantiles stay cheap.
		i := sort.SearchFloat64s(r.sorted, x)
		r.sorted = append(r.sorted, 0)
		copy(r.sorted[i+1:], r.sorted[i:])
		r.sorted[i] = x
	}
}

func (r *ring) sortedValues() []float64 {
	if r.sorted == nil {
		r.sorted = append(make([]float64, 0, cap(r.v)), r.v...)
		sort.Float64s(r.sorted)
	}
	return r.sorted
}

// quantile of the values, interpolated.
func (r *ring) quantile(q float64) float64 {
	s := r.sortedValues()
	if len(s) == 0 {
		return 0
	}
	pos := q * float64(len(s)-1)
	i := int(pos)
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	f := pos - float64(i)
	return s[i]*(1-f) + s[i+1]*f
}

// localDate is t's date in loc (UTC when nil) and its bin of the day.
func localDate(t time.Time, loc *time.Location) (string, int) {
	return new(dayCache).localDate(t, loc)
}

// dayCache is localDate that writes the date out again only when the day
// changes: every ticket issued is an arrival, and its date was a string
// made for each.
type dayCache struct {
	y, d int
	m    time.Month
	s    string
}

func (c *dayCache) localDate(t time.Time, loc *time.Location) (string, int) {
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	if y, m, d := lt.Date(); c.s == "" || y != c.y || m != c.m || d != c.d {
		c.y, c.m, c.d, c.s = y, m, d, lt.Format("2006-01-02")
	}
	return c.s, (lt.Hour()*60 + lt.Minute()) / binMinutes
}

// Observe learns from one event.
func (m *Model) Observe(o Observation) {
	switch o.Kind {
	case ObsIssued:
		if o.Appointment || o.Transferred {
			return
		}
		date, bin := m.arrDay.localDate(o.At, o.Loc)
		m.rollDay(date)
		k := arrKey{o.ServiceID, o.Priority}
		a := m.todayArr[k]
		if a == nil {
			a = &[bins]float64{}
			m.todayArr[k] = a
		}
		a[bin]++
		m.todayAll[bin]++
	case ObsCalled:
		if o.Transferred || o.IssuedAt.IsZero() {
			return
		}
		waited := o.At.Sub(o.IssuedAt).Seconds()
		if !o.Promised {
			return
		}
		model := float64(o.ModelSeconds)
		b := residBin(model)
		for _, k := range []residKey{{o.Appointment, "", b}, {o.Appointment, o.ServiceID, b}} {
			// Errors grow with the wait: kept relative to its size.
			ringOf(m.resid, k).add((waited-model)/(model+residScale), residCap)
		}
		if o.SpreadSeconds > 0 || o.ModelSeconds == 0 {
			// And relative to the uncertainty the replay saw in it.
			ringOf(m.spread, residKey{o.Appointment, "", b}).add((waited-model)/errScale(float64(o.SpreadSeconds)), residCap)
		}
	case ObsDone:
		if o.CalledAt.IsZero() {
			return
		}
		d := o.At.Sub(o.CalledAt).Seconds()
		if d <= 0 {
			return
		}
		m.learnDuration(o.ServiceID, o.CounterID, d)
		m.learnShow(o, false)
	case ObsNoShow:
		if !o.CalledAt.IsZero() {
			h := o.At.Sub(o.CalledAt).Seconds()
			m.noShowHN++
			m.noShowH += (h - m.noShowH) / float64(min(m.noShowHN+1, 50))
		}
		m.learnShow(o, true)
	case ObsApptShow:
		m.apptShow++
	case ObsApptNoShow:
		m.apptMiss++
	}
}

// rollDay folds a finished day's arrivals into the profile.
func (m *Model) rollDay(date string) {
	if date == m.today {
		return
	}
	if m.today != "" {
		for k, a := range m.todayArr {
			p := m.arr[k]
			if p == nil {
				p = &[bins]float64{}
				m.arr[k] = p
			}
			for i := range a {
				p[i] += a[i]
			}
		}
		for i := range m.todayAll {
			m.all[i] += m.todayAll[i]
		}
		m.days++
	}
	m.today = date
	m.todayArr = map[arrKey]*[bins]float64{}
	m.todayAll = [bins]float64{}
}

func (m *Model) service(id string, prior float64) *serviceStats {
	s := m.svc[id]
	if s == nil {
		s = &serviceStats{mean: prior}
		m.svc[id] = s
	}
	return s
}

func (m *Model) counterFactor(id string) float64 {
	if c := m.ctr[id]; c != nil {
		return c.factor
	}
	return 1
}

// paceOf is how much slower (above 1) or faster the counter is at the
// service than the service's mean: its pace at every service, adjusted by
// what it has shown at this one (a desk quick at cash may be slow at
// accounts). How far the adjustment is trusted depends on how much the
// branch's desks really differ service by service against what chance
// alone would show with that many services seen (an empirical-Bayes
// shrinkage): where desks keep one pace for everything, it fades away.
func (m *Model) paceOf(service, counter string) float64 {
	f := m.counterFactor(counter)
	if p := m.pair[pairKey{service, counter}]; p != nil && m.pairTau > 0 {
		noise := m.pairNoise(service, p.n)
		f *= 1 + (p.factor-1)*m.pairTau/(m.pairTau+noise)
	}
	return f
}

// pairNoise is the variance a pair's learned pace has by chance: the
// service's own spread (squared coefficient of variation) over the
// durations it averages.
func (m *Model) pairNoise(service string, n int) float64 {
	cv2 := 1.0 // memoryless, until the service's spread is known
	if s := m.svc[service]; s != nil && len(s.shape.v) >= 20 {
		k := float64(len(s.shape.v))
		mu := s.shape.sum / k
		cv2 = math.Max(s.shape.sumsq/k-mu*mu, 1e-6) / math.Max(mu*mu, 1e-6)
	}
	return cv2 / float64(min(n+3, pairSpan))
}

// pairSpan is how many recent durations a pair's pace follows (the same
// span as a counter's pace).
const pairSpan = 150

// updatePairTau works out how much the pairs' paces differ beyond chance,
// from the pairs at desks that serve more than one service (at a desk of
// one service the desk's pace says it all).
func (m *Model) updatePairTau() {
	services := map[string]int{}
	for k, p := range m.pair {
		if p.n >= 20 {
			services[k.counter]++
		}
	}
	var sum float64
	n := 0
	for k, p := range m.pair {
		if p.n < 20 || services[k.counter] < 2 {
			continue
		}
		d := p.factor - 1
		sum += d*d - m.pairNoise(k.service, p.n)
		n++
	}
	m.pairTau = 0
	if n >= 2 {
		m.pairTau = math.Max(sum/float64(n), 0)
	}
}

func (m *Model) learnDuration(service, counter string, d float64) {
	s := m.svc[service]
	if s == nil {
		// The first observation stands for the service until more come.
		s = &serviceStats{mean: d}
		m.svc[service] = s
	}
	f := m.counterFactor(counter)
	// The service's mean learns from durations with the counter's pace
	// taken out; the counter's pace from durations against the mean. Its
	// pace at this service learns apart, from what those two leave, so it
	// never pulls them away from what holds for every desk and service.
	s.n++
	s.mean += (d/f - s.mean) / float64(min(s.n+1, 200))
	c := m.ctr[counter]
	if c == nil {
		c = &counterStats{factor: 1}
		m.ctr[counter] = c
	}
	c.n++
	c.factor += (d/s.mean - c.factor) / float64(min(c.n+3, 150))
	c.factor = math.Max(0.2, math.Min(5, c.factor))
	k := pairKey{service, counter}
	p := m.pair[k]
	if p == nil {
		p = &counterStats{factor: 1}
		m.pair[k] = p
	}
	p.n++
	p.factor += (d/(s.mean*c.factor) - p.factor) / float64(min(p.n+3, pairSpan))
	p.factor = math.Max(0.2, math.Min(5, p.factor))
	if m.pairN++; m.pairN >= 64 {
		m.pairN = 0
		m.updatePairTau()
	}
	s.shape.add(d/(s.mean*m.paceOf(service, counter)), shapeCap)
}

// waitBins is how many bins waitBin sorts waits into.
const waitBins = 6

func waitBin(waited float64) int {
	switch m := waited / 60; {
	case m < 5:
		return 0
	case m < 10:
		return 1
	case m < 20:
		return 2
	case m < 30:
		return 3
	case m < 45:
		return 4
	}
	return 5
}

func (m *Model) learnShow(o Observation, noShow bool) {
	if o.CalledAt.IsZero() || o.IssuedAt.IsZero() {
		return
	}
	b := waitBin(o.CalledAt.Sub(o.IssuedAt).Seconds())
	y := 0.0
	if noShow {
		y = 1
	}
	for _, k := range [2]string{o.ServiceID, ""} {
		rs := m.noShow[k]
		if rs == nil {
			rs = &binRates{}
			m.noShow[k] = rs
		}
		rs[b].yes += y
		rs[b].n++
	}
}

// Remaining is the expected time a counter stays busy with a ticket of
// service that has been at it for elapsed; prior is the configured average
// service time, used until the box has seen the service.
func (m *Model) Remaining(service, counter string, prior, elapsed time.Duration) time.Duration {
	mean, _ := m.RemainingSpread(service, counter, prior, elapsed)
	return mean
}

// RemainingSpread is Remaining with its standard deviation, both from the
// learned distribution of the service's durations at that counter given
// that elapsed has gone by already (the residual life).
func (m *Model) RemainingSpread(service, counter string, prior, elapsed time.Duration) (mean, sd time.Duration) {
	s := m.service(service, prior.Seconds())
	scale := s.mean * m.paceOf(service, counter)
	x := elapsed.Seconds() / scale
	n := len(s.shape.v)
	if n < 20 {
		// Too little seen: a memoryless guess, never "almost done".
		r := scale * math.Max(1-math.Max(x, 0), 0.35)
		if x <= 0 {
			r = scale
		}
		return secs(r), secs(r)
	}
	if x <= 0 {
		k := float64(n)
		mu := s.shape.sum / k
		return secs(scale), secs(scale * math.Sqrt(math.Max(s.shape.sumsq/k-mu*mu, 0)))
	}
	var sum, sq float64
	k := 0
	for _, v := range s.shape.v {
		if v > x {
			sum += v - x
			sq += (v - x) * (v - x)
			k++
		}
	}
	if k < tailN {
		// Longer than all but a few seen: what is left is read from the
		// longest ones, as if past them every moment were as likely as
		// the next to end it.
		e := s.tailExcess()
		return secs(scale * e), secs(scale * e)
	}
	mu := sum / float64(k)
	return secs(scale * mu), secs(scale * math.Sqrt(math.Max(sq/float64(k)-mu*mu, 0)))
}

// tailN is how many of the longest durations seen the tail is read from.
const tailN = 20

// tailExcess is by how much the tailN longest durations (in units of the
// expected one) ran past the shortest of them: the mean time left of a
// service that has run longer than nearly all.
func (s *serviceStats) tailExcess() float64 {
	v := s.shape.sortedValues()
	top := v[len(v)-tailN:]
	var sum float64
	for _, x := range top {
		sum += x - top[0]
	}
	return math.Max(sum/float64(tailN-1), 0.05)
}

// RemainingQuantiles fills out with what is left of a service at the
// counter that has been at it for elapsed, at the evenly spread quantiles
// (j+0.5)/len(out), in seconds: from the learned durations longer than
// elapsed, less elapsed. Before the service is known well they are those
// of an exponential of the Remaining mean.
func (m *Model) RemainingQuantiles(service, counter string, prior, elapsed time.Duration, out []float64) {
	s := m.service(service, prior.Seconds())
	scale := s.mean * m.paceOf(service, counter)
	x := math.Max(elapsed.Seconds()/scale, 0)
	k := len(out)
	if len(s.shape.v) >= 20 {
		sorted := s.shape.sortedValues()
		i0 := sort.SearchFloat64s(sorted, math.Nextafter(x, math.Inf(1)))
		if n := len(sorted) - i0; n >= tailN {
			for j := range out {
				pos := (float64(j) + 0.5) / float64(k) * float64(n-1)
				i := i0 + int(pos)
				v := sorted[i]
				if i+1 < len(sorted) {
					f := pos - math.Floor(pos)
					v = v*(1-f) + sorted[i+1]*f
				}
				out[j] = scale * (v - x)
			}
			return
		}
	}
	mean := m.Remaining(service, counter, prior, elapsed).Seconds()
	for j := range out {
		out[j] = -mean * math.Log(1-(float64(j)+0.5)/float64(k))
	}
}

// NoShow is the chance that a ticket of service called after waiting waited
// is not there, and how long a counter then waits before giving up.
func (m *Model) NoShow(service string, waited time.Duration) (float64, time.Duration) {
	b := waitBin(waited.Seconds())
	p := 0.03
	if g := m.noShow[""]; g != nil && g[b].n > 0 {
		p = (g[b].yes + p*20) / (g[b].n + 20)
	}
	if s := m.noShow[service]; s != nil && s[b].n > 0 {
		p = (s[b].yes + p*30) / (s[b].n + 30)
	}
	return p, secs(m.noShowH)
}

// ShowRate is the share of booked appointments that come.
func (m *Model) ShowRate() float64 {
	return (m.apptShow + 9) / (m.apptShow + m.apptMiss + 10)
}

// Arrivals lists the walk-ins expected between from and until, placed where
// the learned arrival curve (scaled by how busy today has been so far)
// expects each one. With all false only priorities above 0 are listed:
// under strict priority the others never pass anyone already waiting.
func (m *Model) Arrivals(from, until time.Time, loc *time.Location, all bool) []Arrival {
	if m.days == 0 || !until.After(from) {
		return nil
	}
	date, bin := localDate(from, loc)
	level := 1.0
	if date == m.today {
		var seen, expect float64
		for i := 0; i < bin; i++ {
			seen += m.todayAll[i]
			expect += m.all[i] / float64(m.days)
		}
		level = (seen + 15) / (expect + 15)
	}
	var out []Arrival
	keys := make([]arrKey, 0, len(m.arr))
	for k := range m.arr {
		if all || k.priority > 0 {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].service != keys[j].service {
			return keys[i].service < keys[j].service
		}
		return keys[i].priority < keys[j].priority
	})
	// The bins from here on, stepped without asking the zone each time.
	type step struct {
		from, to time.Time
		bin      int
	}
	var steps []step
	for t, b := from, bin; t.Before(until); b = (b + 1) % bins {
		end := t.Truncate(binMinutes * time.Minute).Add(binMinutes * time.Minute)
		if end.After(until) {
			end = until
		}
		steps = append(steps, step{t, end, b})
		t = end
	}
	for _, k := range keys {
		prof := m.arr[k]
		cum, next := 0.0, 0.5
		for _, st := range steps {
			span := st.to.Sub(st.from).Seconds()
			r := prof[st.bin] / float64(m.days) * level / (binMinutes * 60) // per second
			if r > 0 {
				for cum+r*span >= next {
					at := st.from.Add(secs((next - cum) / r))
					out = append(out, Arrival{ServiceID: k.service, Priority: k.priority, At: at})
					next++
				}
			}
			cum += r * span
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// errFloor keeps errors of near-certain waits from being divided by nothing:
// a call is never placed closer than the desk's own reaction.
const errFloor = 60

// errScale is what an error is measured against for the range: the spread
// the replay worked out for the wait (service times, walk-outs and arrivals
// ahead).
func errScale(spread float64) float64 {
	return math.Sqrt(spread*spread + errFloor*errFloor)
}

// residScale keeps errors of near-zero waits from being divided by nothing
// when they are measured against the size of the wait (for the point).
const residScale = 120

func ringOf(m map[residKey]*ring, k residKey) *ring {
	r := m[k]
	if r == nil {
		r = &ring{}
		m[k] = r
	}
	return r
}

func residBin(model float64) int {
	edges := []float64{30, 120, 300, 600, 900, 1200, 1800, 2700}
	for i, e := range edges {
		if model < e {
			return i
		}
	}
	return len(edges)
}

// Correct turns the replay's figure and its spread into what customers are
// shown: the point shifted by the mean error seen at that size of wait, and
// the range the middle 80% of past errors spans, measured in units of the
// spread, so a wait that depends on one long service ahead gets a wider
// range than one behind many short ones. Before enough history the range
// is the spread itself around the point.
func (m *Model) Correct(serviceID string, model, spread time.Duration, appointment bool) (point, lo, hi time.Duration) {
	x := model.Seconds()
	b := residBin(x)
	p := x
	if all := m.resid[residKey{appointment, "", b}]; all != nil && len(all.v) >= 30 {
		n := float64(len(all.v))
		p = x + n/(n+30)*all.sum/n*(x+residScale)
		// The service's own errors once there are enough.
		if r := m.resid[residKey{appointment, serviceID, b}]; r != nil && len(r.v) >= 100 {
			k := float64(len(r.v))
			p = x + k/(k+30)*r.sum/k*(x+residScale)
		}
	}
	scale := errScale(spread.Seconds())
	l, h := x-1.0*scale, x+1.3*scale
	if r := m.spread[residKey{appointment, "", b}]; r != nil && len(r.v) >= 30 {
		// Every service's errors together: steadier than one service's,
		// and it is what must hold 8 in 10: the narrowest span of the
		// past errors that held 8 in 10 (waits run long more often than
		// short, so it sits later than the middle 80%).
		l, h = narrowest(r, x, scale, rangeShare)
	}
	// Waits run long more often than short (a slow service ahead, a walk-in
	// of higher priority): lean the point a little late, so fewer people
	// wait much longer than promised, at little cost to the error.
	p += math.Min(30, 0.04*math.Max(p, 0))
	p = math.Max(p, 0)
	l = math.Max(0, math.Min(l, p))
	h = math.Max(h, p)
	if h-l < 60 {
		h = l + 60
	}
	return secs(p), secs(l), secs(h)
}

// rangeShare is the share of waits the range is made to hold.
const rangeShare = 0.8

// narrowest is the narrowest range [x+e1·scale, x+e2·scale] whose errors
// e1 and e2 are quantiles of r share apart.
func narrowest(r *ring, x, scale, share float64) (lo, hi float64) {
	const steps = 20
	best := math.Inf(1)
	for i := 0; i <= steps; i++ {
		q := (1 - share) * float64(i) / steps
		e1, e2 := r.quantile(q), r.quantile(q+share)
		if e2-e1 < best-1e-9 {
			best, lo, hi = e2-e1, x+e1*scale, x+e2*scale
		}
	}
	return lo, hi
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
