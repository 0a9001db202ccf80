package display_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"queuebox/server/browsertest"
	"queuebox/server/config"
	"queuebox/server/servertest"
)

// TestStatusGreetsByTier: the phone page of a known Gold customer's ticket
// says so, in both languages, and never shows the phone number; an
// anonymous ticket's page has no greeting.
func TestStatusGreetsByTier(t *testing.T) {
	ctx := browsertest.New(t, browsertest.Options{Width: 390, Height: 844, Timeout: 2 * time.Minute})
	box := servertest.Start(t, servertest.Options{Config: func(c *config.Config) {
		c.Tiers = []config.Tier{{ID: "gold", Name: "Gold", Names: map[string]string{"zh": "金卡"}, MinSpend: 100}, {ID: "standard", Name: "Standard"}}
	}})
	admin := box.Admin()
	var cu struct{ ID string }
	st, body := box.Do(admin, "POST", "/api/v1/customers", map[string]string{"phone": "13800138000"}, nil)
	if st != 201 || json.Unmarshal(body, &cu) != nil {
		t.Fatalf("customer: %d %s", st, body)
	}
	if st, body := box.Do(admin, "POST", "/api/v1/customers/"+cu.ID+"/purchases", map[string]any{"amount": 500, "ref": "r"}, nil); st != 201 {
		t.Fatalf("purchase: %d %s", st, body)
	}
	var gold servertest.Ticket
	st, body = box.Do(admin, "POST", "/api/v1/tickets", map[string]string{"service_id": "general", "phone": "13800138000"}, nil)
	if st != 201 || json.Unmarshal(body, &gold) != nil {
		t.Fatalf("ticket: %d %s", st, body)
	}
	anon := box.Issue(box.Device("kiosk"), "general")

	do(t, ctx, chromedp.Navigate(gold.StatusURL))
	got := waitFor[string](t, ctx, "greeting", `(function () { var g = document.querySelector("[data-greet]"); return g && !g.hidden ? g.textContent : ""; })()`, 5*time.Second)
	if got != "Welcome, Gold member" {
		t.Errorf("greeting = %q", got)
	}
	if page := pageText(ctx); strings.Contains(page, "138") {
		t.Errorf("the status page shows the phone: %q", page)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#lang")))
	got = waitFor[string](t, ctx, "greeting in Chinese", `(function () { var g = document.querySelector("[data-greet]"); return g && g.textContent.indexOf("金卡") >= 0 ? g.textContent : ""; })()`, 5*time.Second)
	if got != "欢迎您，金卡会员" {
		t.Errorf("Chinese greeting = %q", got)
	}
	shot(t, ctx, "status-greet")

	// Called, the page turns green: the greeting must still be readable
	// there (the audit in shot checks its contrast).
	if st, body := box.Do(admin, "POST", "/api/v1/counters/c1/next", nil, nil); st != 200 || !strings.Contains(string(body), gold.Number) {
		t.Fatalf("call: %d %s, want %s called", st, body, gold.Number)
	}
	waitFor[bool](t, ctx, "called page", `document.body.classList.contains("st-called")`, 5*time.Second)
	if eval[bool](t, ctx, `document.querySelector("[data-greet]").hidden`) {
		t.Error("the called page lost the greeting")
	}
	shot(t, ctx, "status-greet-called")

	do(t, ctx, chromedp.Navigate(anon.StatusURL))
	waitFor[bool](t, ctx, "anonymous page", `document.getElementById("number").textContent === `+js(anon.Number), 5*time.Second)
	if eval[bool](t, ctx, `!document.querySelector("[data-greet]").hidden`) {
		t.Error("an anonymous ticket's page greets someone")
	}
}
