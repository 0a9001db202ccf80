package console_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"queuebox/server/servertest"
)

// TestConsoleSaysWhyTheCardWent: with a grace time, a called customer who
// does not come is put back by the box's clock, and after the allowed
// returns made a no-show; the card the clerk was looking at goes, and the
// console says why instead of leaving an empty card.
func TestConsoleSaysWhyTheCardWent(t *testing.T) {
	t.Parallel()
	s := newSite(t, servertest.Options{})
	if st, body := s.box.Do(s.admin, "PUT", "/api/v1/settings", map[string]int{"grace_seconds": 1, "push_back_places": 1, "max_recalls": 1}, nil); st != 200 {
		t.Fatalf("settings: %d %s", st, body)
	}
	tk := s.box.Issue(s.kiosk, "general")

	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(s.box.URL+"/console/"))
	loginAs(t, ctx, staffUser, staffPass, "/console/")
	waitJS(t, ctx, `document.querySelector('[data-counter-id="c1"]') !== null`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-counter-id="c1"]`)))
	waitJS(t, ctx, `document.querySelectorAll("#waiting li").length === 1`)

	// The box's sweep runs every few seconds: waitJS waits long enough.
	keys(t, ctx, " ")
	waitCurrent(t, ctx, tk.Number)
	waitNoCurrent(t, ctx)
	waitJS(t, ctx, `document.getElementById("msg").textContent !== ""`)
	if got := text(t, ctx, "#msg"); !strings.Contains(got, tk.Number+" did not come") || !strings.Contains(got, "放回队列") {
		t.Errorf("after the grace time the console says %q, want why the card went, in both languages", got)
	}

	keys(t, ctx, " ")
	waitCurrent(t, ctx, tk.Number)
	waitNoCurrent(t, ctx)
	waitJS(t, ctx, `/no-show/.test(document.getElementById("msg").textContent)`)
	if got := text(t, ctx, "#msg"); !strings.Contains(got, tk.Number) || !strings.Contains(got, "未到") {
		t.Errorf("after the last call the console says %q, want the no-show in both languages", got)
	}
	if got := s.ticket(t, tk.ID); got.Status != "no_show" {
		t.Errorf("%s is %s, want no_show", tk.Number, got.Status)
	}
}
