package queue_test

import (
	"fmt"
	"testing"
	"time"

	"queuebox/server/queue"
)

// BenchmarkCallPlaces is the engine's CPU per call with that many tickets
// waiting, and what the live push asks after it: the places and waits of
// the tickets with a phone watching, one in five of them all along the
// queue, or (front) a thousand near its head, as in the bench tool's
// fan-out. The branch is the bench tool's (three counters, three
// services, everyone waiting in one).
func BenchmarkCallPlaces(b *testing.B) {
	for _, bc := range []struct {
		waiting int
		front   bool
	}{{1000, false}, {5100, false}, {5100, true}} {
		name := fmt.Sprintf("waiting=%d", bc.waiting)
		if bc.front {
			name += "/front"
		}
		waiting := bc.waiting
		b.Run(name, func(b *testing.B) {
			e, clock := benchEngine(b, []queue.Service{
				{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300},
				{ID: "cash", Prefix: "B", Name: "Cash", AvgServiceSeconds: 120},
				{ID: "advice", Prefix: "P", Name: "Advice", AvgServiceSeconds: 900, SlotMinutes: 15, SlotCapacity: 2},
			}, []queue.Counter{
				{ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general", "cash"}},
				{ID: "c2", Name: "Counter 2", ServiceIDs: []string{"general"}},
				{ID: "c3", Name: "Counter 3", ServiceIDs: []string{"advice", "cash"}},
			})
			watched := map[string]struct{}{}
			for i := range waiting + b.N {
				v, _, err := e.Issue(queue.IssueRequest{ServiceID: "general", Source: "kiosk"})
				if err != nil {
					b.Fatal(err)
				}
				if bc.front && i >= 370 && i < 1370 || !bc.front && i%5 == 0 {
					watched[v.Token] = struct{}{}
				}
			}
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
				e.WarmEstimates(len(watched))
				if len(e.PlacesOf(watched)) == 0 {
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
