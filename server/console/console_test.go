package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"queuebox/printer/printertest"
	"queuebox/server/browsertest"
	"queuebox/server/config"
	"queuebox/server/servertest"
)

const (
	staffUser = "alice"
	staffPass = "alice-password-1"
	waitFor   = 10 * time.Second
)

// site is a test box with an admin client, a staff user and a paired kiosk.
type site struct {
	box   *servertest.Box
	admin *http.Client
	kiosk string
}

func newSite(t *testing.T, o servertest.Options) *site {
	t.Helper()
	box := servertest.Start(t, o)
	s := &site{box: box, admin: adminClient(t, box)}
	if st, body := box.Do(s.admin, "POST", "/api/v1/users", map[string]string{"username": staffUser, "password": staffPass, "role": "staff"}, nil); st != 201 {
		t.Fatalf("create staff: %d %s", st, body)
	}
	var dev struct{ Token string }
	st, body := box.Do(s.admin, "POST", "/api/v1/devices", map[string]string{"kind": "kiosk", "name": "test kiosk"}, nil)
	if st != 201 || json.Unmarshal(body, &dev) != nil {
		t.Fatalf("create kiosk: %d %s", st, body)
	}
	s.kiosk = dev.Token
	return s
}

// adminClient logs in like servertest.Box.Admin, with more patience: a
// password check under -race on a busy two-core runner can pass ten seconds.
func adminClient(t *testing.T, box *servertest.Box) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: time.Minute}
	if st, body := box.Do(c, "POST", "/api/v1/session", map[string]string{"username": "admin", "password": servertest.AdminPassword}, nil); st != 200 {
		t.Fatalf("admin login: %d %s", st, body)
	}
	return c
}

func (s *site) ticket(t *testing.T, id string) servertest.Ticket {
	t.Helper()
	st, body := s.box.Do(s.admin, "GET", "/api/v1/tickets/"+id, nil, nil)
	var tk servertest.Ticket
	if st != 200 || json.Unmarshal(body, &tk) != nil {
		t.Fatalf("get ticket %s: %d %s", id, st, body)
	}
	return tk
}

func (s *site) issuePriority(t *testing.T, service string, prio int) servertest.Ticket {
	t.Helper()
	st, body := s.box.Do(s.admin, "POST", "/api/v1/tickets", map[string]any{"service_id": service, "priority": prio}, nil)
	var tk servertest.Ticket
	if st != 201 || json.Unmarshal(body, &tk) != nil {
		t.Fatalf("issue %s with priority: %d %s", service, st, body)
	}
	return tk
}

func browser(t *testing.T) context.Context {
	t.Helper()
	// Generous: bcrypt under -race on a busy two-core runner is slow.
	ctx := browsertest.New(t, browsertest.Options{Width: 1440, Height: 900, Timeout: 120 * time.Second})
	watchConsole(t, ctx)
	// The window size includes the browser's own frame; the page gets a desk PC's screen.
	do(t, ctx, chromedp.EmulateViewport(1440, 900))
	return ctx
}

// watchConsole fails the test on a script error or a CSP refusal in the
// staff pages: either would leave a page half-working without any visible
// assertion failing. Other pages (the kiosk) are not this package's to judge.
func watchConsole(t *testing.T, ctx context.Context) {
	t.Helper()
	cctx, cancel := context.WithCancel(ctx)
	msgs := chromedp.Console(cctx)
	var (
		mu   sync.Mutex
		bad  []string
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			if strings.Contains(m.URL, "/kiosk/") || (!m.IsException() && m.Source != "security") {
				continue
			}
			mu.Lock()
			bad = append(bad, m.String())
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, m := range bad {
			t.Errorf("browser console: %s", m)
		}
	})
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

// waitJS waits until a JavaScript expression is truthy on the current page.
func waitJS(t *testing.T, ctx context.Context, js string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(waitFor))); err != nil {
		page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 3000)`))
		t.Fatalf("waiting for %s: %v\npage text:\n%s", js, err, page)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func location(t *testing.T, ctx context.Context) *url.URL {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	// Asked in the middle of a navigation, the old document is gone: ask
	// the new one.
	for i := 0; err != nil && strings.Contains(err.Error(), "navigated or closed") && i < 20; i++ {
		time.Sleep(50 * time.Millisecond)
		loc, err = chromedp.Run(ctx, chromedp.Location())
	}
	if err != nil {
		t.Fatalf("location: %v", err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("parse location %q: %v", loc, err)
	}
	return u
}

// waitPath waits for a navigation to land on path. Polling in the page would
// not survive the navigation, so this asks the browser from outside.
func waitPath(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	// A login hashes a password: under -race on a busy runner that can take seconds.
	deadline := time.Now().Add(3 * waitFor)
	for {
		if u := location(t, ctx); u.Path == path {
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.readyState === "complete"`, chromedp.WithPollingTimeout(waitFor))); err == nil {
				return
			}
		} else if time.Now().After(deadline) {
			page, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 500)`))
			t.Fatalf("location is %s, want path %s; page text:\n%s", u, path, page)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// loginAs fills the login page the browser is on and waits for landing.
func loginAs(t *testing.T, ctx context.Context, user, pass, landing string) {
	t.Helper()
	do(t, ctx,
		chromedp.WaitVisible(chromedp.CSS("#username")),
		setValue("#username", ""),
		setValue("#password", ""),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), pass),
		chromedp.Click(chromedp.CSS("#login-submit")),
	)
	waitPath(t, ctx, landing)
}

// setValue replaces a field's value the way a user would, events included.
func setValue(sel, v string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const e = document.querySelector(`+jsString(sel)+`);
			e.value = `+jsString(v)+`;
			e.dispatchEvent(new Event("input", {bubbles: true}));
			e.dispatchEvent(new Event("change", {bubbles: true}));
			return true })()`))
		return err
	})
}

func shot(t *testing.T, name string, png []byte) {
	t.Helper()
	dir := os.Getenv("QUEUEBOX_SHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "shots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Logf("screenshot dir: %v", err)
		return
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Logf("write %s: %v", p, err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return eval[string](t, ctx, `(document.querySelector(`+jsString(sel)+`)||{}).textContent||""`)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func waitCurrent(t *testing.T, ctx context.Context, number string) {
	t.Helper()
	waitJS(t, ctx, `document.querySelector("[data-current-number]").textContent === `+jsString(number)+
		` && !document.getElementById("current-filled").hidden`)
}

func waitNoCurrent(t *testing.T, ctx context.Context) {
	t.Helper()
	waitJS(t, ctx, `document.getElementById("current-filled").hidden`)
}

// firstWaiting is the ticket the list says is next.
func firstWaiting(t *testing.T, ctx context.Context) (id, number string) {
	t.Helper()
	v := eval[[]string](t, ctx, `(() => { const li = document.querySelector("#waiting li"); return li ? [li.dataset.ticketId, li.dataset.number] : ["", ""] })()`)
	return v[0], v[1]
}

// TestConsole drives one staff member through a shift. The subtests share the
// box and the browser (starting chromium and hashing passwords under -race
// is what takes the time), so each one starts from where the last one ended.
func TestConsole(t *testing.T) {
	t.Parallel()
	// The box's day starts before 11:00 and never ends under the test (the
	// day's numbering would restart at midnight); the first tickets are
	// issued 35 minutes before the browser opens.
	clock := servertest.NewClock(servertest.Today(10, 25))
	s := newSite(t, servertest.Options{Clock: clock})
	if st, body := s.box.Do(s.admin, "PUT", "/api/v1/settings", map[string]any{"max_wait_minutes": 30}, nil); st != 200 {
		t.Fatalf("set max wait: %d %s", st, body)
	}
	// Tickets of different ages, so the list shows every colour and a reason.
	overdue := s.box.Issue(s.kiosk, "general")
	s.box.Issue(s.kiosk, "cash")
	clock.Advance(23 * time.Minute)
	s.box.Issue(s.kiosk, "general")
	s.issuePriority(t, "general", 2)
	clock.Advance(9 * time.Minute)
	s.box.Issue(s.kiosk, "cash")
	clock.Advance(3 * time.Minute)
	s.box.Issue(s.kiosk, "general")
	s.box.Issue(s.kiosk, "advice") // not served at c1: must not be listed
	if st, body := s.box.Do(s.admin, "POST", "/api/v1/counters", map[string]any{"id": "c9", "name": "Counter 9", "service_ids": []string{}}, nil); st != 201 {
		t.Fatalf("create empty counter: %d %s", st, body)
	}

	ctx := browser(t)

	t.Run("anonymous visits land on the login page", func(t *testing.T) {
		for _, page := range []string{"/admin/", "/console/"} {
			do(t, ctx, chromedp.Navigate(s.box.URL+page))
			u := location(t, ctx)
			if u.Path != "/login/" || u.Query().Get("next") != page {
				t.Errorf("anonymous %s went to %s, want /login/?next=%s", page, u, page)
			}
		}
	})

	t.Run("wrong password is refused", func(t *testing.T) {
		do(t, ctx,
			chromedp.WaitVisible(chromedp.CSS("#username")),
			chromedp.SendKeys(chromedp.CSS("#username"), staffUser),
			chromedp.SendKeys(chromedp.CSS("#password"), "not-the-password"),
			chromedp.Click(chromedp.CSS("#login-submit")),
		)
		waitJS(t, ctx, `document.getElementById("login-error").textContent.includes("Wrong username or password")`)
		if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
			shot(t, "console-login.png", png)
		}
		browsertest.CheckA11y(t, ctx, "console-login")
	})

	t.Run("login, choose counter, call next, finish", func(t *testing.T) {
		loginAs(t, ctx, staffUser, staffPass, "/console/")
		waitJS(t, ctx, `!document.getElementById("chooser").hidden && document.querySelector('[data-counter-id="c1"]') !== null`)
		if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
			shot(t, "console-chooser.png", png)
		}
		browsertest.CheckA11y(t, ctx, "console-chooser")
		do(t, ctx, chromedp.Click(chromedp.CSS(`[data-counter-id="c1"]`)))
		waitJS(t, ctx, `document.getElementById("conn").dataset.state === "live" && document.querySelectorAll("#waiting li").length === 6`)
		// The box's reason, with its Chinese beside it.
		if got := text(t, ctx, "#next-reason"); !strings.Contains(got, overdue.Number) || !strings.Contains(got, "30-min cap") || !strings.Contains(got, "等候超过 30 分钟上限") {
			t.Errorf("next reason = %q, want %s and the cap in both languages", got, overdue.Number)
		}
		if got := eval[string](t, ctx, `document.querySelector("#waiting li").className`); !strings.Contains(got, "wait-late") {
			t.Errorf("first waiting row class = %q, want wait-late", got)
		}
		if eval[bool](t, ctx, `!document.getElementById("admin-link").hidden`) {
			t.Error("staff see the admin link")
		}

		do(t, ctx, chromedp.Click(chromedp.CSS("#next")))
		waitCurrent(t, ctx, overdue.Number)
		waitJS(t, ctx, `document.querySelectorAll("#waiting li").length === 5 && /since the call/.test(document.getElementById("current-timer").textContent)`)
		if got := text(t, ctx, "#current-reason"); !strings.Contains(got, "cap") {
			t.Errorf("call reason = %q, want the max-wait cap", got)
		}
		if got := text(t, ctx, "#current-service"); !strings.Contains(got, "General") {
			t.Errorf("current service = %q, want General", got)
		}
		classes := eval[[]string](t, ctx, `[...document.querySelectorAll("#waiting li")].map(li => li.className)`)
		var late, warn, ok bool
		for _, c := range classes {
			late = late || strings.Contains(c, "wait-late")
			warn = warn || strings.Contains(c, "wait-warn")
			ok = ok || strings.Contains(c, "wait-ok")
		}
		if !late || !warn || !ok {
			t.Errorf("waiting row classes %v, want late, warn and ok rows", classes)
		}
		if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
			shot(t, "console-called.png", png)
		}
		browsertest.CheckA11y(t, ctx, "console-called")
		if got := s.ticket(t, overdue.ID); got.Status != "called" || got.CounterID != "c1" {
			t.Fatalf("after call next: status %s at %q, want called at c1", got.Status, got.CounterID)
		}

		// Finish straight from "called": the page starts and finishes it.
		do(t, ctx, chromedp.Click(chromedp.CSS(`[data-action="finish"]`)))
		waitNoCurrent(t, ctx)
		waitJS(t, ctx, `/finished/.test(document.getElementById("msg").textContent)`)
		if got := s.ticket(t, overdue.ID); got.Status != "done" {
			t.Errorf("after finish: status %s, want done", got.Status)
		}
	})

	t.Run("reload keeps the counter and its current ticket", func(t *testing.T) {
		_, num := firstWaiting(t, ctx)
		do(t, ctx, chromedp.Click(chromedp.CSS("#next")))
		waitCurrent(t, ctx, num)
		do(t, ctx, chromedp.Reload())
		waitJS(t, ctx, `document.getElementById("chooser").hidden && document.getElementById("counter").value === "c1" && document.querySelectorAll("#waiting li").length === 4`)
		waitCurrent(t, ctx, num)
		// The list follows tickets issued elsewhere.
		s.box.Issue(s.kiosk, "cash")
		waitJS(t, ctx, `document.querySelectorAll("#waiting li").length === 5`)
	})

	t.Run("Space calls next and F finishes", func(t *testing.T) {
		firstID, firstNum := firstWaiting(t, ctx)
		do(t, ctx, chromedp.KeyEvent(" "))
		waitCurrent(t, ctx, firstNum)
		if got := s.ticket(t, firstID); got.Status != "called" {
			t.Fatalf("after Space: %s is %s, want called", firstNum, got.Status)
		}
		// One key press is one call, even with a button still focused.
		waitJS(t, ctx, `document.querySelectorAll("#waiting li").length === 4`)

		do(t, ctx, chromedp.KeyEvent("f"))
		waitNoCurrent(t, ctx)
		if got := s.ticket(t, firstID); got.Status != "done" {
			t.Errorf("after F: %s is %s, want done", firstNum, got.Status)
		}
	})

	t.Run("transfer moves the ticket to another service", func(t *testing.T) {
		_, num := firstWaiting(t, ctx)
		do(t, ctx, chromedp.Click(chromedp.CSS("#next")))
		waitCurrent(t, ctx, num)
		id := eval[string](t, ctx, `document.getElementById("current").dataset.ticketId`)
		from := s.ticket(t, id).ServiceID
		to := "cash"
		if from == "cash" {
			to = "general"
		}
		do(t, ctx, chromedp.KeyEvent("t"))
		waitJS(t, ctx, `!document.getElementById("transfer").hidden`)
		if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
			shot(t, "console-transfer.png", png)
		}
		browsertest.CheckA11y(t, ctx, "console-transfer")
		do(t, ctx, chromedp.Click(chromedp.CSS(`[data-transfer-service="`+to+`"]`)))
		waitNoCurrent(t, ctx)
		waitJS(t, ctx, `/moved to/.test(document.getElementById("msg").textContent)`)

		if got := s.ticket(t, id); got.Status != "waiting" || got.ServiceID != to {
			t.Fatalf("after transfer: %s in %s, want waiting in %s", got.Status, got.ServiceID, to)
		}
		st, body := s.box.Do(s.admin, "GET", "/api/v1/queue?service_id="+to, nil, nil)
		if st != 200 || !strings.Contains(string(body), `"id":"`+id+`"`) {
			t.Errorf("%s queue: %d %s, want ticket %s", to, st, body, id)
		}
		// c1 serves both, so the moved ticket is back in its list.
		waitJS(t, ctx, `[...document.querySelectorAll("#waiting li")].some(li => li.dataset.ticketId === `+jsString(id)+`)`)
	})

	t.Run("P pauses and resumes the counter", func(t *testing.T) {
		do(t, ctx, chromedp.KeyEvent("p"))
		waitJS(t, ctx, `!document.getElementById("paused-banner").hidden && document.getElementById("next").disabled && !document.getElementById("console").dataset.busy`)
		st, body := s.box.Do(s.admin, "GET", "/api/v1/counters/c1", nil, nil)
		if st != 200 || !strings.Contains(string(body), `"paused":true`) {
			t.Errorf("after P: counter %d %s, want paused", st, body)
		}
		do(t, ctx, chromedp.KeyEvent("p"))
		waitJS(t, ctx, `document.getElementById("paused-banner").hidden && !document.getElementById("next").disabled`)
	})

	t.Run("N marks a no-show and Undo puts it back in its place", func(t *testing.T) {
		_, num := firstWaiting(t, ctx)
		do(t, ctx, chromedp.KeyEvent(" "))
		waitCurrent(t, ctx, num)
		id := eval[string](t, ctx, `document.getElementById("current").dataset.ticketId`)
		do(t, ctx, chromedp.KeyEvent("n"))
		waitNoCurrent(t, ctx)
		if got := s.ticket(t, id); got.Status != "no_show" {
			t.Fatalf("after N: %s is %s, want no_show", num, got.Status)
		}
		do(t, ctx, chromedp.Click(chromedp.CSS(`[data-revert-no-show="`+id+`"]`)))
		waitJS(t, ctx, `/back in the queue/.test(document.getElementById("msg").textContent)`)
		if got := s.ticket(t, id); got.Status != "waiting" {
			t.Errorf("after Undo: %s is %s, want waiting", num, got.Status)
		}
		if first, _ := firstWaiting(t, ctx); first != id {
			waitJS(t, ctx, `document.querySelector("#waiting li").dataset.ticketId === `+jsString(id))
		}
	})

	t.Run("a wrong clock shows the alert until it is right", func(t *testing.T) {
		clock.Step(3 * time.Hour)
		waitJS(t, ctx, `!document.querySelector("[data-clock-alert]").hidden && /clock seems wrong/.test(document.getElementById("clock-text").textContent)`)
		if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
			shot(t, "console-clock.png", png)
		}
		if eval[bool](t, ctx, `!document.getElementById("clock-confirm").hidden`) {
			t.Errorf("staff see the admin's confirm button")
		}
		clock.Step(-3 * time.Hour)
		waitJS(t, ctx, `document.querySelector("[data-clock-alert]").hidden`)
	})

	t.Run("a counter with nobody waiting says so", func(t *testing.T) {
		do(t, ctx, setValue("#counter", "c9"))
		waitJS(t, ctx, `document.getElementById("counter").value === "c9" && document.getElementById("current-filled").hidden && !document.getElementById("waiting-empty").hidden`)
		do(t, ctx, chromedp.KeyEvent(" "))
		waitJS(t, ctx, `/Nobody is waiting/.test(document.getElementById("msg").textContent)`)
	})

	t.Run("a second clerk at the same counter is warned", func(t *testing.T) {
		if st, body := s.box.Do(s.admin, "POST", "/api/v1/counters/c1/seat", nil, nil); st != 200 {
			t.Fatalf("admin takes c1: %d %s", st, body)
		}
		do(t, ctx, setValue("#counter", "c1"))
		waitJS(t, ctx, `!document.getElementById("seat-banner").hidden`)
		if got := text(t, ctx, "#seat-banner"); !strings.Contains(got, "admin is also at Counter 1") {
			t.Errorf("seat banner = %q, want admin named", got)
		}
		browsertest.CheckA11y(t, ctx, "console-seat-shared")
		if st, body := s.box.Do(s.admin, "DELETE", "/api/v1/seat", nil, nil); st != 204 {
			t.Fatalf("admin leaves: %d %s", st, body)
		}
		do(t, ctx, setValue("#counter", "c9"))
		do(t, ctx, setValue("#counter", "c1"))
		waitJS(t, ctx, `document.getElementById("seat-banner").hidden`)
	})

	t.Run("staff cannot open the admin page", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(s.box.URL+"/admin/"))
		if got := text(t, ctx, "body"); !strings.Contains(got, "Admins only") {
			t.Errorf("staff on /admin/ see %q, want the admins-only page", got)
		}
	})

	t.Run("login ignores a next outside the site", func(t *testing.T) {
		do(t, ctx, chromedp.Navigate(s.box.URL+"/login/?next=//example.com/x"))
		waitPath(t, ctx, "/console/")
	})
}

// openSection shows one section of the admin app, as its navigation does.
func openSection(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	do(t, ctx, chromedp.Click(chromedp.CSS(`#admin-nav a[data-section="`+id+`"]`)))
	waitJS(t, ctx, `!document.getElementById("`+id+`").hidden && document.querySelectorAll("main section.admin-section:not([hidden])").length === 1`)
}

// adminPage starts a box with o and a browser, opens path (the admin page,
// e.g. "/admin/#customers") and logs in there as admin.
func adminPage(t *testing.T, o servertest.Options, path string) (*servertest.Box, context.Context) {
	t.Helper()
	box := servertest.Start(t, o)
	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(box.URL+path))
	loginAs(t, ctx, "admin", servertest.AdminPassword, "/admin/")
	return box, ctx
}

func TestAdmin(t *testing.T) {
	t.Parallel()
	box, ctx := adminPage(t, servertest.Options{}, "/admin/")
	waitJS(t, ctx, `document.body.dataset.ready === "1" && document.querySelectorAll("#services-body tr[data-service-id]").length === 3`)
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		shot(t, "console-admin.png", png)
	}
	browsertest.CheckA11y(t, ctx, "console-admin")
	admin := adminClient(t, box)

	t.Run("sections: one at a time, chosen by the address", func(t *testing.T) {
		got := eval[[]string](t, ctx, `[...document.querySelectorAll("#admin-nav a")].map(a => a.dataset.section)`)
		want := []string{"today", "reports", "services", "counters", "users", "devices", "settings", "customers", "calendar", "webhooks", "backup"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("navigation = %v, want %v", got, want)
		}
		// The first section opens by default and says what waits.
		waitJS(t, ctx, `!document.getElementById("today").hidden && document.getElementById("services").hidden && document.getElementById("today-h") !== null`)
		if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
			shot(t, "console-admin-today.png", png)
		}
		browsertest.CheckA11y(t, ctx, "console-admin-today")
		do(t, ctx, chromedp.Navigate(box.URL+"/admin/#settings"))
		waitJS(t, ctx, `document.body.dataset.ready === "1" && !document.getElementById("settings").hidden && document.getElementById("services").hidden`)
		if got := eval[string](t, ctx, `document.querySelector('#admin-nav [aria-current="page"]').dataset.section`); got != "settings" {
			t.Errorf("current section in the navigation = %q, want settings", got)
		}
		openSection(t, ctx, "counters")
		if got := eval[string](t, ctx, `document.activeElement.id`); got != "counters-h" {
			t.Errorf("focus after opening counters is on %q, want its heading", got)
		}
		// Back returns to the section before.
		do(t, ctx, chromedp.NavigateBack())
		waitJS(t, ctx, `!document.getElementById("settings").hidden`)
	})

	t.Run("validation error next to the field", func(t *testing.T) {
		openSection(t, ctx, "services")
		do(t, ctx,
			chromedp.SendKeys(chromedp.CSS("#svc-id"), "loans"),
			chromedp.SendKeys(chromedp.CSS("#svc-prefix"), "a1"),
			chromedp.SendKeys(chromedp.CSS("#svc-name"), "Loans"),
			chromedp.SendKeys(chromedp.CSS("#svc-zh"), "贷款"),
			chromedp.Click(chromedp.CSS("#service-submit")),
		)
		waitJS(t, ctx, `document.querySelector('[data-error-for="prefix"]').textContent !== ""`)
		if got := text(t, ctx, `[data-error-for="prefix"]`); !strings.HasPrefix(got, "prefix ") {
			t.Errorf("prefix error = %q, want the API's prefix message", got)
		}
		if got := eval[string](t, ctx, `document.getElementById("svc-prefix").getAttribute("aria-invalid")`); got != "true" {
			t.Errorf("prefix aria-invalid = %q, want true", got)
		}
		if got := text(t, ctx, `#service-form [data-error-for=""]`); got != "" {
			t.Errorf("form-level error = %q, want none", got)
		}
		if png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#services"))); err == nil {
			shot(t, "console-admin-services.png", png)
		}
		browsertest.CheckA11y(t, ctx, "console-admin-services")

		do(t, ctx,
			setValue("#svc-prefix", ""),
			chromedp.SendKeys(chromedp.CSS("#svc-prefix"), "L"),
			chromedp.Click(chromedp.CSS("#service-submit")),
		)
		waitJS(t, ctx, `document.querySelector('#services-body tr[data-service-id="loans"]') !== null`)
		st, body := box.Do(admin, "GET", "/api/v1/services/loans", nil, nil)
		if st != 200 || !strings.Contains(string(body), `"prefix":"L"`) || !strings.Contains(string(body), "贷款") {
			t.Errorf("GET loans: %d %s", st, body)
		}
	})

	t.Run("counter serves the checked services", func(t *testing.T) {
		openSection(t, ctx, "counters")
		do(t, ctx,
			chromedp.SendKeys(chromedp.CSS("#ctr-id"), "c9"),
			chromedp.SendKeys(chromedp.CSS("#ctr-name"), "Counter 9"),
			chromedp.Click(chromedp.CSS(`#ctr-services input[value="cash"]`)),
			chromedp.Click(chromedp.CSS("#counter-submit")),
		)
		waitJS(t, ctx, `document.querySelector('#counters-body tr[data-counter-id="c9"]') !== null`)
		st, body := box.Do(admin, "GET", "/api/v1/counters/c9", nil, nil)
		if st != 200 || !strings.Contains(string(body), `"service_ids":["cash"]`) {
			t.Errorf("GET c9: %d %s", st, body)
		}
	})

	t.Run("counter schedule: error next to the day, then saved", func(t *testing.T) {
		do(t, ctx, chromedp.Click(chromedp.CSS(`#counters-body tr[data-counter-id="c9"] button`)))
		waitJS(t, ctx, `document.getElementById("ctr-id").value === "c9"`)
		do(t, ctx,
			setValue("#ctr-schedule-mon", "9-5"),
			setValue("#ctr-schedule-tue", "09:00-12:00,13:00-17:30"),
			chromedp.Click(chromedp.CSS("#counter-submit")),
		)
		waitJS(t, ctx, `document.querySelector('[data-error-for="schedule.mon"]').textContent !== ""`)
		if got := text(t, ctx, `[data-error-for="schedule.mon"]`); !strings.HasPrefix(got, "schedule.mon ") {
			t.Errorf("schedule error = %q, want the API's message naming schedule.mon", got)
		}
		do(t, ctx,
			setValue("#ctr-schedule-mon", "08:30-12:00,13:00-17:30"),
			chromedp.Click(chromedp.CSS("#counter-submit")),
		)
		waitJS(t, ctx, `/Saved/.test(document.getElementById("counters-msg").textContent)`)
		st, body := box.Do(admin, "GET", "/api/v1/counters/c9", nil, nil)
		if st != 200 || !strings.Contains(string(body), `"mon":"08:30-12:00,13:00-17:30"`) || !strings.Contains(string(body), `"wed":""`) {
			t.Errorf("GET c9 after the schedule: %d %s", st, body)
		}
		// The list shows the plan, days with the same hours together.
		do(t, ctx, chromedp.Click(chromedp.CSS(`#counters-body tr[data-counter-id="c9"] button`)))
		waitJS(t, ctx, `document.getElementById("ctr-id").value === "c9"`)
		for _, d := range []string{"wed", "thu", "fri"} {
			do(t, ctx, setValue("#ctr-schedule-"+d, "09:00-12:00,13:00-17:30"))
		}
		do(t, ctx, chromedp.Click(chromedp.CSS("#counter-submit")))
		waitJS(t, ctx, `document.querySelector('#counters-body tr[data-counter-id="c9"] [data-schedule]').textContent.includes("Tue–Fri")`)
		if got, want := text(t, ctx, `#counters-body tr[data-counter-id="c9"] [data-schedule]`), "Mon · 一 08:30-12:00,13:00-17:30; Tue–Fri · 二至五 09:00-12:00,13:00-17:30"; got != want {
			t.Errorf("c9's schedule in the list = %q, want %q", got, want)
		}
		if got := text(t, ctx, `#counters-body tr[data-counter-id="c1"] [data-schedule]`); got != "—" {
			t.Errorf("c1's schedule in the list = %q, want — (no plan)", got)
		}
	})

	t.Run("settings: error next to the field, then saved", func(t *testing.T) {
		openSection(t, ctx, "settings")
		do(t, ctx,
			setValue("#set-tz", "Mars/Olympus"),
			setValue("#set-maxwait", "25"),
			setValue("#set-hold", "15"),
			chromedp.Click(chromedp.CSS("#hours-sun-open")),
			chromedp.Click(chromedp.CSS(`#settings-form button[type="submit"]`)),
		)
		waitJS(t, ctx, `document.querySelector('[data-error-for="timezone"]').textContent.includes("Mars/Olympus")`)
		do(t, ctx,
			setValue("#set-tz", "Europe/Berlin"),
			chromedp.Click(chromedp.CSS(`#settings-form button[type="submit"]`)),
		)
		waitJS(t, ctx, `/Saved/.test(document.getElementById("settings-msg").textContent)`)
		st, body := box.Do(admin, "GET", "/api/v1/settings", nil, nil)
		if st != 200 || !strings.Contains(string(body), `"timezone":"Europe/Berlin"`) ||
			!strings.Contains(string(body), `"max_wait_minutes":25`) || !strings.Contains(string(body), `"sun":""`) ||
			!strings.Contains(string(body), `"appointment_hold_minutes":15`) {
			t.Errorf("settings after save: %d %s", st, body)
		}
	})

	t.Run("service: staff guide, outcome codes and kiosk level", func(t *testing.T) {
		openSection(t, ctx, "services")
		do(t, ctx, chromedp.Click(chromedp.CSS(`#services-body tr[data-service-id="general"] button`)))
		waitJS(t, ctx, `document.getElementById("svc-id").value === "general" && document.getElementById("svc-id").readOnly`)
		do(t, ctx,
			setValue("#svc-guide", "Check the ID card.\nOffer the fee waiver form."),
			setValue("#svc-outcomes", "resolved, referred ,needs documents, resolved"),
			setValue("#svc-priority", "1"),
		)
		if png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#services"))); err == nil {
			shot(t, "console2-admin-service.png", png)
		}
		browsertest.CheckA11y(t, ctx, "console2-admin-service")
		do(t, ctx, chromedp.Click(chromedp.CSS("#service-submit")))
		waitJS(t, ctx, `/Saved/.test(document.getElementById("services-msg").textContent)`)
		st, body := box.Do(admin, "GET", "/api/v1/services/general", nil, nil)
		var svc struct {
			Name         string   `json:"name"`
			Guide        string   `json:"guide"`
			OutcomeCodes []string `json:"outcome_codes"`
			Priority     int      `json:"priority"`
		}
		if st != 200 || json.Unmarshal(body, &svc) != nil {
			t.Fatalf("GET general: %d %s", st, body)
		}
		if svc.Guide != "Check the ID card.\nOffer the fee waiver form." || strings.Join(svc.OutcomeCodes, "|") != "resolved|referred|needs documents" || svc.Priority != 1 || svc.Name != "General" {
			t.Errorf("general after save: %+v", svc)
		}
		waitJS(t, ctx, `(t => t.includes("3 outcomes") && t.includes("Priority"))(document.querySelector('#services-body tr[data-service-id="general"]').textContent)`)
		// Editing again shows what was saved, so a second save keeps it.
		do(t, ctx, chromedp.Click(chromedp.CSS(`#services-body tr[data-service-id="general"] button`)))
		waitJS(t, ctx, `document.getElementById("svc-outcomes").value === "resolved, referred, needs documents" && document.getElementById("svc-priority").value === "1"`)
		do(t, ctx, chromedp.Click(chromedp.CSS("#service-cancel")))
	})

	t.Run("settings: opening hours with a lunch break", func(t *testing.T) {
		openSection(t, ctx, "settings")
		// Monday: 09:00–12:00, then a second range 13:00–17:00.
		do(t, ctx,
			setValue("#hours-mon-ranges .range:nth-child(1) .from", "09:00"),
			setValue("#hours-mon-ranges .range:nth-child(1) .to", "12:00"),
			chromedp.Click(chromedp.CSS("#hours-mon-add")),
		)
		waitJS(t, ctx, `document.querySelectorAll("#hours-mon-ranges .range").length === 2`)
		do(t, ctx,
			setValue("#hours-mon-ranges .range:nth-child(2) .from", "13:00"),
			setValue("#hours-mon-ranges .range:nth-child(2) .to", "17:00"),
		)
		if png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#settings"))); err == nil {
			shot(t, "console2-admin-hours.png", png)
		}
		browsertest.CheckA11y(t, ctx, "console2-admin-hours")
		do(t, ctx, chromedp.Click(chromedp.CSS(`#settings-form button[type="submit"]`)))
		waitJS(t, ctx, `/Saved/.test(document.getElementById("settings-msg").textContent)`)
		st, body := box.Do(admin, "GET", "/api/v1/settings", nil, nil)
		if st != 200 || !strings.Contains(string(body), `"mon":"09:00-12:00,13:00-17:00"`) {
			t.Errorf("settings after save: %d %s", st, body)
		}
		// Ranges in the wrong order are the box's to refuse, next to the day.
		do(t, ctx,
			setValue("#hours-tue-ranges .range:nth-child(1) .from", "18:00"),
			setValue("#hours-tue-ranges .range:nth-child(1) .to", "08:00"),
			chromedp.Click(chromedp.CSS(`#settings-form button[type="submit"]`)),
		)
		waitJS(t, ctx, `document.querySelector('[data-error-for="hours.tue"]').textContent !== ""`)
		do(t, ctx, setValue("#hours-tue-ranges .range:nth-child(1) .from", "00:00"), setValue("#hours-tue-ranges .range:nth-child(1) .to", "00:00"))
		do(t, ctx, chromedp.Click(chromedp.CSS(`#settings-form button[type="submit"]`)))
		waitJS(t, ctx, `/Saved/.test(document.getElementById("settings-msg").textContent)`)
		if _, body := box.Do(admin, "GET", "/api/v1/settings", nil, nil); !strings.Contains(string(body), `"tue":"00:00-24:00"`) {
			t.Errorf("a day open until midnight saves as %s, want tue 00:00-24:00", body)
		}
	})

	t.Run("settings: priority weights and check-in window", func(t *testing.T) {
		openSection(t, ctx, "settings")
		do(t, ctx,
			setValue("#set-w2", "11"),
			setValue("#set-w1", "0"),
			setValue("#set-w0", "1"),
			setValue("#set-early", "20"),
			setValue("#set-late", "10"),
			chromedp.Click(chromedp.CSS(`#settings-form button[type="submit"]`)),
		)
		waitJS(t, ctx, `document.querySelector('[data-error-for="priority_weights"]').textContent.includes("level 2")`)
		if got := eval[string](t, ctx, `document.getElementById("set-w2").getAttribute("aria-invalid")`); got != "true" {
			t.Errorf("VIP weight aria-invalid = %q, want true", got)
		}
		if got := eval[string](t, ctx, `document.getElementById("set-w0").getAttribute("aria-invalid") || ""`); got != "" {
			t.Errorf("normal weight aria-invalid = %q, want none", got)
		}
		do(t, ctx, chromedp.ScrollIntoView(chromedp.CSS("#settings")))
		if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
			shot(t, "console2-admin-settings-error.png", png)
		}
		browsertest.CheckA11y(t, ctx, "console2-admin-settings-error")
		do(t, ctx, setValue("#set-w2", "2"))
		waitJS(t, ctx, `document.querySelector('[data-error-for="priority_weights"]').textContent === ""`)
		do(t, ctx, chromedp.Click(chromedp.CSS(`#settings-form button[type="submit"]`)))
		waitJS(t, ctx, `/Saved/.test(document.getElementById("settings-msg").textContent)`)
		st, body := box.Do(admin, "GET", "/api/v1/settings", nil, nil)
		if st != 200 || !strings.Contains(string(body), `"priority_weights":[1,0,2]`) ||
			!strings.Contains(string(body), `"checkin_early_minutes":20`) || !strings.Contains(string(body), `"checkin_late_minutes":10`) {
			t.Errorf("settings after save: %d %s", st, body)
		}
		if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
			shot(t, "console2-admin-settings.png", png)
		}
		browsertest.CheckA11y(t, ctx, "console2-admin-settings")
		// Clearing every weight goes back to strict priority.
		do(t, ctx,
			setValue("#set-w2", ""), setValue("#set-w1", ""), setValue("#set-w0", ""),
			chromedp.Click(chromedp.CSS(`#settings-form button[type="submit"]`)),
		)
		for deadline := time.Now().Add(waitFor); ; time.Sleep(50 * time.Millisecond) {
			st, body := box.Do(admin, "GET", "/api/v1/settings", nil, nil)
			if st == 200 && strings.Contains(string(body), `"priority_weights":[]`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("settings after clearing the weights: %d %s", st, body)
			}
		}
	})

	t.Run("users: add, change role, disable", func(t *testing.T) {
		openSection(t, ctx, "users")
		do(t, ctx,
			chromedp.SendKeys(chromedp.CSS("#usr-name"), "bob"),
			chromedp.SendKeys(chromedp.CSS("#usr-pass"), "short"),
			chromedp.Click(chromedp.CSS(`#user-form button[type="submit"]`)),
		)
		waitJS(t, ctx, `document.querySelector('#user-form [data-error-for="password"]').textContent.startsWith("password")`)
		do(t, ctx,
			setValue("#usr-pass", "bob-password-1"),
			chromedp.Click(chromedp.CSS(`#user-form button[type="submit"]`)),
		)
		row := `#users-body tr[data-username="bob"]`
		waitJS(t, ctx, `document.querySelector('`+row+`') !== null`)
		do(t, ctx, setValue(row+` select`, "admin"))
		waitJS(t, ctx, `/Role changed/.test(document.querySelector('`+row+` .row-msg').textContent)`)
		do(t, ctx, chromedp.Click(chromedp.CSS(row+` button.danger`)))
		waitJS(t, ctx, `document.querySelector('`+row+`').classList.contains("off")`)
		st, body := box.Do(admin, "GET", "/api/v1/users", nil, nil)
		if st != 200 || !strings.Contains(string(body), `{"username":"bob","role":"admin","disabled":true}`) {
			t.Errorf("users: %d %s", st, body)
		}
	})

	t.Run("kiosk pairing link works", func(t *testing.T) {
		openSection(t, ctx, "devices")
		do(t, ctx,
			chromedp.SendKeys(chromedp.CSS("#dev-name"), "Entrance kiosk"),
			chromedp.Click(chromedp.CSS(`#device-form button[type="submit"]`)),
		)
		waitJS(t, ctx, `!document.getElementById("pairing").hidden`)
		waitJS(t, ctx, `document.getElementById("pairing-qr").complete && document.getElementById("pairing-qr").naturalWidth > 0`)
		if png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#devices"))); err == nil {
			shot(t, "console-admin-devices.png", png)
		}
		browsertest.CheckA11y(t, ctx, "console-admin-devices")
		link := eval[string](t, ctx, `document.getElementById("pairing-url").href`)
		u, err := url.Parse(link)
		if err != nil || u.Path != "/kiosk/" || u.Query().Get("device") == "" {
			t.Fatalf("pairing link %q, want /kiosk/?device=TOKEN", link)
		}
		token := u.Query().Get("device")

		do(t, ctx, chromedp.Navigate(link))
		if got := location(t, ctx); got.Path != "/kiosk/" {
			t.Errorf("pairing link opened %s, want /kiosk/", got)
		}
		st, body := box.Do(nil, "GET", "/api/v1/device", nil, map[string]string{"Authorization": "Bearer " + token})
		if st != 200 || !strings.Contains(string(body), "Entrance kiosk") {
			t.Errorf("GET /device with the pairing token: %d %s", st, body)
		}
	})
}

// fullTicket is a ticket with the fields the counter's extensions set.
type fullTicket struct {
	servertest.Ticket
	Priority      int        `json:"priority"`
	CallReason    string     `json:"call_reason"`
	Notes         string     `json:"notes"`
	Outcome       string     `json:"outcome"`
	AppointmentAt *time.Time `json:"appointment_at"`
}

func (s *site) full(t *testing.T, id string) fullTicket {
	t.Helper()
	st, body := s.box.Do(s.admin, "GET", "/api/v1/tickets/"+id, nil, nil)
	var tk fullTicket
	if st != 200 || json.Unmarshal(body, &tk) != nil {
		t.Fatalf("get ticket %s: %d %s", id, st, body)
	}
	return tk
}

func (s *site) put(t *testing.T, path string, body any) {
	t.Helper()
	if st, out := s.box.Do(s.admin, "PUT", path, body, nil); st != 200 {
		t.Fatalf("PUT %s: %d %s", path, st, out)
	}
}

// bookToday books and checks in a slot of service today at least lead
// ahead, so the ticket waits like a walk-in for the whole test. The box's
// clock must leave today such a slot (a morning does).
func (s *site) bookToday(t *testing.T, service string, lead time.Duration) (code string, start time.Time, tk servertest.Ticket) {
	t.Helper()
	loc := servertest.Location()
	now := s.box.Now().In(loc)
	st, body := s.box.Do(nil, "GET", "/api/v1/slots?service_id="+service+"&date="+now.Format("2006-01-02"), nil, nil)
	var slots []struct {
		Start     time.Time `json:"start"`
		Available int       `json:"available"`
	}
	if st != 200 || json.Unmarshal(body, &slots) != nil {
		t.Fatalf("slots: %d %s", st, body)
	}
	for _, sl := range slots {
		if sl.Available == 0 || sl.Start.Before(now.Add(lead)) || sl.Start.Sub(now) > 3*time.Hour {
			continue
		}
		req := map[string]any{"service_id": service, "start": sl.Start, "name": "Li Lei", "phone": "+86 138 0000 2222"}
		var appt struct{ Code string }
		if st, body := s.box.Do(nil, "POST", "/api/v1/appointments", req, nil); st != 201 || json.Unmarshal(body, &appt) != nil {
			t.Fatalf("book: %d %s", st, body)
		}
		st, body := s.box.Do(nil, "POST", "/api/v1/checkin", map[string]string{"code": appt.Code}, map[string]string{"Authorization": "Bearer " + s.kiosk})
		if st != 201 || json.Unmarshal(body, &tk) != nil {
			t.Fatalf("check in: %d %s", st, body)
		}
		return appt.Code, sl.Start.In(loc), tk
	}
	t.Fatalf("no slot of %s today between %s and three hours later: %s", service, now.Add(lead).Format("15:04"), body)
	return
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		shot(t, name, png)
	} else {
		t.Logf("screenshot %s: %v", name, err)
	}
}

func keys(t *testing.T, ctx context.Context, ks ...string) {
	t.Helper()
	for _, k := range ks {
		do(t, ctx, chromedp.KeyEvent(k))
	}
}

// TestConsoleMorning is a morning at counter 1 with the keyboard only: the
// service guide, outcomes and notes, no-show, transfer, parking, calling by
// number, a VIP ticket issued at the desk, an appointment, and the printer
// running out of paper.
func TestConsoleMorning(t *testing.T) {
	t.Parallel()
	fp, err := printertest.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fp.Close() })
	// A morning: today has slots left for the appointment.
	s := newSite(t, servertest.Options{Clock: servertest.NewClock(servertest.Today(9, 0)), Config: func(c *config.Config) { c.Printer.URL = fp.URL() }})

	const guide = "Check the ID card against the form.\nAsk about the fee waiver."
	s.put(t, "/api/v1/services/general", map[string]any{
		"prefix": "A", "name": "General", "names": map[string]string{"zh": "综合业务", "en": "General"},
		"avg_service_seconds": 300, "slot_minutes": 15, "slot_capacity": 2,
		"guide": guide, "outcome_codes": []string{"resolved", "referred", "needs documents"},
	})
	s.put(t, "/api/v1/settings", map[string]any{"checkin_early_minutes": 240})
	var tickets []servertest.Ticket
	for _, svc := range []string{"general", "cash", "general", "cash", "general", "cash", "general"} {
		tickets = append(tickets, s.box.Issue(s.kiosk, svc))
	}
	code, apptStart, apptTicket := s.bookToday(t, "general", 30*time.Minute)

	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(s.box.URL+"/console/"))
	loginAs(t, ctx, staffUser, staffPass, "/console/")
	waitJS(t, ctx, `!document.getElementById("chooser").hidden && document.querySelector('[data-counter-id="c1"]') !== null`)
	keys(t, ctx, "1")
	want := len(tickets) + 1 // and the appointment
	waitJS(t, ctx, `document.getElementById("conn").dataset.state === "live" && document.querySelectorAll("#waiting li").length === `+fmt.Sprint(want))
	if got := text(t, ctx, "#shortcuts"); !strings.Contains(got, "park") || !strings.Contains(got, "call by number") || !strings.Contains(got, "new ticket") {
		t.Errorf("shortcut list = %q, want park, call by number and new ticket", got)
	}

	t.Run("Space belongs to a focused button; shortcuts can be turned off", func(t *testing.T) {
		// WCAG 2.1.4: with Pause focused, Space presses Pause and calls nobody.
		eval[bool](t, ctx, `document.querySelector('[data-action="pause"]').focus(), true`)
		keys(t, ctx, " ")
		waitJS(t, ctx, `!document.getElementById("paused-banner").hidden`)
		if got := eval[string](t, ctx, `document.getElementById("current").dataset.state`); got != "none" {
			t.Errorf("Space on the focused Pause button also called a ticket (card state %q)", got)
		}
		waitJS(t, ctx, `!document.getElementById("console").dataset.busy && !document.querySelector('[data-action="pause"]').disabled`)
		eval[bool](t, ctx, `document.querySelector('[data-action="pause"]').focus(), true`)
		keys(t, ctx, " ")
		waitJS(t, ctx, `document.getElementById("paused-banner").hidden && !document.getElementById("console").dataset.busy`)
		// The waiting list is reachable with Tab (it scrolls).
		if got := eval[string](t, ctx, `document.getElementById("waiting").getAttribute("tabindex")`); got != "0" {
			t.Errorf("waiting list tabindex = %q, want 0", got)
		}
		do(t, ctx, chromedp.Click(chromedp.CSS("#keys-on")))
		eval[bool](t, ctx, `document.activeElement.blur(), true`)
		keys(t, ctx, "p")
		if !eval[bool](t, ctx, `document.getElementById("paused-banner").hidden`) {
			t.Error("P paused the counter with single-key shortcuts off")
		}
		do(t, ctx, chromedp.Click(chromedp.CSS("#keys-on")))
		eval[bool](t, ctx, `document.activeElement.blur(), true`)
	})

	t.Run("Space calls, the guide shows, F picks an outcome", func(t *testing.T) {
		keys(t, ctx, " ")
		waitCurrent(t, ctx, tickets[0].Number)
		waitJS(t, ctx, `document.getElementById("guide-text").textContent.includes("Check the ID card")`)
		keys(t, ctx, "s")
		waitJS(t, ctx, `document.getElementById("current").dataset.state === "serving"`)
		// Notes: E goes to the field, Esc leaves it and saves.
		keys(t, ctx, "e", "asked about fees", kb.Escape)
		waitJS(t, ctx, `/saved/.test(document.getElementById("notes-state").textContent)`)
		if got := s.full(t, tickets[0].ID).Notes; got != "asked about fees" {
			t.Errorf("notes after Esc = %q, want them saved", got)
		}
		keys(t, ctx, "f")
		waitJS(t, ctx, `!document.getElementById("outcome").hidden && document.querySelectorAll("#outcome-list button").length === 3`)
		screenshot(t, ctx, "console2-guide-outcome.png")
		keys(t, ctx, "2")
		waitNoCurrent(t, ctx)
		waitJS(t, ctx, `/finished: referred/.test(document.getElementById("msg").textContent)`)
		got := s.full(t, tickets[0].ID)
		if got.Status != "done" || got.Outcome != "referred" || got.Notes != "asked about fees" {
			t.Errorf("after F 2: status %s outcome %q notes %q, want done, referred and the notes", got.Status, got.Outcome, got.Notes)
		}
	})

	t.Run("Esc backs out of the outcome picker", func(t *testing.T) {
		keys(t, ctx, " ")
		waitCurrent(t, ctx, tickets[1].Number) // cash: no outcome codes
		keys(t, ctx, "n")
		waitNoCurrent(t, ctx)
		if got := s.full(t, tickets[1].ID); got.Status != "no_show" {
			t.Errorf("after N: %s is %s, want no_show", tickets[1].Number, got.Status)
		}
		keys(t, ctx, " ")
		waitCurrent(t, ctx, tickets[2].Number)
		keys(t, ctx, "s", "f")
		waitJS(t, ctx, `!document.getElementById("outcome").hidden`)
		keys(t, ctx, kb.Escape)
		waitJS(t, ctx, `document.getElementById("outcome").hidden`)
		if got := s.full(t, tickets[2].ID); got.Status != "serving" {
			t.Errorf("after Esc: %s is %s, want still serving", tickets[2].Number, got.Status)
		}
		// T then 2: the services other than General are Cash and Advice.
		keys(t, ctx, "t")
		waitJS(t, ctx, `!document.getElementById("transfer").hidden`)
		keys(t, ctx, "2")
		waitNoCurrent(t, ctx)
		if got := s.full(t, tickets[2].ID); got.Status != "waiting" || got.ServiceID != "advice" {
			t.Errorf("after T 2: %s %s in %s, want waiting in advice", tickets[2].Number, got.Status, got.ServiceID)
		}
	})

	t.Run("K parks, B calls back", func(t *testing.T) {
		keys(t, ctx, " ")
		waitCurrent(t, ctx, tickets[3].Number)
		keys(t, ctx, "k")
		waitNoCurrent(t, ctx)
		waitJS(t, ctx, `!document.getElementById("parked-box").hidden && document.querySelector("#parked li").dataset.number === `+jsString(tickets[3].Number))
		if got := s.full(t, tickets[3].ID); got.Status != "parked" {
			t.Fatalf("after K: %s is %s, want parked", tickets[3].Number, got.Status)
		}
		// The parked list survives a reload: the box confirms it.
		do(t, ctx, chromedp.Reload())
		waitJS(t, ctx, `document.getElementById("conn").dataset.state === "live" && document.querySelector("#parked li") !== null`)
		screenshot(t, ctx, "console2-parked.png")
		keys(t, ctx, "b")
		waitCurrent(t, ctx, tickets[3].Number)
		waitJS(t, ctx, `document.getElementById("parked-box").hidden`)
		got := s.full(t, tickets[3].ID)
		if got.Status != "called" || got.CounterID != "c1" || !strings.Contains(got.CallReason, "back from parking") {
			t.Errorf("after B: %s %s at %q (%q), want called back to c1", tickets[3].Number, got.Status, got.CounterID, got.CallReason)
		}
	})

	t.Run("# calls by number with a reason", func(t *testing.T) {
		target, reason := apptTicket, "appointment customer is here early"
		keys(t, ctx, "#")
		waitJS(t, ctx, `!document.getElementById("bynumber").hidden && document.activeElement.id === "bynumber-number"`)
		keys(t, ctx, strings.ToLower(target.Number), kb.Enter)
		waitJS(t, ctx, `/Say why/.test(document.getElementById("bynumber-error").textContent) && document.activeElement.id === "bynumber-reason"`)
		screenshot(t, ctx, "console2-bynumber.png")
		keys(t, ctx, reason, kb.Enter)
		waitCurrent(t, ctx, target.Number)
		got := s.full(t, target.ID)
		if got.Status != "called" || !strings.Contains(got.CallReason, reason) || !strings.Contains(got.CallReason, staffUser) {
			t.Errorf("after #: %s %s, reason %q; want called with the reason and who", target.Number, got.Status, got.CallReason)
		}
		if got := text(t, ctx, "#current-reason"); !strings.Contains(got, reason) {
			t.Errorf("card reason = %q, want %q", got, reason)
		}
		wantAppt := "Appointment " + apptStart.Format("15:04")
		if got := text(t, ctx, "#current-appt"); !strings.Contains(got, wantAppt) {
			t.Errorf("card appointment = %q, want %q", got, wantAppt)
		}
		waitJS(t, ctx, `[...document.querySelectorAll("#appts li")].some(li => li.dataset.code === `+jsString(code)+` && /checked in/.test(li.textContent))`)
	})

	t.Run("I issues a VIP ticket, which is called first", func(t *testing.T) {
		keys(t, ctx, "i")
		waitJS(t, ctx, `!document.getElementById("issue").hidden`)
		keys(t, ctx, "v", "1")
		waitJS(t, ctx, `!document.getElementById("issue-done").hidden && document.querySelector("[data-issued-number]").textContent !== ""`)
		num := text(t, ctx, "[data-issued-number]")
		screenshot(t, ctx, "console2-issued.png")
		keys(t, ctx, kb.Escape)
		waitJS(t, ctx, `document.getElementById("issue").hidden`)
		var vip servertest.Ticket
		st, body := s.box.Do(s.admin, "GET", "/api/v1/queue?service_id=general", nil, nil)
		var q struct{ Waiting []fullTicket }
		if st != 200 || json.Unmarshal(body, &q) != nil {
			t.Fatalf("queue: %d %s", st, body)
		}
		for _, w := range q.Waiting {
			if w.Number == num {
				vip = w.Ticket
				if w.Priority != 2 {
					t.Errorf("desk ticket %s has priority %d, want 2 (VIP)", num, w.Priority)
				}
			}
		}
		if vip.ID == "" {
			t.Fatalf("desk ticket %s is not waiting: %s", num, body)
		}
		keys(t, ctx, " ")
		waitCurrent(t, ctx, num)
		if got := text(t, ctx, "#current-reason"); !strings.Contains(got, "priority level 2") {
			t.Errorf("card reason for the VIP = %q, want its priority", got)
		}
		if got := text(t, ctx, "#current-extra"); !strings.Contains(got, "VIP") {
			t.Errorf("card extra for the VIP = %q, want VIP", got)
		}
	})

	t.Run("printer out of paper shows a banner", func(t *testing.T) {
		if !eval[bool](t, ctx, `document.getElementById("printer-banner").hidden`) {
			t.Errorf("printer banner shown while the printer is fine: %q", text(t, ctx, "#printer-banner"))
		}
		if err := fp.SetMode(printertest.PaperOut); err != nil {
			t.Fatal(err)
		}
		// The next kiosk ticket finds the printer out of paper.
		s.box.Issue(s.kiosk, "cash")
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!document.getElementById("printer-banner").hidden`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("printer banner did not appear: %v", err)
		}
		if got := text(t, ctx, "#printer-banner"); !strings.Contains(got, "Printer needs attention: paper out · 打印机需要处理：缺纸") {
			t.Errorf("printer banner = %q", got)
		}
		screenshot(t, ctx, "console2-printer.png")
	})
}
