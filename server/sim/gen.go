package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// GenOptions shape generated days.
type GenOptions struct {
	Days      int     // days to generate
	ScoreLast int     // days scored at the end (0: a third)
	Load      float64 // offered walk-in work ÷ counter capacity (1 = nominal)
	Seed      uint64
	Start     string // first date, YYYY-MM-DD (default 2026-03-02)
	Tiers     bool   // add tiers and known customers
	Size      int    // copies of the six-desk floor (1: about 280 customers a day)

	// Other branches, for checking that the estimate does not fit one
	// kind of day only (zero values keep the standard branch).
	Spread    float64 // multiplies every service's spread of service times
	Impatient float64 // share of walk-ins who give up after a while (0: 0.35)
	Priority  float64 // share of priority walk-ins (0: 0.10)
	AltFloor  bool    // five desks on another plan: other services per desk, paces and breaks

	// Floor, when set, is a box's own branch in place of the standard one.
	Floor *Floor
	// Known is how many known customers (ids m0000, m0001, …) identify
	// themselves at the kiosk, about a third of the walk-ins (Tiers: 300).
	Known int
}

// Floor is a branch for Generate: its services and its desks with their
// shifts, every day alike. Each service draws walk-ins in proportion to
// the customers its desks' time can serve (few walk in for a bookable
// service), and a bookable service's slots are booked to about half of
// the time its desks can give it.
type Floor struct {
	Timezone    string
	Open, Close string // "HH:MM", local
	Services    []Service
	Counters    []Counter
}

// genFloor turns a Floor's services into the generator's, for its desks.
func genFloor(f *Floor, counters []Counter) []genService {
	weight := make([]float64, len(f.Services))
	sum := 0.0
	for i, s := range f.Services {
		weight[i] = deskSeconds(counters, s.ID) / math.Max(float64(s.AvgServiceSeconds), 1)
		if s.SlotMinutes > 0 && s.SlotCapacity > 0 {
			weight[i] *= 0.2
		}
		sum += weight[i]
	}
	out := make([]genService, len(f.Services))
	for i, s := range f.Services {
		share := 0.0
		if sum > 0 {
			share = weight[i] / sum
		}
		out[i] = genService{Service: s, share: share, sigma: 0.55}
	}
	return out
}

// shiftsOf lists the shifts of the desks that serve service id, in
// seconds from midnight.
func shiftsOf(counters []Counter, id string) [][2]int {
	out := [][2]int{}
	for _, c := range counters {
		if !serves(c.ServiceIDs, id) {
			continue
		}
		for _, s := range c.Shifts {
			f, _ := clockSeconds(s.From, false)
			t, _ := clockSeconds(s.To, false)
			out = append(out, [2]int{f, t})
		}
	}
	return out
}

// fits says whether [from, to) lies inside one of the periods.
func fits(periods [][2]int, from, to int) bool {
	for _, p := range periods {
		if p[0] <= from && to <= p[1] {
			return true
		}
	}
	return false
}

// deskSeconds is the desk time a day gives service id: each desk's shifts
// (at its pace) split alike among the services it serves.
func deskSeconds(counters []Counter, id string) float64 {
	total := 0.0
	for _, c := range counters {
		if !serves(c.ServiceIDs, id) {
			continue
		}
		speed := 1.0
		if c.Speed != nil {
			speed = *c.Speed
		}
		for _, s := range c.Shifts {
			f, _ := clockSeconds(s.From, false)
			t, _ := clockSeconds(s.To, false)
			total += float64(t-f) / speed / float64(len(c.ServiceIDs))
		}
	}
	return total
}

type genService struct {
	Service
	share float64 // of walk-ins
	sigma float64 // log-normal spread of service times
	fill  float64 // share of a bookable service's slot places booked
	// within, when set, are the periods a slot must fit in (seconds from
	// midnight): the shifts of the desks that serve the service.
	within [][2]int
}

// Generate makes a realistic branch: a morning and an afternoon peak over a
// random daily level, service times spread per service, counters with
// shifts, lunch breaks and different paces, priority walk-ins, booked
// advice slots checked in early or late or never, and people who leave when
// the wait gets long (found out only when called).
func Generate(o GenOptions) *Trace {
	if o.Days <= 0 {
		o.Days = 30
	}
	if o.Load <= 0 {
		o.Load = 0.95
	}
	if o.ScoreLast <= 0 {
		o.ScoreLast = max(1, o.Days/3)
	}
	start := o.Start
	if start == "" {
		start = "2026-03-02"
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	services := []genService{
		{Service{ID: "teller", Prefix: "A", Name: "Teller", AvgServiceSeconds: 300}, 0.62, 0.55, 0, nil},
		{Service{ID: "account", Prefix: "B", Name: "Accounts", AvgServiceSeconds: 660}, 0.32, 0.6, 0, nil},
		{Service{ID: "advice", Prefix: "C", Name: "Advice", AvgServiceSeconds: 1200, SlotMinutes: 30, SlotCapacity: max(o.Size, 1)}, 0.06, 0.4, 0.6, nil},
	}
	sp := func(v float64) *float64 { return &v }
	counters := []Counter{
		{ID: "c1", ServiceIDs: []string{"teller", "account"}, Shifts: []Shift{{"09:00", "12:00"}, {"12:45", "17:00"}}, Speed: sp(1.0)},
		{ID: "c2", ServiceIDs: []string{"teller"}, Shifts: []Shift{{"09:00", "13:00"}, {"13:45", "17:00"}}, Speed: sp(0.85)},
		{ID: "c3", ServiceIDs: []string{"teller", "account"}, Shifts: []Shift{{"10:00", "17:00"}}, Speed: sp(1.2)},
		{ID: "c4", ServiceIDs: []string{"advice", "account"}, Shifts: []Shift{{"09:00", "12:30"}, {"13:30", "17:00"}}, Speed: sp(1.0)},
		{ID: "c5", ServiceIDs: []string{"advice"}, Shifts: []Shift{{"09:00", "17:00"}}, Speed: sp(1.1)},
		{ID: "c6", ServiceIDs: []string{"teller"}, Shifts: []Shift{{"11:00", "14:30"}}, Speed: sp(1.0)},
	}
	if o.AltFloor {
		counters = []Counter{
			{ID: "c1", ServiceIDs: []string{"teller"}, Shifts: []Shift{{"09:00", "11:30"}, {"12:00", "17:00"}}, Speed: sp(0.9)},
			{ID: "c2", ServiceIDs: []string{"teller", "account"}, Shifts: []Shift{{"09:00", "13:15"}, {"14:00", "17:00"}}, Speed: sp(1.3)},
			{ID: "c3", ServiceIDs: []string{"account", "teller"}, Shifts: []Shift{{"09:30", "16:00"}}, Speed: sp(0.8)},
			{ID: "c4", ServiceIDs: []string{"advice", "account", "teller"}, Shifts: []Shift{{"09:00", "12:00"}, {"13:00", "17:00"}}, Speed: sp(1.15)},
			{ID: "c5", ServiceIDs: []string{"advice", "account"}, Shifts: []Shift{{"10:00", "15:00"}}, Speed: sp(1.0)},
		}
	}
	if o.Spread > 0 {
		for i := range services {
			services[i].sigma *= o.Spread
		}
	}
	impatient, priority := 0.35, 0.10
	if o.Impatient > 0 {
		impatient = o.Impatient
	}
	if o.Priority > 0 {
		priority = o.Priority
	}
	if o.Size > 1 {
		base := counters
		counters = nil
		for k := 0; k < o.Size; k++ {
			for _, c := range base {
				c.ID = fmt.Sprintf("%s-%d", c.ID, k+1)
				counters = append(counters, c)
			}
		}
	}
	open, close := 9*3600, 17*3600
	tz, openText, closeText := "Asia/Shanghai", "09:00", "17:00"
	if f := o.Floor; f != nil {
		counters = make([]Counter, len(f.Counters))
		for i, c := range f.Counters {
			if c.Speed == nil {
				c.Speed = sp(1)
			}
			counters[i] = c
		}
		services = genFloor(f, counters)
		open, _ = clockSeconds(f.Open, false)
		close, _ = clockSeconds(f.Close, false)
		tz, openText, closeText = f.Timezone, f.Open, f.Close
		for i, s := range services {
			services[i].within = shiftsOf(counters, s.ID)
			if places := (close - open) / max(s.SlotMinutes*60, 1) * s.SlotCapacity; places > 0 {
				services[i].fill = min(0.6, 0.5*deskSeconds(counters, s.ID)/float64(places*s.AvgServiceSeconds))
			}
		}
	}
	// Capacity in counter-seconds (at each counter's pace) for walk-in work.
	capSec := 0.0
	for _, c := range counters {
		for _, s := range c.Shifts {
			f, _ := clockSeconds(s.From, false)
			t, _ := clockSeconds(s.To, false)
			capSec += float64(t-f) / *c.Speed
		}
	}
	apptWork := 0.0
	for _, s := range services {
		if s.fill > 0 {
			places := (close - open) / (s.SlotMinutes * 60) * s.SlotCapacity
			apptWork += float64(places) * s.fill * 0.9 * float64(s.AvgServiceSeconds)
		}
	}
	meanWork := 0.0
	for _, s := range services {
		meanWork += s.share * float64(s.AvgServiceSeconds)
	}
	nominal := max(0, (capSec-apptWork)/meanWork)

	tr := &Trace{Format: Format, Name: fmt.Sprintf("generated load %.2f seed %d", o.Load, o.Seed), Timezone: tz,
		Open: openText, Close: closeText, NoShowTimeoutSeconds: sp(90), Counters: counters, ScoreLastDays: &o.ScoreLast}
	for _, s := range services {
		tr.Services = append(tr.Services, s.Service)
	}
	known := o.Known
	if o.Tiers {
		tr.Tiers = []Tier{{ID: "gold", SLAWaitSeconds: sp(300), SLATarget: sp(0.9)}, {ID: "silver", SLAWaitSeconds: sp(600), SLATarget: sp(0.8)}, {ID: "standard"}}
		if known <= 0 {
			known = 300
		}
	}
	var customerIDs []string
	for i := 0; i < known; i++ {
		id := fmt.Sprintf("m%04d", i)
		customerIDs = append(customerIDs, id)
		if !o.Tiers {
			continue
		}
		tier := "standard"
		switch {
		case i < 30:
			tier = "gold"
		case i < 100:
			tier = "silver"
		}
		tr.Customers = append(tr.Customers, Customer{ID: id, Tier: tier})
	}
	shape := func(h float64) float64 {
		return 0.8 + 0.45*math.Exp(-math.Pow((h-10.5)/1.2, 2)) + 0.35*math.Exp(-math.Pow((h-14.8)/1.3, 2)) - 0.2*math.Exp(-math.Pow((h-12.7)/0.6, 2))
	}
	peak := 0.0
	mean := 0.0
	for m := open; m < close; m += 60 {
		v := shape(float64(m) / 3600)
		peak = math.Max(peak, v)
		mean += v
	}
	mean /= float64((close - open) / 60)
	d0, _ := time.Parse("2006-01-02", start)
	for di := 0; di < o.Days; di++ {
		day := Day{Date: d0.AddDate(0, 0, di).Format("2006-01-02")}
		level := math.Exp(rng.NormFloat64()*0.12 - 0.0072)
		// Expected walk-ins per second at the peak, then thinning.
		perSec := o.Load * nominal * level / float64(close-open) / mean
		t := float64(open)
		for {
			t += rng.ExpFloat64() / (perSec * peak)
			if t >= float64(close) {
				break
			}
			if rng.Float64() > shape(t/3600)/peak {
				continue
			}
			u := rng.Float64()
			var s genService
			for _, s = range services {
				if u < s.share {
					break
				}
				u -= s.share
			}
			a := Arrival{ServiceID: s.ID, ServiceSeconds: serviceTime(rng, s)}
			arr := clockText(int(t))
			a.Arrive = &arr
			switch r := rng.Float64(); {
			case r < priority/5:
				a.Priority = 2
			case r < priority:
				a.Priority = 1
			}
			if rng.Float64() < impatient {
				// Impatient: gives up after a while if not called.
				v := math.Round(600 + rng.ExpFloat64()*1800)
				a.LeavesAfterSeconds = &v
			}
			if len(customerIDs) > 0 && rng.Float64() < 0.3 {
				a.CustomerID = customerIDs[rng.IntN(len(customerIDs))]
			}
			day.Customers = append(day.Customers, a)
		}
		for _, s := range services {
			day.Customers = appendBookings(rng, day.Customers, s, open, close)
		}
		tr.Days = append(tr.Days, day)
	}
	return tr
}

// appendBookings books s's slot places of a day, each with the chance s.fill
// (none for a service that is not booked): most check in a few minutes
// early, some late or very late, a tenth never come.
func appendBookings(rng *rand.Rand, out []Arrival, s genService, open, close int) []Arrival {
	if s.fill <= 0 {
		return out
	}
	step := s.SlotMinutes * 60
	for sl := open; sl+step <= close; sl += step {
		if s.within != nil && !fits(s.within, sl, sl+step) {
			continue // no desk for it then (a break): the box has no such slot
		}
		for k := 0; k < s.SlotCapacity; k++ {
			if rng.Float64() >= s.fill {
				continue
			}
			slot := clockText(sl)[:5]
			a := Arrival{ServiceID: s.ID, Appointment: &slot, ServiceSeconds: serviceTime(rng, s)}
			if rng.Float64() < 0.1 {
				a.NoShow = true
			} else {
				off := rng.NormFloat64()*300 - 360
				if rng.Float64() < 0.05 {
					off = 660 + rng.Float64()*600 // very late
				}
				at := max(sl+int(off), open-1800, 0)
				arr := clockText(at)
				a.Arrive = &arr
			}
			out = append(out, a)
		}
	}
	return out
}

func serviceTime(rng *rand.Rand, s genService) float64 {
	mu := math.Log(float64(s.AvgServiceSeconds)) - s.sigma*s.sigma/2
	return math.Round(math.Max(30, math.Exp(mu+s.sigma*rng.NormFloat64())))
}

func clockText(sec int) string {
	return fmt.Sprintf("%02d:%02d:%02d", sec/3600, sec/60%60, sec%60)
}
