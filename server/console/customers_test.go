package console_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"queuebox/server/browsertest"
	"queuebox/server/config"
	"queuebox/server/servertest"
)

// goldSite is a site with Gold and Standard tiers and one Gold customer,
// phone 138 0013 8000, whose id it returns.
func goldSite(t *testing.T, name string) (*site, string) {
	t.Helper()
	return goldSiteOn(t, name, nil)
}

// goldSiteOn is goldSite on clock (nil: the test box's own).
func goldSiteOn(t *testing.T, name string, clock *servertest.Clock) (*site, string) {
	t.Helper()
	o := servertest.Options{Config: func(c *config.Config) {
		c.Tiers = []config.Tier{{ID: "gold", Name: "Gold", Names: map[string]string{"zh": "金卡"}, MinSpend: 50000, SLAWaitSeconds: 300}, {ID: "standard", Name: "Standard"}}
	}}
	if clock != nil {
		o.Clock = clock
	}
	s := newSite(t, o)
	var cu struct{ ID string }
	st, body := s.box.Do(s.admin, "POST", "/api/v1/customers", map[string]string{"phone": "13800138000", "name": name}, nil)
	if st != 201 || json.Unmarshal(body, &cu) != nil {
		t.Fatalf("create customer: %d %s", st, body)
	}
	if st, body := s.box.Do(s.admin, "POST", "/api/v1/customers/"+cu.ID+"/purchases", map[string]any{"amount": 60000, "ref": "r1"}, nil); st != 201 {
		t.Fatalf("purchase: %d %s", st, body)
	}
	return s, cu.ID
}

// TestConsoleCustomerCard: a ticket that belongs to a Gold customer shows a
// tier chip in the waiting list, and once called, the card shows the tier
// badge, visit count and last visit, with the phone masked.
func TestConsoleCustomerCard(t *testing.T) {
	t.Parallel()
	s, cuID := goldSite(t, "Li Lei")
	cu := struct{ ID string }{cuID}
	kiosk := map[string]string{"Authorization": "Bearer " + s.kiosk}
	// One earlier no-show, with a limit of one: online booking is paused.
	if st, body := s.box.Do(s.admin, "PUT", "/api/v1/settings", map[string]int{"no_show_limit": 1, "no_show_window_days": 60, "booking_block_days": 30}, nil); st != 200 {
		t.Fatalf("settings: %d %s", st, body)
	}
	var missed servertest.Ticket
	st, body := s.box.Do(nil, "POST", "/api/v1/tickets", map[string]string{"service_id": "cash", "phone": "13800138000"}, kiosk)
	if st != 201 || json.Unmarshal(body, &missed) != nil {
		t.Fatalf("first ticket: %d %s", st, body)
	}
	if st, body := s.box.Do(s.admin, "POST", "/api/v1/counters/c3/next", nil, nil); st != 200 {
		t.Fatalf("call: %d %s", st, body)
	}
	if st, body := s.box.Do(s.admin, "POST", "/api/v1/tickets/"+missed.ID+"/no-show", nil, nil); st != 200 {
		t.Fatalf("no-show: %d %s", st, body)
	}
	s.box.Issue(s.kiosk, "general")
	var gold servertest.Ticket
	st, body = s.box.Do(nil, "POST", "/api/v1/tickets", map[string]string{"service_id": "general", "phone": "138 0013 8000"}, kiosk)
	if st != 201 || json.Unmarshal(body, &gold) != nil || gold.Tier != "gold" {
		t.Fatalf("gold ticket: %d %s", st, body)
	}

	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(s.box.URL+"/console/"))
	loginAs(t, ctx, staffUser, staffPass, "/console/")
	waitJS(t, ctx, `document.querySelector('[data-counter-id="c1"]') !== null`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-counter-id="c1"]`)))
	waitJS(t, ctx, `document.querySelectorAll("#waiting li").length === 2 && document.querySelector('#waiting li .tier-chip') !== null`)
	if got := eval[string](t, ctx, `document.querySelector("#waiting li").dataset.number`); got != gold.Number {
		t.Errorf("first in the list = %s, want the gold ticket %s", got, gold.Number)
	}
	if got := text(t, ctx, `#waiting li[data-number="`+gold.Number+`"] .tier-chip`); got != "Gold · 金卡" {
		t.Errorf("tier chip = %q, want Gold · 金卡", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#waiting .tier-chip").length`); n != 1 {
		t.Errorf("%d tier chips, want 1 (the default tier has none)", n)
	}

	do(t, ctx, chromedp.Click(chromedp.CSS("#next")))
	waitCurrent(t, ctx, gold.Number)
	waitJS(t, ctx, `!document.getElementById("customer-card").hidden`)
	card := text(t, ctx, "#customer-card")
	for _, want := range []string{"Gold · 金卡", "Visits 2", "Last visit", "+86 138****8000", "online booking paused"} {
		if !strings.Contains(card, want) {
			t.Errorf("customer card %q lacks %q", card, want)
		}
	}
	// A date no reader can take for another: 2026-12-07, not 12/7/2026.
	if !regexp.MustCompile(`Last visit \d{4}-\d{2}-\d{2}\b`).MatchString(card) {
		t.Errorf("customer card %q: the last visit is not written as YYYY-MM-DD", card)
	}
	if strings.Contains(card, "Li Lei") || strings.Contains(card, "13800138000") || strings.Contains(card, "null") {
		t.Errorf("customer card shows personal data to staff: %q", card)
	}
	// The tier's reason, with its Chinese beside it like every other.
	if got := text(t, ctx, "#current-reason"); !strings.HasPrefix(got, "Gold · ") || !strings.Contains(got, "min to target · 金卡 · 距目标还剩") {
		t.Errorf("reason = %q, want the tier's in both languages", got)
	}
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		shot(t, "console-customer-card.png", png)
	}
	// On a 1366×768 desk screen, with the card making the ticket tall, the
	// panel T opens (under the buttons) is scrolled into sight.
	do(t, ctx, chromedp.EmulateViewport(1366, 768))
	do(t, ctx, chromedp.KeyEvent("t"))
	waitJS(t, ctx, `!document.getElementById("transfer").hidden`)
	if !eval[bool](t, ctx, `(() => { const r = document.getElementById("transfer").getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight })()`) {
		t.Error("the transfer panel opened out of sight at 1366×768")
	}
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		shot(t, "console-transfer-1366.png", png)
	}
	do(t, ctx, chromedp.KeyEvent(kb.Escape))
	waitJS(t, ctx, `document.getElementById("transfer").hidden`)
	do(t, ctx, chromedp.EmulateViewport(1440, 900))
	// Staff forgive the no-show from the card: booking is open again.
	do(t, ctx, chromedp.Click(chromedp.CSS("#customer-card [data-forgive]")))
	waitJS(t, ctx, `!document.getElementById("customer-card").hidden && document.querySelector("#customer-card [data-forgive]") === null`)
	st, body = s.box.Do(s.admin, "GET", "/api/v1/customers/"+cu.ID, nil, nil)
	if st != 200 || !strings.Contains(string(body), `"can_book":true`) {
		t.Errorf("after forgiving: %d %s", st, body)
	}
	// The next customer is anonymous: the card goes away.
	do(t, ctx, chromedp.Click(chromedp.CSS("#next")))
	waitJS(t, ctx, `document.getElementById("customer-card").hidden`)
}

// TestAdminTiersAndCSV: the admin edits tiers in the page (an error names
// its field), uploads a CSV whose bad rows are listed by line, and looks a
// customer up to see the tier the upload gave.
func TestAdminTiersAndCSV(t *testing.T) {
	t.Parallel()
	box, ctx := adminPage(t, servertest.Options{}, "/admin/")
	admin := adminClient(t, box)
	waitJS(t, ctx, `document.getElementById("customers").dataset.ready === "1"`)
	openSection(t, ctx, "customers")

	// One tier to start with (the default); add Gold above it.
	do(t, ctx, chromedp.Click(chromedp.CSS("#tier-add")))
	waitJS(t, ctx, `document.querySelectorAll("#tiers-body tr").length === 2`)
	row := `#tiers-body tr[data-tier-row="0"] `
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS(row+`[name=id]`), "Gold!"),
		chromedp.SendKeys(chromedp.CSS(row+`[name=name]`), "Gold"),
		chromedp.SendKeys(chromedp.CSS(row+`[name=name_zh]`), "金卡"),
		chromedp.SendKeys(chromedp.CSS(row+`[name=min_spend]`), "50000"),
		chromedp.SendKeys(chromedp.CSS(row+`[name=sla_minutes]`), "5"),
		chromedp.SendKeys(chromedp.CSS(row+`[name=sla_percent]`), "90"),
		chromedp.Click(chromedp.CSS("#tiers-save")),
	)
	waitJS(t, ctx, `document.getElementById("tiers-error").textContent !== ""`)
	if got := text(t, ctx, "#tiers-error"); !strings.HasPrefix(got, "Row 1, Id · 第 1 行，编号: tiers[0].id ") {
		t.Errorf("tier error = %q, want it to name the row and column, then tiers[0].id", got)
	}
	if !eval[bool](t, ctx, `document.querySelector('#tiers-body tr[data-tier-row="0"] [name=id]').getAttribute("aria-invalid") === "true"`) {
		t.Error("the faulty id is not marked")
	}
	do(t, ctx, setValue(row+`[name=id]`, "gold"), chromedp.Click(chromedp.CSS("#tiers-save")))
	waitJS(t, ctx, `document.getElementById("tiers-msg").textContent.startsWith("Saved")`)
	st, body := box.Do(admin, "GET", "/api/v1/tiers", nil, nil)
	if st != 200 || !strings.Contains(string(body), `"id":"gold"`) || !strings.Contains(string(body), `"sla_wait_seconds":300`) || !strings.Contains(string(body), `"sla_target":0.9`) || !strings.Contains(string(body), `"names":{"zh":"金卡"}`) {
		t.Fatalf("tiers after saving: %d %s", st, body)
	}

	// The CSV upload: good rows kept, the bad one listed by its line.
	csv := "phone,name,amount,at,ref\n13800138000,Li Lei,52300,2026-01-10,T-1\nnot a phone,X,1,,T-2\n"
	file := filepath.Join(t.TempDir(), "purchases.csv")
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, ctx,
		chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{file}),
		chromedp.Click(chromedp.CSS("#import-submit")),
	)
	waitJS(t, ctx, `document.getElementById("import-msg").textContent.includes("imported")`)
	if got := text(t, ctx, "#import-msg"); !strings.HasPrefix(got, "1 row imported") {
		t.Errorf("import message = %q", got)
	}
	if got := text(t, ctx, `#import-errors li[data-line="3"]`); !strings.Contains(got, "phone") {
		t.Errorf("line 3 error = %q", got)
	}

	// Look-up: the admin sees the whole phone, the tier and its reason.
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#lookup-phone"), "138 0013 8000"),
		chromedp.Click(chromedp.CSS("#lookup-submit")),
	)
	waitJS(t, ctx, `document.querySelector("#lookup-result .tier-badge") !== null`)
	if got := text(t, ctx, "#lookup-result .tier-badge"); got != "Gold · 金卡" {
		t.Errorf("tier badge = %q", got)
	}
	// The box words reasons in English; the page says them in Chinese too.
	if got := text(t, ctx, "#lookup-result [data-tier-reason]"); got != "spent 52,300 in the last 365 days ≥ 50,000 · 近 365 天消费 52,300 ≥ 50,000" {
		t.Errorf("tier reason = %q", got)
	}
	history := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#lookup-result .tier-history li")).map((li) => li.textContent)`)
	if len(history) != 2 || !strings.Contains(history[0], "— → Standard (no other tier's rule met: Gold: spent 0 in the last 365 days < 50,000 · 未满足其他等级的条件：金卡：近 365 天消费 0 < 50,000)") ||
		!strings.Contains(history[1], "Standard → Gold · 金卡 (spent 52,300") || !strings.HasSuffix(history[1], ") — by admin · admin 操作") {
		t.Errorf("tier history = %q, want both steps with their reasons in both languages", history)
	}
	if got := text(t, ctx, "#lookup-result"); !strings.Contains(got, "+8613800138000") || !strings.Contains(got, "Li Lei") {
		t.Errorf("admin look-up = %q, want the whole phone and the name", got)
	}

	// A tier set by hand needs its reason, which the history keeps.
	do(t, ctx, setValue("#override-tier", "standard"), chromedp.Click(chromedp.CSS("#override-save")))
	waitJS(t, ctx, `document.getElementById("lookup-error").textContent.startsWith("Say why")`)
	if got := text(t, ctx, "#lookup-result .tier-badge"); got != "Gold · 金卡" {
		t.Errorf("tier badge after an override without a reason = %q, want it unchanged", got)
	}
	do(t, ctx, setValue("#override-reason", "family account"), chromedp.Click(chromedp.CSS("#override-save")))
	waitJS(t, ctx, `document.querySelector("#lookup-result .tier-badge").textContent === "Standard"`)
	last := eval[string](t, ctx, `Array.from(document.querySelectorAll("#lookup-result .tier-history li")).pop().textContent`)
	if !strings.Contains(last, "Gold · 金卡 → Standard (set by an admin: family account · 管理员设定：family account) — by admin") {
		t.Errorf("last tier change = %q, want the override with its reason, by admin", last)
	}
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		shot(t, "console-admin-customers.png", png)
	}
}

// TestConsoleIssueWithPhone: the console's "new ticket" panel takes the
// phone of the customer at the desk, so the ticket is theirs (tier, visit);
// a number the box cannot read is refused next to the field and issues
// nothing; without a phone it is a plain ticket.
func TestConsoleIssueWithPhone(t *testing.T) {
	t.Parallel()
	s, cuID := goldSite(t, "")
	cu := struct {
		ID     string
		Visits int
	}{ID: cuID}

	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(s.box.URL+"/console/"))
	loginAs(t, ctx, staffUser, staffPass, "/console/")
	waitJS(t, ctx, `document.querySelector('[data-counter-id="c1"]') !== null`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-counter-id="c1"]`)))
	waitJS(t, ctx, `!document.getElementById("console").hidden`)

	openIssue := func() {
		t.Helper()
		do(t, ctx, chromedp.Click(chromedp.CSS(`button[data-action="issue"]`)))
		waitJS(t, ctx, `!document.getElementById("issue").hidden && !document.getElementById("issue-pick").hidden && document.querySelector("[data-issue-service=general]") !== null`)
	}
	issued := func() servertest.Ticket {
		t.Helper()
		waitJS(t, ctx, `!document.getElementById("issue-done").hidden && document.querySelector("[data-issued-number]").textContent !== ""`)
		id := eval[string](t, ctx, `QBConsole.S.issued.id`)
		var tk servertest.Ticket
		st, body := s.box.Do(s.admin, "GET", "/api/v1/tickets/"+id, nil, nil)
		if st != 200 || json.Unmarshal(body, &tk) != nil {
			t.Fatalf("GET ticket %s: %d %s", id, st, body)
		}
		return tk
	}

	// A number the box cannot read: said next to the field, nothing issued.
	openIssue()
	do(t, ctx, setValue("#issue-phone", "12"), chromedp.Click(chromedp.CSS("[data-issue-service=general]")))
	waitJS(t, ctx, `document.getElementById("issue-error").textContent.includes("phone")`)
	if got := text(t, ctx, "#issue-error"); !strings.Contains(got, "手机号") {
		t.Errorf("bad phone message = %q, want it in both languages", got)
	}
	if got := eval[string](t, ctx, `document.getElementById("issue-phone").getAttribute("aria-invalid") || ""`); got != "true" {
		t.Errorf("phone aria-invalid = %q, want true", got)
	}
	if !eval[bool](t, ctx, `document.getElementById("issue-done").hidden && !document.getElementById("issue-pick").hidden`) {
		t.Error("a refused phone left the service picker")
	}
	if st, body := s.box.Do(s.admin, "GET", "/api/v1/queue?service_id=general", nil, nil); st != 200 || strings.Contains(string(body), `"number"`) {
		t.Errorf("a refused phone issued a ticket: %d %s", st, body)
	}

	// The customer's number, typed the way people say it.
	do(t, ctx, setValue("#issue-phone", "138 0013 8000"))
	browsertest.Shot(t, ctx, "console-issue-phone")
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-issue-service=general]")))
	tk := issued()
	if tk.CustomerID != cu.ID || tk.Tier != "gold" {
		t.Errorf("ticket issued with the phone: customer %q tier %q, want %s gold", tk.CustomerID, tk.Tier, cu.ID)
	}
	if got := text(t, ctx, "[data-issued-customer]"); !strings.Contains(got, "Gold") {
		t.Errorf("issued panel says %q, want the customer's tier Gold", got)
	}
	if got := text(t, ctx, "#issue"); strings.Contains(got, "13800138000") || strings.Contains(got, "138 0013 8000") {
		t.Errorf("the issued panel shows the phone: %q", got)
	}
	st, body := s.box.Do(s.admin, "GET", "/api/v1/customers/"+cu.ID, nil, nil)
	if st != 200 || json.Unmarshal(body, &cu) != nil || cu.Visits != 1 {
		t.Errorf("customer after the desk ticket: %d %s, want 1 visit", st, body)
	}

	// Opening the panel again starts with an empty field: no plain ticket
	// goes to the last customer by mistake.
	do(t, ctx, chromedp.Click(chromedp.CSS("#issued-close")))
	openIssue()
	if got := eval[string](t, ctx, `document.getElementById("issue-phone").value`); got != "" {
		t.Errorf("phone field on reopening = %q, want empty", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-issue-service=general]")))
	if plain := issued(); plain.CustomerID != "" {
		t.Errorf("ticket without a phone has customer %q, want none", plain.CustomerID)
	}

	// Past the per-phone cap: said in both languages, nothing issued.
	if st, body := s.box.Do(s.admin, "PUT", "/api/v1/settings", map[string]int{"tickets_per_phone_per_day": 1}, nil); st != 200 {
		t.Fatalf("cap: %d %s", st, body)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#issued-close")))
	openIssue()
	do(t, ctx, setValue("#issue-phone", "13800138000"), chromedp.Click(chromedp.CSS("[data-issue-service=general]")))
	waitJS(t, ctx, `document.getElementById("issue-error").textContent !== ""`)
	if got := text(t, ctx, "#issue-error"); !strings.Contains(got, "today's tickets") || !strings.Contains(got, "今天取号已达上限") {
		t.Errorf("cap message = %q, want it in both languages", got)
	}
}

// TestConsoleWaitingRowsOneLine: a waiting row with its chips (priority,
// tier) keeps the waited time on the row's line at 1366×768; the service's
// name gives way (it pushed the timer under the number).
func TestConsoleWaitingRowsOneLine(t *testing.T) {
	t.Parallel()
	s, _ := goldSite(t, "Li Lei")
	// The demo branch's name for it, longer than the tests' "General".
	svc := map[string]any{"id": "general", "prefix": "A", "name": "General banking", "names": map[string]string{"zh": "综合业务", "en": "General banking"}, "avg_service_seconds": 300}
	if st, body := s.box.Do(s.admin, "PUT", "/api/v1/services/general", svc, nil); st != 200 {
		t.Fatalf("rename service: %d %s", st, body)
	}
	st, body := s.box.Do(s.admin, "POST", "/api/v1/tickets", map[string]any{"service_id": "general", "phone": "13800138000", "priority": 2}, nil)
	if st != 201 {
		t.Fatalf("gold VIP ticket: %d %s", st, body)
	}
	s.box.Issue(s.kiosk, "general")

	ctx := browser(t)
	do(t, ctx, chromedp.EmulateViewport(1366, 768))
	do(t, ctx, chromedp.Navigate(s.box.URL+"/console/"))
	loginAs(t, ctx, staffUser, staffPass, "/console/")
	waitJS(t, ctx, `document.querySelector('[data-counter-id="c1"]') !== null`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-counter-id="c1"]`)))
	waitJS(t, ctx, `document.querySelectorAll("#waiting li").length === 2 && document.querySelector("#waiting .tier-chip") !== null`)
	wrapped := eval[[]string](t, ctx, `[...document.querySelectorAll("#waiting li")].filter(li => {
  const n = li.querySelector(".num").getBoundingClientRect(), w = li.querySelector(".waited").getBoundingClientRect();
  return w.top >= n.bottom - 1;
}).map(li => li.dataset.number)`)
	if len(wrapped) > 0 {
		t.Errorf("at 1366×768 the waited time wrapped under the number in %v", wrapped)
	}
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		shot(t, "console-waiting-chips-1366.png", png)
	}
}

// TestConsoleIssueByKeyboard: a clerk using only the keyboard presses I for
// a new ticket and reaches the phone field with Tab (focus moved into the
// panel; it stayed at the top of the page, a dozen Tabs away), types the
// customer's number, leaves the field with Esc and picks the service with
// its digit: the ticket is the customer's.
func TestConsoleIssueByKeyboard(t *testing.T) {
	t.Parallel()
	s, cuID := goldSite(t, "Li Lei")
	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(s.box.URL+"/console/"))
	loginAs(t, ctx, staffUser, staffPass, "/console/")
	waitJS(t, ctx, `!document.getElementById("chooser").hidden`)
	keys(t, ctx, "1")
	waitJS(t, ctx, `document.getElementById("chooser").hidden && document.getElementById("conn").dataset.state === "live"`)
	keys(t, ctx, "i")
	waitJS(t, ctx, `!document.getElementById("issue").hidden`)
	for range 4 {
		if eval[bool](t, ctx, `document.activeElement.id === "issue-phone"`) {
			break
		}
		keys(t, ctx, kb.Tab)
	}
	if got := eval[string](t, ctx, `document.activeElement.id || document.activeElement.tagName`); got != "issue-phone" {
		t.Fatalf("after I and up to four Tabs the focus is on %s, want the phone field", got)
	}
	keys(t, ctx, "13800138000", kb.Escape, "1")
	waitJS(t, ctx, `!document.getElementById("issue-done").hidden`)
	id := eval[string](t, ctx, `QBConsole.S.issued.id`)
	var tk servertest.Ticket
	st, body := s.box.Do(s.admin, "GET", "/api/v1/tickets/"+id, nil, nil)
	if st != 200 || json.Unmarshal(body, &tk) != nil || tk.CustomerID != cuID || tk.Tier != "gold" {
		t.Errorf("ticket issued by keyboard: %d %s, want the gold customer's", st, body)
	}
}

// TestAdminPairsATill: the manager adds the till in the admin page and
// gets the key it sends its purchases with (a till has no page to open,
// so no link and no QR code); the key works for purchases and nothing else.
func TestAdminPairsATill(t *testing.T) {
	t.Parallel()
	s, cuID := goldSite(t, "")
	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(s.box.URL+"/admin/"))
	loginAs(t, ctx, "admin", servertest.AdminPassword, "/admin/")
	openSection(t, ctx, "devices")
	do(t, ctx, setValue("#dev-kind", "pos"), setValue("#dev-name", "Till 1"), chromedp.Click(chromedp.CSS(`#device-form button[type="submit"]`)))
	waitJS(t, ctx, `!document.getElementById("pairing").hidden`)
	key := text(t, ctx, "#pairing-url")
	if strings.Contains(key, "/") || len(key) < 20 {
		t.Fatalf("the till's pairing box shows %q, want its key", key)
	}
	if !eval[bool](t, ctx, `document.getElementById("pairing-qr").hidden`) {
		t.Error("a QR code is shown for a till, which has no page to open")
	}
	if got := text(t, ctx, "#pairing-how"); !strings.Contains(got, "Authorization: Bearer") {
		t.Errorf("the till's instructions = %q, want how to send the key", got)
	}
	waitJS(t, ctx, `Array.from(document.querySelectorAll("#devices-body tr")).some((r) => r.textContent.includes("Till 1") && r.textContent.includes("Till · 收银机"))`)
	bearer := map[string]string{"Authorization": "Bearer " + key}
	if st, body := s.box.Do(nil, "POST", "/api/v1/customers/"+cuID+"/purchases", map[string]any{"amount": 10, "ref": "till-1"}, bearer); st != 201 {
		t.Errorf("purchase with the till's key: %d %s", st, body)
	}
	if st, _ := s.box.Do(nil, "POST", "/api/v1/tickets", map[string]string{"service_id": "general"}, bearer); st != 403 {
		t.Errorf("ticket with the till's key: %d, want 403", st)
	}
}
