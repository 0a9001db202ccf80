package queue_test

import (
	"fmt"
	"testing"
	"time"
)

// TestPlacesFollowTheCallingOrder: the live push and the near-turn check
// take the queue's order by merging its lanes, not by sorting it. With
// three levels of walk-ins and checked-in appointments, over an hour in
// which tickets pass the cap's look-ahead and the cap itself, every
// waiting ticket's place is its row in the queue the counters call from.
func TestPlacesFollowTheCallingOrder(t *testing.T) {
	f := apptFixture(t, at("09:40"))
	var codes []string
	for _, hhmm := range []string{"10:00", "10:15", "10:15", "10:30"} {
		codes = append(codes, book(t, f, at(hhmm), fmt.Sprintf("1380000%04d", len(codes))).Code)
	}
	check := func(when string) {
		t.Helper()
		places := f.e.Places()
		got := map[string][]string{}
		for _, p := range places {
			row := got[p.ServiceID]
			for len(row) <= p.Ahead {
				row = append(row, "")
			}
			row[p.Ahead] = p.Number
			got[p.ServiceID] = row
		}
		n := 0
		for _, svc := range []string{"general", "cash", "advice"} {
			list, err := f.e.Queue(svc)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, v := range list {
				want = append(want, v.Number)
			}
			n += len(want)
			if fmt.Sprint(got[svc]) != fmt.Sprint(want) {
				t.Errorf("%s, %s: places give the order %v, the queue is %v", when, svc, got[svc], want)
			}
		}
		if len(places) != n {
			t.Errorf("%s: %d places for %d waiting", when, len(places), n)
		}
	}
	for i := range 40 {
		f.clock.Advance(90 * time.Second)
		svc := []string{"general", "advice", "general", "cash"}[i%4]
		f.issue(t, svc, i%7%3)
		if i%6 == 5 {
			if _, _, err := f.e.Next("c1", "t"); err != nil {
				t.Fatal(err)
			}
		}
		for len(codes) > 0 && f.clock.Now().After(at("10:00").Add(time.Duration(5*(4-len(codes)))*time.Minute)) {
			if _, err := f.e.CheckIn(codes[0], "device:k1"); err != nil {
				t.Fatalf("check in: %v", err)
			}
			codes = codes[1:]
		}
		check(f.clock.Now().In(sh).Format("15:04"))
	}
}
