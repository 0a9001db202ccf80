package console_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"queuebox/server/browsertest"
	"queuebox/server/servertest"
)

// TestManagerView opens the admin page as a manager would: today's figures
// first, moving with the queue without a reload, then the reports with
// their charts, closing the day and staffing advice.
func TestManagerView(t *testing.T) {
	t.Parallel()
	box := servertest.Start(t, servertest.Options{})
	admin := adminClient(t, box)
	kiosk := box.Device("kiosk")
	first := box.Issue(kiosk, "general")
	box.Issue(kiosk, "general")

	ctx := browser(t)
	net, err := browsertest.WatchRequests(ctx)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	do(t, ctx, chromedp.Navigate(box.URL+"/admin/"))
	loginAs(t, ctx, "admin", servertest.AdminPassword, "/admin/")
	kpi := func(key string) string {
		return `(document.querySelector('[data-today-kpi="` + key + `"] .kpi-value') || {}).textContent`
	}

	t.Run("today is the first screen", func(t *testing.T) {
		waitJS(t, ctx, `document.getElementById("today").dataset.ready === "1"`)
		if got := eval[string](t, ctx, kpi("waiting_now")); got != "2" {
			t.Errorf("waiting now = %q, want 2", got)
		}
		// Today comes before every settings section.
		if got := eval[string](t, ctx, `document.querySelector("main.admin > section").id`); got != "today" {
			t.Errorf("first section = %q, want today", got)
		}
		if got := eval[string](t, ctx, `document.querySelector(".admin-nav a").getAttribute("href")`); got != "#today" {
			t.Errorf("first nav link = %q", got)
		}
	})

	t.Run("moves with the queue, no reload", func(t *testing.T) {
		do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.__same = true`))
		box.Issue(kiosk, "cash")
		waitJS(t, ctx, kpi("waiting_now")+` === "3"`)
		tk, _ := box.Next(admin, "c2")
		if tk.ID != first.ID {
			t.Fatalf("called %s, want %s", tk.Number, first.Number)
		}
		for _, step := range []string{"start", "finish"} {
			if st, body := box.Do(admin, "POST", "/api/v1/tickets/"+first.ID+"/"+step, nil, nil); st != 200 {
				t.Fatalf("%s: %d %s", step, st, body)
			}
		}
		waitJS(t, ctx, kpi("served")+` === "1" && `+kpi("waiting_now")+` === "2"`)
		if !eval[bool](t, ctx, `window.__same === true`) {
			t.Error("the page reloaded")
		}
		if eval[string](t, ctx, `document.getElementById("today-live").dataset.state`) != "live" {
			t.Error("today's view is not on the live socket")
		}
		if png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#today"))); err == nil {
			shot(t, "admin-today.png", png)
		}
	})

	t.Run("reports with labelled charts from the box", func(t *testing.T) {
		waitJS(t, ctx, `document.getElementById("reports").dataset.ready === "1"`)
		openSection(t, ctx, "reports")
		// The report was drawn when the page opened; Show draws it again.
		do(t, ctx, chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)))
		waitJS(t, ctx, `document.querySelectorAll("#report-rows tr[data-report-row]").length === 3`)
		waitJS(t, ctx, `Array.from(document.querySelectorAll("img[data-chart]")).every((i) => i.complete && i.naturalWidth > 0) && document.querySelectorAll("img[data-chart]").length === 4`)
		charts := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("img[data-chart]")).map((i) => i.dataset.chart + "|" + i.alt + "|" + i.closest("figure").querySelector("figcaption").textContent)`)
		for _, c := range charts {
			parts := strings.Split(c, "|")
			if len(parts) != 3 || parts[1] == "" || parts[1] != parts[2] {
				t.Errorf("chart %q: no label", c)
			}
		}
		rows := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#report-rows tr[data-report-row]")).map((r) => r.dataset.reportRow + ":" + r.children[2].textContent)`)
		if strings.Join(rows, ",") != "cash:0,general:1,total:1" {
			t.Errorf("report rows (key:served) = %v", rows)
		}
		// The table and tickets come as CSV from the box.
		for _, id := range []string{"rep-csv", "rep-tickets"} {
			href := eval[string](t, ctx, `document.getElementById("`+id+`").href`)
			u, err := url.Parse(href)
			if err != nil || !strings.HasPrefix(u.Path, "/api/v1/reports/") || !strings.HasSuffix(u.Path, ".csv") {
				t.Errorf("%s href = %q", id, href)
			}
		}
		// Chinese charts are drawn by the box too.
		do(t, ctx, setValue("#rep-lang", "zh"))
		waitJS(t, ctx, `Array.from(document.querySelectorAll("img[data-chart]")).every((i) => i.src.includes("lang=zh") && i.complete && i.naturalWidth > 0)`)
		if png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#reports"))); err == nil {
			shot(t, "admin-reports.png", png)
		}
	})

	t.Run("staffing advice", func(t *testing.T) {
		do(t, ctx, chromedp.Click(chromedp.CSS(`#staffing-form button[type="submit"]`)))
		waitJS(t, ctx, `document.querySelectorAll("#staffing-rows tr[data-staffing-hour]").length >= 1`)
	})

	t.Run("closing the day", func(t *testing.T) {
		openSection(t, ctx, "today")
		do(t, ctx, chromedp.Click(chromedp.CSS("#issuing-toggle")))
		waitJS(t, ctx, `document.getElementById("today").dataset.issuingStopped === "1"`)
		st, body := box.Do(nil, "POST", "/api/v1/tickets", map[string]string{"service_id": "general"}, map[string]string{"Authorization": "Bearer " + kiosk})
		if st != 409 || !strings.Contains(string(body), "issuing_stopped") {
			t.Errorf("issue after stop: %d %s", st, body)
		}
		// Two clicks end the waiting tickets; the view follows.
		do(t, ctx, chromedp.Click(chromedp.CSS("#send-home")), chromedp.Click(chromedp.CSS("#send-home")))
		waitJS(t, ctx, kpi("waiting_now")+` === "0"`)
		do(t, ctx, chromedp.Click(chromedp.CSS("#day-end-btn")))
		waitJS(t, ctx, `document.querySelectorAll('#day-end table[data-day-end="services"] tbody tr').length >= 2`)
		do(t, ctx, chromedp.Click(chromedp.CSS("#issuing-toggle")))
		waitJS(t, ctx, `document.getElementById("today").dataset.issuingStopped === "0"`)
	})

	base, _ := url.Parse(box.URL)
	for _, u := range net.URLs() {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "data" && p.Scheme != "about" && p.Scheme != "blob" && p.Host != base.Host) {
			t.Errorf("request to another host: %s", u)
		}
	}
	if len(net.URLs()) == 0 {
		t.Error("no requests recorded")
	}
}
