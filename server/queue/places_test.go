package queue_test

import (
	"testing"
	"time"

	"queuebox/server/queue"
)

// TestPlacesAreWhatStatusSays: Places gives every waiting ticket, of every
// service and priority, the place and wait its own status shows, and the
// queue's generation moves with a change, not with a look.
func TestPlacesAreWhatStatusSays(t *testing.T) {
	f := newFixture(t, "UTC", time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC))
	var tokens []string
	for i := range 9 {
		svc := "general"
		if i%3 == 2 {
			svc = "cash"
		}
		tokens = append(tokens, f.issue(t, svc, i%4/3).Token)
	}
	gen := f.e.Gen()
	f.next(t, "c2")
	if f.e.Gen() == gen {
		t.Fatal("a call left the generation as it was")
	}
	gen = f.e.Gen()

	places := f.e.Places()
	if f.e.Gen() != gen {
		t.Error("a look at the places changed the generation")
	}
	byToken := map[string]queue.Place{}
	for _, p := range places {
		byToken[p.Token] = p
	}
	waiting := 0
	for _, tok := range tokens {
		st, err := f.e.Status(tok)
		if err != nil {
			t.Fatal(err)
		}
		p, ok := byToken[tok]
		if st.Status != queue.StatusWaiting {
			if ok {
				t.Errorf("%s is %s, yet has a place", st.Number, st.Status)
			}
			continue
		}
		waiting++
		got := [...]any{p.Number, p.ServiceID, p.Ahead, p.Wait.WaitSeconds, p.Wait.LowSeconds, p.Wait.HighSeconds, p.Greeted}
		want := [...]any{st.Number, st.ServiceID, st.Ahead, st.EWTSeconds, st.EWTLow, st.EWTHigh, st.Tier != ""}
		if !ok || got != want {
			t.Errorf("place of %s: %v, its status says %v", st.Number, got, want)
		}
	}
	if len(places) != waiting {
		t.Errorf("%d places for %d waiting tickets", len(places), waiting)
	}
}

// TestPlacesOfSomeAreWhatAWholeReplaySays: the waits PlacesOf works out for
// the watched tickets (a few: a replay that stops at the last of them;
// most: the whole queue's replay) are the ones a replay of the whole queue
// gives them, with a model that has learned from calls, several services
// and a priority among them. Two branches live the same morning; one is
// asked for the watched, the other for every place.
func TestPlacesOfSomeAreWhatAWholeReplaySays(t *testing.T) {
	for _, tc := range []struct {
		name  string
		watch func(i, n int) bool
	}{
		{"a few near the front and one in the middle", func(i, n int) bool { return i < 5 || i == n/2 }},
		{"all but a few", func(i, n int) bool { return i%9 != 4 }},
	} {
		t.Run(tc.name, func(t *testing.T) { placesOfSome(t, tc.watch) })
	}
}

func placesOfSome(t *testing.T, watch func(i, n int) bool) {
	start := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	morning := func(f *fixture) {
		for i := range 60 {
			svc := "general"
			if i%4 == 3 {
				svc = "cash"
			}
			f.issue(t, svc, i%7/6)
			f.clock.Advance(20 * time.Second)
		}
		for i := range 12 {
			f.next(t, []string{"c1", "c2", "c3"}[i%3])
			f.clock.Advance(90 * time.Second)
		}
	}
	few, whole := newFixture(t, "UTC", start), newFixture(t, "UTC", start)
	morning(few)
	morning(whole)

	all := map[string]queue.Place{}
	for _, p := range whole.e.Places() {
		all[p.Number] = p
	}
	var numbers []string
	token := map[string]string{}
	for _, p := range few.e.Places() {
		numbers = append(numbers, p.Number)
		token[p.Number] = p.Token
	}
	if len(numbers) != len(all) || len(numbers) < 40 {
		t.Fatalf("%d and %d tickets waiting, want the same forty or more", len(numbers), len(all))
	}
	watched := map[string]struct{}{}
	for i, n := range numbers {
		if watch(i, len(numbers)) {
			watched[token[n]] = struct{}{}
		}
	}
	// Both have replayed their whole queue for the places above: a change
	// starts their replays afresh.
	few.issue(t, "cash", 0)
	whole.issue(t, "cash", 0)
	all = map[string]queue.Place{}
	for _, p := range whole.e.Places() {
		all[p.Number] = p
	}
	watched["no-such-token"] = struct{}{} // a phone of a ticket gone
	got := few.e.PlacesOf(watched)
	if len(got) != len(watched)-1 {
		t.Fatalf("%d places for %d watched tickets waiting", len(got), len(watched)-1)
	}
	for _, p := range got {
		w := all[p.Number]
		if p.Ahead != w.Ahead || p.Wait != w.Wait {
			t.Errorf("%s: %d ahead, wait %+v; the whole queue's replay says %d ahead, wait %+v", p.Number, p.Ahead, p.Wait, w.Ahead, w.Wait)
		}
	}
}
