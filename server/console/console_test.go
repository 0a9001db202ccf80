package console_test

import (
	"context"
	"encoding/json"
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

	"queuebox/server/browsertest"
	"queuebox/server/servertest"
)

const (
	staffUser = "alice"
	staffPass = "alice-password-1"
	waitFor   = 10 * time.Second
)

// shiftClock is the real clock moved by an offset, so a test can issue
// tickets "half an hour ago" while the browser keeps its own real clock.
type shiftClock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *shiftClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *shiftClock) set(d time.Duration) {
	c.mu.Lock()
	c.off = d
	c.mu.Unlock()
}

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
	ctx := browsertest.New(t, browsertest.Options{Width: 1366, Height: 768, Timeout: 120 * time.Second})
	watchConsole(t, ctx)
	// The window size includes the browser's own frame; the page gets a desk PC's screen.
	do(t, ctx, chromedp.EmulateViewport(1366, 768))
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
	if err := os.MkdirAll("/tmp/shots", 0o755); err != nil {
		t.Logf("screenshot dir: %v", err)
		return
	}
	p := filepath.Join("/tmp/shots", name)
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
	clock := &shiftClock{}
	s := newSite(t, servertest.Options{Clock: clock})
	if st, body := s.box.Do(s.admin, "PUT", "/api/v1/settings", map[string]any{"max_wait_minutes": 30}, nil); st != 200 {
		t.Fatalf("set max wait: %d %s", st, body)
	}
	// Tickets of different ages, so the list shows every colour and a reason.
	clock.set(-35 * time.Minute)
	overdue := s.box.Issue(s.kiosk, "general")
	s.box.Issue(s.kiosk, "cash")
	clock.set(-12 * time.Minute)
	s.box.Issue(s.kiosk, "general")
	s.issuePriority(t, "general", 2)
	clock.set(-3 * time.Minute)
	s.box.Issue(s.kiosk, "cash")
	clock.set(0)
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
	})

	t.Run("login, choose counter, call next, finish", func(t *testing.T) {
		loginAs(t, ctx, staffUser, staffPass, "/console/")
		waitJS(t, ctx, `!document.getElementById("chooser").hidden && document.querySelector('[data-counter-id="c1"]') !== null`)
		if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
			shot(t, "console-chooser.png", png)
		}
		do(t, ctx, chromedp.Click(chromedp.CSS(`[data-counter-id="c1"]`)))
		waitJS(t, ctx, `document.getElementById("conn").dataset.state === "live" && document.querySelectorAll("#waiting li").length === 6`)
		if got := text(t, ctx, "#next-reason"); !strings.Contains(got, overdue.Number) || !strings.Contains(got, "30-min cap") {
			t.Errorf("next reason = %q, want %s and the cap", got, overdue.Number)
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

	t.Run("a counter with nobody waiting says so", func(t *testing.T) {
		do(t, ctx, setValue("#counter", "c9"))
		waitJS(t, ctx, `document.getElementById("counter").value === "c9" && document.getElementById("current-filled").hidden && !document.getElementById("waiting-empty").hidden`)
		do(t, ctx, chromedp.KeyEvent(" "))
		waitJS(t, ctx, `/Nobody is waiting/.test(document.getElementById("msg").textContent)`)
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

func TestAdmin(t *testing.T) {
	t.Parallel()
	box := servertest.Start(t, servertest.Options{})
	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(box.URL+"/admin/"))
	loginAs(t, ctx, "admin", servertest.AdminPassword, "/admin/")
	waitJS(t, ctx, `document.body.dataset.ready === "1" && document.querySelectorAll("#services-body tr[data-service-id]").length === 3`)
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		shot(t, "console-admin.png", png)
	}
	admin := adminClient(t, box)

	t.Run("validation error next to the field", func(t *testing.T) {
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

	t.Run("settings: error next to the field, then saved", func(t *testing.T) {
		do(t, ctx,
			setValue("#set-tz", "Mars/Olympus"),
			setValue("#set-maxwait", "25"),
			setValue("#hours-sun", ""),
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
			!strings.Contains(string(body), `"max_wait_minutes":25`) || !strings.Contains(string(body), `"sun":""`) {
			t.Errorf("settings after save: %d %s", st, body)
		}
	})

	t.Run("users: add, change role, disable", func(t *testing.T) {
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
		do(t, ctx,
			chromedp.SendKeys(chromedp.CSS("#dev-name"), "Entrance kiosk"),
			chromedp.Click(chromedp.CSS(`#device-form button[type="submit"]`)),
		)
		waitJS(t, ctx, `!document.getElementById("pairing").hidden`)
		waitJS(t, ctx, `document.getElementById("pairing-qr").complete && document.getElementById("pairing-qr").naturalWidth > 0`)
		if png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#devices"))); err == nil {
			shot(t, "console-admin-devices.png", png)
		}
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
