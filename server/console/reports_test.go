package console_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"queuebox/server/browsertest"
	"queuebox/server/queue"
	"queuebox/server/servertest"
	"queuebox/server/store"
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
		// The table is wider than the section: a keyboard must reach its scroll.
		browsertest.Shot(t, ctx, "admin-reports")
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

// pastWeekdays writes the history of three past weeks' same weekday as
// today into dir: at 10:00 one general ticket per counter at work, the
// counters c1, c2 and c3 on the first two days and c1 and c2 on the
// third, so on average 2.7 counters were at work at 10 (8 of 3 days).
func pastWeekdays(t *testing.T, dir string) {
	t.Helper()
	loc := servertest.Location()
	now := servertest.StartAt().In(loc) // the box's today
	id := 0
	err := store.WriteHistory(dir, func(apply func(*queue.Change) error) error {
		st := queue.DefaultSettings()
		st.Timezone = "Asia/Shanghai"
		for _, d := range queue.Days {
			st.Hours[d] = "00:00-24:00"
		}
		if err := apply(&queue.Change{Settings: &st,
			Services: []queue.Service{{ID: "general", Prefix: "A", Name: "General", Names: map[string]string{"zh": "综合业务"}, AvgServiceSeconds: 300}},
			Counters: []queue.Counter{{ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general"}}, {ID: "c2", Name: "Counter 2", ServiceIDs: []string{"general"}},
				{ID: "c3", Name: "Counter 3", ServiceIDs: []string{"general"}}},
			Tiers: []queue.Tier{{ID: "gold", Name: "Gold", Names: map[string]string{"zh": "金卡"}}, {ID: "standard", Name: "Standard", Names: map[string]string{"zh": "普通"}}},
		}); err != nil {
			return err
		}
		for w, ctrs := range [][]string{{"c1", "c2", "c3"}, {"c1", "c2", "c3"}, {"c1", "c2"}} {
			day := time.Date(now.Year(), now.Month(), now.Day(), 10, 0, 0, 0, loc).AddDate(0, 0, -7*(w+1))
			date := day.Format(time.DateOnly)
			for i, c := range ctrs {
				id++
				issued := day.Add(time.Duration(i) * time.Minute)
				called, started, ended := issued.Add(4*time.Minute), issued.Add(5*time.Minute), issued.Add(10*time.Minute)
				tk := queue.Ticket{ID: fmt.Sprint(id), Number: fmt.Sprintf("A%03d", i+1), ServiceID: "general", Status: queue.StatusDone,
					Token: fmt.Sprint("tok", id), Date: date, IssuedAt: issued, CalledAt: &called, StartedAt: &started, EndedAt: &ended,
					CounterID: c, Tier: "standard"}
				ctr := &queue.Counter{ID: c, Name: c, ServiceIDs: []string{"general"}}
				evs := []queue.Event{
					{Seq: uint64(4*id + 0), Type: queue.EventIssued, At: issued, Ticket: &tk},
					{Seq: uint64(4*id + 1), Type: queue.EventCalled, At: called, Ticket: &tk, Counter: ctr},
					{Seq: uint64(4*id + 2), Type: queue.EventStarted, At: started, Ticket: &tk, Counter: ctr},
					{Seq: uint64(4*id + 3), Type: queue.EventFinished, At: ended, Ticket: &tk, Counter: ctr},
				}
				if err := apply(&queue.Change{Tickets: []queue.Ticket{tk}, Events: evs,
					Numbers: []queue.DayNumber{{Prefix: "A", Date: date, Last: i + 1}}}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("write history: %v", err)
	}
}

// TestReportsSpeakTheManagersWords: a report names services, counters,
// tiers and weekdays as the manager knows them, not by their ids, and the
// staffing advice gives counters to one decimal and its weekday by name.
func TestReportsSpeakTheManagersWords(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pastWeekdays(t, dir)
	box, ctx := adminPage(t, servertest.Options{Dir: dir}, "/admin/#reports")
	openSection(t, ctx, "reports")
	waitJS(t, ctx, `document.getElementById("reports").dataset.ready === "1"`)
	for _, c := range []struct{ by, key, want string }{
		{"service", "general", "General · 综合业务"},
		{"counter", "c1", "Counter 1"},
		{"tier", "standard", "Standard · 普通"},
		{"weekday", strings.ToLower(box.Now().In(servertest.Location()).Weekday().String()[:3]), ""},
	} {
		do(t, ctx, setValue("#rep-by", c.by), chromedp.Click(chromedp.CSS(`#report-form button[type="submit"]`)))
		row := `#report-rows tr[data-report-row="` + c.key + `"] td`
		waitJS(t, ctx, `document.querySelector(`+jsString(row)+`) !== null`)
		got := text(t, ctx, row)
		if c.want == "" {
			c.want = map[string]string{"mon": "Mon · 周一", "tue": "Tue · 周二", "wed": "Wed · 周三", "thu": "Thu · 周四",
				"fri": "Fri · 周五", "sat": "Sat · 周六", "sun": "Sun · 周日"}[c.key]
		}
		if got != c.want {
			t.Errorf("by %s: row %s is labelled %q, want %q", c.by, c.key, got, c.want)
		}
	}

	do(t, ctx, chromedp.Click(chromedp.CSS(`#staffing-form button[type="submit"]`)))
	waitJS(t, ctx, `document.querySelector('#staffing-rows tr[data-staffing-hour="10"]') !== null`)
	cells := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#staffing-rows tr[data-staffing-hour="10"] td')).map((c) => c.textContent)`)
	if len(cells) != 7 || cells[5] != "2.7" || len(cells[6]) > 4 {
		t.Errorf("staffing at 10:00 = %q, want 2.7 counters open and a gap to one decimal", cells)
	}
	note := text(t, ctx, "#staffing-note")
	wd := box.Now().In(servertest.Location()).Weekday().String()
	if !strings.HasPrefix(note, "3 "+wd+"s from ") || !strings.Contains(note, "3 个星期") {
		t.Errorf("staffing note = %q, want it to count 3 %ss in both languages", note, wd)
	}
	if png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#reports"))); err == nil {
		shot(t, "admin-reports-named.png", png)
	}
}

// TestAdminBookmarkSurvivesLogin: a manager's bookmark of one admin
// section (/admin/#customers) opens that section after the login page.
func TestAdminBookmarkSurvivesLogin(t *testing.T) {
	t.Parallel()
	_, ctx := adminPage(t, servertest.Options{}, "/admin/#customers")
	if got := location(t, ctx).Fragment; got != "customers" {
		t.Errorf("after the login the address's section is %q, want customers", got)
	}
	waitJS(t, ctx, `!document.getElementById("customers").hidden && document.querySelectorAll("main section.admin-section:not([hidden])").length === 1`)
}

// TestAdminFitsAPhone: on a phone every admin section fits the screen's
// width; a wide table scrolls inside its section, never the whole page.
func TestAdminFitsAPhone(t *testing.T) {
	t.Parallel()
	box := servertest.Start(t, servertest.Options{})
	ctx := browser(t)
	do(t, ctx, chromedp.EmulateViewport(390, 844))
	do(t, ctx, chromedp.Navigate(box.URL+"/admin/"))
	loginAs(t, ctx, "admin", servertest.AdminPassword, "/admin/")
	waitJS(t, ctx, `document.getElementById("customers").dataset.ready === "1" && document.getElementById("reports").dataset.ready === "1"`)
	for _, id := range eval[[]string](t, ctx, `Array.from(document.querySelectorAll("main section.admin-section")).map((s) => s.id)`) {
		openSection(t, ctx, id)
		browsertest.Shot(t, ctx, "phone-admin-"+id) // and its accessibility audit
		if wide := eval[string](t, ctx, `(() => {
			const w = document.documentElement.clientWidth;
			if (document.documentElement.scrollWidth <= w) return "";
			const e = Array.from(document.querySelectorAll("body *")).find((e) => e.getBoundingClientRect().right > w + 1 && !e.closest("table"));
			return e ? e.tagName + "#" + e.id + "." + e.className : "a table";
		})()`); wide != "" {
			t.Errorf("section %s is wider than a phone: %s sticks out", id, wide)
		}
	}
}

// TestTodayNamesATierAlert: a Gold customer waiting past Gold's promise
// is an alert on today's view that names the tier as the manager named
// it, in both languages, not by its id.
func TestTodayNamesATierAlert(t *testing.T) {
	t.Parallel()
	// Ten minutes before 11:00: the wait below never crosses midnight.
	clock := servertest.NewClock(servertest.Today(10, 50))
	s, _ := goldSiteOn(t, "", clock)
	if st, body := s.box.Do(nil, "POST", "/api/v1/tickets", map[string]string{"service_id": "general", "phone": "13800138000"},
		map[string]string{"Authorization": "Bearer " + s.kiosk}); st != 201 {
		t.Fatalf("gold ticket: %d %s", st, body)
	}
	clock.Advance(10 * time.Minute) // ten minutes later: past Gold's five

	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(s.box.URL+"/admin/"))
	loginAs(t, ctx, "admin", servertest.AdminPassword, "/admin/")
	waitJS(t, ctx, `document.querySelector('#today-alerts [data-alert="tier:gold"]') !== null`)
	waitJS(t, ctx, `document.querySelector('#today-alerts [data-alert="tier:gold"]').textContent.startsWith("Gold · 金卡")`)
}

// TestAdminSpeaksBothLanguages: every label, heading, hint and button of
// every admin section says its words in Chinese too (an English-only hint
// is a half-translated screen). Words that are the same in both (ID, URL,
// p50) and the branch's own names (a service's, beside its check box) are
// let through.
func TestAdminSpeaksBothLanguages(t *testing.T) {
	t.Parallel()
	_, ctx := adminPage(t, servertest.Options{}, "/admin/")
	waitJS(t, ctx, `document.getElementById("customers").dataset.ready === "1" && document.getElementById("reports").dataset.ready === "1"`)
	for _, id := range eval[[]string](t, ctx, `Array.from(document.querySelectorAll("main section.admin-section")).map((s) => s.id)`) {
		openSection(t, ctx, id)
		browsertest.Shot(t, ctx, "admin-"+id)
		for _, s := range eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#`+id+` :is(h2, h3, label, legend, th, button, .hint, p.muted)"))
			.filter((e) => e.offsetParent !== null && !e.closest(".checks"))
			.map((e) => e.textContent.trim())
			.filter((s) => /[A-Za-z]{3}/.test(s) && !/[\u4e00-\u9fff]/.test(s) && !/^(ID|URL|p50|p90|English|e\.g\. |https?:|[a-z0-9._:-]+$)/.test(s))`) {
			t.Errorf("section %s: %q has no Chinese", id, s)
		}
	}
}

// TestReportsStartFromTheBoxsDateWithoutIssuing: when GET /issuing (which
// tells the page the business date) fails, the reports still open on the
// branch's date by the box's clock — at 01:30 in Shanghai the UTC date is
// still yesterday, which the page used to fall back to — and when the box
// cannot say its zone either, the page says so instead of guessing.
func TestReportsStartFromTheBoxsDateWithoutIssuing(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		failed []string
	}{
		{"issuing fails", []string{"*/api/v1/issuing*"}},
		{"settings fail too", []string{"*/api/v1/issuing*", "*/api/v1/settings*"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			box := servertest.Start(t, servertest.Options{Clock: servertest.NewClock(servertest.Today(1, 30))})
			today := box.Now().In(servertest.Location()).Format("2006-01-02")
			if box.Now().UTC().Format("2006-01-02") == today {
				t.Fatal("the box's UTC date is its local one: the test would prove nothing")
			}
			ctx := browser(t)
			failRequests(t, ctx, c.failed...)
			do(t, ctx, chromedp.Navigate(box.URL+"/admin/#reports"))
			loginAs(t, ctx, "admin", servertest.AdminPassword, "/admin/")
			openSection(t, ctx, "reports")
			errSlot := `#report-form [data-error-for=""]`
			waitJS(t, ctx, `document.getElementById("reports").dataset.ready === "1" || document.querySelector(`+jsString(errSlot)+`).textContent !== ""`)
			got, shown := eval[string](t, ctx, `document.getElementById("rep-to").value`), text(t, ctx, errSlot)
			if len(c.failed) == 1 {
				if got != today || shown != "" {
					t.Errorf("the reports open on %q with error %q, want the box's date %s", got, shown, today)
				}
				return
			}
			if got != "" || !strings.Contains(shown, "The box's date could not be read") || !strings.Contains(shown, "无法读取本机的日期") {
				t.Errorf("without the box's date: the reports open on %q with error %q, want no date and the reason in both languages", got, shown)
			}
		})
	}
}

// failRequests makes the page's requests to URLs matching patterns fail as
// if the box could not be reached.
func failRequests(t *testing.T, ctx context.Context, patterns ...string) {
	t.Helper()
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	paused := chromedp.Events(lctx, fetch.RequestPaused)
	go func() {
		defer close(done)
		for ev, err := range paused {
			if err != nil {
				return
			}
			chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonConnectionRefused})
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	var ps []*fetch.RequestPattern
	for _, p := range patterns {
		ps = append(ps, &fetch.RequestPattern{URLPattern: p})
	}
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: ps}); err != nil {
		t.Fatal(err)
	}
}
