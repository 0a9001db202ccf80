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
