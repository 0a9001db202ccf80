package queue_test

import (
	"fmt"
	"testing"
	"time"

	"queuebox/server/queue"
)

// BenchmarkCallPlaces is the engine's CPU per call with that many tickets
// waiting, and what the live push asks after it: the places and waits of
// the tickets one in five of whom has a phone watching. The branch is the
// bench tool's (three counters, three services, everyone waiting in one).
func BenchmarkCallPlaces(b *testing.B) {
	for _, waiting := range []int{1000, 5100} {
		b.Run(fmt.Sprintf("waiting=%d", waiting), func(b *testing.B) {
			e, clock := benchEngine(b, []queue.Service{
				{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300},
				{ID: "cash", Prefix: "B", Name: "Cash", AvgServiceSeconds: 120},
				{ID: "advice", Prefix: "P", Name: "Advice", AvgServiceSeconds: 900, SlotMinutes: 15, SlotCapacity: 2},
			}, []queue.Counter{
				{ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general", "cash"}},
				{ID: "c2", Name: "Counter 2", ServiceIDs: []string{"general"}},
				{ID: "c3", Name: "Counter 3", ServiceIDs: []string{"advice", "cash"}},
			})
			watched := map[string]bool{}
			for i := range waiting + b.N {
				v, _, err := e.Issue(queue.IssueRequest{ServiceID: "general", Source: "kiosk"})
				if err != nil {
					b.Fatal(err)
				}
				if i%5 == 0 {
					watched[v.Token] = true
				}
			}
			want := func(tok string) bool { return watched[tok] }
			b.ReportAllocs()
			b.ResetTimer()
			var call, places time.Duration
			cpu0 := cpuTime()
			for range b.N {
				clock.Advance(time.Second)
				c0 := cpuTime()
				if _, _, err := e.Next("c2", "bench"); err != nil {
					b.Fatal(err)
				}
				c1 := cpuTime()
				e.WarmEstimates()
				if len(e.PlacesOf(want)) == 0 {
					b.Fatal("no places")
				}
				call, places = call+c1-c0, places+cpuTime()-c1
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
			b.ReportMetric(float64(call.Microseconds())/float64(b.N), "call-cpu-µs/op")
			b.ReportMetric(float64(places.Microseconds())/float64(b.N), "places-cpu-µs/op")
		})
	}
}
