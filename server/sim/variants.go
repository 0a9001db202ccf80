package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Variant is a kind of branch unlike Generate's standard one, for checking
// that the wait estimate learns what each branch is rather than fitting
// one kind of day: other spreads and shapes of service times, fewer or more
// desks, one service or many sharing desks, a strong lunch peak, many
// walk-outs, a book full of appointments, a short history.
type Variant struct {
	Name string
	Note string
	// Make generates days days, the last score of them scored.
	Make func(days, score int, load float64, seed uint64) *Trace
}

// vService is a service of a variant branch.
type vService struct {
	id     string
	mean   float64 // seconds
	share  float64 // of walk-ins
	dist   string  // "lognormal" (param: sigma), "gamma" (param: shape), "mix" (param: share of long ones, 4× the short)
	param  float64
	slot   int     // slot minutes; 0: not bookable
	booked float64 // share of slots booked
}

// vBranch describes a variant branch; Make turns it into days.
type vBranch struct {
	services []vService
	counters []Counter
	open     string
	close    string
	// shape is the arrival curve over the hour of the day (any scale).
	shape    func(h float64) float64
	walkOut  float64 // share of walk-ins who leave if not called in time
	patience float64 // their mean patience, seconds
	priority float64 // share of priority walk-ins
	levelSD  float64 // day-to-day swing of demand (log scale)
	timezone string
}

// sample draws a service time.
func (s vService) sample(rng *rand.Rand) float64 {
	var d float64
	switch s.dist {
	case "gamma":
		d = s.mean / s.param * gamma(rng, s.param)
	case "mix":
		// Short ones and long ones four times as long, each a little spread.
		short := s.mean / (1 + 3*s.param)
		d = short * math.Exp(0.25*rng.NormFloat64()-0.03125)
		if rng.Float64() < s.param {
			d *= 4
		}
	default:
		mu := math.Log(s.mean) - s.param*s.param/2
		d = math.Exp(mu + s.param*rng.NormFloat64())
	}
	return math.Round(math.Max(15, d))
}

// gamma draws a gamma variate of shape k and scale 1 (Marsaglia and Tsang).
func gamma(rng *rand.Rand, k float64) float64 {
	if k < 1 {
		return gamma(rng, k+1) * math.Pow(rng.Float64(), 1/k)
	}
	d := k - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v
		}
	}
}

func (b vBranch) make(name string, days, score int, load float64, seed uint64) *Trace {
	rng := rand.New(rand.NewPCG(seed, 0x7a11ed))
	sp := func(v float64) *float64 { return &v }
	open, _ := clockSeconds(b.open, false)
	close, _ := clockSeconds(b.close, false)
	capSec := 0.0
	for _, c := range b.counters {
		for _, s := range c.Shifts {
			f, _ := clockSeconds(s.From, false)
			t, _ := clockSeconds(s.To, false)
			capSec += float64(t-f) / *c.Speed
		}
	}
	apptWork, meanWork := 0.0, 0.0
	for _, s := range b.services {
		if s.slot > 0 {
			apptWork += float64((close-open)/(s.slot*60)) * s.booked * 0.9 * s.mean
		}
		meanWork += s.share * s.mean
	}
	// Desks serve unequal mixes: 0.85 of the floor is what walk-ins can use.
	perDay := 0.85 * load * math.Max(capSec-apptWork, 0.2*capSec) / meanWork
	tz := b.timezone
	if tz == "" {
		tz = "Europe/Madrid"
	}
	tr := &Trace{Format: Format, Name: fmt.Sprintf("%s load %.2f seed %d", name, load, seed), Timezone: tz,
		Open: b.open, Close: b.close, NoShowTimeoutSeconds: sp(75), Counters: b.counters, ScoreLastDays: &score}
	for i, s := range b.services {
		ts := Service{ID: s.id, Prefix: string(rune('A' + i)), Name: s.id, AvgServiceSeconds: int(s.mean)}
		if s.slot > 0 {
			ts.SlotMinutes, ts.SlotCapacity = s.slot, 1
		}
		tr.Services = append(tr.Services, ts)
	}
	mean, peak := 0.0, 0.0
	for m := open; m < close; m += 60 {
		v := b.shape(float64(m) / 3600)
		mean += v
		peak = math.Max(peak, v)
	}
	mean /= float64((close - open) / 60)
	d0 := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	for di := 0; di < days; di++ {
		day := Day{Date: d0.AddDate(0, 0, di).Format("2006-01-02")}
		level := math.Exp(rng.NormFloat64()*b.levelSD - b.levelSD*b.levelSD/2)
		rate := perDay * level / float64(close-open) / mean * peak
		for t := float64(open); ; {
			t += rng.ExpFloat64() / rate
			if t >= float64(close) {
				break
			}
			if rng.Float64() > b.shape(t/3600)/peak {
				continue
			}
			u := rng.Float64()
			var s vService
			for _, s = range b.services {
				if u < s.share {
					break
				}
				u -= s.share
			}
			at := clockText(int(t))
			a := Arrival{Arrive: &at, ServiceID: s.id, ServiceSeconds: s.sample(rng)}
			if rng.Float64() < b.priority {
				a.Priority = 1
			}
			if rng.Float64() < b.walkOut {
				v := math.Round(120 + rng.ExpFloat64()*b.patience)
				a.LeavesAfterSeconds = &v
			}
			day.Customers = append(day.Customers, a)
		}
		for _, s := range b.services {
			if s.slot == 0 {
				continue
			}
			for sl := open; sl+s.slot*60 <= close; sl += s.slot * 60 {
				if rng.Float64() >= s.booked {
					continue
				}
				slot := clockText(sl)[:5]
				a := Arrival{ServiceID: s.id, Appointment: &slot, ServiceSeconds: s.sample(rng)}
				if rng.Float64() < 0.08 {
					a.NoShow = true
				} else {
					at := clockText(max(sl-900+rng.IntN(1200), open-1200))
					a.Arrive = &at
				}
				day.Customers = append(day.Customers, a)
			}
		}
		tr.Days = append(tr.Days, day)
	}
	return tr
}

// Variants are the kinds of branch the estimate is checked on besides the
// standard one.
func Variants() []Variant {
	sp := func(v float64) *float64 { return &v }
	flat := func(float64) float64 { return 1 }
	twoPeaks := func(h float64) float64 {
		return 0.7 + 0.6*math.Exp(-math.Pow((h-10)/1.1, 2)) + 0.5*math.Exp(-math.Pow((h-15.5)/1.2, 2))
	}
	desks := func(n int, services [][]string, lunch bool) []Counter {
		var cs []Counter
		for i := 0; i < n; i++ {
			sh := []Shift{{"08:30", "16:30"}}
			if lunch {
				// Staggered lunches in three waves.
				from := 12*60 + (i%3)*40
				sh = []Shift{{"08:30", clockText(from * 60)[:5]}, {clockText((from + 40) * 60)[:5], "16:30"}}
			}
			cs = append(cs, Counter{ID: fmt.Sprintf("d%d", i+1), ServiceIDs: services[i%len(services)], Shifts: sh, Speed: sp(0.8 + 0.1*float64(i%5))})
		}
		return cs
	}
	three := func(dist string, p float64) []vService {
		return []vService{
			{id: "cash", mean: 240, share: 0.55, dist: dist, param: p},
			{id: "loans", mean: 720, share: 0.35, dist: dist, param: p},
			{id: "help", mean: 420, share: 0.10, dist: dist, param: p},
		}
	}
	mixDesks := [][]string{{"cash"}, {"cash", "loans"}, {"loans", "help"}, {"cash", "help"}, {"loans"}}
	base := func(svcs []vService) vBranch {
		return vBranch{services: svcs, counters: desks(5, mixDesks, true), open: "08:30", close: "16:30", shape: twoPeaks,
			walkOut: 0.25, patience: 1500, priority: 0.08, levelSD: 0.15}
	}
	v := func(name, note string, b vBranch) Variant {
		return Variant{Name: name, Note: note, Make: func(days, score int, load float64, seed uint64) *Trace {
			return b.make(name, days, score, load, seed)
		}}
	}
	var out []Variant
	out = append(out, v("lognormal-0.3", "narrow service times (lognormal σ 0.3)", base(three("lognormal", 0.3))))
	out = append(out, v("lognormal-0.8", "wide service times (lognormal σ 0.8)", base(three("lognormal", 0.8))))
	out = append(out, v("gamma-0.7", "gamma shape 0.7: many quick, a few very long", base(three("gamma", 0.7))))
	out = append(out, v("gamma-4", "gamma shape 4: all much alike", base(three("gamma", 4))))
	out = append(out, v("bimodal", "quick jobs and jobs 4× as long (30%)", base(three("mix", 0.3))))

	two := base(three("lognormal", 0.5))
	two.counters = desks(2, [][]string{{"cash", "help"}, {"cash", "loans", "help"}}, false)
	out = append(out, v("two-desks", "two desks all day, no breaks", two))

	ten := base(three("lognormal", 0.5))
	ten.counters = desks(10, mixDesks, true)
	out = append(out, v("ten-desks", "ten desks in five service mixes, staggered lunches", ten))

	single := base([]vService{{id: "all", mean: 360, share: 1, dist: "gamma", param: 1.5}})
	single.counters = desks(4, [][]string{{"all"}}, true)
	single.priority = 0
	out = append(out, v("single-service", "one service at four desks, no priority", single))

	many := base([]vService{
		{id: "s1", mean: 150, share: 0.3, dist: "lognormal", param: 0.6},
		{id: "s2", mean: 300, share: 0.2, dist: "lognormal", param: 0.5},
		{id: "s3", mean: 450, share: 0.15, dist: "gamma", param: 2},
		{id: "s4", mean: 600, share: 0.15, dist: "lognormal", param: 0.7},
		{id: "s5", mean: 900, share: 0.1, dist: "gamma", param: 1.2},
		{id: "s6", mean: 1200, share: 0.1, dist: "lognormal", param: 0.4},
	})
	many.counters = desks(7, [][]string{{"s1", "s2", "s3"}, {"s2", "s4"}, {"s1", "s5", "s6"}, {"s3", "s4", "s5"}, {"s1", "s2", "s4", "s6"}, {"s5", "s6"}, {"s1"}}, true)
	out = append(out, v("many-services", "six services over seven desks that share them", many))

	lunch := base(three("lognormal", 0.55))
	lunch.shape = func(h float64) float64 { return 0.5 + 2.2*math.Exp(-math.Pow((h-12.5)/0.6, 2)) }
	out = append(out, v("lunch-peak", "most people come at lunch, when desks take breaks", lunch))

	walk := base(three("lognormal", 0.55))
	walk.walkOut, walk.patience = 0.65, 500
	out = append(out, v("walk-outs", "two in three give up after a short while", walk))

	appt := base([]vService{
		{id: "cash", mean: 240, share: 0.7, dist: "lognormal", param: 0.5},
		{id: "loans", mean: 900, share: 0.2, dist: "lognormal", param: 0.5, slot: 30, booked: 0.8},
		{id: "advice", mean: 1500, share: 0.1, dist: "gamma", param: 3, slot: 30, booked: 0.8},
	})
	appt.counters = desks(5, [][]string{{"cash", "loans"}, {"loans", "advice"}, {"cash"}, {"advice", "cash"}, {"loans", "advice", "cash"}}, true)
	out = append(out, v("appointments", "two bookable services, most slots booked", appt))

	flatDay := base(three("lognormal", 0.5))
	flatDay.shape = flat
	flatDay.levelSD = 0.3
	out = append(out, v("swinging-days", "flat days whose level swings ±30% day to day", flatDay))
	return out
}
