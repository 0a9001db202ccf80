package queue_test

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"queuebox/server/queue"
)

// TestRotation runs the weighted rotation through table scenarios: each
// issue is (service, level, minute); want is the call order as
// "number/reason-prefix".
func TestRotation(t *testing.T) {
	type issue struct {
		service string
		level   int
		at      int
	}
	n := func(level, count int, service string, from int) []issue {
		var out []issue
		for i := 0; i < count; i++ {
			out = append(out, issue{service, level, from + i})
		}
		return out
	}
	cat := func(parts ...[]issue) []issue {
		var out []issue
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name    string
		weights []int
		issues  []issue
		now     int
		counter string
		want    string // levels in call order
	}{
		{"2 VIP : 1 normal", []int{1, 0, 2}, cat(n(0, 4, "general", 0), n(2, 4, "general", 1)), 20, "c2",
			"2 2 0 2 2 0 0 0"},
		{"equal weights alternate", []int{1, 1}, cat(n(0, 3, "general", 0), n(1, 3, "general", 0)), 20, "c2",
			"1 0 1 0 1 0"},
		{"empty level is skipped", []int{1, 1, 2}, cat(n(0, 3, "general", 0), n(2, 3, "general", 1)), 20, "c2",
			"2 2 0 2 0 0"},
		{"unweighted level only when no weighted one waits", []int{0, 1}, cat(n(0, 2, "general", 0), n(1, 2, "general", 1)), 20, "c2",
			"1 1 0 0"},
		{"a counter rotates over its own services", []int{1, 0, 1}, cat(n(0, 2, "cash", 0), n(2, 2, "general", 1)), 20, "c1",
			"2 0 2 0"},
		{"the cap still comes first", []int{1, 0, 3}, cat(n(0, 2, "general", 0), n(2, 3, "general", 10)), 35, "c2",
			"0 0 2 2 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			open := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
			f := newFixture(t, "UTC", open)
			st := f.e.Settings()
			st.PriorityWeights = tt.weights
			if _, err := f.e.PutSettings(st, "t"); err != nil {
				t.Fatal(err)
			}
			for _, i := range byMinute(len(tt.issues), func(i int) int { return tt.issues[i].at }) {
				is := tt.issues[i]
				f.clock.Set(open.Add(time.Duration(is.at) * time.Minute))
				f.issue(t, is.service, is.level)
			}
			f.clock.Set(open.Add(time.Duration(tt.now) * time.Minute))
			listed, _ := f.e.CounterQueue(tt.counter)
			var listedLevels []string
			for _, v := range listed {
				listedLevels = append(listedLevels, fmt.Sprint(v.Priority))
			}
			var got []string
			for {
				v, ok, err := f.e.Next(tt.counter, "s")
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					break
				}
				got = append(got, fmt.Sprint(v.Priority))
				if v.CallReason == "" {
					t.Errorf("call of %s has no reason", v.Number)
				}
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("call levels = %s, want %s", g, tt.want)
			}
			if l := strings.Join(listedLevels, " "); l != tt.want {
				t.Errorf("listed levels = %s, want %s (the call order)", l, tt.want)
			}
		})
	}
}

func TestRotationReasonAndRestart(t *testing.T) {
	open := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	f := newFixture(t, "UTC", open)
	st := f.e.Settings()
	st.PriorityWeights = []int{1, 0, 2}
	f.e.PutSettings(st, "t")
	for i := 0; i < 3; i++ {
		f.issue(t, "general", 2)
		f.issue(t, "general", 0)
	}
	v, _, _ := f.e.Next("c2", "s")
	if v.CallReason != "VIP turn in the rotation (2 VIP : 1 normal)" {
		t.Errorf("reason = %q", v.CallReason)
	}
	wantReason(t, v, queue.ReasonRotation, queue.ReasonArgs{Level: "VIP", Weights: []queue.LevelWeight{{Level: "VIP", Weight: 2}, {Level: "normal", Weight: 1}}})
	// The round survives a restart: one VIP call is used, one remains.
	f.reopen(t)
	var got []int
	for i := 0; i < 3; i++ {
		v, _, _ := f.e.Next("c2", "s")
		got = append(got, v.Priority)
	}
	if fmt.Sprint(got) != "[2 0 2]" {
		t.Errorf("after restart the levels went %v, want [2 0 2]", got)
	}
}

// TestCapIsNeverPassedOver: whatever the levels, rotation and appointments,
// once a ticket a counter serves has waited past the cap, that counter's
// next call is the oldest such ticket.
func TestCapIsNeverPassedOver(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for round := 0; round < 15; round++ {
		f := apptFixture(t, at("09:00"))
		st := f.e.Settings()
		if round%2 == 0 {
			st.PriorityWeights = []int{1, 1, 3}
		}
		st.MaxWaitMinutes = 10 + rng.Intn(20)
		f.e.PutSettings(st, "t")
		var codes []string
		for i := 0; i < 5; i++ {
			slot := at("09:30").Add(time.Duration(rng.Intn(12)*15) * time.Minute)
			if a, err := f.e.Book(queue.BookRequest{ServiceID: "advice", Start: slot, Name: "N", Phone: fmt.Sprintf("1360000%04d", round*10+i)}); err == nil {
				codes = append(codes, a.Code)
			}
		}
		now := at("09:05")
		counters := []string{"c1", "c2", "c3", "c4"}
		for step := 0; step < 120; step++ {
			now = now.Add(time.Duration(rng.Intn(3)) * time.Minute)
			f.clock.Set(now)
			switch r := rng.Intn(10); {
			case r < 5:
				f.e.Issue(queue.IssueRequest{ServiceID: []string{"general", "cash", "advice"}[rng.Intn(3)], Priority: rng.Intn(3), Source: "k"})
			case r == 5 && len(codes) > 0:
				f.e.CheckIn(codes[0], "k")
				codes = codes[1:]
			default:
				ctr := counters[rng.Intn(len(counters))]
				oldest := oldestOverdue(t, f, ctr, now, st.MaxWaitMinutes)
				v, ok, err := f.e.Next(ctr, "s")
				if err != nil {
					t.Fatal(err)
				}
				if oldest != "" && (!ok || v.ID != oldest) {
					t.Fatalf("round %d: %s called %s (%s) while %s was past the %d-min cap", round, ctr, v.Number, v.CallReason, oldest, st.MaxWaitMinutes)
				}
			}
		}
	}
}

// oldestOverdue finds, from the listed queue of ctr, the oldest ticket past the cap.
func oldestOverdue(t *testing.T, f *fixture, ctr string, now time.Time, capMin int) string {
	t.Helper()
	list, err := f.e.CounterQueue(ctr)
	if err != nil {
		t.Fatal(err)
	}
	id := ""
	var oldest time.Time
	for _, v := range list {
		if now.Sub(v.IssuedAt) > time.Duration(capMin)*time.Minute && (id == "" || v.IssuedAt.Before(oldest)) {
			id, oldest = v.ID, v.IssuedAt
		}
	}
	return id
}

func TestParkAndCallByNumber(t *testing.T) {
	f := newFixture(t, "UTC", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	a := f.issue(t, "general", 0)
	b := f.issue(t, "general", 0)
	c := f.issue(t, "general", 0)
	f.e.Next("c2", "user:ann")
	if v, err := f.e.Park(a.ID, "user:ann"); err != nil || v.Status != queue.StatusParked {
		t.Fatalf("park: %v %v", v.Status, err)
	}
	if list, _ := f.e.Parked("c2"); len(list) != 1 || list[0].ID != a.ID || list[0].ParkedAt == nil {
		t.Errorf("parked at c2: %+v, want %s with its parking time", list, a.Number)
	}
	// A parked ticket is not in the queue and not called by Next.
	if v, _, _ := f.e.Next("c2", "user:ann"); v.ID != b.ID {
		t.Errorf("next after park called %s, want %s", v.Number, b.Number)
	}
	if _, err := f.e.CallByNumber("c2", c.ID, "user:ann", ""); err == nil {
		t.Errorf("call by number without a reason was accepted")
	}
	v, err := f.e.CallByNumber("c2", a.ID, "user:ann", "back with the form")
	if err != nil || v.Status != queue.StatusCalled || v.CallReason != "called by number by ann: back with the form" {
		t.Fatalf("call parked by number: %s %q %v", v.Status, v.CallReason, err)
	}
	wantReason(t, v, queue.ReasonByNumber, queue.ReasonArgs{By: "ann", Text: "back with the form"})
	// b, still called at c2, was finished by the new call.
	if got, _ := f.e.Ticket(b.ID); got.Status != queue.StatusDone {
		t.Errorf("the counter's previous ticket is %s, want done", got.Status)
	}
	if _, err := f.e.CallByNumber("c2", b.ID, "user:ann", "again"); err == nil {
		t.Errorf("calling a finished ticket by number was accepted")
	}
	found, err := f.e.FindNumber(strings.ToLower(c.Number))
	if err != nil || found.ID != c.ID {
		t.Errorf("find %s: %v %v", c.Number, found.Number, err)
	}
}

func TestFinishWithOutcome(t *testing.T) {
	f := newFixture(t, "UTC", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	svc, _ := f.e.Service("general")
	svc.OutcomeCodes = []string{"resolved", "referred"}
	if _, err := f.e.PutService(svc.Service, false, "t"); err != nil {
		t.Fatal(err)
	}
	tk := f.issue(t, "general", 0)
	f.e.Next("c2", "s")
	f.e.Start(tk.ID, "s")
	if _, err := f.e.FinishWith(tk.ID, "s", "lost", nil); err == nil {
		t.Errorf("an unknown outcome code was accepted")
	}
	notes := "needs a follow-up call"
	v, err := f.e.FinishWith(tk.ID, "s", "referred", &notes)
	if err != nil || v.Outcome != "referred" || v.Notes != notes || v.Status != queue.StatusDone {
		t.Errorf("finish: %+v %v", v.Ticket, err)
	}
}

func TestServicePriorityAppliesToKioskTickets(t *testing.T) {
	f := newFixture(t, "UTC", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	if _, err := f.e.PutService(queue.Service{ID: "seniors", Prefix: "S", Name: "Seniors", AvgServiceSeconds: 300, Priority: 1}, true, "t"); err != nil {
		t.Fatal(err)
	}
	if v := f.issue(t, "seniors", 0); v.Priority != 1 {
		t.Errorf("ticket of a priority service has level %d, want 1", v.Priority)
	}
}
