package queue_test

import (
	"cmp"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"queuebox/server/queue"
)

// planFixture is apptFixture with 25-minute advice jobs: c4 serves advice
// only, and the cap is 30 minutes.
func planFixture(t *testing.T, now time.Time) *fixture {
	t.Helper()
	f := apptFixture(t, now)
	if _, err := f.e.PutService(queue.Service{ID: "advice", Prefix: "P", Name: "Advice", AvgServiceSeconds: 1500, SlotMinutes: 15, SlotCapacity: 2}, false, "t"); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) walkIn(t *testing.T, service string) queue.TicketView {
	t.Helper()
	v, _, err := f.e.Issue(queue.IssueRequest{ServiceID: service, Source: "k"})
	if err != nil {
		t.Fatalf("issue %s: %v", service, err)
	}
	return v
}

func TestSlotDueSoonIsNotBlockedByALongWalkIn(t *testing.T) {
	for _, hold := range []int{20, 0} {
		t.Run(fmt.Sprintf("hold %d min", hold), func(t *testing.T) {
			f := planFixture(t, at("10:00"))
			st := f.e.Settings()
			st.AppointmentHoldMinutes = hold
			if _, err := f.e.PutSettings(st, "t"); err != nil {
				t.Fatal(err)
			}
			a := book(t, f, at("10:30"), "13800000011")
			f.clock.Set(at("10:12"))
			w := f.walkIn(t, "advice")
			// 10:27: the slot is 3 minutes away, the walk-in's job takes 25.
			f.clock.Set(at("10:27"))
			v, ok, err := f.e.Next("c4", "s")
			if err != nil {
				t.Fatal(err)
			}
			if hold == 0 {
				// Planning off: the desk starts the walk-in and the slot waits.
				if !ok || v.ID != w.ID {
					t.Fatalf("planning off: called %v (%s), want the walk-in %s", ok, v.Number, w.Number)
				}
				return
			}
			if ok {
				t.Fatalf("called %s (%s) three minutes before a booked slot; want the desk kept free", v.Number, v.CallReason)
			}
			if n := f.e.WaitingFor("c4"); n != 1 {
				t.Errorf("waiting for c4 = %d, want the walk-in still waiting", n)
			}
			f.clock.Set(at("10:28"))
			ap, err := f.e.CheckIn(a.Code, "k")
			if err != nil {
				t.Fatal(err)
			}
			got := f.next(t, "c4")
			if got.ID != ap.ID || got.CallReason != "appointment at 10:30" {
				t.Errorf("after check-in called %s (%q), want the appointment at 10:30", got.Number, got.CallReason)
			}
			if got := f.next(t, "c4"); got.ID != w.ID {
				t.Errorf("then called %s, want the walk-in", got.Number)
			}
		})
	}
}

func TestWalkInNearTheCapGoesBeforeTheSlot(t *testing.T) {
	f := planFixture(t, at("10:00"))
	book(t, f, at("10:30"), "13800000012")
	w := f.walkIn(t, "advice") // 10:00: past the 30-min cap at 10:30
	f.clock.Set(at("10:15"))
	v := f.walkIn(t, "advice")
	// 10:25: held back for the slot, w would pass the cap before the booked
	// customer is called and go first anyway; it is called now instead.
	f.clock.Set(at("10:25"))
	got := f.next(t, "c4")
	if got.ID != w.ID || got.CallReason != "5 min to the 30-min cap" {
		t.Errorf("called %s (%q), want %s, 5 min to the 30-min cap", got.Number, got.CallReason, w.Number)
	}
	wantReason(t, got, queue.ReasonCapRisk, queue.ReasonArgs{Minutes: 5, CapMinutes: 30})
	// v (10 min waited) is far from the cap: the desk is not given its
	// 25-minute job before the slot.
	f.clock.Set(at("10:26"))
	if _, ok, _ := f.e.Next("c4", "s"); ok {
		t.Errorf("called %s four minutes before the slot; want the desk kept free", v.Number)
	}
}

func TestEarlyCustomerIsCalledWhenTheDeskIsFree(t *testing.T) {
	f := planFixture(t, at("10:00"))
	a := book(t, f, at("10:30"), "13800000013")
	f.clock.Set(at("10:05"))
	f.walkIn(t, "advice")
	f.clock.Set(at("10:16"))
	ap, err := f.e.CheckIn(a.Code, "k")
	if err != nil {
		t.Fatal(err)
	}
	// Before its slot the booked customer waits like a walk-in in the
	// listed order, but a free desk takes them: early beats late.
	f.clock.Set(at("10:17"))
	got := f.next(t, "c4")
	if got.ID != ap.ID || got.CallReason != "booked 10:30, here early" {
		t.Errorf("called %s (%q), want the booked customer, here early", got.Number, got.CallReason)
	}
	wantReason(t, got, queue.ReasonBookedEarly, queue.ReasonArgs{At: "10:30"})
}

func TestSharedDeskTakesTheBookedServiceFirstBeforeASlot(t *testing.T) {
	f := planFixture(t, at("10:00"))
	// c5 serves advice (5-minute jobs here) and cash.
	if _, err := f.e.PutService(queue.Service{ID: "advice", Prefix: "P", Name: "Advice", AvgServiceSeconds: 300, SlotMinutes: 15, SlotCapacity: 2}, false, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.PutCounter(queue.Counter{ID: "c5", Name: "Counter 5", ServiceIDs: []string{"cash", "advice"}}, true, "t"); err != nil {
		t.Fatal(err)
	}
	cash := f.walkIn(t, "cash")
	f.clock.Set(at("10:01"))
	cash2 := f.walkIn(t, "cash")
	f.clock.Set(at("10:02"))
	adv := f.walkIn(t, "advice")
	f.clock.Set(at("10:04"))
	// No slot within the window: the older cash ticket first.
	if got := f.next(t, "c5"); got.ID != cash.ID {
		t.Fatalf("no slot due: called %s, want the older cash ticket %s", got.Number, cash.Number)
	}
	book(t, f, at("10:30"), "13800000014")
	f.clock.Set(at("10:15"))
	got := f.next(t, "c5")
	if got.ID != adv.ID || got.CallReason != "next in line, before booked 10:30" {
		t.Errorf("slot due at 10:30: called %s (%q), want the advice walk-in %s before the booked slot", got.Number, got.CallReason, adv.Number)
	}
	wantReason(t, got, queue.ReasonNextInLine, queue.ReasonArgs{BeforeBooked: "10:30"})
	if got := f.next(t, "c5"); got.ID != cash2.ID {
		t.Errorf("then %s, want the cash ticket", got.Number)
	}
}

func TestSlackOrdersTiersAndTheCap(t *testing.T) {
	tests := []struct {
		name     string
		stdAt    time.Duration // standard ticket issued, after opening
		goldAt   time.Duration // the other ticket (Gold unless tier says) issued
		now      time.Duration
		first    string
		reason   string
		secondRe string
		tier     string
		code     string // the first call's reason code and args
		args     queue.ReasonArgs
	}{
		// Standard 2 min from the cap, gold 5 min from its target.
		{"the cap is nearer", 0, 28 * time.Minute, 28 * time.Minute, "standard", "2 min to the 30-min cap", "Gold · 5 min to target", "",
			queue.ReasonCapRisk, queue.ReasonArgs{Minutes: 2, CapMinutes: 30}},
		// Gold 1 min from its target, standard 3 min from the cap.
		{"the target is nearer", 0, 23 * time.Minute, 27 * time.Minute, "gold", "Gold · 1 min to target", "3 min to the 30-min cap", "",
			queue.ReasonTierTarget, queue.ReasonArgs{Tier: "gold", TierName: "Gold", Minutes: 1}},
		// Gold 30 s past its target still goes before a standard ticket
		// 4.5 min from the cap (a desk turn here is about 2 min)...
		{"late gold before a standard near the cap", 0, 20 * time.Minute, 25*time.Minute + 30*time.Second, "gold", "Gold · 1 min past target", "5 min to the 30-min cap", "",
			queue.ReasonTierPastTarget, queue.ReasonArgs{Tier: "gold", TierName: "Gold", Minutes: 1}},
		// ...but not before one that would pass the cap before another
		// desk is free.
		{"the cap before late gold", 0, 23 * time.Minute, 28*time.Minute + 30*time.Second, "standard", "2 min to the 30-min cap", "Gold · 1 min past target", "",
			queue.ReasonCapRisk, queue.ReasonArgs{Minutes: 2, CapMinutes: 30}},
		// A late Silver ticket (its waiting counts like everyone's) does
		// not jump the line.
		{"late silver waits its turn", 0, 14 * time.Minute, 25*time.Minute + 30*time.Second, "standard", "5 min to the 30-min cap", "Silver · 2 min past target", "silver",
			queue.ReasonCapRisk, queue.ReasonArgs{Minutes: 5, CapMinutes: 30}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			open := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			f := tierFixture(t, testTiers)
			ids := map[string]string{}
			for _, is := range []struct {
				at   time.Duration
				tier string
			}{{tt.stdAt, "standard"}, {tt.goldAt, cmp.Or(tt.tier, "gold")}} {
				f.clock.Set(open.Add(is.at))
				ids[f.issueTier(t, "general", is.tier).ID] = is.tier
			}
			f.clock.Set(open.Add(tt.now))
			got := f.next(t, "c2")
			if ids[got.ID] != tt.first || got.CallReason != tt.reason {
				t.Errorf("first called %s (%q), want %s (%q)", ids[got.ID], got.CallReason, tt.first, tt.reason)
			}
			wantReason(t, got, tt.code, tt.args)
			if got := f.next(t, "c2"); got.CallReason != tt.secondRe {
				t.Errorf("then %s (%q), want %q", ids[got.ID], got.CallReason, tt.secondRe)
			}
		})
	}
}

// TestPlanningNeverBreaksTheCap plays random days with bookings, tiers, two
// advice desks (one shared with cash) and planning on, and checks the cap as
// the simulator scores it: a desk that calls someone under the cap has
// nobody of its services past it.
func TestPlanningNeverBreaksTheCap(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for round := 0; round < 8; round++ {
		f := planFixture(t, at("09:00"))
		if _, err := f.e.PutCounter(queue.Counter{ID: "c5", Name: "Counter 5", ServiceIDs: []string{"cash", "advice"}}, true, "t"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.e.PutTiers(testTiers, "t"); err != nil {
			t.Fatal(err)
		}
		st := f.e.Settings()
		st.MaxWaitMinutes = 15 + rng.Intn(20)
		st.AppointmentHoldMinutes = 10 + rng.Intn(20)
		if round%2 == 1 {
			st.PriorityWeights = []int{1, 1, 3}
		}
		if _, err := f.e.PutSettings(st, "t"); err != nil {
			t.Fatal(err)
		}
		var codes []string
		for i := 0; i < 8; i++ {
			slot := at("09:30").Add(time.Duration(rng.Intn(16)*15) * time.Minute)
			if a, err := f.e.Book(queue.BookRequest{ServiceID: "advice", Start: slot, Name: "N", Phone: fmt.Sprintf("1370000%04d", round*10+i)}); err == nil {
				codes = append(codes, a.Code)
			}
		}
		capd := time.Duration(st.MaxWaitMinutes) * time.Minute
		now := at("09:05")
		counters := []string{"c1", "c2", "c3", "c4", "c5"}
		calls := 0
		for step := 0; step < 200; step++ {
			now = now.Add(time.Duration(rng.Intn(3)) * time.Minute)
			f.clock.Set(now)
			switch r := rng.Intn(10); {
			case r < 5:
				tier := []string{"gold", "silver", "standard", "standard"}[rng.Intn(4)]
				f.e.Issue(queue.IssueRequest{ServiceID: []string{"general", "cash", "advice"}[rng.Intn(3)], Priority: rng.Intn(3), Source: "k", Tier: tier, CustomerID: "c-" + tier})
			case r == 5 && len(codes) > 0:
				f.e.CheckIn(codes[0], "k")
				codes = codes[1:]
			default:
				ctr := counters[rng.Intn(len(counters))]
				list, err := f.e.CounterQueue(ctr)
				if err != nil {
					t.Fatal(err)
				}
				var past []string
				for _, v := range list {
					if now.Sub(v.IssuedAt) > capd {
						past = append(past, v.Number)
					}
				}
				v, ok, err := f.e.Next(ctr, "s")
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					if len(past) > 0 {
						t.Fatalf("round %d: %s called nobody while %v were past the %v cap", round, ctr, past, capd)
					}
					continue
				}
				calls++
				if now.Sub(v.IssuedAt) <= capd && len(past) > 0 {
					t.Fatalf("round %d: %s called %s (%s) while %s were past the %v cap", round, ctr, v.Number, v.CallReason, strings.Join(past, " "), capd)
				}
			}
		}
		if calls == 0 {
			t.Fatalf("round %d: no calls made", round)
		}
	}
}

// TestADeskOnABreakAtTheSlotDoesNotCoverIt: c4 serves advice and general
// (5-minute jobs); at 10:29 a general walk-in would run past the 10:30
// slot. c5 (advice) is free with nobody to call, so it takes the slot and
// c4 may start the job, unless c5's shift ends before the slot: then c4 is
// the desk the slot needs and stays free.
func TestADeskOnABreakAtTheSlotDoesNotCoverIt(t *testing.T) {
	for _, tt := range []struct {
		name     string
		c5Until  string
		wantCall bool
	}{
		{"c5 works at the slot", "17:00", true},
		{"c5 leaves before the slot", "10:30", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := apptFixture(t, at("10:00"))
			sched := map[string]string{}
			for _, d := range queue.Days {
				sched[d] = "09:00-" + tt.c5Until
			}
			if _, err := f.e.PutCounter(queue.Counter{ID: "c4", Name: "Counter 4", ServiceIDs: []string{"advice", "general"}}, false, "t"); err != nil {
				t.Fatal(err)
			}
			if _, err := f.e.PutCounter(queue.Counter{ID: "c5", Name: "Counter 5", ServiceIDs: []string{"advice"}, Schedule: sched}, true, "t"); err != nil {
				t.Fatal(err)
			}
			for _, c := range []string{"c1", "c2"} {
				if _, err := f.e.SetPaused(c, true, "t"); err != nil {
					t.Fatal(err)
				}
			}
			book(t, f, at("10:30"), "13800000021")
			f.clock.Set(at("10:28"))
			w := f.walkIn(t, "general")
			f.clock.Set(at("10:29"))
			v, ok, err := f.e.Next("c4", "s")
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.wantCall && (!ok || v.ID != w.ID):
				t.Errorf("c5 is free for the slot: called %v %s, want c4 to start %s", ok, v.Number, w.Number)
			case !tt.wantCall && ok:
				t.Errorf("c5 is gone by the slot: c4 called %s (%q), want it kept for the slot", v.Number, v.CallReason)
			}
		})
	}
}

// TestOnlyDesksOfTheBookedServiceCoverASlot: a desk serving cash and advice
// is the only free advice desk before an advice slot; idle cash desks do
// not make it free to start an advice job that runs past the slot.
func TestOnlyDesksOfTheBookedServiceCoverASlot(t *testing.T) {
	f := apptFixture(t, at("10:00"))
	if _, err := f.e.PutCounter(queue.Counter{ID: "c5", Name: "Counter 5", ServiceIDs: []string{"cash", "advice"}}, true, "t"); err != nil {
		t.Fatal(err)
	}
	book(t, f, at("10:30"), "13800000022")
	f.walkIn(t, "advice")
	f.clock.Set(at("10:20"))
	f.next(t, "c4") // busy past the slot
	f.clock.Set(at("10:23"))
	w := f.walkIn(t, "advice")
	// c1 and c3 (cash) are free with nobody to call, but serve no advice.
	f.clock.Set(at("10:24"))
	if v, ok, _ := f.e.Next("c5", "s"); ok {
		t.Errorf("c5 called %s (%q); want it kept for the advice slot (w is %s)", v.Number, v.CallReason, w.Number)
	}
}
