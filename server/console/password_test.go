package console_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"queuebox/server/servertest"
)

// TestConsoleOwnPassword: a clerk changes their own password in the console;
// when an admin then disables them, their open console goes to the login
// page by itself (its live socket is closed with "ended").
func TestConsoleOwnPassword(t *testing.T) {
	t.Parallel()
	s := newSite(t, servertest.Options{})
	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(s.box.URL+"/console/"))
	loginAs(t, ctx, staffUser, staffPass, "/console/")
	waitJS(t, ctx, `document.querySelector("#conn").dataset.state === "live"`)

	do(t, ctx, chromedp.Click(chromedp.CSS("#pw-open")), chromedp.WaitVisible(chromedp.CSS("#pw-current")))
	// A wrong current password is said plainly.
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS("#pw-current"), "not-my-password"),
		chromedp.SendKeys(chromedp.CSS("#pw-new"), "alice-new-pass-2"),
		chromedp.SendKeys(chromedp.CSS("#pw-again"), "alice-new-pass-2"),
		chromedp.Click(chromedp.CSS(`#pw-form button[type="submit"]`)),
	)
	waitSlow(t, ctx, `document.querySelector("#pw-error").textContent.includes("current password is wrong")`)
	do(t, ctx,
		setValue("#pw-current", staffPass),
		chromedp.Click(chromedp.CSS(`#pw-form button[type="submit"]`)),
	)
	waitSlow(t, ctx, `!document.querySelector("#pw-ok").hidden`)
	if st, body := s.box.Do(nil, "POST", "/api/v1/session", map[string]string{"username": staffUser, "password": "alice-new-pass-2"}, nil); st != 200 {
		t.Fatalf("login with the new password: %d %s", st, body)
	}
	// The console is still live in the session that changed it.
	waitJS(t, ctx, `document.querySelector("#conn").dataset.state === "live"`)

	if st, body := s.box.Do(s.admin, "PUT", "/api/v1/users/"+staffUser, map[string]any{"disabled": true}, nil); st != 200 {
		t.Fatalf("disable: %d %s", st, body)
	}
	waitPath(t, ctx, "/login/")
}

// waitSlow is waitJS for a step that checks and hashes passwords: under
// -race on a busy runner that can take many seconds.
func waitSlow(t *testing.T, ctx context.Context, js string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(6*waitFor))); err != nil {
		t.Fatalf("waiting for %s: %v", js, err)
	}
}
