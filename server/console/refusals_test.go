package console_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"queuebox/server/catalogtest"
	"queuebox/server/servertest"
)

// conflictCodes reads the codes of every 409 in the server's error
// catalogue (server/errors.go): each is a refusal some page may be given.
func conflictCodes(t *testing.T) []string {
	t.Helper()
	entries, err := catalogtest.Read("../errors.go")
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, e := range entries {
		if e.Status == "StatusConflict" {
			codes = append(codes, e.Code)
		}
	}
	if len(codes) < 10 {
		t.Fatalf("read %d 409 codes from errors.go (%v): the reader no longer understands it", len(codes), codes)
	}
	return codes
}

// TestConsoleSaysRefusalsInBothLanguages: a refusal (409) of the box is
// shown on the counter console in English and Chinese, from the console's
// own words for its code: every 409 of the catalogue has them, and a real
// one (calling by number a ticket already called) shows them.
func TestConsoleSaysRefusalsInBothLanguages(t *testing.T) {
	t.Parallel()
	s := newSite(t, servertest.Options{})
	tk := s.box.Issue(s.kiosk, "general")
	if _, ok := s.box.Next(s.admin, "c2"); !ok {
		t.Fatal("nothing to call at c2")
	}

	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(s.box.URL+"/console/"))
	loginAs(t, ctx, staffUser, staffPass, "/console/")
	waitJS(t, ctx, `!document.getElementById("chooser").hidden && document.querySelector('[data-counter-id="c1"]') !== null`)
	keys(t, ctx, "1")
	waitJS(t, ctx, `document.getElementById("conn").dataset.state === "live"`)

	for _, code := range conflictCodes(t) {
		got := eval[string](t, ctx, `QBConsole.errorText({status: 409, code: `+jsString(code)+`, message: "the box's words"})`)
		if got == "the box's words" || !han.MatchString(got) || !strings.Contains(got, " · ") {
			t.Errorf("409 %s is shown as %q, want the console's sentence in English · Chinese", code, got)
		}
	}

	// The ticket is at c2 already: calling it by number here is refused.
	keys(t, ctx, "#")
	waitJS(t, ctx, `!document.getElementById("bynumber").hidden && document.activeElement.id === "bynumber-number"`)
	keys(t, ctx, strings.ToLower(tk.Number), kb.Enter)
	waitJS(t, ctx, `document.activeElement.id === "bynumber-reason"`)
	keys(t, ctx, "came back", kb.Enter)
	waitJS(t, ctx, `/只有等候中或暂挂的号可以指定叫号/.test(document.getElementById("bynumber-error").textContent)`)
	if got := text(t, ctx, "#bynumber-error"); !strings.Contains(got, "Only a waiting or parked ticket can be called by number") {
		t.Errorf("refusal = %q, want it in English too", got)
	}
}
