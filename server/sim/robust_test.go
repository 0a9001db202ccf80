package sim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// randomTrace is a small day-set made to hit the edges of a day: loads far
// past capacity, shifts ending after closing (some near midnight), services
// longer than the day's grace, many walk-outs and appointments checking in
// late or after closing.
func randomTrace(rng *rand.Rand, n int) *Trace {
	sp := func(v float64) *float64 { return &v }
	hm := func(sec int) string { return fmt.Sprintf("%02d:%02d", sec/3600, sec/60%60) }
	hms := func(sec int) string { return fmt.Sprintf("%02d:%02d:%02d", sec/3600, sec/60%60, sec%60) }
	open := (7 + rng.IntN(4)) * 3600
	close := open + (3+rng.IntN(10))*3600
	if close > 23*3600 {
		close = 23 * 3600
	}
	services := []Service{
		{ID: "a", Prefix: "A", AvgServiceSeconds: 300},
		{ID: "b", Prefix: "B", AvgServiceSeconds: 900, SlotMinutes: 30, SlotCapacity: 1 + rng.IntN(2)},
	}
	var counters []Counter
	for i := 0; i < 1+rng.IntN(3); i++ {
		ids := []string{"a", "b"}
		if rng.IntN(3) == 0 {
			ids = ids[rng.IntN(2):][:1]
		}
		var shifts []Shift
		from := open + rng.IntN(4)*1800 - 1800
		if from < 0 {
			from = 0
		}
		for k := 0; k < 1+rng.IntN(2) && from < 24*3600-600; k++ {
			to := from + 1800 + rng.IntN((close-open)/600+1)*600
			switch rng.IntN(4) {
			case 0:
				to = close // serves on while anyone waits
			case 1:
				to = close + rng.IntN(5)*1800 // past closing, maybe past the grace
			}
			if to <= from {
				to = from + 600
			}
			if to > 24*3600 {
				to = 24 * 3600
			}
			shifts = append(shifts, Shift{From: hm(from), To: hm(to)})
			from = to + rng.IntN(3)*900
		}
		counters = append(counters, Counter{ID: fmt.Sprintf("c%d", i), ServiceIDs: ids, Shifts: shifts, Speed: sp(0.5 + rng.Float64())})
	}
	score := 1
	tr := &Trace{Format: Format, Name: fmt.Sprintf("random %d", n), Timezone: "Europe/Berlin",
		Open: hm(open), Close: hm(close), NoShowTimeoutSeconds: sp(float64(30 + rng.IntN(300))),
		Services: services, Counters: counters, ScoreLastDays: &score,
		Tiers:     []Tier{{ID: "gold", SLAWaitSeconds: sp(300), SLATarget: sp(0.9)}, {ID: "std"}},
		Customers: []Customer{{ID: "g1", Tier: "gold"}, {ID: "s1", Tier: "std"}}}
	if rng.IntN(2) == 0 {
		tr.Settings = json.RawMessage(`{"max_wait_minutes": 20}`)
	}
	date := 1
	for di := 0; di < 1+rng.IntN(3); di++ {
		date += 1 + rng.IntN(2) // the next day, or one after
		day := Day{Date: fmt.Sprintf("2026-03-%02d", date)}
		for k := 0; k < rng.IntN(40+rng.IntN(200)); k++ {
			// Some arrive before opening, some after closing.
			at := open - 1800 + rng.IntN(close-open+3600)
			if rng.IntN(10) == 0 {
				at = close + rng.IntN(24*3600-close) // after closing, up to midnight
			}
			a := Arrival{ServiceID: services[rng.IntN(2)].ID, ServiceSeconds: float64(rng.IntN(3) * rng.IntN(3600)), Priority: rng.IntN(2)}
			if rng.IntN(8) == 0 {
				a.ServiceSeconds = float64(3*3600 + rng.IntN(4*3600)) // outlasts the grace
				if rng.IntN(4) == 0 {
					a.ServiceSeconds = float64(8*3600 + rng.IntN(14*3600)) // into the next day
				}
			}
			s := hms(at)
			a.Arrive = &s
			if rng.IntN(2) == 0 {
				v := float64(rng.IntN(3600))
				a.LeavesAfterSeconds = &v
			}
			if rng.IntN(3) == 0 {
				a.CustomerID = []string{"g1", "s1", "x9"}[rng.IntN(3)]
			}
			day.Customers = append(day.Customers, a)
		}
		for slot := open; slot+1800 <= close; slot += 1800 {
			if rng.IntN(2) == 0 {
				continue
			}
			sl := hm(slot)
			a := Arrival{ServiceID: "b", Appointment: &sl, ServiceSeconds: float64(300 + rng.IntN(5000))}
			switch rng.IntN(5) {
			case 0:
				a.NoShow = true
			case 1:
				at := slot + 600 + rng.IntN(close-slot+3600) // late, maybe after closing
				if at > 24*3600-1 {
					at = 24*3600 - 1
				}
				s := hms(at)
				a.Arrive = &s
			default:
				s := hms(slot - 1800 + rng.IntN(2400))
				a.Arrive = &s
			}
			day.Customers = append(day.Customers, a)
		}
		tr.Days = append(tr.Days, day)
	}
	return tr
}

// TestRandomTracesPlay plays many small random traces: none may stop the
// play, and every arrival of a trace is one line with a final outcome.
func TestRandomTracesPlay(t *testing.T) {
	rng := rand.New(rand.NewPCG(28, 2026))
	n := 200
	if testing.Short() {
		n = 30
	}
	tmp := t.TempDir()
	outcomes := map[string]bool{"done": true, "no_show": true, "cancelled": true, "refused": true}
	for i := 0; i < n; i++ {
		tr := randomTrace(rng, i)
		js, _ := json.Marshal(tr)
		fifo := i%4 == 3
		lines, err := Run(tr, Options{FIFO: fifo, TempDir: tmp})
		if err != nil {
			t.Fatalf("trace %d (fifo %v): %v\n%s", i, fifo, err, js)
		}
		s, err := Summarize(tr, lines, fifo)
		if err != nil {
			t.Fatalf("trace %d: summarize: %v", i, err)
		}
		dir := filepath.Join(tmp, fmt.Sprint(i))
		if err := Write(dir, lines, s); err != nil {
			t.Fatalf("trace %d: write: %v", i, err)
		}
		f, err := os.Open(filepath.Join(dir, "tickets.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		type key struct{ day, arrive, appt, svc string }
		want := map[key]int{}
		for _, d := range tr.Days {
			for _, a := range d.Customers {
				k := key{day: d.Date, svc: a.ServiceID}
				if a.Arrive != nil {
					k.arrive = *a.Arrive
				}
				if a.Appointment != nil {
					k.appt = *a.Appointment
				}
				want[k]++
			}
		}
		got := 0
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var l Line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("trace %d: bad line %s: %v", i, sc.Text(), err)
			}
			got++
			if !outcomes[l.Outcome] {
				t.Fatalf("trace %d: outcome %q in %s\n%s", i, l.Outcome, sc.Text(), js)
			}
			if (l.Outcome == "done" || l.Outcome == "no_show") && l.Kind != "appointment" && (l.CalledAt == nil || l.EndedAt == nil) {
				t.Fatalf("trace %d: %s without call or end: %s", i, l.Outcome, sc.Text())
			}
			if l.Outcome == "cancelled" && l.EndedAt == nil {
				t.Fatalf("trace %d: cancelled without end: %s", i, sc.Text())
			}
			k := key{day: l.Day, svc: l.ServiceID}
			if l.Arrive != nil {
				k.arrive = *l.Arrive
			}
			if l.Appointment != nil {
				k.appt = *l.Appointment
			}
			if want[k] == 0 {
				t.Fatalf("trace %d: line for no arrival of the trace (or twice): %s", i, sc.Text())
			}
			want[k]--
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		for k, c := range want {
			if c != 0 {
				t.Fatalf("trace %d: %d arrival(s) %+v without a line", i, c, k)
			}
		}
		os.RemoveAll(dir)
	}
}
