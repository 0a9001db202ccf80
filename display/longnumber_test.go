package display_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"queuebox/server/browsertest"
)

// TestDisplayLongNumberFits: a service may have a three-letter prefix; its
// six-character number called on the lobby TV stays inside the "Now
// calling" panel (it ran over the recent calls), on a landscape TV, a
// small one and a portrait one.
func TestDisplayLongNumberFits(t *testing.T) {
	ctx := browsertest.New(t, browsertest.Options{Width: 1920, Height: 1080, Timeout: 2 * time.Minute})
	box, staff, kiosk := newBox(t)
	addLoans(t, box, staff)
	tk := box.Issue(kiosk, "loans")
	do(t, ctx, chromedp.Navigate(box.URL+"/display/?lang=zh,en"))
	waitFor[bool](t, ctx, "display goes live", `document.getElementById("dot").className.indexOf("live") >= 0`, 5*time.Second)
	box.Next(staff, "c9")
	waitFor[bool](t, ctx, "the call shows", `document.getElementById("nowNum").textContent === `+js(tk.Number), 5*time.Second)
	inside := `(function () {
  var n = document.getElementById("nowNum"), p = document.getElementById("now").getBoundingClientRect(), r = n.getBoundingClientRect();
  return n.scrollWidth <= n.clientWidth + 1 && r.right <= p.right + 1;
})()`
	for _, size := range [][2]int64{{1920, 1080}, {1280, 720}, {1080, 1920}} {
		do(t, ctx, chromedp.EmulateViewport(size[0], size[1]))
		waitFor[bool](t, ctx, "the new size", fmt.Sprintf("innerWidth === %d", size[0]), 5*time.Second)
		if !eval[bool](t, ctx, inside) {
			t.Errorf("%dx%d: %s runs out of the Now calling panel", size[0], size[1], tk.Number)
		}
		shot(t, ctx, fmt.Sprintf("display-long-number-%dx%d", size[0], size[1]))
	}
}
