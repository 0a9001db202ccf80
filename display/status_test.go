package display_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// testStatusPage drives one ticket's phone page in its own tab of a shared browser.
func testStatusPage(t *testing.T, ctx context.Context) {
	box, staff, kiosk := newBox(t)
	for range 2 {
		box.Issue(kiosk, "general")
	}
	mine := box.Issue(kiosk, "general")
	if mine.Ahead != 2 {
		t.Fatalf("setup: ahead = %d, want 2", mine.Ahead)
	}

	reqs := watchRequests(t, ctx)
	do(t, ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(mine.StatusURL))

	ahead := func(n string) string {
		t.Helper()
		return waitFor[string](t, ctx, "[data-ahead] = "+n,
			`(function () {
  var a = document.querySelector("[data-ahead]");
  return a && a.getAttribute("data-ahead") === `+js(n)+` && a.offsetParent !== null ? a.textContent : "";
})()`, 5*time.Second)
	}
	live := func() {
		t.Helper()
		waitFor[bool](t, ctx, "page is live", `document.getElementById("offline").hidden`, 5*time.Second)
	}

	var waitingBg string // the page's colour while waiting; the call must change it
	t.Run("waiting", func(t *testing.T) {
		if got := ahead("2"); got != "2 people ahead of you" {
			t.Errorf("[data-ahead] = %q, want 2 people ahead of you", got)
		}
		waitingBg = eval[string](t, ctx, `getComputedStyle(document.body).backgroundColor`)
		number := eval[string](t, ctx, `document.getElementById("number").textContent`)
		if number != mine.Number {
			t.Errorf("number = %q, want %q", number, mine.Number)
		}
		ewt := eval[string](t, ctx, `document.getElementById("ewt").textContent`)
		// Two ahead at 300 s, both called at once by the two desks for
		// general: the range holds the five minutes of their services.
		m := regexp.MustCompile(`about (\d+)–(\d+) min`).FindStringSubmatch(ewt)
		if m == nil {
			t.Errorf("estimate = %q, want a range in minutes", ewt)
		} else if lo, _ := strconv.Atoi(m[1]); lo > 5 {
			t.Errorf("estimate = %q, want a range starting at most at 5 min", ewt)
		} else if hi, _ := strconv.Atoi(m[2]); hi < 5 {
			t.Errorf("estimate = %q, want a range reaching at least 5 min", ewt)
		}
		shot(t, ctx, "status-waiting")
	})

	t.Run("goes down as earlier tickets are called", func(t *testing.T) {
		box.Next(staff, "c2")
		if got := ahead("1"); got != "1 person ahead of you" {
			t.Errorf("[data-ahead] = %q, want 1 person ahead of you", got)
		}
	})

	t.Run("language toggle", func(t *testing.T) {
		do(t, ctx, chromedp.Click(chromedp.CSS("#lang")))
		got := waitFor[string](t, ctx, "Chinese text",
			`document.documentElement.lang === "zh-CN" ? document.querySelector("[data-ahead]").textContent : ""`, 2*time.Second)
		if got != "前面还有 1 人" {
			t.Errorf("[data-ahead] in Chinese = %q, want 前面还有 1 人", got)
		}
		for id, want := range map[string]string{"yourNumber": "您的号码", "service": "综合业务", "cancelBtn": "我不需要这个号了"} {
			waitFor[bool](t, ctx, id+" in Chinese", `document.getElementById(`+js(id)+`).textContent === `+js(want), 2*time.Second)
		}
		shot(t, ctx, "status-waiting-zh")
		do(t, ctx, chromedp.Click(chromedp.CSS("#lang")))
		waitFor[bool](t, ctx, "English again", `document.querySelector("[data-ahead]").textContent === "1 person ahead of you"`, 2*time.Second)
	})

	t.Run("restart then called", func(t *testing.T) {
		box.Restart()
		staff.CloseIdleConnections() // its kept-alive connections died with the old server
		box.Next(staff, "c2")
		if got := ahead("0"); got != "You're next" {
			t.Errorf("[data-ahead] = %q, want You're next", got)
		}
		live()
		tk, _ := box.Next(staff, "c1")
		if tk.Number != mine.Number {
			t.Fatalf("called %s, want %s", tk.Number, mine.Number)
		}
		waitFor[bool](t, ctx, "called screen", `document.body.getAttribute("data-status") === "called"`, 5*time.Second)
		if got := eval[string](t, ctx, `document.getElementById("goto").textContent`); got != "Go to Counter 1 now" {
			t.Errorf("call text = %q, want Go to Counter 1 now", got)
		}
		bg := eval[string](t, ctx, `getComputedStyle(document.body).backgroundColor`)
		if bg == waitingBg {
			t.Errorf("the screen kept its waiting colour %s when called", bg)
		}
		// A screen reader hears the call: a polite live region says it once.
		if got := eval[string](t, ctx, `document.getElementById("announce").getAttribute("aria-live") + " " + document.getElementById("announce").textContent`); !strings.HasPrefix(got, "polite It's your turn!") || !strings.Contains(got, "Go to Counter 1 now") {
			t.Errorf("live region = %q, want the call announced", got)
		}
		if got := eval[string](t, ctx, `document.querySelector("h1").textContent`); got != "Ticket "+mine.Number {
			t.Errorf("heading = %q, want Ticket %s", got, mine.Number)
		}
		// After the call: what to do if it was missed.
		if got := eval[string](t, ctx, `document.getElementById("missed").textContent`); !strings.Contains(got, "Missed it?") || !strings.Contains(got, mine.Number) {
			t.Errorf("missed-call advice = %q, want it to name the number", got)
		}
		shot(t, ctx, "status-called")
	})

	t.Run("served then done", func(t *testing.T) {
		for _, step := range []struct{ action, status, title string }{
			{"start", "serving", "You're being served"},
			{"finish", "done", "All done"},
		} {
			if st, body := box.Do(staff, "POST", "/api/v1/tickets/"+mine.ID+"/"+step.action, nil, nil); st != 200 {
				t.Fatalf("%s: %d %s", step.action, st, body)
			}
			waitFor[bool](t, ctx, step.status, `document.body.getAttribute("data-status") === `+js(step.status), 5*time.Second)
			if got := eval[string](t, ctx, `document.getElementById("finalTitle").textContent`); got != step.title {
				t.Errorf("%s: title = %q, want %q", step.status, got, step.title)
			}
		}
		shot(t, ctx, "status-done")
	})

	t.Run("rating after done", func(t *testing.T) {
		waitFor[bool](t, ctx, "rating asked", `!document.getElementById("rate").hidden && document.getElementById("rateThanks").hidden`, 5*time.Second)
		labels := eval[[]string](t, ctx, `Array.prototype.map.call(document.querySelectorAll("[data-star]"), function (b) { return b.getAttribute("aria-label"); })`)
		if len(labels) != 5 || labels[3] != "4 of 5 stars" {
			t.Errorf("star labels = %q", labels)
		}
		shot(t, ctx, "status-rate")
		do(t, ctx, chromedp.SendKeys(chromedp.CSS("#rateComment"), "Quick and kind"),
			chromedp.Click(chromedp.CSS(`[data-star="4"]`)))
		waitFor[bool](t, ctx, "thanks", `document.getElementById("rate").hidden && !document.getElementById("rateThanks").hidden`, 5*time.Second)
		// The box kept it: the report counts it, the manager reads the comment.
		st, body := box.Do(staff, "GET", "/api/v1/reports/summary?by=service", nil, nil)
		if st != 200 || !strings.Contains(string(body), `"ratings":1,"rating_avg":4,`) {
			t.Errorf("summary: %d %s", st, body)
		}
		st, body = box.Do(staff, "GET", "/api/v1/reports/comments", nil, nil)
		if st != 200 || !strings.Contains(string(body), `"rating":4,"comment":"Quick and kind"`) {
			t.Errorf("comments: %d %s", st, body)
		}
		// Asked once: a fresh visit (nothing remembered on the phone) thanks.
		do(t, ctx, chromedp.Evaluate[chromedp.Void](`localStorage.clear()`), chromedp.Reload())
		waitFor[bool](t, ctx, "thanks after reload", `document.body.getAttribute("data-status") === "done" && document.getElementById("rate").hidden && !document.getElementById("rateThanks").hidden`, 5*time.Second)
		shot(t, ctx, "status-rated")
	})

	t.Run("cancel", func(t *testing.T) {
		other := box.Issue(kiosk, "cash")
		do(t, ctx, chromedp.Navigate(other.StatusURL))
		waitFor[bool](t, ctx, "waiting", `document.body.getAttribute("data-status") === "waiting"`, 5*time.Second)
		do(t, ctx, chromedp.Click(chromedp.CSS("#cancelBtn")))
		waitFor[bool](t, ctx, "confirm step", `!document.getElementById("confirm").hidden`, 2*time.Second)
		if eval[string](t, ctx, `document.body.getAttribute("data-status")`) != "waiting" {
			t.Fatal("the first tap cancelled without asking")
		}
		shot(t, ctx, "status-cancel-confirm")
		do(t, ctx, chromedp.Click(chromedp.CSS("#cancelYes")))
		waitFor[bool](t, ctx, "cancelled", `document.body.getAttribute("data-status") === "cancelled"`, 5*time.Second)
		if got := eval[string](t, ctx, `document.getElementById("finalTitle").textContent`); got != "This ticket is cancelled" {
			t.Errorf("final title = %q", got)
		}
		if !eval[bool](t, ctx, `document.getElementById("cancel").hidden`) {
			t.Error("the cancel button is still offered on a cancelled ticket")
		}
		shot(t, ctx, "status-cancelled")
	})

	t.Run("unknown token", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(box.URL+"/t/"+strings.Repeat("Zz9", 11)))
		waitFor[bool](t, ctx, "friendly page", `document.body.getAttribute("data-status") === "unknown"`, 5*time.Second)
		txt, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#unknown")))
		if err != nil || !strings.Contains(txt, "We can't find this ticket") {
			t.Errorf("unknown page text = %q, %v", txt, err)
		}
		shot(t, ctx, "status-unknown")
	})

	t.Run("language from the kiosk", func(t *testing.T) {
		// The kiosk's QR carries ?lang= of the customer's choice; this phone
		// had English before.
		do(t, ctx, chromedp.Navigate(mine.StatusURL+"?lang=zh"))
		waitFor[bool](t, ctx, "Chinese page", `document.documentElement.lang === "zh-CN" && document.getElementById("finalTitle").textContent === "办理完成"`, 5*time.Second)
	})

	reqs.onlyBox(t, ctx, box.URL)
}
