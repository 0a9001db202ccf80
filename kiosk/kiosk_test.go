package kiosk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"queuebox/server/browsertest"
	"queuebox/server/config"
	"queuebox/server/servertest"
)

// env is what the cases share: one chromium tab and the boxes. Both cost
// seconds to start (a box hashes its admin password); a case costs less.
type env struct {
	t     testing.TB
	tab   context.Context
	boxes map[bool]*boxEnv // by closed
	// clockFile shifts the open box's clock (QUEUEBOX_CLOCK_FILE) from the
	// real clock by clockBase, so that it starts where test boxes start
	// (servertest.StartAt), whatever the hour the test runs at.
	clockFile string
	clockBase time.Duration
	mu        sync.Mutex
	active    *kiosk // the case that receives the tab's events
}

type boxEnv struct {
	box   *servertest.Box
	admin *http.Client
}

func newEnv(t testing.TB) *env {
	e := &env{t: t, boxes: map[bool]*boxEnv{}}
	e.tab = browsertest.New(t, browsertest.Options{Width: 1080, Height: 1920, Timeout: 3 * time.Minute})
	err := chromedp.Listen(e.tab, func(ev any) {
		e.mu.Lock()
		k := e.active
		e.mu.Unlock()
		if k != nil {
			k.event(ev)
		}
	})
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	return e
}

// box returns the open-all-day box, or the one closed every day of the week.
func (e *env) box(closed bool) *boxEnv {
	if b := e.boxes[closed]; b != nil {
		return b
	}
	var o servertest.Options
	if !closed {
		e.clockFile = filepath.Join(e.t.TempDir(), "clock-offset")
		e.clockBase = time.Until(servertest.StartAt()).Round(time.Second)
		e.setClockFile(0)
		o.Config = func(c *config.Config) { c.ClockFile = e.clockFile }
	}
	if closed {
		o.Config = func(c *config.Config) {
			for d := range c.Branch.Hours {
				c.Branch.Hours[d] = ""
			}
		}
	}
	box := servertest.Start(e.t, o)
	b := &boxEnv{box: box, admin: box.Admin()}
	e.boxes[closed] = b
	return b
}

// setClockFile sets the open box's clock d from where it started.
func (e *env) setClockFile(d time.Duration) {
	if err := os.WriteFile(e.clockFile, []byte((e.clockBase+d).String()+"\n"), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// kiosk is one case: a freshly paired kiosk on an empty queue.
type kiosk struct {
	t     testing.TB
	box   *servertest.Box
	ctx   context.Context
	token string
	admin *http.Client

	mu       sync.Mutex
	problems []string // console errors, exceptions, CSP violations
	requests []*network.EventRequestWillBeSent
	bytes    map[network.RequestID]float64
}

// open pairs a new kiosk device, empties the queue and opens the kiosk page
// in portrait 1080×1920 with the token in the URL and nothing in storage.
func open(t testing.TB, e *env, closed bool) *kiosk {
	t.Helper()
	b := e.box(closed)
	k := &kiosk{t: t, box: b.box, admin: b.admin, ctx: e.tab, bytes: map[network.RequestID]float64{}}
	for _, tk := range k.queue() {
		if st, body := k.box.Do(k.admin, "POST", "/api/v1/tickets/"+tk.ID+"/cancel", nil, nil); st != 200 {
			t.Fatalf("cancel %s: %d %s", tk.Number, st, body)
		}
	}
	k.token = k.pair()
	if _, err := chromedp.Call(k.ctx, storage.ClearDataForOrigin, storage.ClearDataForOriginParams{Origin: k.box.URL, StorageTypes: "all"}); err != nil {
		t.Fatalf("clear storage: %v", err)
	}
	e.mu.Lock()
	e.active = k
	e.mu.Unlock()
	t.Cleanup(func() {
		// Leave the page so its timers stop before the next case starts.
		chromedp.Do(k.ctx, chromedp.Navigate("about:blank"))
		e.mu.Lock()
		e.active = nil
		e.mu.Unlock()
	})
	k.do(chromedp.EmulateViewport(1080, 1920, chromedp.EmulatePortrait, chromedp.EmulateTouch))
	k.do(chromedp.Navigate(k.box.URL + "/kiosk/?device=" + url.QueryEscape(k.token)))
	return k
}

// pair makes a kiosk device named after the case.
func (k *kiosk) pair() string {
	k.t.Helper()
	var out struct{ Token string }
	st, body := k.box.Do(k.admin, "POST", "/api/v1/devices", map[string]string{"kind": "kiosk", "name": k.deviceName()}, nil)
	if st != 201 || json.Unmarshal(body, &out) != nil || out.Token == "" {
		k.t.Fatalf("create device: %d %s", st, body)
	}
	return out.Token
}

func (k *kiosk) deviceName() string {
	n := k.t.Name()
	if len(n) > 64 {
		n = n[len(n)-64:]
	}
	return n
}

func (k *kiosk) event(ev any) {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		k.requests = append(k.requests, e)
	case *network.EventLoadingFinished:
		k.bytes[e.RequestID] = e.EncodedDataLength
	case *runtime.EventExceptionThrown:
		k.problems = append(k.problems, "exception: "+e.ExceptionDetails.Text+" "+exceptionText(e.ExceptionDetails))
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError {
			k.problems = append(k.problems, "console.error")
		}
	case *log.EventEntryAdded:
		// Chrome logs every 4xx answer; the API's are part of the cases.
		expected := strings.Contains(e.Entry.URL, "/api/v1/") && strings.Contains(e.Entry.Text, "status of 4")
		if e.Entry.Level == log.EntryLevelError && !expected {
			k.problems = append(k.problems, "log: "+e.Entry.Text+" "+e.Entry.URL)
		}
	}
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d.Exception != nil {
		return d.Exception.Description
	}
	return ""
}

func (k *kiosk) do(actions ...chromedp.Action[chromedp.Void]) {
	k.t.Helper()
	if err := chromedp.Do(k.ctx, actions...); err != nil {
		k.t.Fatalf("browser: %v", err)
	}
}

func eval[T any](k *kiosk, js string) T {
	k.t.Helper()
	v, err := chromedp.Run(k.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		k.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitFor polls a JS predicate. The kiosk answers in milliseconds; the long
// limit is for a CI machine under load and the reconnect backoff.
func (k *kiosk) waitFor(js string) {
	k.t.Helper()
	if _, err := chromedp.Run(k.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(15*time.Second), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		k.t.Fatalf("waiting for %s: %v (visible text: %q)", js, err, k.visibleText())
	}
}

func (k *kiosk) visibleText() string {
	v, _ := chromedp.Run(k.ctx, chromedp.Evaluate[string](`document.body.innerText`))
	return v
}

func (k *kiosk) text(sel string) string {
	k.t.Helper()
	v, err := chromedp.Run(k.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		k.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(v)
}

const (
	homeReady   = `!!document.querySelector('#screen-home:not([hidden]) [data-service-id=general]:enabled')`
	ticketShown = `(() => { const e = document.querySelector('#screen-ticket:not([hidden]) [data-ticket-number]'); return !!e && e.textContent.trim() !== '' })()`
	qrLoaded    = `(() => { const i = document.querySelector('[data-ticket-qr]'); return i.complete && i.naturalWidth > 0 })()`
	unpaired    = `!document.getElementById('screen-unpaired').hidden`
	closedShown = `!document.getElementById('screen-closed').hidden`
)

// queue returns the waiting tickets as staff sees them.
func (k *kiosk) queue() []servertest.Ticket {
	k.t.Helper()
	st, body := k.box.Do(k.admin, "GET", "/api/v1/queue", nil, nil)
	var out struct{ Waiting []servertest.Ticket }
	if st != 200 || json.Unmarshal(body, &out) != nil {
		k.t.Fatalf("queue: %d %s", st, body)
	}
	return out.Waiting
}

func (k *kiosk) checkNoProblems() {
	k.t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, p := range k.problems {
		k.t.Errorf("page problem: %s", p)
	}
}

// shot saves a screenshot for people to look at: $QUEUEBOX_SHOTS or a
// "shots" folder in the temp dir.
func (k *kiosk) shot(name string) {
	k.t.Helper()
	browsertest.Shot(k.t, k.ctx, "kiosk-"+name)
}

func decodeQR(t testing.TB, pngBytes []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatalf("png: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatalf("bitmap: %v", err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("decode QR: %v", err)
	}
	return res.GetText()
}

// TestKiosk runs the page cases one after another in one browser tab.
func TestKiosk(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, e *env)
	}{
		{"TapIssuesTicket", testTapIssuesTicket},
		{"DoubleTapMakesOneTicket", testDoubleTapMakesOneTicket},
		{"RetryAfterOutageReusesKey", testRetryAfterOutageReusesKey},
		{"LanguageToggle", testLanguageToggle},
		{"IdleGoesHomeInDefaultLanguage", testIdleGoesHomeInDefaultLanguage},
		{"RevokedDeviceShowsNotPaired", testRevokedDeviceShowsNotPaired},
		{"GoneServiceShowsFriendlyError", testGoneServiceShowsFriendlyError},
		{"WrongClockShowsFriendlySentence", testWrongClockShowsFriendlySentence},
		{"CheckinHookAndPrintStates", testCheckinHookAndPrintStates},
		{"FourServicesKeepTheAppointmentTile", testFourServicesKeepTheAppointmentTile},
		{"ClosedShowsHours", testClosedShowsHours},
		{"ClosedWhileOnHome", testClosedWhileOnHome},
		{"ClosingForToday", testClosingForToday},
		{"NoOutsideRequestsAndSmallPage", testNoOutsideRequestsAndSmallPage},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, e) })
	}
}

func testTapIssuesTicket(t *testing.T, e *env) {
	k := open(t, e, false)
	k.waitFor(homeReady)

	if loc := eval[string](k, `location.href`); strings.Contains(loc, "device=") {
		t.Errorf("address bar still holds the token: %s", loc)
	}
	if got := eval[string](k, `localStorage.getItem('queuebox.kiosk.device')`); got != k.token {
		t.Errorf("stored token = %q, want the pairing token", got)
	}
	if got, want := k.text("#branch"), "Test Branch"; got != want {
		t.Errorf("branch = %q, want %q", got, want)
	}
	if got := k.text("[data-service-id=general] .tile-meta"); got != "无人等候 · 无需等候" {
		t.Errorf("empty general tile says %q", got)
	}
	k.shot("home-portrait")

	// Two people already wait, so the ticket has some to wait for.
	k.box.Issue(k.token, "general")
	k.box.Issue(k.token, "general")
	k.do(chromedp.Click(chromedp.CSS("[data-service-id=general]")))
	k.waitFor(ticketShown)
	number := k.text("[data-ticket-number]")

	q := k.queue()
	if len(q) != 3 {
		t.Fatalf("queue has %d tickets, want 3", len(q))
	}
	tk := q[2]
	if tk.Number != number {
		t.Errorf("screen shows %q, queue's newest ticket is %q", number, tk.Number)
	}
	if got, want := k.text("#ticket-ahead"), "前面还有 2 人"; got != want {
		t.Errorf("ahead line = %q, want %q", got, want)
	}
	if got := k.text("#ticket-ewt"); !strings.Contains(got, "分钟") {
		t.Errorf("wait line = %q, want minutes", got)
	}
	if got, want := k.text("#ticket-service"), "综合业务"; got != want {
		t.Errorf("service line = %q, want %q", got, want)
	}
	if got := k.text("#countdown-text"); !strings.Contains(got, "秒后返回首页") {
		t.Errorf("countdown = %q", got)
	}
	// Printing is off on the test box: only the QR hint, no print line.
	if eval[bool](k, `!document.getElementById('ticket-print').hidden`) {
		t.Errorf("print line shown with printing disabled: %q", k.text("#ticket-print"))
	}

	k.waitFor(qrLoaded)
	if src := eval[string](k, `document.querySelector('[data-ticket-qr]').getAttribute('src')`); src != "/t/"+tk.Token+"/qr.png?lang=zh" {
		t.Errorf("QR src = %q", src)
	}
	qr, err := chromedp.Run(k.ctx, chromedp.Screenshot(chromedp.CSS("[data-ticket-qr]")))
	if err != nil {
		t.Fatalf("QR screenshot: %v", err)
	}
	// The phone opens in the language the customer used at the kiosk.
	if got := decodeQR(t, qr); got != tk.StatusURL+"?lang=zh" {
		t.Errorf("QR says %q, want status_url %q with ?lang=zh", got, tk.StatusURL)
	}
	k.shot("ticket-portrait")

	// Done goes home at once, and the tile now counts the new ticket.
	k.do(chromedp.Click(chromedp.CSS("#done")))
	k.waitFor(homeReady)
	k.waitFor(`document.querySelector('[data-service-id=general] .tile-meta').textContent.startsWith('3 人等候')`)

	k.do(chromedp.EmulateViewport(1920, 1080, chromedp.EmulateLandscape, chromedp.EmulateTouch))
	k.waitFor(homeReady)
	k.shot("home-landscape")
	k.do(chromedp.Click(chromedp.CSS("[data-service-id=cash]")))
	k.waitFor(ticketShown)
	k.waitFor(qrLoaded)
	k.shot("ticket-landscape")
	k.checkNoProblems()
}

func testDoubleTapMakesOneTicket(t *testing.T, e *env) {
	k := open(t, e, false)
	k.waitFor(homeReady)

	// Two click events in the same task: the second lands before any answer.
	eval[bool](k, `(() => { const b = document.querySelector('[data-service-id=general]'); b.click(); b.click(); return true })()`)
	k.waitFor(ticketShown)
	if n := len(k.queue()); n != 1 {
		t.Errorf("synchronous double tap: %d tickets, want 1", n)
	}

	k.do(chromedp.Click(chromedp.CSS("#done")))
	k.waitFor(homeReady)
	// A real double tap: two presses of the finger in quick succession.
	k.do(chromedp.DoubleClick(chromedp.CSS("[data-service-id=general]")))
	k.waitFor(ticketShown)
	time.Sleep(300 * time.Millisecond) // a second request, had there been one, lands by now
	if n := len(k.queue()); n != 2 {
		t.Errorf("after a mouse double click: %d tickets, want 2", n)
	}

	k.mu.Lock()
	keys := map[string]int{}
	for _, r := range k.requests {
		if r.Request.Method == "POST" && strings.HasSuffix(r.Request.URL, "/api/v1/tickets") {
			keys[headerValue(r.Request.Headers, "Idempotency-Key")]++
		}
	}
	k.mu.Unlock()
	if len(keys) != 2 {
		t.Errorf("ticket requests by key: %v, want two distinct keys, one request each", keys)
	}
	for key, n := range keys {
		if key == "" || n != 1 {
			t.Errorf("key %q sent %d times", key, n)
		}
	}
	k.checkNoProblems()
}

func headerValue(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

func testRetryAfterOutageReusesKey(t *testing.T, e *env) {
	k := open(t, e, false)
	k.waitFor(homeReady)

	k.box.Stop()
	accepted := eval[bool](k, `(() => { const b = document.querySelector('[data-service-id=general]'); b.click(); return b.classList.contains('pending') })()`)
	if !accepted {
		t.Skip("the page noticed the outage before the tap; nothing to retry")
	}
	k.waitFor(`!document.getElementById('reconnecting').hidden`)
	if eval[bool](k, `document.querySelector('[data-service-id=cash]').disabled === false`) {
		t.Errorf("tiles stay enabled while the box is unreachable")
	}
	k.shot("reconnecting")
	k.box.Restart()
	k.waitFor(ticketShown)
	k.waitFor(`document.getElementById('reconnecting').hidden`)
	q := k.queue()
	if len(q) != 1 || q[0].Number != k.text("[data-ticket-number]") {
		t.Errorf("after the outage the queue is %+v, screen shows %q", q, k.text("[data-ticket-number]"))
	}
	k.mu.Lock()
	keys := map[string]int{}
	for _, r := range k.requests {
		if r.Request.Method == "POST" && strings.HasSuffix(r.Request.URL, "/api/v1/tickets") {
			keys[headerValue(r.Request.Headers, "Idempotency-Key")]++
		}
	}
	k.mu.Unlock()
	if len(keys) != 1 {
		t.Errorf("ticket requests by key: %v, want every try under one key", keys)
	}
	for key, n := range keys {
		if n < 2 {
			t.Errorf("key %q sent %d times, want the failed try and the retry", key, n)
		}
	}
}

func testLanguageToggle(t *testing.T, e *env) {
	k := open(t, e, false)
	k.waitFor(homeReady)

	tests := []struct {
		lang, name, prompt, meta string
	}{
		{"en", "General", "Please choose a service", "No one waiting · no wait"},
		{"zh", "综合业务", "请选择您要办理的业务", "无人等候 · 无需等候"},
		{"en", "General", "Please choose a service", "No one waiting · no wait"},
	}
	if got := k.text("[data-service-id=general] .tile-name"); got != "综合业务" {
		t.Errorf("default tile name = %q, want Chinese", got)
	}
	for _, tt := range tests {
		k.do(chromedp.Click(chromedp.CSS("[data-lang=" + tt.lang + "]")))
		if got := k.text("[data-service-id=general] .tile-name"); got != tt.name {
			t.Errorf("%s: tile name = %q, want %q", tt.lang, got, tt.name)
		}
		if got := k.text(".prompt"); got != tt.prompt {
			t.Errorf("%s: prompt = %q, want %q", tt.lang, got, tt.prompt)
		}
		if got := k.text("[data-service-id=general] .tile-meta"); got != tt.meta {
			t.Errorf("%s: tile meta = %q, want %q", tt.lang, got, tt.meta)
		}
		if got := eval[string](k, `document.documentElement.lang`); !strings.HasPrefix(got, tt.lang) {
			t.Errorf("%s: html lang = %q", tt.lang, got)
		}
	}
	k.shot("home-portrait-en")

	if missing := eval[[]string](k, `QB.text.missing()`); len(missing) > 0 {
		t.Errorf("half-translated: %v", missing)
	}

	// A reload mid-visit keeps the customer's language.
	k.do(chromedp.Reload())
	k.waitFor(homeReady)
	if got := k.text("[data-service-id=general] .tile-name"); got != "General" {
		t.Errorf("after reload tile name = %q, want English kept", got)
	}
	k.do(chromedp.Click(chromedp.CSS("[data-service-id=cash]")))
	k.waitFor(ticketShown)
	if got, want := k.text("#ticket-ahead"), "You are next"; got != want {
		t.Errorf("ticket ahead = %q, want %q", got, want)
	}
	if got := k.text(".ticket-qr figcaption"); got != "Scan to follow your turn on your phone" {
		t.Errorf("QR hint = %q", got)
	}
	k.checkNoProblems()
}

// The page's clock is moved on by hand: the idle rules are tens of seconds,
// too long to wait for in a test.
func testIdleGoesHomeInDefaultLanguage(t *testing.T, e *env) {
	k := open(t, e, false)
	added, err := chromedp.Call(k.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `(() => { const now = Date.now.bind(Date); window.skewMS = 0; Date.now = () => now() + window.skewMS; })()`,
	})
	if err != nil {
		t.Fatalf("add clock: %v", err)
	}
	t.Cleanup(func() {
		chromedp.Call(k.ctx, page.RemoveScriptToEvaluateOnNewDocument, page.RemoveScriptToEvaluateOnNewDocumentParams{Identifier: added.Identifier})
	})
	k.do(chromedp.Reload())
	k.waitFor(homeReady)
	skip := func(ms int) { eval[bool](k, fmt.Sprintf(`(window.skewMS += %d, true)`, ms)) }
	tileName := `document.querySelector('[data-service-id=general] .tile-name').textContent`

	k.do(chromedp.Click(chromedp.CSS("[data-lang=en]")))
	k.do(chromedp.Click(chromedp.CSS("[data-service-id=general]")))
	k.waitFor(ticketShown)
	skip(14_000)
	k.waitFor(`document.getElementById('countdown-text').textContent.startsWith('Back to the start in 1 s')`)
	// The last seconds are announced, and say that a touch keeps the number.
	if got := k.text("#idle-note"); !strings.Contains(got, "Touch the screen to keep") {
		t.Errorf("ticket screen before going home says %q, want that a touch keeps it", got)
	}
	skip(2_000)
	k.waitFor(homeReady + ` && ` + tileName + ` === '综合业务'`)

	// On home, only the language goes back, after a longer quiet spell.
	k.do(chromedp.Click(chromedp.CSS("[data-lang=en]")))
	skip(30_000)
	time.Sleep(300 * time.Millisecond) // a tick of the page's clock
	if got := eval[string](k, tileName); got != "General" {
		t.Errorf("after 30 s on home: %q, want English kept", got)
	}
	skip(31_000)
	k.waitFor(tileName + ` === '综合业务'`)
	if n := len(k.queue()); n != 1 {
		t.Errorf("%d tickets, want 1", n)
	}
	k.checkNoProblems()
}

func testRevokedDeviceShowsNotPaired(t *testing.T, e *env) {
	k := open(t, e, false)
	k.waitFor(homeReady)

	st, body := k.box.Do(k.admin, "GET", "/api/v1/devices", nil, nil)
	var devs []struct{ ID, Name string }
	if st != 200 || json.Unmarshal(body, &devs) != nil {
		t.Fatalf("devices: %d %s", st, body)
	}
	var id string
	for _, d := range devs {
		if d.Name == k.deviceName() {
			id = d.ID
		}
	}
	if st, body := k.box.Do(k.admin, "DELETE", "/api/v1/devices/"+id, nil, nil); st != 204 {
		t.Fatalf("revoke %s: %d %s", id, st, body)
	}

	// The next tap finds out at once; no ticket comes of it.
	k.do(chromedp.Click(chromedp.CSS("[data-service-id=general]")))
	k.waitFor(unpaired)
	if got := k.visibleText(); !strings.Contains(got, "This kiosk is not paired") || !strings.Contains(got, "此自助机尚未配对") {
		t.Errorf("not-paired screen says %q", got)
	}
	if n := len(k.queue()); n != 0 {
		t.Errorf("revoked kiosk made %d tickets", n)
	}
	k.shot("unpaired")

	// A revoked token given again in the URL is refused the same way.
	k.do(chromedp.Navigate(k.box.URL + "/kiosk/?device=" + url.QueryEscape(k.token)))
	k.waitFor(unpaired)
	if eval[bool](k, `!!document.querySelector('[data-service-id]:not([hidden])') && !document.getElementById('app').hidden`) {
		t.Errorf("service tiles still reachable on a revoked kiosk")
	}

	// And a kiosk that was never paired says so too.
	k.do(chromedp.Evaluate[chromedp.Void](`localStorage.clear()`))
	k.do(chromedp.Navigate(k.box.URL + "/kiosk/"))
	k.waitFor(unpaired)
}

func testGoneServiceShowsFriendlyError(t *testing.T, e *env) {
	b := e.box(false)
	svc := map[string]any{"id": "temp", "prefix": "T", "name": "Temp", "avg_service_seconds": 60}
	if st, body := b.box.Do(b.admin, "POST", "/api/v1/services", svc, nil); st != 201 {
		t.Fatalf("add service: %d %s", st, body)
	}
	k := open(t, e, false)
	k.waitFor(homeReady)
	// Removed by the admin after the kiosk last refreshed its tiles.
	if st, body := k.box.Do(k.admin, "DELETE", "/api/v1/services/temp", nil, nil); st != 204 {
		t.Fatalf("delete service: %d %s", st, body)
	}
	k.do(chromedp.Click(chromedp.CSS("[data-service-id=temp]")))
	k.waitFor(`!document.getElementById('screen-error').hidden`)
	msg := k.text("#error-message")
	for _, want := range []string{"该业务现在无法取号，请选择其他业务。", "This service cannot give tickets right now. Please choose another one."} {
		if !strings.Contains(msg, want) {
			t.Errorf("error message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "{") || strings.Contains(msg, "unknown") || strings.Contains(msg, "404") {
		t.Errorf("error message shows internals: %q", msg)
	}
	if n := eval[int](k, `document.querySelectorAll('#screen-error button').length`); n != 1 {
		t.Errorf("error screen has %d buttons, want one way forward", n)
	}
	k.shot("error")
	k.do(chromedp.Click(chromedp.CSS("#error-action")))
	k.waitFor(homeReady)
	k.waitFor(`!document.querySelector('[data-service-id=temp]')`)
	k.checkNoProblems()
}

// A box that distrusts its clock gives no number; the kiosk says why in
// both languages, never with a code, and lets the customer try again.
func testWrongClockShowsFriendlySentence(t *testing.T, e *env) {
	k := open(t, e, false)
	k.waitFor(homeReady)
	setClock := func(offset time.Duration, trusted bool) {
		t.Helper()
		e.setClockFile(offset)
		for i := 0; ; i++ {
			var st struct{ Trusted bool }
			code, body := k.box.Do(k.admin, "GET", "/api/v1/clock", nil, nil)
			if code != 200 || json.Unmarshal(body, &st) != nil {
				t.Fatalf("GET /clock: %d %s", code, body)
			}
			if st.Trusted == trusted {
				return
			}
			if i > 400 {
				t.Fatalf("the box never saw the clock at %s", offset)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	setClock(3*time.Hour, false) // stepped far ahead while running
	t.Cleanup(func() { setClock(0, true) })
	k.do(chromedp.Click(chromedp.CSS("[data-service-id=general]")))
	k.waitFor(`!document.getElementById('screen-error').hidden`)
	msg := k.text("#error-message")
	for _, want := range []string{"取号机正在校准时间", "this machine is setting its clock"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "clock_untrusted") || strings.Contains(msg, "409") {
		t.Errorf("error message shows internals: %q", msg)
	}
	k.shot("clock-untrusted")
	// Once the clock is right again, trying again gives the ticket.
	setClock(0, true)
	k.do(chromedp.Click(chromedp.CSS("#error-action")))
	k.waitFor(ticketShown)
	k.checkNoProblems()
}

// With four services (long names, in English) the "I have an appointment"
// tile must still be on screen, whole, in portrait and in landscape.
func testFourServicesKeepTheAppointmentTile(t *testing.T, e *env) {
	b := e.box(false)
	// A three-letter prefix, as the config allows: its mark must hold it.
	svc := map[string]any{"id": "business", "prefix": "CFX", "name": "Business accounts and foreign exchange",
		"names": map[string]string{"zh": "对公业务与外汇", "en": "Business accounts and foreign exchange"}, "avg_service_seconds": 600}
	if st, body := b.box.Do(b.admin, "POST", "/api/v1/services", svc, nil); st != 201 {
		t.Fatalf("add service: %d %s", st, body)
	}
	t.Cleanup(func() { b.box.Do(b.admin, "DELETE", "/api/v1/services/business", nil, nil) })
	k := open(t, e, false)
	k.waitFor(homeReady + ` && document.querySelectorAll('[data-service-id]').length === 4 && !!document.querySelector('[data-checkin]')`)
	whole := `(function () {
  var r = document.querySelector('[data-checkin]').getBoundingClientRect();
  return r.top >= 0 && r.bottom <= innerHeight && r.height >= 64;
})()`
	// No tile's mark covers its name (stacked in two rows, a long name
	// once slid under the mark).
	apart := `[...document.querySelectorAll('.tile')].filter(t => {
  const m = t.querySelector('.tile-mark').getBoundingClientRect(), n = t.querySelector('.tile-name').getBoundingClientRect();
  return !(m.right <= n.left + 1 || n.right <= m.left + 1 || m.bottom <= n.top + 1 || n.bottom <= m.top + 1);
}).map(t => t.textContent)`
	markCut := `[...document.querySelectorAll('.tile-mark')].filter(m => m.scrollWidth > m.clientWidth + 1).map(m => m.textContent)`
	for _, lang := range []string{"zh", "en"} {
		k.do(chromedp.Click(chromedp.CSS(`[data-lang=` + lang + `]`)))
		k.do(chromedp.EmulateViewport(1080, 1920, chromedp.EmulatePortrait, chromedp.EmulateTouch))
		if !eval[bool](k, whole) {
			t.Errorf("%s portrait: the appointment tile is not wholly on screen", lang)
		}
		if over := eval[[]string](k, apart); len(over) > 0 {
			t.Errorf("%s portrait: the mark covers the name in %q", lang, over)
		}
		if cut := eval[[]string](k, markCut); len(cut) > 0 {
			t.Errorf("%s portrait: the prefix does not fit its mark in %q", lang, cut)
		}
		k.shot("home-four-services-" + lang)
		k.do(chromedp.EmulateViewport(1920, 1080, chromedp.EmulateLandscape, chromedp.EmulateTouch))
		if !eval[bool](k, whole) {
			t.Errorf("%s landscape: the appointment tile is not wholly on screen", lang)
		}
		if over := eval[[]string](k, apart); len(over) > 0 {
			t.Errorf("%s landscape: the mark covers the name in %q", lang, over)
		}
		if cut := eval[[]string](k, markCut); len(cut) > 0 {
			t.Errorf("%s landscape: the prefix does not fit its mark in %q", lang, cut)
		}
		k.shot("home-four-services-landscape-" + lang)
	}
	k.do(chromedp.EmulateViewport(1080, 1920, chromedp.EmulatePortrait, chromedp.EmulateTouch))
	k.checkNoProblems()
}

// The check-in flow is another script; a stand-in registers through the
// same hook and hands the kiosk tickets whose print state varies.
func testCheckinHookAndPrintStates(t *testing.T, e *env) {
	k := open(t, e, false)
	// checkin.js registers the real flow on load; the stand-in replaces it.
	k.waitFor(homeReady + ` && !!document.querySelector('[data-checkin]')`)
	k.do(chromedp.Evaluate[chromedp.Void](`window.queueboxKiosk.registerCheckin({
		start(el, api) { el.textContent = 'keypad'; window.checkinAPI = api; },
	})`))
	k.waitFor(`!!document.querySelector('[data-checkin]')`)
	if got := k.text("[data-checkin] .tile-name"); got != "我有预约" {
		t.Errorf("appointment tile = %q", got)
	}
	k.shot("home-with-appointment")
	k.do(chromedp.Click(chromedp.CSS("[data-checkin]")))
	k.waitFor(`!document.getElementById('screen-checkin').hidden && !!window.checkinAPI`)

	tk := k.box.Issue(k.token, "advice")
	raw, _ := json.Marshal(tk)
	tests := []struct {
		print string // "" leaves the field out
		want  string // "" is no print line
	}{
		{"", ""},
		{"disabled", ""},
		{"queued", "正在打印…"},
		{"printing", "正在打印…"},
		{"printed", "已打印，请取走您的号票"},
		{"failed", "打印机不可用 — 请扫描二维码"},
	}
	for _, tt := range tests {
		js := `(() => { const tk = ` + string(raw) + `; if (` + jsString(tt.print) + `) tk.print = ` + jsString(tt.print) + `; window.checkinAPI.showTicket(tk); return true })()`
		eval[bool](k, js)
		k.waitFor(ticketShown)
		got := ""
		if eval[bool](k, `!document.getElementById('ticket-print').hidden`) {
			got = k.text("#ticket-print")
		}
		if got != tt.want {
			t.Errorf("print %q: line %q, want %q", tt.print, got, tt.want)
		}
		if k.text("[data-ticket-number]") != tk.Number {
			t.Errorf("print %q: number %q, want %q", tt.print, k.text("[data-ticket-number]"), tk.Number)
		}
	}
	k.waitFor(qrLoaded)
	k.shot("ticket-printer-failed")
	k.checkNoProblems()
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func testClosedShowsHours(t *testing.T, e *env) {
	k := open(t, e, true)
	k.waitFor(closedShown)
	if eval[bool](k, `!document.getElementById('screen-home').hidden`) {
		t.Errorf("home is visible while closed")
	}
	rows := eval[[]string](k, `[...document.querySelectorAll('#hours-body tr')].map(r => r.innerText.replace(/\s+/g, ' ').trim())`)
	if len(rows) != 7 {
		t.Fatalf("hours table has %d rows, want 7: %v", len(rows), rows)
	}
	for _, r := range rows {
		if !strings.HasSuffix(r, "休息") {
			t.Errorf("row %q, want closed", r)
		}
	}
	if got := k.text("#closed-today"); got != "今天休息" {
		t.Errorf("today line = %q", got)
	}
	if n := eval[int](k, `document.querySelectorAll('#screen-closed button, #screen-closed [data-service-id]').length`); n != 0 {
		t.Errorf("closed screen offers %d buttons", n)
	}
	if !eval[bool](k, `document.getElementById('closed-next').hidden`) {
		t.Errorf("closed every day, yet the screen says when it opens: %q", k.text("#closed-next"))
	}
	k.shot("closed")
	if n := len(k.queue()); n != 0 {
		t.Errorf("%d tickets while closed", n)
	}

	// Open only tomorrow (in the branch's zone): the screen says so.
	st, body := k.box.Do(k.admin, "GET", "/api/v1/settings", nil, nil)
	if st != 200 {
		t.Fatalf("settings: %d %s", st, body)
	}
	var set map[string]any
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation(set["timezone"].(string))
	if err != nil {
		t.Fatal(err)
	}
	tomorrow := strings.ToLower(k.box.Now().In(loc).AddDate(0, 0, 1).Weekday().String()[:3])
	hours := map[string]string{"mon": "", "tue": "", "wed": "", "thu": "", "fri": "", "sat": "", "sun": ""}
	hours[tomorrow] = "09:30-12:00,13:00-17:00"
	set["hours"] = hours
	if st, body := k.box.Do(k.admin, "PUT", "/api/v1/settings", set, nil); st != 200 {
		t.Fatalf("put settings: %d %s", st, body)
	}
	t.Cleanup(func() {
		set["hours"] = map[string]string{"mon": "", "tue": "", "wed": "", "thu": "", "fri": "", "sat": "", "sun": ""}
		k.box.Do(k.admin, "PUT", "/api/v1/settings", set, nil)
	})
	k.do(chromedp.Reload())
	k.waitFor(closedShown + ` && !document.getElementById('closed-next').hidden`)
	if got := k.text("#closed-next"); got != "明天 09:30 开始营业" {
		t.Errorf("next opening = %q, want 明天 09:30 开始营业", got)
	}
	if got := eval[string](k, `document.activeElement.tagName`); got == "BODY" {
		t.Errorf("focus is on the body after the screen changed, want the screen's heading")
	}
	k.shot("closed-opens-tomorrow")
	k.checkNoProblems()
}

// The manager stops issuing for the day: a tap is answered 409
// issuing_stopped, and the kiosk says kindly that the branch is closing.
func testClosingForToday(t *testing.T, e *env) {
	k := open(t, e, false)
	k.waitFor(homeReady)
	if st, body := k.box.Do(k.admin, "PUT", "/api/v1/issuing", map[string]bool{"stopped": true}, nil); st != 200 {
		t.Fatalf("stop issuing: %d %s", st, body)
	}
	t.Cleanup(func() { k.box.Do(k.admin, "PUT", "/api/v1/issuing", map[string]bool{"stopped": false}, nil) })
	k.do(chromedp.Click(chromedp.CSS("[data-service-id=general]")))
	k.waitFor(closedShown + ` && document.getElementById('screen-closed').dataset.closing === '1'`)
	if got := k.text(".closed-title"); got != "我们今天即将结束营业" {
		t.Errorf("title = %q", got)
	}
	if got := k.text(".closed-hint"); !strings.Contains(got, "正在等候的客户仍会办理") {
		t.Errorf("hint = %q", got)
	}
	k.shot("closing-for-today")
	if n := len(k.queue()); n != 0 {
		t.Errorf("%d tickets after issuing stopped", n)
	}
	// Resumed: the kiosk comes back by itself at its next refresh.
	if st, body := k.box.Do(k.admin, "PUT", "/api/v1/issuing", map[string]bool{"stopped": false}, nil); st != 200 {
		t.Fatalf("resume issuing: %d %s", st, body)
	}
	k.waitFor(homeReady)
	k.checkNoProblems()
}

func testClosedWhileOnHome(t *testing.T, e *env) {
	k := open(t, e, false)
	k.waitFor(homeReady)

	// The branch closes between two refreshes: the box's 409 is what tells.
	// It is closed today (by the box's clock, in the branch's zone) and
	// open the other days, whatever the hour.
	today := strings.ToLower(k.box.Now().In(servertest.Location()).Weekday().String()[:3])
	week := []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	hours := map[string]string{}
	for _, d := range week {
		hours[d] = "09:00-12:00,13:00-17:00"
	}
	hours[today] = ""
	if st, body := k.box.Do(k.admin, "PUT", "/api/v1/settings", map[string]any{"hours": hours}, nil); st != 200 {
		t.Fatalf("settings: %d %s", st, body)
	}
	t.Cleanup(func() {
		open := map[string]string{}
		for d := range hours {
			open[d] = "00:00-24:00"
		}
		k.box.Do(k.admin, "PUT", "/api/v1/settings", map[string]any{"hours": open}, nil)
	})
	k.do(chromedp.Click(chromedp.CSS("[data-service-id=general]")))
	k.waitFor(closedShown)
	if n := len(k.queue()); n != 0 {
		t.Errorf("%d tickets after closing", n)
	}
	// The closed screen comes at once; the new hours follow with a refresh.
	k.waitFor(`!document.querySelector('#hours-body tr').innerText.includes('全天营业')`)
	rows := eval[[]string](k, `[...document.querySelectorAll('#hours-body tr')].map(r => r.innerText.replace(/\s+/g, ' ').trim())`)
	if len(rows) != 7 {
		t.Fatalf("hours rows = %v, want a row a day", rows)
	}
	for i, d := range week {
		want := "09:00–12:00, 13:00–17:00"
		if d == today {
			want = "休息"
		}
		if !strings.HasSuffix(rows[i], want) {
			t.Errorf("hours row %s = %q, want it to end %q", d, rows[i], want)
		}
	}
	if got := eval[int](k, `[...document.querySelectorAll('#hours-body tr')].findIndex(r => r.classList.contains('today'))`); got < 0 || week[got] != today {
		t.Errorf("row %d is marked today, want %s's", got, today)
	}
	k.checkNoProblems()
}

func testNoOutsideRequestsAndSmallPage(t *testing.T, e *env) {
	k := open(t, e, false)
	k.waitFor(homeReady)
	k.do(chromedp.Click(chromedp.CSS("[data-service-id=general]")))
	k.waitFor(ticketShown)
	k.waitFor(qrLoaded)
	time.Sleep(200 * time.Millisecond) // let the last loadingFinished arrive

	box, _ := url.Parse(k.box.URL)
	k.mu.Lock()
	defer k.mu.Unlock()
	var total float64
	var static float64 // documents, scripts, styles, images: what the kiosk downloads to show itself
	for _, r := range k.requests {
		u, err := url.Parse(r.Request.URL)
		if err != nil || u.Host != box.Host {
			t.Errorf("request to another host: %s", r.Request.URL)
		}
		n := k.bytes[r.RequestID]
		total += n
		switch r.Type {
		case network.ResourceTypeDocument, network.ResourceTypeScript, network.ResourceTypeStylesheet, network.ResourceTypeImage, network.ResourceTypeFont:
			static += n
		}
	}
	t.Logf("page weight %.1f KB; everything incl. API calls and the QR %.1f KB over %d requests", static/1024, total/1024, len(k.requests))
	if total > 150*1024 {
		t.Errorf("transferred %.0f bytes, want at most 150 KB", total)
	}
	if static == 0 {
		t.Errorf("measured no page bytes: the measurement is broken")
	}
	for _, p := range k.problems {
		t.Errorf("page problem: %s", p)
	}
}

// BenchmarkTapToTicket times 50 taps per op (ns/op is for all 50); ms-p50
// and ms-p99 are per tap.
func BenchmarkTapToTicket(b *testing.B) {
	k := open(b, newEnv(b), false)
	k.waitFor(homeReady)
	// Timed in the page: from the click to the first frame that shows the
	// number, so the DevTools round trips of the test are not counted.
	const tap = `new Promise(done => {
		const el = document.querySelector('[data-ticket-number]');
		const before = el.textContent;
		const t0 = performance.now();
		const seen = () => {
			if (!document.getElementById('screen-ticket').hidden && el.textContent && el.textContent !== before) {
				obs.disconnect();
				requestAnimationFrame(() => done(performance.now() - t0));
			}
		};
		const obs = new MutationObserver(seen);
		obs.observe(document.getElementById('main'), {subtree: true, childList: true, characterData: true, attributes: true});
		document.querySelector('[data-service-id=general]').click();
	})`
	const taps = 50
	var ms []float64
	for b.Loop() {
		for range taps {
			v, err := chromedp.Run(k.ctx, chromedp.Evaluate[float64](tap, chromedp.EvalAwaitPromise))
			if err != nil {
				b.Fatalf("tap: %v", err)
			}
			ms = append(ms, v)
			eval[bool](k, `(document.getElementById('done').click(), true)`)
			k.waitFor(homeReady)
		}
	}
	sort.Float64s(ms)
	pct := func(p float64) float64 { return ms[int(p*float64(len(ms)-1)+0.5)] }
	b.ReportMetric(pct(0.50), "ms-p50")
	b.ReportMetric(pct(0.99), "ms-p99")
	b.ReportMetric(float64(len(ms)), "taps")
}
