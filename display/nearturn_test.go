package display_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// testNearTurn: an open phone page buzzes and chimes when its ticket moves up
// to the branch's near-turn place (3 by default), and only then.
func testNearTurn(t *testing.T, ctx context.Context) {
	box, staff, kiosk := newBox(t)
	for range 3 {
		box.Issue(kiosk, "general")
	}
	mine := box.Issue(kiosk, "general") // place 4: 3 ahead
	do(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(mine.StatusURL))
	waitFor[bool](t, ctx, "3 ahead", `document.querySelector("[data-ahead]") && document.querySelector("[data-ahead]").getAttribute("data-ahead") === "3"`, 5*time.Second)
	// Record the buzzes the page asks for.
	eval[bool](t, ctx, `(function () { window.buzzes = []; navigator.vibrate = function (p) { window.buzzes.push(p); return true; }; return true; })()`)
	if eval[bool](t, ctx, `document.body.hasAttribute("data-near-turn")`) {
		t.Fatal("near turn before the ticket moved")
	}

	box.Next(staff, "c2") // 2 ahead: place 3
	waitFor[bool](t, ctx, "near-turn alert", `document.body.getAttribute("data-near-turn") === "1" && document.querySelector("[data-ahead]").getAttribute("data-ahead") === "2"`, 5*time.Second)
	if got := eval[string](t, ctx, `JSON.stringify(window.buzzes)`); got != "[[200,100,200]]" {
		t.Errorf("buzzes = %s, want one short near-turn buzz", got)
	}
	box.Next(staff, "c2") // 1 ahead: no second alert
	waitFor[bool](t, ctx, "1 ahead", `document.querySelector("[data-ahead]").getAttribute("data-ahead") === "1"`, 5*time.Second)
	if got := eval[string](t, ctx, `JSON.stringify(window.buzzes)`); got != "[[200,100,200]]" {
		t.Errorf("buzzes after the next call = %s, want still the one", got)
	}
}
