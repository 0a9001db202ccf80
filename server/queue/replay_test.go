package queue

import (
	"slices"
	"testing"
	"time"

	"queuebox/server/forecast"
)

// TestReplayFollowingSomeTicketsAgreesAndLeavesTheQueue: the issue path's
// replay, which notes only the new tickets' calls, finds for them exactly
// what the whole queue's replay finds, and neither replay (nor a probe's)
// changes the engine's own queues, whose lists the replay's copies share.
func TestReplayFollowingSomeTicketsAgreesAndLeavesTheQueue(t *testing.T) {
	services := []Service{{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300}, {ID: "cash", Prefix: "B", Name: "Cash", AvgServiceSeconds: 120}}
	counters := []Counter{{ID: "c1", Name: "1", ServiceIDs: []string{"general", "cash"}}, {ID: "c2", Name: "2", ServiceIDs: []string{"general"}}}
	e, clock := memEngine(t, services, counters)
	e.SetEstimator(forecast.New())
	var views []TicketView
	for i := range 60 {
		clock.Advance(20 * time.Second)
		svc, pr := "general", PriorityNormal
		if i%3 == 0 {
			svc = "cash"
		}
		if i%7 == 0 {
			pr = 2
		}
		v, _, err := e.Issue(IssueRequest{ServiceID: svc, Priority: pr, Source: "device:k1"})
		if err != nil {
			t.Fatal(err)
		}
		views = append(views, v)
	}
	for _, c := range []string{"c1", "c2"} {
		if _, _, err := e.Next(c, "staff:ann"); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Minute)

	lanes := func() map[string][][]*Ticket {
		m := map[string][][]*Ticket{}
		for id, q := range e.waiting {
			m[id] = append(m[id], slices.Clone(q.appts))
			for l := range PriorityMax + 1 {
				m[id] = append(m[id], slices.Clone(q.levels.get(l)))
			}
		}
		return m
	}
	before, order := lanes(), callingOrder(t, e)

	e.mu.Lock()
	e.changedLocked()
	now := e.estAt
	full, _ := e.replay(now, nil, nil)
	var some []*Ticket
	for _, v := range views[len(views)-5:] {
		some = append(some, e.active[v.ID])
	}
	part, _ := e.replay(now, nil, some)
	e.replayCached(now, "cash")
	again, _ := e.replay(now, nil, nil)
	e.mu.Unlock()

	if len(part) != len(some) {
		t.Errorf("the replay following %d tickets noted %d calls", len(some), len(part))
	}
	for _, tk := range some {
		f, ok := full[tk]
		if !ok {
			t.Fatalf("ticket %s not called within the horizon: the test needs a shorter queue", tk.Number)
		}
		if part[tk] != f {
			t.Errorf("ticket %s: following it alone gives %+v, the whole queue %+v", tk.Number, part[tk], f)
		}
	}
	if len(again) != len(full) {
		t.Fatalf("a second replay called %d tickets, the first %d", len(again), len(full))
	}
	for tk, c := range full {
		if again[tk] != c {
			t.Errorf("ticket %s: %+v after the other replays, %+v before", tk.Number, again[tk], c)
		}
	}
	after := lanes()
	for id, ls := range before {
		for i, l := range ls {
			if !slices.Equal(l, after[id][i]) {
				t.Errorf("service %s list %d changed by the replays: %d tickets before, %d after", id, i, len(l), len(after[id][i]))
			}
			if slices.Contains(after[id][i], nil) {
				t.Errorf("service %s list %d has an empty slot after the replays", id, i)
			}
		}
	}
	if got := callingOrder(t, e); !slices.EqualFunc(got, order, func(a, b TicketView) bool { return a.ID == b.ID }) {
		t.Errorf("the calling order changed after the replays")
	}
}

// callingOrder is every service's calling order, one after another.
func callingOrder(t *testing.T, e *Engine) []TicketView {
	t.Helper()
	var all []TicketView
	for _, s := range []string{"general", "cash"} {
		q, err := e.Queue(s)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, q...)
	}
	return all
}
