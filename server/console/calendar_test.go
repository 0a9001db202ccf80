package console_test

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/chromedp/chromedp"

	"queuebox/server/browsertest"
	"queuebox/server/servertest"
)

// TestAdminNoticeAndHolidays: the admin posts a notice and the lobby display
// shows it; takes it down and it goes; keeps one calendar of holidays and
// special hours, with a bad range refused next to its date.
func TestAdminNoticeAndHolidays(t *testing.T) {
	t.Parallel()
	box, ctx := adminPage(t, servertest.Options{}, "/admin/")
	openSection(t, ctx, "calendar")
	if st, body := box.Do(adminClient(t, box), "PUT", "/api/v1/settings", map[string]any{"closed_dates": []string{"2026-12-24"}}, nil); st != 200 {
		t.Fatalf("closed_dates: %d %s", st, body)
	}

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

	// The one holiday editor: the older closed_dates list shows as closed
	// days; a date is closed all day or has its own hours; a bad range is
	// refused next to its date; saving moves everything into special_days.
	do(t, ctx, chromedp.Reload())
	openSection(t, ctx, "calendar")
	waitJS(t, ctx, `(r => r !== null && r.querySelector('input[value="closed"]').checked)(document.querySelector('#days-list [data-date="2026-12-24"]'))`)
	addDate := func(d string) {
		t.Helper()
		do(t, ctx, setValue("#day-new", d), chromedp.Click(chromedp.CSS("#day-add")))
		waitJS(t, ctx, `document.querySelector('#days-list [data-date="`+d+`"]') !== null`)
	}
	addDate("2026-12-31")
	addDate("2026-12-25")
	row := `#days-list [data-date="2026-12-31"] `
	do(t, ctx, chromedp.Click(chromedp.CSS(row+`input[value="hours"]`)))
	waitJS(t, ctx, `document.querySelectorAll('`+row+`.range').length === 1`)
	do(t, ctx,
		setValue(row+".range .from", "18:00"),
		setValue(row+".range .to", "08:00"),
		chromedp.Click(chromedp.CSS("#days-save")),
	)
	waitJS(t, ctx, `document.querySelector('[data-error-for="special_days.2026-12-31"]').textContent !== ""`)
	do(t, ctx, setValue(row+".range .from", "09:00"), setValue(row+".range .to", "12:00"))
	browsertest.Shot(t, ctx, "admin-holidays")
	do(t, ctx, chromedp.Click(chromedp.CSS("#days-save")))
	waitJS(t, ctx, `document.getElementById("days-msg").textContent.startsWith("Calendar saved")`)
	var got struct {
		SpecialDays map[string]string `json:"special_days"`
		ClosedDates []string          `json:"closed_dates"`
	}
	st, body := box.Do(adminClient(t, box), "GET", "/api/v1/settings", nil, nil)
	want := map[string]string{"2026-12-24": "", "2026-12-25": "", "2026-12-31": "09:00-12:00"}
	if st != 200 || json.Unmarshal(body, &got) != nil || !maps.Equal(got.SpecialDays, want) || len(got.ClosedDates) != 0 {
		t.Errorf("settings after saving the calendar: %d %s, want special_days %v and no closed_dates", st, body, want)
	}
	// Removing a date and saving takes it out; the list is drawn again from
	// what the box kept.
	do(t, ctx, chromedp.Click(chromedp.CSS(`#days-list [data-date="2026-12-25"] button[aria-label^="Remove"]`)), chromedp.Click(chromedp.CSS("#days-save")))
	waitJS(t, ctx, `document.querySelectorAll("#days-list [data-date]").length === 2`)
	got.SpecialDays = nil
	if st, body := box.Do(adminClient(t, box), "GET", "/api/v1/settings", nil, nil); st != 200 || json.Unmarshal(body, &got) != nil || len(got.SpecialDays) != 2 || got.SpecialDays["2026-12-31"] != "09:00-12:00" {
		t.Errorf("settings after removing a date: %d %s", st, body)
	}
}
