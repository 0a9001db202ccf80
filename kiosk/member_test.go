package kiosk_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// memberOffScreen lists the member screen's buttons not wholly inside the
// viewport.
const memberOffScreen = `[...document.querySelectorAll('#screen-member button')].filter(b => {
  const r = b.getBoundingClientRect();
  return r.top < 0 || r.left < 0 || r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5;
}).map(b => b.textContent.trim())`

const memberShown = `!!document.querySelector('#screen-member:not([hidden]) [data-member=skip]')`

// typePhone presses the member keypad's keys for digits.
func (k *kiosk) typePhone(digits string) {
	k.t.Helper()
	for _, d := range digits {
		k.do(chromedp.Click(chromedp.CSS(`#screen-member [data-member-key="` + string(d) + `"]`)))
	}
}

// TestKioskMemberIdentification: with tiers set up, a tap on a service asks
// "Member?"; skipping is one tap and gives the default tier, a typed phone
// gives the customer's tier, a mistyped one asks again, and the per-phone
// cap is a friendly sentence.
func TestKioskMemberIdentification(t *testing.T) {
	e := newEnv(t)
	k := open(t, e, false)
	b := k.box
	tiers := []map[string]any{
		{"id": "gold", "name": "Gold", "min_spend": 50000, "sla_wait_seconds": 300},
		{"id": "standard", "name": "Standard"},
	}
	for _, step := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"PUT", "/api/v1/tiers", tiers, 200},
		{"PUT", "/api/v1/settings", map[string]int{"tickets_per_phone_per_day": 1}, 200},
		{"POST", "/api/v1/customers", map[string]string{"phone": "13800138000"}, 201},
	} {
		if st, body := b.Do(k.admin, step.method, step.path, step.body, nil); st != step.want {
			t.Fatalf("%s %s: %d %s", step.method, step.path, st, body)
		}
	}
	st, body := b.Do(k.admin, "GET", "/api/v1/customers?phone=13800138000", nil, nil)
	id := between(string(body), `"id":"`, `"`)
	if st != 200 || id == "" {
		t.Fatalf("look-up: %d %s", st, body)
	}
	if st, body := b.Do(k.admin, "POST", "/api/v1/customers/"+id+"/purchases", map[string]any{"amount": 60000, "ref": "r1"}, nil); st != 201 {
		t.Fatalf("purchase: %d %s", st, body)
	}
	// The kiosk learns of tiers from the settings it reads on load.
	k.do(chromedp.Reload())
	k.waitFor(homeReady)

	// Skip: one tap, an anonymous ticket of the default tier.
	k.do(chromedp.Click(chromedp.CSS("[data-service-id=general]")))
	k.waitFor(memberShown)
	if got := k.text("#screen-member .checkin-title"); !strings.Contains(got, "会员") || !strings.Contains(got, "Member?") {
		t.Errorf("member title = %q, want both languages", got)
	}
	k.shot("member-keypad")
	if off := eval[[]string](k, memberOffScreen); len(off) > 0 {
		t.Errorf("portrait: off screen on the member keypad: %q", off)
	}
	// The wrong tile: back to the start in one tap, and no ticket taken.
	k.do(chromedp.Click(chromedp.CSS("[data-member=home]")))
	k.waitFor(homeReady)
	if n := len(k.queue()); n != 0 {
		t.Fatalf("back from the member keypad: %d tickets, want none", n)
	}
	k.do(chromedp.Click(chromedp.CSS("[data-service-id=general]")))
	k.waitFor(memberShown)
	// On a landscape kiosk every key, Continue and Skip stay wholly on
	// screen: the page cannot scroll, and Skip is the one tap most take.
	for _, size := range [][2]int64{{1920, 1080}, {1280, 800}, {1366, 768}} {
		k.do(chromedp.EmulateViewport(size[0], size[1], chromedp.EmulateLandscape, chromedp.EmulateTouch))
		if off := eval[[]string](k, memberOffScreen); len(off) > 0 {
			t.Errorf("%dx%d: off screen on the member keypad: %q", size[0], size[1], off)
		}
		for _, lang := range []string{"en", "zh"} {
			k.do(chromedp.Click(chromedp.CSS(`[data-lang=` + lang + `]`)))
			if off := eval[[]string](k, memberOffScreen); len(off) > 0 {
				t.Errorf("%dx%d %s: off screen on the member keypad: %q", size[0], size[1], lang, off)
			}
		}
	}
	k.shot("member-keypad-landscape")
	k.do(chromedp.EmulateViewport(1080, 1920, chromedp.EmulatePortrait, chromedp.EmulateTouch))
	k.do(chromedp.Click(chromedp.CSS("[data-member=skip]")))
	k.waitFor(ticketShown)
	q := k.queue()
	if len(q) != 1 || q[0].Tier != "standard" || q[0].CustomerID != "" {
		t.Fatalf("after skip the queue is %+v, want one anonymous standard ticket", q)
	}
	if eval[bool](k, `!document.getElementById('ticket-member').hidden`) {
		t.Errorf("an anonymous ticket says the member was recognised: %q", k.text("#ticket-member"))
	}

	// A typed phone: the ticket is the customer's, in their tier.
	k.do(chromedp.Click(chromedp.CSS("#done")))
	k.waitFor(homeReady)
	k.do(chromedp.Click(chromedp.CSS("[data-service-id=general]")))
	k.waitFor(memberShown)
	k.typePhone("13800138000")
	if got := k.text("[data-member-phone]"); got != "138 0013 8000" {
		t.Errorf("typed number shows %q", got)
	}
	k.do(chromedp.Click(chromedp.CSS("[data-member=go]")))
	k.waitFor(ticketShown)
	q = k.queue()
	if len(q) != 2 || q[0].Tier != "gold" || q[0].CustomerID != id {
		t.Fatalf("queue = %+v, want the gold ticket first", q)
	}
	// The customer sees their phone was taken, and not the number.
	if got := k.text("#ticket-member"); eval[bool](k, `document.getElementById('ticket-member').hidden`) || !strings.Contains(got, "会员") || strings.Contains(got, "138") {
		t.Errorf("the member's ticket says %q, want the recognised line without the number", got)
	}
	k.shot("member-ticket")

	// A number that is no phone number: asked again, in plain words.
	k.do(chromedp.Click(chromedp.CSS("#done")))
	k.waitFor(homeReady)
	k.do(chromedp.Click(chromedp.CSS("[data-service-id=cash]")))
	k.waitFor(memberShown)
	k.typePhone("12345")
	k.do(chromedp.Click(chromedp.CSS("[data-member=go]")))
	k.waitFor(`!document.querySelector('[data-member-message]').hidden && !document.getElementById('screen-member').hidden`)
	if got := k.text("[data-member-message]"); !strings.Contains(got, "号码好像不对") {
		t.Errorf("bad number message = %q", got)
	}
	for _, size := range [][2]int64{{1080, 1920}, {1920, 1080}, {1366, 768}} {
		k.do(chromedp.EmulateViewport(size[0], size[1], chromedp.EmulateTouch))
		if off := eval[[]string](k, memberOffScreen); len(off) > 0 {
			t.Errorf("%dx%d with the message: off screen on the member keypad: %q", size[0], size[1], off)
		}
	}
	k.shot("member-bad-number-landscape")
	k.do(chromedp.EmulateViewport(1080, 1920, chromedp.EmulatePortrait, chromedp.EmulateTouch))

	// The same phone again today: the cap, said kindly.
	k.typePhone("13800138000")
	k.do(chromedp.Click(chromedp.CSS("[data-member=go]")))
	k.waitFor(`!document.getElementById('screen-error').hidden`)
	if got := k.text("#error-message"); !strings.Contains(got, "今天已经取过号") || !strings.Contains(got, "already taken") {
		t.Errorf("cap message = %q", got)
	}
	k.shot("member-limit")
	if n := len(k.queue()); n != 2 {
		t.Errorf("queue has %d tickets after the refusals, want 2", n)
	}
	k.checkNoProblems()
}

func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	out, _, _ := strings.Cut(rest, to)
	return out
}
