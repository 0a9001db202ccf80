package queue_test

import (
	"testing"
	"time"

	"queuebox/server/queue"
)

var nine = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) // a Monday

func (f *fixture) setCounter(t *testing.T, c queue.Counter) {
	t.Helper()
	if _, err := f.e.PutCounter(c, false, "admin"); err != nil {
		t.Fatal(err)
	}
}

func everyDay(hours string) map[string]string {
	m := map[string]string{}
	for _, d := range queue.Days {
		m[d] = hours
	}
	return m
}

func TestZeroAheadButEveryDeskBusyIsNotNoWait(t *testing.T) {
	f := newFixture(t, "UTC", nine)
	f.issue(t, "cash", 0)
	f.issue(t, "cash", 0)
	for _, c := range []string{"c1", "c3"} {
		if _, ok, err := f.e.Next(c, "s"); err != nil || !ok {
			t.Fatalf("next %s: %v %v", c, ok, err)
		}
	}
	f.clock.Advance(30 * time.Second)
	v := f.issue(t, "cash", 0)
	if v.Ahead != 0 || v.EWTSeconds < 60 || v.EWTLowSeconds <= 0 && v.EWTHighSeconds < 60 {
		t.Errorf("0 ahead, both cash desks busy: ewt %d (%d–%d), want about the rest of a service",
			v.EWTSeconds, v.EWTLowSeconds, v.EWTHighSeconds)
	}
}

func TestEstimateFollowsSchedules(t *testing.T) {
	f := newFixture(t, "UTC", nine)
	// Only c1 serves general now; it takes a break 09:10–10:00.
	f.setCounter(t, queue.Counter{ID: "c2", Name: "Counter 2", ServiceIDs: []string{"general"}, Paused: true})
	for i := 0; i < 3; i++ {
		f.issue(t, "general", 0)
	}
	plain := f.issue(t, "general", 0)
	f.setCounter(t, queue.Counter{ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general", "cash"},
		Schedule: everyDay("09:00-09:10,10:00-18:00")})
	withBreak, _ := f.e.Ticket(plain.ID)
	// Three ahead at 300 s: 09:15 without a break; after it, 10:05 or so.
	if plain.EWTSeconds > 20*60 || withBreak.EWTSeconds < 60*60 {
		t.Errorf("4th in line at one desk: %d s without the break, %d s with it; want about 15 min and over an hour",
			plain.EWTSeconds, withBreak.EWTSeconds)
	}
	// A second desk scheduled from 09:20 (paused until then) shortens it.
	f.setCounter(t, queue.Counter{ID: "c2", Name: "Counter 2", ServiceIDs: []string{"general"}, Paused: true,
		Schedule: everyDay("09:20-18:00")})
	helped, _ := f.e.Ticket(plain.ID)
	if helped.EWTSeconds >= withBreak.EWTSeconds-20*60 {
		t.Errorf("with c2 coming at 09:20: %d s, want well under the %d s without it", helped.EWTSeconds, withBreak.EWTSeconds)
	}
	if _, err := f.e.PutCounter(queue.Counter{ID: "c2", Name: "Counter 2", Schedule: map[string]string{"mon": "9-5"}}, false, "admin"); err == nil {
		t.Error("a bad schedule was accepted")
	} else if ve, ok := err.(*queue.ValidationError); !ok || ve.Field != "schedule.mon" {
		t.Errorf("bad schedule: %v, want a validation error naming schedule.mon", err)
	}
}

func TestEstimateCountsOtherServicesAtSharedDesks(t *testing.T) {
	f := newFixture(t, "UTC", nine)
	// c1 serves general and cash; the others are away.
	for _, id := range []string{"c2", "c3"} {
		if _, err := f.e.SetPaused(id, true, "s"); err != nil {
			t.Fatal(err)
		}
	}
	alone := f.issue(t, "general", 0)
	if _, err := f.e.Cancel(alone.ID, "s"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		f.issue(t, "cash", 0)
	}
	v := f.issue(t, "general", 0)
	// Nobody waits for general, but c1 first serves three cash tickets (120 s each).
	if v.Ahead != 0 || v.EWTSeconds < 300 || alone.EWTSeconds > 60 {
		t.Errorf("general behind three cash at the shared desk: ahead %d ewt %d (alone %d); want 0 ahead and about 360 s",
			v.Ahead, v.EWTSeconds, alone.EWTSeconds)
	}
}

func TestEstimateExpectsPriorityArrivals(t *testing.T) {
	est := func(history bool) int {
		f := newFixture(t, "UTC", nine)
		for _, id := range []string{"c2", "c3"} {
			if _, err := f.e.SetPaused(id, true, "s"); err != nil {
				t.Fatal(err)
			}
		}
		if history {
			// Past days: priority walk-ins for general every five minutes all morning.
			var evs []queue.Event
			for d := 7; d >= 1; d-- {
				day := nine.AddDate(0, 0, -d)
				for m := 0; m < 180; m += 5 {
					at := day.Add(time.Duration(m) * time.Minute)
					evs = append(evs, queue.Event{Type: queue.EventIssued, At: at,
						Ticket: &queue.Ticket{ID: "1", ServiceID: "general", Priority: 1, IssuedAt: at}})
				}
			}
			f.e.Learn(evs)
		}
		for i := 0; i < 3; i++ {
			f.issue(t, "general", 0)
		}
		return f.issue(t, "general", 0).EWTSeconds
	}
	without, with := est(false), est(true)
	if with < without+10*60 {
		t.Errorf("4th normal ticket: %d s without history, %d s expecting a priority walk-in every 5 min; want much longer", without, with)
	}
}

func TestServiceEstimateIsANewTicketsWait(t *testing.T) {
	f := newFixture(t, "UTC", nine)
	for i := 0; i < 4; i++ {
		f.issue(t, "general", 0)
	}
	svc, err := f.e.Service("general")
	if err != nil {
		t.Fatal(err)
	}
	// Four ahead at two desks of 300 s: about ten minutes.
	if svc.EWTSeconds < 540 || svc.EWTSeconds > 660 || svc.EWTLowSeconds > svc.EWTSeconds || svc.EWTHighSeconds < svc.EWTSeconds {
		t.Errorf("service estimate %d s (%d–%d), want about 600 s inside its range", svc.EWTSeconds, svc.EWTLowSeconds, svc.EWTHighSeconds)
	}
	if v := f.issue(t, "general", 0); v.EWTSeconds != svc.EWTSeconds {
		t.Errorf("the next ticket was promised %d s, the service showed %d s", v.EWTSeconds, svc.EWTSeconds)
	}
}

// teach feeds the engine past general services at c1 and c2, each lasting
// one of durations in turn (both desks see every one).
func teach(f *fixture, durations ...time.Duration) {
	var evs []queue.Event
	for i := 0; i < 600; i++ {
		called := nine.AddDate(0, 0, -1).Add(time.Duration(i) * time.Minute)
		ctr := []string{"c1", "c2"}[i/len(durations)%2]
		tk := &queue.Ticket{ID: "1", ServiceID: "general", CounterID: ctr, IssuedAt: called.Add(-time.Minute), CalledAt: &called}
		evs = append(evs, queue.Event{Type: queue.EventFinished, At: called.Add(durations[i%len(durations)]), Ticket: tk})
	}
	f.e.Learn(evs)
}

// The one customer ahead has been at the only general desk for 200 s. When
// general takes 100 s or 500 s, that service is a long one with 300 s to
// go; when it always takes 300 s, it is nearly done.
func TestEstimateReadsHowLongTheServiceAheadHasTaken(t *testing.T) {
	wait := func(durations ...time.Duration) int {
		f := newFixture(t, "UTC", nine)
		teach(f, durations...)
		if _, err := f.e.SetPaused("c1", true, "s"); err != nil {
			t.Fatal(err)
		}
		f.issue(t, "general", 0)
		if _, ok, err := f.e.Next("c2", "s"); err != nil || !ok {
			t.Fatalf("next: %v %v", ok, err)
		}
		f.clock.Advance(200 * time.Second)
		return f.issue(t, "general", 0).EWTSeconds
	}
	bimodal, steady := wait(100*time.Second, 500*time.Second), wait(300*time.Second)
	if bimodal < 240 || bimodal > 360 || steady > 150 {
		t.Errorf("after 200 s of the service ahead: %d s to wait when it takes 100 or 500 s (want about 300), %d s when it takes 300 s (want about 100)",
			bimodal, steady)
	}
}

// Four ahead at one desk: whether each takes 300 s or 60 s and 540 s by
// turns, the point is about the same, but the range is much wider when the
// services ahead vary.
func TestRangeWidensWithTheSpreadOfServicesAhead(t *testing.T) {
	view := func(durations ...time.Duration) queue.TicketView {
		f := newFixture(t, "UTC", nine)
		teach(f, durations...)
		if _, err := f.e.SetPaused("c1", true, "s"); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 4; i++ {
			f.issue(t, "general", 0)
		}
		return f.issue(t, "general", 0)
	}
	steady, varied := view(300*time.Second), view(60*time.Second, 540*time.Second)
	if d := steady.EWTSeconds - varied.EWTSeconds; d < -120 || d > 120 {
		t.Errorf("points %d s and %d s, want about the same", steady.EWTSeconds, varied.EWTSeconds)
	}
	ws, wv := steady.EWTHighSeconds-steady.EWTLowSeconds, varied.EWTHighSeconds-varied.EWTLowSeconds
	if wv < 3*ws || wv < 600 {
		t.Errorf("range %d–%d s when services are steady, %d–%d s when they vary; want the second much wider",
			steady.EWTLowSeconds, steady.EWTHighSeconds, varied.EWTLowSeconds, varied.EWTHighSeconds)
	}
}

// Two desks serving the same services both start a service that takes 60 s
// or 540 s (300 s on average). The next customer is called when the first
// of the two is done: three times in four that is after 60 s, so the wait
// is about 180 s, not the 300 s of the sooner mean.
func TestNextCallIsTheSoonerOfTheDesksEnds(t *testing.T) {
	f := newFixture(t, "UTC", nine)
	teach(f, 60*time.Second, 540*time.Second)
	f.setCounter(t, queue.Counter{ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general"}})
	for _, c := range []string{"c1", "c2"} {
		f.issue(t, "general", 0)
		if _, ok, err := f.e.Next(c, "s"); err != nil || !ok {
			t.Fatalf("next %s: %v %v", c, ok, err)
		}
	}
	v := f.issue(t, "general", 0)
	if v.EWTSeconds < 130 || v.EWTSeconds > 240 {
		t.Errorf("both desks just started: %d s to wait, want about 180 s", v.EWTSeconds)
	}
}

// One desk serves general now; a second is on its break until noon. The
// four tickets ahead are all the first desk's work, so the wait is as
// uncertain as with that desk alone: the desk on its break shares none of
// it.
func TestDeskOnABreakSharesNoneOfTheUncertainty(t *testing.T) {
	spread := func(second queue.Counter) int {
		f := newFixture(t, "UTC", nine)
		teach(f, 60*time.Second, 540*time.Second)
		f.setCounter(t, second)
		for i := 0; i < 4; i++ {
			f.issue(t, "general", 0)
		}
		v := f.issue(t, "general", 0)
		if v.Promise == nil || v.Promise.SpreadSeconds == 0 {
			t.Fatalf("no spread in the promise: %+v", v.Promise)
		}
		return v.Promise.SpreadSeconds
	}
	alone := spread(queue.Counter{ID: "c2", Name: "Counter 2", ServiceIDs: []string{"cash"}})
	onBreak := spread(queue.Counter{ID: "c2", Name: "Counter 2", ServiceIDs: []string{"general"}, Paused: true, Schedule: everyDay("12:00-18:00")})
	if d := onBreak - alone; d < -alone/10 || d > alone/10 {
		t.Errorf("spread %d s with the second desk away until noon, %d s without it; want the same", onBreak, alone)
	}
}
