package console_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"queuebox/server/browsertest"
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

// TestAdminOwnPassword: on the admin page's user list, the admin's own row
// asks for the current password (the server wants it from everybody who
// changes their own), other rows do not; a wrong one is said plainly and
// the right one changes the password while the page stays logged in.
func TestAdminOwnPassword(t *testing.T) {
	t.Parallel()
	s := newSite(t, servertest.Options{})
	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(s.box.URL+"/admin/#users"))
	loginAs(t, ctx, "admin", servertest.AdminPassword, "/admin/")
	openSection(t, ctx, "users")
	row := `#users-body tr[data-username="admin"]`
	waitJS(t, ctx, `document.querySelector('`+row+`') !== null && document.querySelector('#users-body tr[data-username="`+staffUser+`"]') !== null`)

	// Another user's password is reset without theirs.
	other := `#users-body tr[data-username="` + staffUser + `"]`
	do(t, ctx, chromedp.Click(chromedp.CSS(other+` .row-actions button:not(.danger)`)))
	waitJS(t, ctx, `document.activeElement === document.querySelector('`+other+` input.pw-new')`)
	if n := eval[int](t, ctx, `document.querySelectorAll('`+other+` input.pw-current').length`); n != 0 {
		t.Errorf("%d current-password fields on another user's row, want none", n)
	}

	do(t, ctx, chromedp.Click(chromedp.CSS(row+` .row-actions button:not(.danger)`)))
	waitJS(t, ctx, `document.activeElement === document.querySelector('`+row+` input.pw-current')`)
	browsertest.CheckA11y(t, ctx, "console-admin-own-password")
	do(t, ctx,
		chromedp.SendKeys(chromedp.CSS(row+` input.pw-current`), "not-the-password"),
		chromedp.SendKeys(chromedp.CSS(row+` input.pw-new`), "admin-new-pass-2"),
		chromedp.Click(chromedp.CSS(row+` form button[type="submit"]`)),
	)
	waitSlow(t, ctx, `/current password is wrong/.test(document.querySelector('`+row+` .row-msg').textContent)`)
	do(t, ctx,
		setValue(row+` input.pw-current`, servertest.AdminPassword),
		chromedp.Click(chromedp.CSS(row+` form button[type="submit"]`)),
	)
	waitSlow(t, ctx, `/Password changed/.test((document.querySelector('`+row+` .row-msg') || {}).textContent)`)
	if st, body := s.box.Do(nil, "POST", "/api/v1/session", map[string]string{"username": "admin", "password": "admin-new-pass-2"}, nil); st != 200 {
		t.Fatalf("login with the new password: %d %s", st, body)
	}
	// The admin's other sessions end; the page's own stays.
	if st, body := s.box.Do(s.admin, "GET", "/api/v1/session", nil, nil); st != 401 {
		t.Errorf("the admin's other session after the change: %d %s, want 401", st, body)
	}
	do(t, ctx, chromedp.Reload())
	waitJS(t, ctx, `document.body.dataset.ready === "1" && location.pathname === "/admin/"`)
}
