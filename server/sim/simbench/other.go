package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"queuebox/server/sim"
)

// otherBranch generates days of a branch unlike sim.Generate's: other
// services and desks (two bookable services, 20- and 30-minute slots), a
// single midday peak with bursts of people arriving together, heavier-tailed
// service times, check-ins from 12 minutes early to 3 late, a 25-minute cap
// and other tier targets. It checks that the calling policy is not fitted to
// the generator it was developed on.
func otherBranch(days int, load float64, seed uint64) *sim.Trace {
	rng := rand.New(rand.NewPCG(seed, 0x51ed27))
	sp := func(v float64) *float64 { return &v }
	type svc struct {
		s     sim.Service
		share float64
		sigma float64
	}
	services := []svc{
		{sim.Service{ID: "post", Prefix: "A", Name: "Post", AvgServiceSeconds: 240}, 0.5, 0.8},
		{sim.Service{ID: "parcel", Prefix: "B", Name: "Parcels", AvgServiceSeconds: 480}, 0.3, 0.7},
		{sim.Service{ID: "bank", Prefix: "C", Name: "Banking", AvgServiceSeconds: 600, SlotMinutes: 30, SlotCapacity: 1}, 0.15, 0.5},
		{sim.Service{ID: "consult", Prefix: "D", Name: "Consulting", AvgServiceSeconds: 900, SlotMinutes: 20, SlotCapacity: 1}, 0.05, 0.45},
	}
	counters := []sim.Counter{
		{ID: "d1", ServiceIDs: []string{"post", "parcel"}, Shifts: []sim.Shift{{From: "08:30", To: "12:00"}, {From: "13:00", To: "17:30"}}, Speed: sp(1)},
		{ID: "d2", ServiceIDs: []string{"post"}, Shifts: []sim.Shift{{From: "08:30", To: "17:30"}}, Speed: sp(1.1)},
		{ID: "d3", ServiceIDs: []string{"parcel", "bank"}, Shifts: []sim.Shift{{From: "08:30", To: "16:00"}}, Speed: sp(0.9)},
		{ID: "d4", ServiceIDs: []string{"consult", "post"}, Shifts: []sim.Shift{{From: "09:00", To: "13:00"}, {From: "14:00", To: "17:30"}}, Speed: sp(1)},
		{ID: "d5", ServiceIDs: []string{"bank", "consult"}, Shifts: []sim.Shift{{From: "10:00", To: "17:30"}}, Speed: sp(1.05)},
	}
	open, close := 8*3600+1800, 17*3600+1800
	capSec := 0.0
	for _, c := range counters {
		for _, s := range c.Shifts {
			f, _ := time.Parse("15:04", s.From)
			t, _ := time.Parse("15:04", s.To)
			capSec += t.Sub(f).Seconds() / *c.Speed
		}
	}
	// Bookings: every bank slot at 50%, every consult slot at 60%.
	apptWork := float64((close-open)/1800)*0.5*600 + float64((close-open)/1200)*0.6*900
	meanWork := 0.0
	for _, s := range services {
		meanWork += s.share * float64(s.s.AvgServiceSeconds)
	}
	// Desks serve unequal mixes, so the whole floor's capacity overstates
	// what the walk-ins can use: 0.7 of it is this branch's nominal.
	perDay := 0.7 * load * (capSec - apptWork) / meanWork
	settings, _ := json.Marshal(map[string]any{"max_wait_minutes": 25})
	score := days / 2
	tr := &sim.Trace{Format: sim.Format, Name: fmt.Sprintf("other branch load %.2f seed %d", load, seed), Timezone: "Europe/Berlin",
		Open: "08:30", Close: "17:30", NoShowTimeoutSeconds: sp(60), Counters: counters, Settings: settings, ScoreLastDays: &score,
		Tiers: []sim.Tier{{ID: "platinum", SLAWaitSeconds: sp(240), SLATarget: sp(0.95)}, {ID: "member", SLAWaitSeconds: sp(900), SLATarget: sp(0.85)}, {ID: "guest"}}}
	for _, s := range services {
		tr.Services = append(tr.Services, s.s)
	}
	var ids []string
	for i := 0; i < 200; i++ {
		id := fmt.Sprintf("k%03d", i)
		tier := "guest"
		switch {
		case i < 15:
			tier = "platinum"
		case i < 80:
			tier = "member"
		}
		ids = append(ids, id)
		tr.Customers = append(tr.Customers, sim.Customer{ID: id, Tier: tier})
	}
	// One midday peak on a flat day.
	shape := func(h float64) float64 { return 1 + 0.9*math.Exp(-math.Pow((h-12.6)/0.9, 2)) }
	mean, peak := 0.0, 0.0
	for m := open; m < close; m += 60 {
		v := shape(float64(m) / 3600)
		mean += v
		peak = math.Max(peak, v)
	}
	mean /= float64((close - open) / 60)
	clock := func(sec int) string { return fmt.Sprintf("%02d:%02d:%02d", sec/3600, sec/60%60, sec%60) }
	d0 := time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC)
	for di := 0; di < days; di++ {
		day := sim.Day{Date: d0.AddDate(0, 0, di).Format("2006-01-02")}
		level := math.Exp(rng.NormFloat64()*0.2 - 0.02)
		groups := perDay * level / 1.4 // a group is 1.4 people on average
		rate := groups / float64(close-open) / mean * peak
		for t := float64(open); ; {
			t += rng.ExpFloat64() / rate
			if t >= float64(close) {
				break
			}
			if rng.Float64() > shape(t/3600)/peak {
				continue
			}
			size := 1
			if rng.Float64() < 0.3 {
				size += 1 + rng.IntN(2)
			}
			for k := 0; k < size; k++ {
				u := rng.Float64()
				var s svc
				for _, s = range services {
					if u < s.share {
						break
					}
					u -= s.share
				}
				mu := math.Log(float64(s.s.AvgServiceSeconds)) - s.sigma*s.sigma/2
				a := sim.Arrival{ServiceID: s.s.ID, ServiceSeconds: math.Round(math.Max(20, math.Exp(mu+s.sigma*rng.NormFloat64())))}
				at := clock(int(t) + k*7)
				a.Arrive = &at
				if rng.Float64() < 0.05 {
					a.Priority = 1
				}
				if rng.Float64() < 0.2 {
					v := 900 + rng.Float64()*2700
					a.LeavesAfterSeconds = &v
				}
				if rng.Float64() < 0.4 {
					a.CustomerID = ids[rng.IntN(len(ids))]
				}
				day.Customers = append(day.Customers, a)
			}
		}
		book := func(id string, every int, share float64, s svc) {
			for sl := open; sl+every <= close; sl += every {
				if rng.Float64() >= share {
					continue
				}
				slot := clock(sl)[:5]
				mu := math.Log(float64(s.s.AvgServiceSeconds)) - s.sigma*s.sigma/2
				a := sim.Arrival{ServiceID: id, Appointment: &slot, ServiceSeconds: math.Round(math.Exp(mu + s.sigma*rng.NormFloat64()))}
				if rng.Float64() < 0.08 {
					a.NoShow = true
				} else {
					at := clock(sl - 720 + rng.IntN(900))
					a.Arrive = &at
				}
				if rng.Float64() < 0.5 {
					a.CustomerID = ids[rng.IntN(len(ids))]
				}
				day.Customers = append(day.Customers, a)
			}
		}
		book("bank", 1800, 0.5, services[2])
		book("consult", 1200, 0.6, services[3])
		tr.Days = append(tr.Days, day)
	}
	return tr
}

// retuned is sim.Generate's bank on other settings: two floors, another
// seed, a 20-minute cap, a 15-minute hold, Gold 95% within 3 min and Silver
// 85% within 15 min.
func retuned(days int, load float64, seed uint64) *sim.Trace {
	tr := sim.Generate(sim.GenOptions{Days: days, ScoreLast: days / 2, Load: load, Seed: seed + 1, Tiers: true, Size: 2})
	tr.Settings, _ = json.Marshal(map[string]any{"max_wait_minutes": 20, "appointment_hold_minutes": 15})
	sp := func(v float64) *float64 { return &v }
	tr.Tiers = []sim.Tier{{ID: "gold", SLAWaitSeconds: sp(180), SLATarget: sp(0.95)}, {ID: "silver", SLAWaitSeconds: sp(900), SLATarget: sp(0.85)}, {ID: "standard"}}
	tr.Name = "retuned " + tr.Name
	return tr
}

// otherTable plays otherBranch at the three loads under the box's policy and
// under FIFO and prints appointments on time, the cap check and the tiers.
func otherTable(stdout, stderr io.Writer, days int, seed uint64) bool {
	fmt.Fprintf(stdout, "\nrobustness: another generator (other desks, services, peak, 25-min cap, tiers), %d days per load, last %d scored\n", days, days/2)
	playTable(stdout, days, seed, otherBranch)
	fmt.Fprintf(stdout, "\nrobustness: the bank on other settings (two floors, seed %d, 20-min cap, 15-min hold, Gold 95%% ≤ 3 min, Silver 85%% ≤ 15 min)\n", seed+1)
	playTable(stdout, days, seed, retuned)
	return true
}

func playTable(stdout io.Writer, days int, seed uint64, gen func(days int, load float64, seed uint64) *sim.Trace) {
	fmt.Fprintf(stdout, "%-6s %-9s %7s %8s %8s %6s %10s %10s %8s %8s\n", "load", "tier", "tickets", "mean s", "p95 s", "SLA", "FIFO p95", "p95 ratio", "appt≤10", "cap viol")
	for _, load := range []float64{0.8, 0.95, 1.1} {
		tr := gen(days, load, seed)
		var sums [2]*sim.Summary
		failed := false
		for i, fifo := range []bool{false, true} {
			lines, err := sim.Run(tr, sim.Options{FIFO: fifo})
			if err == nil {
				sums[i], err = sim.Summarize(tr, lines, fifo)
			}
			if err != nil {
				// Reported and skipped: the other loads still say something.
				fmt.Fprintf(stdout, "%-6.2f the simulator failed (fifo %v): %v\n", load, fifo, err)
				failed = true
				break
			}
		}
		if failed {
			continue
		}
		box, fifo := sums[0], sums[1]
		appt, viol := "—", "—"
		if box.Overall.OnTimeCalledShare != nil {
			appt = fmt.Sprintf("%.3f", *box.Overall.OnTimeCalledShare)
		}
		if box.MaxWaitCap != nil {
			viol = fmt.Sprintf("%d", box.MaxWaitCap.Violations)
		}
		for i, t := range tr.Tiers {
			b, f := box.Tiers[t.ID], fifo.Tiers[t.ID]
			if b == nil || f == nil {
				continue
			}
			sla, ratio := tierVsFIFO(b, f)
			a, v := "", ""
			if i == 0 {
				a, v = appt, viol
			}
			fmt.Fprintf(stdout, "%-6.2f %-9s %7d %8.0f %8.0f %6s %10.0f %10.2f %8s %8s\n", load, t.ID, b.Tickets,
				val(b.WaitMeanSeconds), val(b.WaitP95Seconds), sla, val(f.WaitP95Seconds), ratio, a, v)
		}
	}
}
