package queue

import "testing"

// TestWarmEstimatesOnlyForMostOfTheQueue: the live push warms the whole
// queue's replay beside ordering the queues only when the phones watch
// most of it (PlacesOf then takes that replay); for a few phones it
// replays nothing, as PlacesOf's own replay stops at the last of them.
func TestWarmEstimatesOnlyForMostOfTheQueue(t *testing.T) {
	e, _ := memEngine(t, []Service{{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300}},
		[]Counter{{ID: "c1", Name: "1", ServiceIDs: []string{"general"}}})
	for range 10 {
		if _, _, err := e.Issue(IssueRequest{ServiceID: "general", Source: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	replayed := func() bool {
		e.cache.mu.Lock()
		defer e.cache.mu.Unlock()
		e.cache.at(e.estGen, e.estAt)
		return e.cache.calls != nil
	}
	for _, tc := range []struct {
		half int // watched: half the waiting and this many more
		want bool
	}{{-3, false}, {0, false}, {1, true}, {4, true}} {
		// A change: nothing of the whole queue replayed since (issuing
		// replays for the new ticket only).
		if _, _, err := e.Issue(IssueRequest{ServiceID: "general", Source: "test"}); err != nil {
			t.Fatal(err)
		}
		waiting := e.waiting["general"].n
		e.WarmEstimates(waiting/2 + tc.half)
		if got := replayed(); got != tc.want {
			t.Errorf("%d watched of %d waiting: whole queue replayed %v, want %v", waiting/2+tc.half, waiting, got, tc.want)
		}
	}
}
