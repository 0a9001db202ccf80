package kiosk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"queuebox/server/browsertest"
	"queuebox/server/config"
	"queuebox/server/servertest"
)

// bookPage is one box with the booking page open in a phone-sized tab.
type bookPage struct {
	t   testing.TB
	box *servertest.Box
	ctx context.Context

	mu       sync.Mutex
	problems []string // exceptions, console errors, CSP violations
	outage   bool     // the box is stopped on purpose: failed requests are expected
	requests []*network.EventRequestWillBeSent
	bytes    map[network.RequestID]float64
}

// bookOptions shape one case: the box, and the browser's language ("" is
// headless chromium's own, English).
type bookOptions struct {
	box    servertest.Options
	locale string
}

// openBook starts a box and opens /book/ in a new 390×844 tab of browser.
// Each box has its own port, so its own origin and localStorage.
func openBook(t testing.TB, browser context.Context, o bookOptions) *bookPage {
	t.Helper()
	box := servertest.Start(t, o.box)
	p := &bookPage{t: t, box: box, bytes: map[network.RequestID]float64{}}
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	p.ctx = ctx
	if err := chromedp.Listen(ctx, p.event); err != nil {
		t.Fatalf("listen: %v", err)
	}
	p.do(chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch))
	if o.locale != "" {
		// navigator.language follows the Accept-Language override.
		ua := bookEval[string](p, `navigator.userAgent`)
		if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: o.locale}); err != nil {
			t.Fatalf("language: %v", err)
		}
	}
	p.do(chromedp.Navigate(box.URL + "/book/"))
	return p
}

func (p *bookPage) event(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		p.requests = append(p.requests, e)
	case *network.EventLoadingFinished:
		p.bytes[e.RequestID] = e.EncodedDataLength
	case *runtime.EventExceptionThrown:
		msg := e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			msg += " " + e.ExceptionDetails.Exception.Description
		}
		p.problems = append(p.problems, "exception: "+msg)
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError {
			p.problems = append(p.problems, "console.error")
		}
	case *log.EventEntryAdded:
		// Chrome logs every 4xx answer; the API's are part of the cases.
		expected := strings.Contains(e.Entry.URL, "/api/v1/") &&
			(strings.Contains(e.Entry.Text, "status of 4") || p.outage && strings.Contains(e.Entry.Text, "ERR_CONNECTION_REFUSED"))
		if e.Entry.Level == log.EntryLevelError && !expected {
			p.problems = append(p.problems, "log: "+e.Entry.Text+" "+e.Entry.URL)
		}
	}
}

func (p *bookPage) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, actions...); err != nil {
		p.t.Fatalf("browser: %v (visible text: %q)", err, p.visibleText())
	}
}

func bookEval[T any](p *bookPage, js string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// waitFor polls a JS predicate. The box answers in milliseconds; the
// timeout only bounds a broken page.
func (p *bookPage) waitFor(js string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		p.t.Fatalf("waiting for %s: %v (visible text: %q)", js, err, p.visibleText())
	}
}

func (p *bookPage) visibleText() string {
	ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
	defer cancel()
	v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	return v
}

func (p *bookPage) text(sel string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(v)
}

func (p *bookPage) click(sel string) {
	p.t.Helper()
	p.do(chromedp.Click(chromedp.CSS(sel)))
}

func (p *bookPage) typeInto(sel, text string) {
	p.t.Helper()
	p.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// clear empties a field the way a person would, so the page hears it.
func (p *bookPage) clear(sel string) {
	p.t.Helper()
	bookEval[bool](p, fmt.Sprintf(`(() => { const f = document.querySelector(%q); f.value = ''; f.dispatchEvent(new Event('input', {bubbles: true})); return true })()`, sel))
}

func bookView(name string) string {
	return `!document.getElementById('view-` + name + `').hidden`
}

// bookSlotReady is true once the grid shows the slot starting at start.
func bookSlotReady(start string) string {
	return fmt.Sprintf(`document.getElementById('slots-loading').hidden && !!document.querySelector('#slots [data-start=%q]')`, start)
}

func (p *bookPage) checkNoProblems() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.problems {
		p.t.Errorf("page problem: %s", m)
	}
}

// posted counts the POST requests the page sent to path.
func (p *bookPage) posted(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.requests {
		if r.Request.Method == "POST" && strings.HasSuffix(strings.SplitN(r.Request.URL, "?", 2)[0], path) {
			n++
		}
	}
	return n
}

// shot saves a screenshot for people to look at: $QUEUEBOX_SHOTS or a
// "shots" folder in the temp dir.
func (p *bookPage) shot(name string) {
	p.t.Helper()
	browsertest.Shot(p.t, p.ctx, "book-"+name)
}

// --- the box's side, through the API ---

type bookSlot struct {
	Start     string `json:"start"`
	End       string `json:"end"`
	Capacity  int    `json:"capacity"`
	Available int    `json:"available"`
}

type bookAppt struct {
	Code      string    `json:"code"`
	ServiceID string    `json:"service_id"`
	Start     time.Time `json:"start"`
	Status    string    `json:"status"`
}

var bookZone = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// bookDate is the test branch's date days from the test boxes' today.
func bookDate(days int) string {
	return servertest.StartAt().In(bookZone).AddDate(0, 0, days).Format("2006-01-02")
}

func (p *bookPage) slots(service, date string) []bookSlot {
	p.t.Helper()
	st, body := p.box.Do(nil, "GET", "/api/v1/slots?service_id="+service+"&date="+date, nil, nil)
	var out []bookSlot
	if st != 200 || json.Unmarshal(body, &out) != nil {
		p.t.Fatalf("slots %s %s: %d %s", service, date, st, body)
	}
	return out
}

// freeSlots are the slots of a day with a place left.
func (p *bookPage) freeSlots(service, date string) []bookSlot {
	p.t.Helper()
	var out []bookSlot
	for _, s := range p.slots(service, date) {
		if s.Available > 0 {
			out = append(out, s)
		}
	}
	if len(out) < 2 {
		p.t.Fatalf("%s on %s has %d free slots, want at least 2", service, date, len(out))
	}
	return out
}

func (p *bookPage) book(service, start, name, phone string) bookAppt {
	p.t.Helper()
	st, body := p.box.Do(nil, "POST", "/api/v1/appointments", map[string]string{"service_id": service, "start": start, "name": name, "phone": phone}, nil)
	var a bookAppt
	if st != 201 || json.Unmarshal(body, &a) != nil {
		p.t.Fatalf("book %s: %d %s", start, st, body)
	}
	return a
}

func (p *bookPage) appointment(code, phone string) bookAppt {
	p.t.Helper()
	st, body := p.box.Do(nil, "GET", "/api/v1/appointments/"+code+"?phone="+url.QueryEscape(phone), nil, nil)
	var a bookAppt
	if st != 200 || json.Unmarshal(body, &a) != nil {
		p.t.Fatalf("appointment %s: %d %s", code, st, body)
	}
	return a
}

func bookLocalTime(t testing.TB, rfc3339 string) string {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		t.Fatalf("slot start %q: %v", rfc3339, err)
	}
	return ts.In(bookZone).Format("15:04")
}

// TestBook runs the booking page's cases in tabs of one browser: starting
// chromium costs seconds, a tab milliseconds.
func TestBook(t *testing.T) {
	// The timeout bounds all seven cases together: under -race on a shared
	// two-core machine (load 20) they took over two minutes, and the last
	// cases failed on the deadline, not on the page.
	browser := browsertest.New(t, browsertest.Options{Width: 390, Height: 844, Timeout: 6 * time.Minute})
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, browser context.Context)
	}{
		{"SlotToCodeSmallAndLocal", testBookSlotToCode},
		{"FullSlotDisabled", testBookFullSlotDisabled},
		{"LanguageToggle", testBookLanguageToggle},
		{"CancelFromManage", testBookCancelFromManage},
		{"MoveFromManage", testBookMoveFromManage},
		{"InvalidPhoneSendsNothing", testBookInvalidPhoneSendsNothing},
		{"OutageOffersRetry", testBookOutageOffersRetry},
		{"BlockedSaysWhyInEitherLanguage", testBookBlockedSaysWhy},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, browser) })
	}
}

// bookTwoServices makes cash bookable too, so the page asks for the service.
func bookTwoServices(c *config.Config) {
	for i := range c.Services {
		if c.Services[i].ID == "cash" {
			c.Services[i].SlotMinutes, c.Services[i].SlotCapacity = 30, 1
		}
	}
}

func testBookSlotToCode(t *testing.T, browser context.Context) {
	p := openBook(t, browser, bookOptions{box: servertest.Options{Config: bookTwoServices}})
	p.waitFor(bookView("service") + ` && !!document.querySelector('[data-service-id=advice]')`)
	ids := bookEval[[]string](p, `[...document.querySelectorAll('[data-service-id]')].map(b => b.dataset.serviceId)`)
	if want := []string{"cash", "advice"}; !slices.Equal(ids, want) {
		t.Errorf("service choices = %v, want the bookable ones %v", ids, want)
	}
	p.shot("service")

	tomorrow := bookDate(1)
	free := p.freeSlots("advice", tomorrow)
	first := free[0]
	p.click("[data-service-id=advice]")
	p.waitFor(bookView("slot"))
	if got, want := p.text("#tz"), "Times are Beijing time (Asia/Shanghai)"; got != want {
		t.Errorf("time zone note = %q, want %q", got, want)
	}
	days := bookEval[[]string](p, `[...document.querySelectorAll('#days [data-date]')].map(b => b.dataset.date)`)
	if len(days) != 14 || days[0] != bookDate(0) || days[13] != bookDate(13) {
		t.Errorf("day row = %v, want the 14 days from %s", days, bookDate(0))
	}
	p.click(fmt.Sprintf("[data-date=%q]", tomorrow))
	p.waitFor(fmt.Sprintf(`document.querySelector('[data-date=%q]').getAttribute('aria-pressed') === 'true'`, tomorrow))
	p.waitFor(bookSlotReady(first.Start))
	sel := fmt.Sprintf("#slots [data-start=%q]", first.Start)
	label := p.text(sel)
	if want := bookLocalTime(t, first.Start); !strings.HasPrefix(label, want) || !strings.Contains(label, "2 left") {
		t.Errorf("first free slot reads %q, want %s (Beijing time) and 2 left", label, want)
	}
	p.shot("slots")

	p.click(sel)
	p.waitFor(bookView("details"))
	if got := p.text("#details-summary"); !strings.Contains(got, "Advice") || !strings.Contains(got, bookLocalTime(t, first.Start)) {
		t.Errorf("details summary = %q", got)
	}
	p.typeInto("#name", "Li Lei")
	p.typeInto("#phone", "+86 138-0013-8000")
	p.shot("details")
	p.click("#confirm")
	p.waitFor(bookView("done") + ` && /^\d{8}$/.test(document.querySelector('[data-booking-code]').innerText)`)
	code := p.text("[data-booking-code]")

	a := p.appointment(code, "+8613800138000")
	start, _ := time.Parse(time.RFC3339, first.Start)
	if a.Status != "booked" || a.ServiceID != "advice" || !a.Start.Equal(start) {
		t.Errorf("API has %+v, want advice booked at %s", a, first.Start)
	}

	p.waitFor(`(() => { const i = document.querySelector('[data-booking-qr]'); return i.complete && i.naturalWidth > 0 })()`)
	if src := bookEval[string](p, `document.querySelector('[data-booking-qr]').getAttribute('src')`); src != "/api/v1/qr.png?text="+code {
		t.Errorf("QR src = %q", src)
	}
	qr, err := chromedp.Run(p.ctx, chromedp.Screenshot(chromedp.CSS("[data-booking-qr]")))
	if err != nil {
		t.Fatalf("QR screenshot: %v", err)
	}
	if got := decodeQR(t, qr); got != code {
		t.Errorf("QR says %q, want the code %q", got, code)
	}
	done := p.text("#view-done")
	for _, want := range []string{"Advice", bookLocalTime(t, first.Start), "Check in at the kiosk with this code from 15 minutes before your time", "Add to calendar", "Book another"} {
		if !strings.Contains(done, want) {
			t.Errorf("confirmation lacks %q: %q", want, done)
		}
	}

	href := bookEval[string](p, `document.getElementById('ics').href`)
	resp, err := http.Get(href)
	if err != nil {
		t.Fatalf("calendar link: %v", err)
	}
	ics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") || !strings.Contains(string(ics), code) {
		t.Errorf("calendar link %s: %d %s %q", href, resp.StatusCode, resp.Header.Get("Content-Type"), ics)
	}
	p.shot("confirmation")

	// Back from the confirmation leads to the times, not to the sent form.
	bookEval[bool](p, `history.back(), true`)
	p.waitFor(bookView("slot"))
	p.waitFor(fmt.Sprintf(`document.querySelector('#slots [data-start=%q] .slot-left').textContent === '1 left'`, first.Start))

	// The same page on a desktop screen.
	p.do(chromedp.EmulateViewport(1280, 800))
	p.waitFor(`innerWidth === 1280`)
	p.shot("desktop-slots")

	p.checkWeightAndHosts()
	p.checkNoProblems()
}

// checkWeightAndHosts checks that everything the page loaded so far came
// from the box and that it all weighs at most 150 KB.
func (p *bookPage) checkWeightAndHosts() {
	p.t.Helper()
	var static int64
	for _, f := range []string{"book.html", "book.js", "book.i18n.js", "book.css"} {
		fi, err := os.Stat(filepath.Join("web", f))
		if err != nil {
			p.t.Fatal(err)
		}
		static += fi.Size()
	}
	if static > 150<<10 {
		p.t.Errorf("book.html + book.js + book.css = %d bytes, want at most 150 KB", static)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var total float64
	for _, r := range p.requests {
		if !strings.HasPrefix(r.Request.URL, p.box.URL+"/") && !strings.HasPrefix(r.Request.URL, "data:") {
			p.t.Errorf("request to another host: %s", r.Request.URL)
		}
		total += p.bytes[r.RequestID]
	}
	p.t.Logf("page weight through one booking: %.1f KB in %d requests (static files %.1f KB)", total/1024, len(p.requests), float64(static)/1024)
	if total > 150<<10 {
		p.t.Errorf("page weight %.0f bytes, want at most 150 KB", total)
	}
}

func testBookFullSlotDisabled(t *testing.T, browser context.Context) {
	p := openBook(t, browser, bookOptions{})
	tomorrow := bookDate(1)
	free := p.freeSlots("advice", tomorrow)
	full, next := free[0], free[1]
	p.book("advice", full.Start, "A", "13800000001")
	p.book("advice", full.Start, "B", "13800000002")

	// With one bookable service there is nothing to choose: straight to times.
	p.waitFor(bookView("slot"))
	if n := bookEval[int](p, `document.querySelectorAll('#steps li').length`); n != 2 {
		t.Errorf("%d steps shown, want 2 (time, details)", n)
	}
	p.click(fmt.Sprintf("[data-date=%q]", tomorrow))
	p.waitFor(bookSlotReady(full.Start))
	fullSel := fmt.Sprintf("#slots [data-start=%q]", full.Start)
	if !bookEval[bool](p, `document.querySelector('`+fullSel+`').disabled`) {
		t.Errorf("a slot booked twice (capacity 2) is not disabled")
	}
	if got := p.text(fullSel); !strings.Contains(got, "Full") {
		t.Errorf("full slot reads %q", got)
	}
	nextSel := fmt.Sprintf("#slots [data-start=%q]", next.Start)
	if bookEval[bool](p, `document.querySelector('`+nextSel+`').disabled`) {
		t.Errorf("the next free slot is disabled")
	}

	// Today's grid starts at the first time still ahead: passed times
	// (from midnight, Beijing time) are not shown as a row of dead buttons.
	today := p.slots("advice", bookDate(0))
	if len(today) > 1 {
		opened := p.box.Now()
		p.click(fmt.Sprintf("[data-date=%q]", bookDate(0)))
		p.waitFor(`document.getElementById('slots-loading').hidden`)
		starts := bookEval[[]string](p, `[].map.call(document.querySelectorAll('#slots .slot'), function (b) { return b.getAttribute('data-start'); })`)
		var ahead []string
		for _, sl := range today {
			if at, err := time.Parse(time.RFC3339, sl.Start); err == nil && at.After(opened.Add(-time.Minute)) {
				ahead = append(ahead, sl.Start)
			}
		}
		for _, st := range starts {
			if at, _ := time.Parse(time.RFC3339, st); !at.After(opened.Add(-time.Minute)) {
				t.Errorf("today's grid shows %s, which has passed", st)
			}
		}
		if len(starts) > 0 && len(ahead) > 1 && starts[0] != ahead[0] && starts[0] != ahead[1] {
			t.Errorf("today's grid opens at %s, want the first time ahead %s", starts[0], ahead[0])
		}
		if n := bookEval[int](p, `document.querySelectorAll('#slots .slot[disabled]').length`); n != 0 {
			t.Errorf("today's grid has %d disabled buttons, want none (nothing is booked today)", n)
		}
		if len(starts) > 0 {
			if got := p.text(fmt.Sprintf("#slots [data-start=%q]", starts[0])); !strings.Contains(got, ",") {
				t.Errorf("slot text %q runs the time and the status together", got)
			}
		}
		p.click(fmt.Sprintf("[data-date=%q]", tomorrow))
		p.waitFor(bookSlotReady(next.Start))
	}

	// The next slot fills up while the form is being filled in.
	p.click(nextSel)
	p.waitFor(bookView("details"))
	p.typeInto("#name", "Han Meimei")
	p.typeInto("#phone", "13800000003")
	p.book("advice", next.Start, "C", "13800000004")
	p.book("advice", next.Start, "D", "13800000005")
	p.click("#confirm")
	p.waitFor(bookView("slot") + ` && !document.getElementById('alert').hidden`)
	if got, want := p.text("#alert-text"), "Someone just took that time — please pick another."; got != want {
		t.Errorf("alert = %q, want %q", got, want)
	}
	p.waitFor(`document.querySelector('` + nextSel + `').disabled`)
	p.shot("slot-taken")
	p.checkNoProblems()
}

var (
	bookHanRE   = regexp.MustCompile(`\p{Han}`)
	bookLatinRE = regexp.MustCompile(`[A-Za-z]+`)
)

func testBookLanguageToggle(t *testing.T, browser context.Context) {
	// A Chinese phone starts in Chinese.
	p := openBook(t, browser, bookOptions{locale: "zh-CN,zh"})
	p.waitFor(bookView("slot") + ` && !!document.querySelector('#slots .slot:enabled')`)
	if got, want := p.text("#view-slot h1"), "选择日期和时间"; got != want {
		t.Errorf("a zh-CN browser starts with %q, want %q", got, want)
	}

	p.click("[data-lang=en]")
	p.waitFor(`document.documentElement.lang === 'en'`)
	if got, want := p.text("#view-slot h1"), "Choose a day and time"; got != want {
		t.Errorf("English heading = %q, want %q", got, want)
	}
	// Nothing Chinese on an English screen but the button back to Chinese.
	if han := bookHanRE.FindAllString(bookEval[string](p, `document.querySelector('main').innerText + document.querySelector('.brand').innerText + document.querySelector('footer').innerText`), -1); len(han) > 0 {
		t.Errorf("English page shows Chinese: %q", han)
	}
	// The choice is remembered over the browser's language.
	p.do(chromedp.Reload())
	p.waitFor(bookView("slot") + ` && !!document.querySelector('#slots .slot:enabled')`)
	if got := p.text("#view-slot h1"); got != "Choose a day and time" {
		t.Errorf("after a reload the heading is %q, want English as chosen", got)
	}

	p.click("[data-lang=zh]")
	p.waitFor(`document.documentElement.lang === 'zh-CN'`)
	if got, want := p.text("#view-slot h1"), "选择日期和时间"; got != want {
		t.Errorf("Chinese heading = %q, want %q", got, want)
	}
	if got, want := p.text("#tz"), "时间为北京时间"; got != want {
		t.Errorf("Chinese time zone note = %q, want %q", got, want)
	}
	if got := p.text("#slots .slot:enabled .slot-left"); got != "剩 2 个" {
		t.Errorf("Chinese slot label = %q, want 剩 2 个", got)
	}
	// Nothing English on a Chinese screen (the branch's own name aside).
	if latin := bookLatinRE.FindAllString(bookEval[string](p, `document.querySelector('main').innerText + document.querySelector('footer').innerText + document.querySelector('.title').innerText`), -1); len(latin) > 0 {
		t.Errorf("Chinese page shows English: %q", latin)
	}
	p.shot("slots-zh")

	p.click("#slots .slot:enabled")
	p.waitFor(bookView("details"))
	if got := p.text("label[for=phone]"); got != "电话号码" {
		t.Errorf("Chinese phone label = %q", got)
	}
	if latin := bookLatinRE.FindAllString(p.text("main"), -1); len(latin) > 0 {
		t.Errorf("Chinese details show English: %q", latin)
	}
	p.click("[data-lang=en]")
	p.waitFor(`document.documentElement.lang === 'en'`)
	if got := p.text("label[for=phone]"); got != "Phone number" {
		t.Errorf("English phone label = %q", got)
	}

	// The confirmation in Chinese.
	p.click("[data-lang=zh]")
	p.typeInto("#name", "李雷")
	p.typeInto("#phone", "13800138000")
	p.click("#confirm")
	p.waitFor(bookView("done") + ` && /^\d{8}$/.test(document.querySelector('[data-booking-code]').innerText)`)
	p.waitFor(`(() => { const i = document.querySelector('[data-booking-qr]'); return i.complete && i.naturalWidth > 0 })()`)
	done := p.text("#view-done")
	for _, want := range []string{"预约成功", "请在预约时间前15分钟内到自助机凭此码签到", "添加到日历", "再预约一个"} {
		if !strings.Contains(done, want) {
			t.Errorf("Chinese confirmation lacks %q: %q", want, done)
		}
	}
	if latin := bookLatinRE.FindAllString(p.text("main"), -1); len(latin) > 0 {
		t.Errorf("Chinese confirmation shows English: %q", latin)
	}
	p.shot("confirmation-zh")

	// Every string exists in both languages.
	if missing := bookEval[[]string](p, `QB.text.missing()`); len(missing) > 0 {
		t.Errorf("half-translated: %v", missing)
	}
	p.checkNoProblems()
}

// A booking is moved to another time from "Manage my booking": the same
// code, the new time, the old slot free again.
func testBookMoveFromManage(t *testing.T, browser context.Context) {
	p := openBook(t, browser, bookOptions{})
	tomorrow := bookDate(1)
	free := p.freeSlots("advice", tomorrow)
	a := p.book("advice", free[0].Start, "Zhao Lei", "+8613900139111")
	to := free[len(free)-1]

	p.waitFor(bookView("slot"))
	p.click("#to-manage")
	p.waitFor(bookView("manage"))
	p.typeInto("#m-code", a.Code)
	p.typeInto("#m-phone", "+86 139-0013-9111")
	p.click("#find")
	p.waitFor(`!document.getElementById('manage-result').hidden && !document.getElementById('move').hidden`)
	p.click("#move")
	p.waitFor(bookView("slot") + ` && !document.getElementById('moving-note').hidden`)
	if got := p.text("#moving-note"); !strings.Contains(got, a.Code) {
		t.Errorf("moving note = %q, want the booking code", got)
	}
	p.click(fmt.Sprintf("[data-date=%q]", tomorrow))
	p.waitFor(bookSlotReady(to.Start))
	p.shot("move-choose")
	p.click(fmt.Sprintf("#slots [data-start=%q]", to.Start))
	p.waitFor(bookView("done"))
	if got := p.text(".done-title"); !strings.Contains(got, "moved") {
		t.Errorf("confirmation title = %q, want it to say the booking moved", got)
	}
	if got := p.text("[data-booking-code]"); strings.ReplaceAll(got, " ", "") != a.Code {
		t.Errorf("confirmation code = %q, want the same code %s", got, a.Code)
	}
	p.shot("moved")
	now := p.appointment(a.Code, "+8613900139111")
	if want, _ := time.Parse(time.RFC3339, to.Start); !now.Start.Equal(want) || now.Status != "booked" {
		t.Errorf("after the move the API has %v %s, want %s booked", now.Start, now.Status, to.Start)
	}
	for _, s := range p.slots("advice", tomorrow) {
		if s.Start == free[0].Start && s.Available != free[0].Available {
			t.Errorf("the old slot has %d places, want %d again", s.Available, free[0].Available)
		}
	}
	p.checkNoProblems()
}

func testBookCancelFromManage(t *testing.T, browser context.Context) {
	p := openBook(t, browser, bookOptions{})
	tomorrow := bookDate(1)
	a := p.book("advice", p.freeSlots("advice", tomorrow)[0].Start, "Wang Fang", "+8613900139000")

	p.waitFor(bookView("slot"))
	p.click("#to-manage")
	p.waitFor(bookView("manage"))
	p.typeInto("#m-code", a.Code)
	p.typeInto("#m-phone", "13900139001") // not the number it was booked with (13900139000 would be: the region reads it as +86)
	p.click("#find")
	p.waitFor(`!document.getElementById('alert').hidden`)
	if got := p.text("#alert-text"); !strings.Contains(got, "No booking matches") {
		t.Errorf("wrong phone: alert %q", got)
	}

	p.clear("#m-phone")
	p.typeInto("#m-phone", "+86 139-0013-9000")
	p.click("#find")
	p.waitFor(`!document.getElementById('manage-result').hidden`)
	if got := p.text("#m-status"); got != "Status: Booked" {
		t.Errorf("status line = %q", got)
	}
	if got := p.text("#manage-summary"); !strings.Contains(got, "Advice") {
		t.Errorf("booking shown = %q", got)
	}
	p.click("#cancel")
	p.waitFor(`!document.getElementById('cancel-confirm').hidden`)
	p.shot("manage-confirm")
	if got := p.appointment(a.Code, "+8613900139000").Status; got != "booked" {
		t.Errorf("before the confirm step the API has %q, want booked", got)
	}
	p.click("#cancel-yes")
	p.waitFor(`document.getElementById('m-status').dataset.status === 'cancelled'`)
	if got := p.text("#m-status"); got != "Your booking is cancelled." {
		t.Errorf("after cancel: %q", got)
	}
	if got := p.appointment(a.Code, "+8613900139000").Status; got != "cancelled" {
		t.Errorf("API has status %q, want cancelled", got)
	}
	if !bookEval[bool](p, `document.getElementById('cancel').hidden && document.getElementById('cancel-confirm').hidden`) {
		t.Errorf("a cancelled booking still offers Cancel")
	}
	p.shot("manage-cancelled")
	p.checkNoProblems()
}

func testBookInvalidPhoneSendsNothing(t *testing.T, browser context.Context) {
	p := openBook(t, browser, bookOptions{})
	p.waitFor(bookView("slot") + ` && !!document.querySelector('#slots .slot:enabled')`)
	p.click("#slots .slot:enabled")
	p.waitFor(bookView("details"))

	p.click("#confirm")
	p.waitFor(`!document.getElementById('name-error').hidden`)
	if got := p.text("#name-error"); got != "Please enter your name." {
		t.Errorf("empty name: %q", got)
	}

	p.typeInto("#name", "Li Lei")
	for _, tc := range []struct{ phone, want string }{
		{"12-34", "Enter a phone number with 6 to 15 digits."},
		{"1234567890123456", "Enter a phone number with 6 to 15 digits."},
		{"138 abcd 8000", "Use only digits, spaces, dashes and a leading +."},
		{"138+0013", "Use only digits, spaces, dashes and a leading +."},
	} {
		p.clear("#phone")
		p.typeInto("#phone", tc.phone)
		p.click("#confirm")
		p.waitFor(`!document.getElementById('phone-error').hidden`)
		if got := p.text("#phone-error"); got != tc.want {
			t.Errorf("phone %q: message %q, want %q", tc.phone, got, tc.want)
		}
	}
	if !bookEval[bool](p, `(() => {
		const f = document.getElementById('phone');
		return f.getAttribute('aria-invalid') === 'true' && document.activeElement === f &&
			f.closest('.field').contains(document.getElementById('phone-error')) &&
			f.getAttribute('aria-describedby').includes('phone-error') })()`) {
		t.Errorf("the phone message is not tied to the field, or the field is not focused")
	}
	if !bookEval[bool](p, `document.getElementById('name-error').hidden`) {
		t.Errorf("the name message stays after a name was typed")
	}
	p.shot("invalid-phone")
	time.Sleep(200 * time.Millisecond) // a request, had one been sent, is logged by now
	if n := p.posted("/api/v1/appointments"); n != 0 {
		t.Errorf("%d booking requests sent with invalid input", n)
	}

	// Typing a good number clears the message at once.
	p.clear("#phone")
	p.typeInto("#phone", "138 0013 8000")
	p.waitFor(`document.getElementById('phone-error').hidden`)
	p.checkNoProblems()
}

func testBookOutageOffersRetry(t *testing.T, browser context.Context) {
	p := openBook(t, browser, bookOptions{})
	p.waitFor(bookView("slot") + ` && !!document.querySelector('#slots .slot:enabled')`)
	p.click("#slots .slot:enabled")
	p.waitFor(bookView("details"))
	p.typeInto("#name", "Li Lei")
	p.typeInto("#phone", "13800138000")

	p.mu.Lock()
	p.outage = true
	p.mu.Unlock()
	p.box.Stop()
	p.click("#confirm")
	p.waitFor(`!document.getElementById('alert').hidden`)
	if got, want := p.text("#alert-text"), "We could not reach the branch. Check your connection and try again."; got != want {
		t.Errorf("outage alert = %q, want %q", got, want)
	}
	if got := p.text("#alert-action"); got != "Try again" {
		t.Errorf("outage action = %q, want Try again", got)
	}
	if !bookEval[bool](p, bookView("details")+` && !document.getElementById('confirm').disabled`) {
		t.Errorf("after the failure the form is not there to send again")
	}
	p.shot("outage")

	p.box.Restart()
	p.click("#alert-action")
	p.waitFor(bookView("done") + ` && /^\d{8}$/.test(document.querySelector('[data-booking-code]').innerText)`)
	if got := p.appointment(p.text("[data-booking-code]"), "13800138000").Status; got != "booked" {
		t.Errorf("after the retry the API has %q, want booked", got)
	}
	p.checkNoProblems()
}

// A phone whose no-shows paused its online booking is told so in plain
// words, in the language on screen: switching the language after the
// refusal switches the sentence too (the box's English one stayed on a
// Chinese screen).
func testBookBlockedSaysWhy(t *testing.T, browser context.Context) {
	p := openBook(t, browser, bookOptions{})
	b := p.box
	admin := b.Admin()
	if st, body := b.Do(admin, "PUT", "/api/v1/settings", map[string]int{"no_show_limit": 1, "no_show_window_days": 60, "booking_block_days": 30}, nil); st != 200 {
		t.Fatalf("settings: %d %s", st, body)
	}
	var missed servertest.Ticket
	st, body := b.Do(nil, "POST", "/api/v1/tickets", map[string]string{"service_id": "general", "phone": "13800138000"}, map[string]string{"Authorization": "Bearer " + b.Device("kiosk")})
	if st != 201 || json.Unmarshal(body, &missed) != nil {
		t.Fatalf("ticket: %d %s", st, body)
	}
	if st, body := b.Do(admin, "POST", "/api/v1/counters/c1/next", nil, nil); st != 200 {
		t.Fatalf("call: %d %s", st, body)
	}
	if st, body := b.Do(admin, "POST", "/api/v1/tickets/"+missed.ID+"/no-show", nil, nil); st != 200 {
		t.Fatalf("no-show: %d %s", st, body)
	}

	p.waitFor(bookView("slot") + ` && !!document.querySelector('#slots .slot:enabled')`)
	p.click("#slots .slot:enabled")
	p.waitFor(bookView("details"))
	p.typeInto("#name", "Li Lei")
	p.typeInto("#phone", "138 0013 8000")
	p.click("#confirm")
	p.waitFor(`!document.getElementById('alert').hidden`)
	if got := p.text("#alert-text"); !strings.Contains(got, "Online booking is paused until") || !strings.Contains(got, "Walk-in tickets are always welcome") {
		t.Errorf("English refusal = %q, want until when and that walk-ins are welcome", got)
	}
	p.click("[data-lang=zh]")
	p.waitFor(`document.documentElement.lang === 'zh-CN'`)
	if got := p.text("#alert-text"); !strings.Contains(got, "在线预约暂时暂停") || bookLatinRE.MatchString(got) {
		t.Errorf("after switching to Chinese the refusal reads %q", got)
	}
	p.shot("blocked-zh")
	p.click("[data-lang=en]")
	p.waitFor(`document.documentElement.lang === 'en'`)
	if got := p.text("#alert-text"); !strings.Contains(got, "Online booking is paused until") {
		t.Errorf("back in English the refusal reads %q, want the box's sentence with its date", got)
	}
	p.checkNoProblems()
}
