package console_test

import (
	"encoding/json"
	"testing"

	"github.com/chromedp/chromedp"

	"queuebox/server/servertest"
)

// TestAdminNoticeAndHolidays: the admin posts a notice and the lobby display
// shows it; takes it down and it goes; keeps a holiday calendar, with a bad
// line refused next to the field.
func TestAdminNoticeAndHolidays(t *testing.T) {
	t.Parallel()
	box := servertest.Start(t, servertest.Options{})
	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(box.URL+"/admin/"))
	loginAs(t, ctx, "admin", servertest.AdminPassword, "/admin/")
	openSection(t, ctx, "calendar")

	lobby, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	do(t, lobby, chromedp.Navigate(box.URL+"/display/"))
	waitJS(t, lobby, `document.getElementById("notice") !== null && document.getElementById("notice").hidden`)

	do(t, ctx,
		setValue("#notice-text", "Counter 3 closed for lunch · 3号窗口午休"),
		setValue("#notice-minutes", "30"),
		chromedp.Click(chromedp.CSS("#notice-post")),
	)
	waitJS(t, ctx, `document.getElementById("notice-msg").textContent.startsWith("Showing")`)
	waitJS(t, lobby, `!document.querySelector("[data-notice]").hidden && document.querySelector("[data-notice]").textContent === "Counter 3 closed for lunch · 3号窗口午休"`)
	if png, err := chromedp.Run(lobby, chromedp.CaptureScreenshot()); err == nil {
		shot(t, "display-notice.png", png)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#notice-clear")))
	waitJS(t, lobby, `document.querySelector("[data-notice]").hidden`)

	do(t, ctx,
		setValue("#days-text", "2026-12-25 closed\nnext friday closed"),
		chromedp.Click(chromedp.CSS(`#days-form button[type="submit"]`)),
	)
	waitJS(t, ctx, `document.querySelector('#days-form [data-error-for="special_days"]').textContent.includes("line 2")`)
	do(t, ctx,
		setValue("#days-text", "2026-12-31 09:00-12:00\n2026-12-25 closed"),
		chromedp.Click(chromedp.CSS(`#days-form button[type="submit"]`)),
	)
	waitJS(t, ctx, `document.getElementById("days-msg").textContent !== "" && document.getElementById("days-text").value === "2026-12-25 closed\n2026-12-31 09:00-12:00"`)
	st, body := box.Do(adminClient(t, box), "GET", "/api/v1/settings", nil, nil)
	var got struct {
		SpecialDays map[string]string `json:"special_days"`
	}
	if st != 200 || json.Unmarshal(body, &got) != nil || len(got.SpecialDays) != 2 || got.SpecialDays["2026-12-25"] != "" || got.SpecialDays["2026-12-31"] != "09:00-12:00" {
		t.Errorf("settings after saving the calendar: %d %s", st, body)
	}
}
