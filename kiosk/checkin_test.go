package kiosk_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"queuebox/printer/printertest"
	"queuebox/server/config"
	"queuebox/server/queue/queuetest"
	"queuebox/server/servertest"

	"queuebox/server/browsertest"
)

// The box's clock is set by hand: appointments "in ten minutes" must fall
// on a slot boundary, and "too late" needs time to pass at once.
type fakeClock = queuetest.Clock

// checkinDay is 09:50 in the branch's zone ten days after the test boxes'
// today: a morning, whatever the hour the test runs at.
func checkinDay(t testing.TB) time.Time {
	t.Helper()
	return servertest.Today(9, 50).AddDate(0, 0, 10)
}

// checkinBox is a box on the fake clock, with the admin and a phone counter
// so that no phone number runs into the per-phone booking limit.
type checkinBox struct {
	*boxEnv
	clock *fakeClock
	start time.Time
	phone int
}

func startCheckinBox(t testing.TB, cfg func(c *config.Config)) *checkinBox {
	t.Helper()
	clk := queuetest.NewClock(checkinDay(t))
	box := servertest.Start(t, servertest.Options{Clock: clk, Config: cfg})
	return &checkinBox{boxEnv: &boxEnv{box: box, admin: box.Admin()}, clock: clk, start: clk.Now()}
}

// book reserves the advice slot that starts after minutes (from the first
// fake now) and returns its code.
func (b *checkinBox) book(t testing.TB, after time.Duration) string {
	t.Helper()
	b.phone++
	req := map[string]string{
		"service_id": "advice",
		"start":      b.start.Add(after).Format(time.RFC3339),
		"name":       "Test Customer",
		"phone":      b.phoneOf(b.phone),
	}
	var out struct{ Code string }
	st, body := b.box.Do(nil, "POST", "/api/v1/appointments", req, nil)
	if st != 201 || json.Unmarshal(body, &out) != nil || len(out.Code) != 8 {
		t.Fatalf("book %s: %d %s", req["start"], st, body)
	}
	return out.Code
}

func (b *checkinBox) phoneOf(n int) string { return fmt.Sprintf("+86138%08d", n) }

// openOn opens a fresh kiosk on b (the env's box map is keyed by "closed";
// the check-in cases use only open boxes).
func openOn(t *testing.T, e *env, b *checkinBox) *kiosk {
	t.Helper()
	e.boxes[false] = b.boxEnv
	return open(t, e, false)
}

const (
	keypadShown   = `!document.getElementById('screen-checkin').hidden && !document.querySelector('.checkin').classList.contains('is-message')`
	messageShown  = `!document.getElementById('screen-checkin').hidden && !document.getElementById('checkin-message').hidden`
	enteredDigits = `[...document.querySelectorAll('.code-cell')].map(c => c.textContent).join('')`
)

// startCheckin taps the appointment tile on home.
func (k *kiosk) startCheckin() {
	k.t.Helper()
	k.waitFor(homeReady + ` && !!document.querySelector('[data-checkin]')`)
	k.do(chromedp.Click(chromedp.CSS("[data-checkin]")))
	k.waitFor(keypadShown)
}

// tapCode presses the digits of code on the on-screen keypad.
func (k *kiosk) tapCode(code string) {
	k.t.Helper()
	for _, d := range code {
		k.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(".keypad [data-key='%c']", d))))
	}
}

// message waits for the check-in screen's answer and returns its reason and
// its text in both languages.
func (k *kiosk) message() (reason, text string) {
	k.t.Helper()
	k.waitFor(messageShown)
	reason = eval[string](k, `document.getElementById('checkin-message').dataset.reason`)
	return reason, strings.Join(strings.Fields(k.text("#checkin-message")), " ")
}

// checkinShot saves a screenshot as checkin-NAME.png in $QUEUEBOX_SHOTS or
// the temp dir's "shots" folder, for people to look at.
func checkinShot(k *kiosk, name string) {
	k.t.Helper()
	browsertest.Shot(k.t, k.ctx, "checkin-"+name)
}

// queueTicket is a waiting ticket with what the check-in sets on it.
type queueTicket struct {
	Number        string     `json:"number"`
	ServiceID     string     `json:"service_id"`
	AppointmentAt *time.Time `json:"appointment_at"`
}

func (k *kiosk) waiting(number string) (queueTicket, bool) {
	k.t.Helper()
	st, body := k.box.Do(k.admin, "GET", "/api/v1/queue", nil, nil)
	var out struct{ Waiting []queueTicket }
	if st != 200 || json.Unmarshal(body, &out) != nil {
		k.t.Fatalf("queue: %d %s", st, body)
	}
	for _, tk := range out.Waiting {
		if tk.Number == number {
			return tk, true
		}
	}
	return queueTicket{}, false
}

// TestCheckin runs the appointment check-in cases in one browser tab, on a
// box whose clock stands at 09:50 Shanghai time and whose printer is a fake.
func TestCheckin(t *testing.T) {
	e := newEnv(t)
	fp, err := printertest.Start("")
	if err != nil {
		t.Fatalf("fake printer: %v", err)
	}
	t.Cleanup(func() { fp.Close() })
	b := startCheckinBox(t, func(c *config.Config) { c.Printer.URL = fp.URL() })
	var firstCode, firstNumber string
	for _, tc := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"Keypad", func(t *testing.T) { firstCode, firstNumber = testCheckinKeypad(t, e, b) }},
		{"Scanner", func(t *testing.T) { testCheckinScanner(t, e, b) }},
		{"Reasons", func(t *testing.T) { testCheckinReasons(t, e, b, firstCode, firstNumber) }},
		{"IdleGoesHome", func(t *testing.T) { testCheckinIdle(t, e, b) }},
		// Moves the clock on: keep it after the cases that need 09:50.
		{"TooLateOffersWalkIn", func(t *testing.T) { testCheckinTooLate(t, e, b) }},
		// Switches the printer off for good: keep it last.
		{"PrintStatus", func(t *testing.T) { testCheckinPrintStatus(t, e, b, fp) }},
	} {
		t.Run(tc.name, tc.run)
	}
}

func testCheckinKeypad(t *testing.T, e *env, b *checkinBox) (code, number string) {
	code = b.book(t, 10*time.Minute) // 10:00, check-in open since 09:45
	k := openOn(t, e, b)
	k.waitFor(homeReady + ` && !!document.querySelector('[data-checkin]')`)
	if got := k.text("[data-checkin] .tile-name"); got != "我有预约" {
		t.Errorf("appointment tile = %q", got)
	}
	k.startCheckin()
	sizes := eval[[]float64](k, `[...document.querySelectorAll('.keypad [data-key], [data-key=submit]')].flatMap(b => { const r = b.getBoundingClientRect(); return [r.width, r.height] })`)
	if len(sizes) != 26 {
		t.Errorf("keypad has %d keys, want 12 and Check in", len(sizes)/2)
	}
	for _, v := range sizes {
		if v < 64 {
			t.Errorf("a key is %.0f px across, want at least 64", v)
			break
		}
	}
	if !eval[bool](k, `document.querySelector('[data-key=submit]').disabled`) {
		t.Errorf("Check in is enabled with no code")
	}

	// A slip, then Back and Clear put it right.
	k.tapCode("97")
	k.do(chromedp.Click(chromedp.CSS("[data-key=back]")))
	if got := eval[string](k, enteredDigits); got != "9" {
		t.Errorf("after Back the display shows %q, want 9", got)
	}
	k.do(chromedp.Click(chromedp.CSS("[data-key=clear]")))
	if got := eval[string](k, enteredDigits); got != "" {
		t.Errorf("after Clear the display shows %q", got)
	}
	// A keyboard user who moves onto Back or Clear and presses Enter
	// presses that key; it does not submit (nor lose the code).
	k.do(chromedp.KeyEvent("12"))
	eval[bool](k, `document.querySelector('[data-key=back]').focus(), true`)
	k.do(chromedp.KeyEvent("\r"))
	if got := eval[string](k, enteredDigits); got != "1" {
		t.Errorf("Enter on a focused Back: display shows %q, want 1", got)
	}
	eval[bool](k, `document.querySelector('[data-key=clear]').focus(), true`)
	k.do(chromedp.KeyEvent("\r"))
	if got := eval[string](k, enteredDigits); got != "" {
		t.Errorf("Enter on a focused Clear: display shows %q, want nothing", got)
	}
	k.tapCode(code[:5])
	checkinShot(k, "keypad")
	k.do(chromedp.EmulateViewport(1920, 1080, chromedp.EmulateLandscape, chromedp.EmulateTouch))
	checkinShot(k, "keypad-landscape")
	k.do(chromedp.EmulateViewport(1080, 1920, chromedp.EmulatePortrait, chromedp.EmulateTouch))
	k.tapCode(code[5:] + "1") // a ninth digit is not taken
	if got := eval[string](k, enteredDigits); got != code {
		t.Errorf("display shows %q, want %q", got, code)
	}
	k.do(chromedp.Click(chromedp.CSS("[data-key=submit]")))
	k.waitFor(ticketShown)
	number = k.text("[data-ticket-number]")
	if !strings.HasPrefix(number, "P") {
		t.Errorf("checked-in ticket %q, want an advice (P) number", number)
	}
	tk, ok := k.waiting(number)
	if !ok {
		t.Fatalf("ticket %s not in the queue", number)
	}
	if want := b.start.Add(10 * time.Minute); tk.AppointmentAt == nil || !tk.AppointmentAt.Equal(want) {
		t.Errorf("appointment_at = %v, want %v", tk.AppointmentAt, want)
	}
	if got := k.text("#ticket-service"); got != "理财咨询" {
		t.Errorf("service line = %q", got)
	}
	checkinShot(k, "ticket")
	k.checkNoProblems()
	return code, number
}

func testCheckinScanner(t *testing.T, e *env, b *checkinBox) {
	code := b.book(t, 10*time.Minute)
	k := openOn(t, e, b)
	k.startCheckin()
	// A tap first leaves focus on a key: the scanner's Enter must still
	// submit the code, not press that key again.
	k.tapCode("5")
	k.do(chromedp.Click(chromedp.CSS("[data-key=clear]")))
	k.do(chromedp.KeyEvent(code + "\r"))
	k.waitFor(ticketShown)
	number := k.text("[data-ticket-number]")
	if tk, ok := k.waiting(number); !ok || tk.AppointmentAt == nil {
		t.Errorf("scanned check-in: ticket %q in queue %v, appointment_at %v", number, ok, tk.AppointmentAt)
	}
	// The keypad listens only while it is on screen.
	k.do(chromedp.KeyEvent("12345678\r"))
	if eval[bool](k, `document.getElementById('screen-ticket').hidden`) {
		t.Errorf("typing on the ticket screen left it")
	}
	k.checkNoProblems()
}

func testCheckinReasons(t *testing.T, e *env, b *checkinBox, checkedIn, checkedInAs string) {
	early := b.book(t, 70*time.Minute) // 11:00, check-in from 10:45
	// Tomorrow at 10:00, check-in from 09:45: a time alone would say
	// "after 09:45" at 09:50 today, and send the customer back today.
	tomorrow := b.book(t, 24*time.Hour+10*time.Minute)
	day := b.start.AddDate(0, 0, 1)
	cancelled := b.book(t, 25*time.Minute)
	if st, body := b.box.Do(nil, "POST", "/api/v1/appointments/"+cancelled+"/cancel", map[string]string{"phone": b.phoneOf(b.phone)}, nil); st != 200 {
		t.Fatalf("cancel: %d %s", st, body)
	}
	unknown := "00000000"
	for unknown == early || unknown == tomorrow || unknown == cancelled || unknown == checkedIn {
		unknown = "11111111"
	}
	k := openOn(t, e, b)
	k.startCheckin()

	tests := []struct {
		name, code, reason string
		want               []string
		action             string // CSS of the one way forward
	}{
		{"too early", early, "too_early", []string{"现在签到还太早 — 请在 10:45 以后再来", "It is too early to check in — please come back after 10:45"}, `[data-index="0"]`},
		{"too early, another day", tomorrow, "too_early", []string{
			fmt.Sprintf("现在签到还太早 — 您的预约在 %d月%d日，请在当天 09:45 以后再来", day.Month(), day.Day()),
			"It is too early to check in — your appointment is on " + day.Format("2 Jan") + "; please come back that day after 09:45",
		}, `[data-index="0"]`},
		{"unknown", unknown, "unknown_code", []string{"找不到这个预约码 — 请核对", "We can't find this code — please check it"}, `[data-index="0"]`},
		// The number is said again: the customer may have lost the slip.
		{"already checked in", checkedIn, "already_checked_in", []string{"您已经签到，号码是 " + checkedInAs + " — 请留意叫号屏", "You are already checked in as number " + checkedInAs + " — please watch the display"}, `[data-index="0"]`},
		{"cancelled", cancelled, "appointment_cancelled", []string{"这个预约已经取消", "This appointment was cancelled"}, "[data-walkin-service=advice]"},
	}
	for i, tt := range tests {
		// Each code comes as a new scan over the last answer.
		k.do(chromedp.KeyEvent(tt.code + "\r"))
		reason, text := k.message()
		if reason != tt.reason {
			t.Errorf("%s: reason %q, want %q (text %q)", tt.name, reason, tt.reason, text)
		}
		for _, w := range tt.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: message %q lacks %q", tt.name, text, w)
			}
		}
		if strings.Contains(text, tt.reason) || strings.Contains(text, "{") {
			t.Errorf("%s: message shows internals: %q", tt.name, text)
		}
		if n := eval[int](k, `document.querySelectorAll('#checkin-message button').length`); n != 1 {
			t.Errorf("%s: %d buttons in the message, want one way forward", tt.name, n)
		}
		if !eval[bool](k, `!!document.querySelector('#checkin-message `+tt.action+`')`) {
			t.Errorf("%s: no %s in the message", tt.name, tt.action)
		}
		if i == 0 {
			checkinShot(k, "too-early")
		}
	}

	// "Enter the code again" keeps the code on screen to compare; the next
	// digit starts a new one.
	k.do(chromedp.KeyEvent(unknown + "\r"))
	k.message()
	k.do(chromedp.Click(chromedp.CSS("#checkin-message [data-index='0']")))
	k.waitFor(keypadShown)
	if got := eval[string](k, enteredDigits); got != unknown {
		t.Errorf("after Enter again the display shows %q, want %q", got, unknown)
	}
	k.tapCode("4")
	if got := eval[string](k, enteredDigits); got != "4" {
		t.Errorf("a digit after a refused code shows %q, want a new code", got)
	}

	k.do(chromedp.Click(chromedp.CSS("[data-lang=en]")))
	if got := k.text("[data-key=submit]"); got != "Check in" {
		t.Errorf("English submit key = %q", got)
	}
	k.do(chromedp.Click(chromedp.CSS(".checkin-home")))
	k.waitFor(homeReady)
	k.checkNoProblems()
}

// The page's clock is moved on by hand, as in the kiosk's own idle test.
func testCheckinIdle(t *testing.T, e *env, b *checkinBox) {
	k := openOn(t, e, b)
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
	k.startCheckin()
	k.do(chromedp.KeyEvent("123"))
	eval[bool](k, `(window.skewMS += 31000, true)`)
	k.waitFor(homeReady)
	k.startCheckin()
	if got := eval[string](k, enteredDigits); got != "" {
		t.Errorf("the next customer finds %q on the keypad", got)
	}
	k.checkNoProblems()
}

func testCheckinTooLate(t *testing.T, e *env, b *checkinBox) {
	code := b.book(t, 25*time.Minute) // 10:15: checks in until 10:25
	// Time only moves on: a clock set back would make the box distrust it.
	b.clock.Set(b.start.Add(36 * time.Minute)) // 10:26
	k := openOn(t, e, b)
	k.startCheckin()
	k.do(chromedp.KeyEvent(code + "\r"))
	reason, text := k.message()
	for _, w := range []string{"您的签到时间已过", "Your check-in time has passed"} {
		if reason != "too_late" || !strings.Contains(text, w) {
			t.Errorf("reason %q, message %q, want too_late saying %q", reason, text, w)
		}
	}
	walkIn := k.text("[data-walkin-service=advice]")
	if !strings.Contains(walkIn, "Take a walk-in ticket instead") || !strings.Contains(walkIn, "改为现场取号") {
		t.Errorf("walk-in button says %q", walkIn)
	}
	checkinShot(k, "too-late")
	k.do(chromedp.Click(chromedp.CSS("[data-walkin-service=advice]")))
	k.waitFor(ticketShown)
	number := k.text("[data-ticket-number]")
	tk, ok := k.waiting(number)
	if !ok || tk.ServiceID != "advice" || tk.AppointmentAt != nil {
		t.Errorf("walk-in ticket %q: in queue %v, %+v; want an advice ticket without appointment", number, ok, tk)
	}
	k.checkNoProblems()
}

func testCheckinPrintStatus(t *testing.T, e *env, b *checkinBox, fp *printertest.Printer) {
	jobs := len(fp.Jobs())
	tests := []struct {
		mode printertest.Mode
		slot time.Duration // after the first fake now; after the clock of the cases before
		want string
	}{
		{printertest.Healthy, 55 * time.Minute, "已打印，请取走您的号票"},
		// The queue keeps retrying a switched-off printer; the kiosk tells
		// the customer as soon as the box knows it is offline.
		{printertest.Refuse, 70 * time.Minute, "打印机不可用 — 请扫描二维码"},
	}
	for _, tt := range tests {
		if err := fp.SetMode(tt.mode); err != nil {
			t.Fatalf("printer mode %v: %v", tt.mode, err)
		}
		b.clock.Set(b.start.Add(tt.slot - 10*time.Minute))
		code := b.book(t, tt.slot)
		k := openOn(t, e, b)
		k.startCheckin()
		k.do(chromedp.KeyEvent(code + "\r"))
		k.waitFor(ticketShown)
		k.waitFor(`(() => { const p = document.getElementById('ticket-print'); return !p.hidden && p.textContent === ` + jsString(tt.want) + ` })()`)
		if tt.mode == printertest.Refuse {
			checkinShot(k, "printer-unavailable")
			// The job is still queued, so the kiosk would go on asking
			// for a while; leaving the ticket screen stops it.
			k.do(chromedp.Click(chromedp.CSS("#done")))
			k.waitFor(homeReady)
			before := k.printPolls()
			if before == 0 {
				t.Errorf("the ticket screen never asked how printing went")
			}
			time.Sleep(1500 * time.Millisecond) // two poll intervals
			if after := k.printPolls(); after != before {
				t.Errorf("print polls after leaving the ticket: %d, want none", after-before)
			}
		}
		k.checkNoProblems()
	}
	if n := len(fp.Jobs()) - jobs; n != 1 {
		t.Errorf("printer got %d jobs, want the healthy one's", n)
	}
}

// printPolls counts the page's print-status requests so far.
func (k *kiosk) printPolls() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	for _, r := range k.requests {
		if r.Request.Method == "GET" && strings.HasSuffix(r.Request.URL, "/print") {
			n++
		}
	}
	return n
}
