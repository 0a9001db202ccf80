package display_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// testDisplay drives the lobby display in its own tab of a shared browser.
func testDisplay(t *testing.T, ctx context.Context) {
	box, staff, kiosk := newBox(t)
	for range 4 {
		box.Issue(kiosk, "general")
	}
	box.Issue(kiosk, "cash")

	reqs := watchRequests(t, ctx)
	do(t, ctx, chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(box.URL+"/display/?lang=zh,en"))
	waitFor[bool](t, ctx, "display goes live", `document.getElementById("dot").className.indexOf("live") >= 0`, 5*time.Second)
	eval[bool](t, ctx, callObserver)

	t.Run("footer", func(t *testing.T) {
		waitFor[bool](t, ctx, "general shows 4 waiting",
			`document.querySelector("[data-service-id=general] .count").textContent === "4"`, 3*time.Second)
		wait := eval[string](t, ctx, `document.querySelector("[data-service-id=general] .wait").textContent`)
		// 4 × 300 s over the two counters serving it is about 10 minutes:
		// the range shown holds it, in both languages.
		for _, re := range []string{`约 (\d+)–(\d+) 分钟`, `about (\d+)–(\d+) min`} {
			m := regexp.MustCompile(re).FindStringSubmatch(wait)
			if m == nil {
				t.Errorf("general wait = %q, want a range like %q", wait, re)
				continue
			}
			lo, _ := strconv.Atoi(m[1])
			hi, _ := strconv.Atoi(m[2])
			if lo > 10 || hi < 10 || hi-lo > 15 {
				t.Errorf("general wait = %q, want a range holding 10 min", wait)
			}
		}
	})

	t.Run("call", func(t *testing.T) {
		sent := time.Now()
		tk, ok := box.Next(staff, "c1")
		if !ok {
			t.Fatal("nothing to call")
		}
		at := shownAt(t, ctx, tk.Number, "Counter 1", 3*time.Second)
		t.Logf("call→display latency: %.1f ms", at-unixMillis(sent))
		txt, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("[data-now-calling]")))
		if err != nil || !strings.Contains(txt, tk.Number) || !strings.Contains(txt, "Counter 1") {
			t.Fatalf("[data-now-calling] = %q, %v; want %s and Counter 1", txt, err, tk.Number)
		}
		waitFor[bool](t, ctx, "the call is announced",
			`window.qbDisplay.spoken.length > 0 && window.qbDisplay.spoken[0].number === `+js(tk.Number), 3*time.Second)
		waitFor[bool](t, ctx, "the panel flashes", `document.getElementById("now").className.indexOf("flash") >= 0`, time.Second)
	})

	t.Run("speech", func(t *testing.T) {
		tests := []struct{ lang, number, counter, want string }{
			{"zh", "A023", "Counter 3", "请 A零二三 号到 3 号窗口"},
			{"en", "A023", "Counter 3", "Number A 0 2 3, please go to Counter 3"},
			{"zh", "B105", "VIP", "请 B一零五 号到 VIP"},
		}
		for _, tt := range tests {
			got := eval[string](t, ctx, `window.qbDisplay.speechText(`+js(tt.lang)+`, {number: `+js(tt.number)+`, counter_name: `+js(tt.counter)+`})`)
			if got != tt.want {
				t.Errorf("speech %s %s at %s = %q, want %q", tt.lang, tt.number, tt.counter, got, tt.want)
			}
		}
	})

	t.Run("chime", func(t *testing.T) {
		secs, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`new Promise(function (ok, fail) {
  var a = new Audio("/assets/chime.wav");
  a.onloadedmetadata = function () { ok(a.duration); };
  a.onerror = function () { fail(new Error("chime does not load: " + (a.error && a.error.code))); };
})`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if secs < 0.8 || secs > 1.6 {
			t.Errorf("chime lasts %.2f s, want about 1 s", secs)
		}
	})

	t.Run("recent", func(t *testing.T) {
		first := eval[string](t, ctx, `document.getElementById("nowNum").textContent`)
		tk, _ := box.Next(staff, "c2")
		shownAt(t, ctx, tk.Number, "Counter 2", 5*time.Second)
		cash, _ := box.Next(staff, "c3")
		shownAt(t, ctx, cash.Number, "Counter 3", 5*time.Second)
		rows := eval[[]string](t, ctx, `[].map.call(document.querySelectorAll("#recent .row"), function (r) { return r.textContent; })`)
		// In Chinese the counter is said the Chinese way.
		want := []string{tk.Number + "→2 号窗口", first + "→1 号窗口"}
		if strings.Join(rows, "|") != strings.Join(want, "|") {
			t.Errorf("recent calls = %q, want %q", rows, want)
		}
		waitFor[bool](t, ctx, "footer counts follow the calls",
			`document.querySelector("[data-service-id=general] .count").textContent === "2" &&
			 document.querySelector("[data-service-id=cash] .count").textContent === "0"`, 3*time.Second)
	})

	t.Run("sound prompt only where sound is blocked, never over figures", func(t *testing.T) {
		// This browser runs with --autoplay-policy=no-user-gesture-required,
		// as configs/display-mode.md starts a TV: it never asks for a tap.
		if !eval[bool](t, ctx, `document.getElementById("sound").hidden`) {
			t.Error("a TV whose browser allows sound asks for a tap anyway")
		}
		// A TV browser that blocks sound: the prompt sits in the header.
		added, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `navigator.getAutoplayPolicy = function () { return "disallowed"; };`,
		})
		if err != nil {
			t.Fatal(err)
		}
		do(t, ctx, chromedp.Reload())
		waitFor[bool](t, ctx, "live again", `document.getElementById("dot").className.indexOf("live") >= 0`, 5*time.Second)
		waitFor[bool](t, ctx, "sound prompt", `!document.getElementById("sound").hidden`, 2*time.Second)
		covers := eval[string](t, ctx, `(function () {
  var s = document.getElementById("sound").getBoundingClientRect();
  var head = document.querySelector(".top").getBoundingClientRect();
  if (s.top < head.top || s.bottom > head.bottom) { return "leaves the header"; }
  var others = document.querySelectorAll("#branch, .conn, .clock, #now, #services");
  for (var i = 0; i < others.length; i++) {
    var o = others[i].getBoundingClientRect();
    if (o.width && s.left < o.right - 1 && s.right > o.left + 1 && s.top < o.bottom - 1 && s.bottom > o.top + 1) { return others[i].id || others[i].className; }
  }
  return "";
})()`)
		if covers != "" {
			t.Errorf("the sound prompt covers %s", covers)
		}
		eval[bool](t, ctx, `document.getElementById("now").className = "now"; true`)
		shot(t, ctx, "display-sound-prompt")
		do(t, ctx, chromedp.Click(chromedp.CSS("#sound")))
		waitFor[bool](t, ctx, "prompt goes away", `document.getElementById("sound").hidden`, 2*time.Second)
		if got := eval[string](t, ctx, `localStorage.getItem("qb.display.sound") || ""`); got != "on" {
			t.Errorf("sound flag = %q, want on", got)
		}
		if _, err := chromedp.Call(ctx, page.RemoveScriptToEvaluateOnNewDocument, page.RemoveScriptToEvaluateOnNewDocumentParams{Identifier: added.Identifier}); err != nil {
			t.Fatal(err)
		}
		eval[bool](t, ctx, callObserver)
	})

	t.Run("full board", func(t *testing.T) {
		var last string
		for i := range 8 {
			box.Issue(kiosk, "general")
			tk, _ := box.Next(staff, []string{"c1", "c2"}[i%2])
			last = tk.Number
		}
		waitFor[bool](t, ctx, "last call shown", `document.getElementById("nowNum").textContent === `+js(last), 5*time.Second)
		if n := eval[int](t, ctx, `document.querySelectorAll("#recent .row").length`); n != 8 {
			t.Errorf("recent list has %d rows, want 8", n)
		}
		// Nothing may spill out of the screen or under the footer.
		noOverflow := func(layout string) {
			t.Helper()
			overflow := eval[string](t, ctx, `(function () {
  var foot = document.getElementById("services").getBoundingClientRect().top;
  var rows = document.querySelectorAll("#recent .row, [data-now-calling]");
  for (var i = 0; i < rows.length; i++) {
    if (rows[i].getBoundingClientRect().bottom > foot + 1) { return rows[i].textContent; }
  }
  return "";
})()`)
			if overflow != "" {
				t.Errorf("%s: %q runs under the footer", layout, overflow)
			}
		}
		noOverflow("landscape")
		// Bilingual footer: every service name and wait is whole.
		cut := eval[[]string](t, ctx, `[].filter.call(document.querySelectorAll("#services .name, #services .wait, #services .figs, .now .ctr"), function (e) {
  return e.scrollWidth > e.clientWidth + 1;
}).map(function (e) { return e.textContent; })`)
		if len(cut) > 0 {
			t.Errorf("footer cuts %q", cut)
		}
		eval[bool](t, ctx, `document.getElementById("now").className = "now"; true`)
		shot(t, ctx, "display")
		do(t, ctx, chromedp.EmulateViewport(1080, 1920, chromedp.EmulatePortrait))
		waitFor[bool](t, ctx, "portrait layout", `innerHeight > innerWidth`, 2*time.Second)
		noOverflow("portrait")
		if n := eval[int](t, ctx, `document.querySelectorAll("#recent .row").length`); n < 6 {
			t.Errorf("portrait shows %d recent calls, want at least 6", n)
		}
		shot(t, ctx, "display-portrait")
		do(t, ctx, chromedp.EmulateViewport(1920, 1080))
	})

	t.Run("lang from URL is remembered", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(box.URL+"/display/?lang=en"))
		waitFor[bool](t, ctx, "live again", `document.getElementById("dot").className.indexOf("live") >= 0`, 5*time.Second)
		shot(t, ctx, "display-en")
		do(t, ctx, chromedp.Navigate(box.URL+"/display/"))
		waitFor[bool](t, ctx, "live again", `document.getElementById("dot").className.indexOf("live") >= 0`, 5*time.Second)
		label := eval[string](t, ctx, `document.querySelector(".now .label").textContent`)
		if label != "Now calling" {
			t.Errorf("label after ?lang=en and a plain reload = %q, want Now calling", label)
		}
		if !eval[bool](t, ctx, `document.getElementById("sound").hidden`) {
			t.Error("sound was enabled on this TV, yet the overlay is back after a reload")
		}
		// Chinese only, as a TV set up for it shows it: every face read.
		do(t, ctx, chromedp.Navigate(box.URL+"/display/?lang=zh"))
		waitFor[bool](t, ctx, "live in Chinese", `document.getElementById("dot").className.indexOf("live") >= 0 && document.querySelector(".now .label").textContent === "正在叫号"`, 5*time.Second)
		// The clock is the branch's (Asia/Shanghai) from the first screen,
		// not the TV's zone (this browser runs in UTC).
		loc, _ := time.LoadLocation("Asia/Shanghai")
		clock := eval[string](t, ctx, `document.getElementById("time").textContent`)
		if now := box.Now().In(loc); clock != now.Format("15:04") && clock != now.Add(-time.Minute).Format("15:04") {
			t.Errorf("clock on the first screen = %q, want the branch's time %s", clock, now.Format("15:04"))
		}
		shot(t, ctx, "display-zh")
		do(t, ctx, chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(box.URL+"/display/?lang=zh,en"))
		waitFor[bool](t, ctx, "live again", `document.getElementById("dot").className.indexOf("live") >= 0`, 5*time.Second)
		eval[bool](t, ctx, callObserver)
	})

	t.Run("restart", func(t *testing.T) {
		box.Stop()
		waitFor[bool](t, ctx, "reconnecting badge", `!document.getElementById("reconnecting").hidden`, 5*time.Second)
		shot(t, ctx, "display-reconnecting")
		box.Restart()
		staff.CloseIdleConnections() // its kept-alive connections died with the old server
		tk, ok := box.Next(staff, "c1")
		if !ok {
			t.Fatal("nothing to call after restart")
		}
		shownAt(t, ctx, tk.Number, "Counter 1", 10*time.Second)
		waitFor[bool](t, ctx, "badge goes away", `document.getElementById("reconnecting").hidden`, 5*time.Second)
	})

	reqs.onlyBox(t, ctx, box.URL)
}
