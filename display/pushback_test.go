package display_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"queuebox/server/browsertest"
)

// TestStatusSaysPushedBack: a called customer who did not come within the
// grace time is put back in the queue; their phone, which had turned green,
// says why it waits again instead of silently showing a place.
func TestStatusSaysPushedBack(t *testing.T) {
	ctx := browsertest.New(t, browsertest.Options{Width: 390, Height: 844, Timeout: 2 * time.Minute})
	box, staff, kiosk := newBox(t)
	if st, body := box.Do(staff, "PUT", "/api/v1/settings", map[string]int{"grace_seconds": 1, "push_back_places": 1, "max_recalls": 1}, nil); st != 200 {
		t.Fatalf("settings: %d %s", st, body)
	}
	mine := box.Issue(kiosk, "general")
	box.Issue(kiosk, "general")

	do(t, ctx, chromedp.Navigate(mine.StatusURL))
	waitFor[bool](t, ctx, "waiting page", `document.querySelector("[data-ahead]").getAttribute("data-ahead") === "0"`, 5*time.Second)
	if eval[bool](t, ctx, `!document.getElementById("pushed").hidden`) {
		t.Error("a ticket never called says it missed its call")
	}
	if st, body := box.Do(staff, "POST", "/api/v1/counters/c1/next", nil, nil); st != 200 || !strings.Contains(string(body), mine.Number) {
		t.Fatalf("call: %d %s, want %s", st, body, mine.Number)
	}
	waitFor[bool](t, ctx, "called page", `document.body.classList.contains("st-called")`, 5*time.Second)

	// The box's sweep runs every few seconds.
	got := waitFor[string](t, ctx, "pushed back", `(function () {
  var p = document.getElementById("pushed");
  return !document.body.classList.contains("st-called") && p && !p.hidden ? p.textContent : "";
})()`, 20*time.Second)
	if !strings.Contains(got, "You missed your call") {
		t.Errorf("pushed back, the page says %q", got)
	}
	shot(t, ctx, "status-pushed-back")
	do(t, ctx, chromedp.Click(chromedp.CSS("#lang")))
	got = waitFor[string](t, ctx, "in Chinese", `(function () { var p = document.getElementById("pushed"); return /[\u4e00-\u9fff]/.test(p.textContent) ? p.textContent : ""; })()`, 5*time.Second)
	if !strings.Contains(got, "错过了叫号") {
		t.Errorf("Chinese: %q", got)
	}
	st, body := box.Do(nil, "GET", "/api/v1/status/"+mine.Token, nil, nil)
	if st != 200 || !strings.Contains(string(body), `"push_backs":1`) || !strings.Contains(string(body), `"status":"waiting"`) {
		t.Errorf("status view: %d %s, want waiting with push_backs 1", st, body)
	}
}
