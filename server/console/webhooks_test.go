package console_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"queuebox/server/servertest"
)

// TestAdminWebhooks drives the admin page's webhooks section: add one (the
// secret is shown once), send a test event, read the delivery log, see a
// bad URL refused next to its field, delete it.
func TestAdminWebhooks(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		got  []string
		fail bool
	)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Type string `json:"type"`
		}
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &body)
		mu.Lock()
		defer mu.Unlock()
		if fail {
			http.Error(w, "nope", http.StatusBadGateway)
			return
		}
		got = append(got, body.Type)
	}))
	t.Cleanup(rcv.Close)

	box, ctx := adminPage(t, servertest.Options{}, "/admin/")
	openSection(t, ctx, "webhooks")
	waitJS(t, ctx, `document.getElementById("webhooks-body").children.length > 0`)

	// A bad URL is refused next to its field.
	do(t, ctx,
		setValue("#hook-url", "ftp://till.example/hooks"),
		chromedp.Click(chromedp.CSS(`#webhook-form button[type="submit"]`)),
	)
	waitJS(t, ctx, `document.querySelector('#webhook-form [data-error-for="url"]').textContent !== ""`)

	do(t, ctx,
		setValue("#hook-url", rcv.URL+"/hook"),
		setValue("#hook-events", "ticket.issued, ticket.called"),
		chromedp.Click(chromedp.CSS(`#webhook-form button[type="submit"]`)),
	)
	waitJS(t, ctx, `!document.getElementById("webhook-secret").hidden && document.querySelector("#webhooks-body tr[data-webhook-id]") !== null`)
	if s := text(t, ctx, "[data-webhook-secret]"); !strings.HasPrefix(s, "whsec_") {
		t.Errorf("secret shown = %q, want whsec_…", s)
	}
	if ev := text(t, ctx, "#webhooks-body tr[data-webhook-id] td:nth-child(2)"); ev != "ticket.issued, ticket.called" {
		t.Errorf("events column = %q", ev)
	}
	id := eval[string](t, ctx, `document.querySelector("#webhooks-body tr[data-webhook-id]").dataset.webhookId`)

	// The same URL again is refused next to its field, in both languages,
	// naming the webhook it already has; nothing is added.
	do(t, ctx,
		setValue("#hook-url", rcv.URL+"/hook"),
		setValue("#hook-events", "*"),
		chromedp.Click(chromedp.CSS(`#webhook-form button[type="submit"]`)),
	)
	waitJS(t, ctx, `document.querySelector('#webhook-form [data-error-for="url"]').textContent !== ""`)
	if got := text(t, ctx, `#webhook-form [data-error-for="url"]`); !strings.Contains(got, "This URL already has a webhook ("+id+")") || !strings.Contains(got, "这个 URL 已有 webhook（"+id+"）") {
		t.Errorf("adding the URL again says %q, want the sentence in English and Chinese naming %s", got, id)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#webhooks-body tr[data-webhook-id]").length`); n != 1 {
		t.Errorf("%d webhooks listed after adding the URL again, want 1", n)
	}

	// Send test event: the receiver gets it and the page says so.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#webhooks-body [data-action="test"]`)))
	waitJS(t, ctx, `document.getElementById("webhooks-msg").textContent.includes("delivered")`)
	mu.Lock()
	if len(got) != 1 || got[0] != "webhook.test" {
		t.Errorf("receiver got %v, want one webhook.test", got)
	}
	fail = true
	mu.Unlock()
	// A failing receiver: the page shows the failure and the log lists both.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#webhooks-body [data-action="test"]`)))
	waitJS(t, ctx, `document.getElementById("webhooks-msg").textContent.includes("502")`)
	waitJS(t, ctx, `document.querySelector("#webhooks-body [data-webhook-result]").textContent.includes("Failed")`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`#webhooks-body [data-action="log"]`)))
	waitJS(t, ctx, `!document.getElementById("webhook-log").hidden && document.querySelectorAll("#webhook-log-body tr").length === 2`)
	if png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#webhooks"))); err == nil {
		shot(t, "console-admin-webhooks.png", png)
	}

	// Delete takes a second click.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#webhooks-body [data-action="delete"]`)))
	waitJS(t, ctx, `document.querySelector('#webhooks-body [data-action="delete"]').dataset.armed === "1"`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`#webhooks-body [data-action="delete"]`)))
	waitJS(t, ctx, `document.querySelector("#webhooks-body tr[data-webhook-id]") === null`)
	admin := adminClient(t, box)
	if st, body := box.Do(admin, "GET", "/api/v1/webhooks", nil, nil); st != 200 || strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("GET /webhooks after delete: %d %s", st, body)
	}
}
