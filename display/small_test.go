package display_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"queuebox/server/browsertest"
)

// TestStatusNumberFitsSmallPhone: on a 320-pixel phone the ticket number,
// the biggest thing on the page, is whole while waiting and when called,
// even with a three-letter prefix (it overflowed the card, "A00" and a
// sliver of the 4, and widened the page).
func TestStatusNumberFitsSmallPhone(t *testing.T) {
	ctx := browsertest.New(t, browsertest.Options{Width: 320, Height: 568, Timeout: 2 * time.Minute})
	box, staff, kiosk := newBox(t)
	addLoans(t, box, staff)
	do(t, ctx, chromedp.EmulateViewport(320, 568, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	fits := `(function () {
  var n = document.getElementById("number"), r = n.getBoundingClientRect();
  return innerWidth === 320 && document.documentElement.scrollWidth <= 320 && n.scrollWidth <= n.clientWidth + 1 && r.left >= 0 && r.right <= 320;
})()`
	for _, tc := range []struct{ service, counter string }{{"general", "c1"}, {"loans", "c9"}} {
		tk := box.Issue(kiosk, tc.service)
		do(t, ctx, chromedp.Navigate(tk.StatusURL))
		waitFor[bool](t, ctx, "waiting page", `document.getElementById("number").textContent === `+js(tk.Number)+` && !document.getElementById("waiting").hidden`, 5*time.Second)
		if !eval[bool](t, ctx, fits) {
			t.Errorf("%s waiting: the number does not fit a 320-pixel phone", tk.Number)
		}
		shot(t, ctx, fmt.Sprintf("status-320-waiting-%s", tc.service))
		if st, body := box.Do(staff, "POST", "/api/v1/counters/"+tc.counter+"/next", nil, nil); st != 200 {
			t.Fatalf("call %s: %d %s", tk.Number, st, body)
		}
		waitFor[bool](t, ctx, "called page", `document.body.classList.contains("st-called")`, 5*time.Second)
		if !eval[bool](t, ctx, fits) {
			t.Errorf("%s called: the number does not fit a 320-pixel phone", tk.Number)
		}
		shot(t, ctx, fmt.Sprintf("status-320-called-%s", tc.service))
	}
}
