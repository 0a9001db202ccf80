package display_test

import (
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"queuebox/server/browsertest"
)

// BenchmarkCallToDisplay measures how long a call takes from the staff's
// POST /counters/{id}/next to the number and counter showing in the lobby
// display's [data-now-calling], in a real chromium. ns/op includes issuing
// the ticket; the latency itself is reported as p50-ms and p99-ms.
//
//	go test ./display -run '^$' -bench CallToDisplay -benchtime 30x
func BenchmarkCallToDisplay(b *testing.B) {
	box, staff, kiosk := newBox(b)
	ctx := browsertest.New(b, browsertest.Options{Width: 1920, Height: 1080})
	do(b, ctx, chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(box.URL+"/display/"))
	waitFor[bool](b, ctx, "display goes live", `document.getElementById("dot").className.indexOf("live") >= 0`, 5*time.Second)
	eval[bool](b, ctx, callObserver)

	counters := []struct{ id, name string }{{"c1", "Counter 1"}, {"c2", "Counter 2"}}
	var ms []float64
	i := 0
	for b.Loop() {
		box.Issue(kiosk, "general")
		c := counters[i%len(counters)]
		i++
		sent := time.Now()
		tk, ok := box.Next(staff, c.id)
		if !ok {
			b.Fatal("nothing to call")
		}
		ms = append(ms, shownAt(b, ctx, tk.Number, c.name, 3*time.Second)-unixMillis(sent))
	}
	slices.Sort(ms)
	pct := func(p float64) float64 { return ms[int(p*float64(len(ms)-1)+0.5)] }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(ms[len(ms)-1], "max-ms")
}
