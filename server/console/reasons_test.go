package console_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"queuebox/server/queue"
	"queuebox/server/servertest"
)

// TestConsoleSaysWhyInBothLanguages: the console words the box's reason for
// a call from its code and parameters, in English and in Chinese: a Gold
// customer picked for their tier's promise (the tier by its Chinese name),
// then a ticket past the branch's cap.
func TestConsoleSaysWhyInBothLanguages(t *testing.T) {
	t.Parallel()
	clock := servertest.NewClock(servertest.Today(10, 0))
	s, _ := goldSiteOn(t, "", clock)
	s.put(t, "/api/v1/settings", map[string]any{"max_wait_minutes": 30})
	std := s.box.Issue(s.kiosk, "general")
	st, body := s.box.Do(nil, "POST", "/api/v1/tickets", map[string]string{"service_id": "general", "phone": "13800138000"},
		map[string]string{"Authorization": "Bearer " + s.kiosk})
	if st != 201 {
		t.Fatalf("gold ticket: %d %s", st, body)
	}

	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(s.box.URL+"/console/"))
	loginAs(t, ctx, staffUser, staffPass, "/console/")
	waitJS(t, ctx, `!document.getElementById("chooser").hidden && document.querySelector('[data-counter-id="c2"]') !== null`)
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-counter-id="c2"]`)))
	waitJS(t, ctx, `document.getElementById("conn").dataset.state === "live" && document.querySelectorAll("#waiting li").length === 2`)
	// Gold's promise is five minutes: the box says how long is left.
	if got := text(t, ctx, "#next-reason"); !strings.Contains(got, "Gold · ") || !strings.Contains(got, " to target · 金卡 · 距目标还剩") || !strings.Contains(got, "分钟") {
		t.Errorf("next reason = %q, want the Gold tier's target in English and Chinese (金卡 · 距目标还剩 … 分钟)", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#next")))
	waitJS(t, ctx, `/金卡 · 距目标还剩/.test(document.getElementById("current-reason").textContent)`)

	// Half an hour on, the standard ticket is past the cap: it goes first.
	clock.Advance(31 * time.Minute)
	s.box.Issue(s.kiosk, "general")
	waitJS(t, ctx, `document.querySelectorAll("#waiting li").length === 2 && document.querySelector("#waiting li").dataset.ticketId === `+jsString(std.ID))
	waitJS(t, ctx, `/等候超过 30 分钟上限/.test(document.getElementById("next-reason").textContent)`)
	if got := text(t, ctx, "#next-reason"); !strings.Contains(got, "waited past the 30-min cap · 等候超过 30 分钟上限") {
		t.Errorf("next reason = %q, want the cap in English and Chinese", got)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("#next")))
	waitCurrent(t, ctx, std.Number)
	if got := text(t, ctx, "#current-reason"); !strings.Contains(got, "等候超过 30 分钟上限") {
		t.Errorf("call reason = %q, want the cap in Chinese", got)
	}

	// Every code the box gives is worded from its code and arguments, not
	// from the English words (left out here), in both languages.
	say := func(code string, args map[string]any) string {
		raw, _ := json.Marshal(map[string]any{"call_reason_code": code, "call_reason_args": args})
		return eval[string](t, ctx, `QBConsole.reasonText(`+string(raw)+`)`)
	}
	for _, tt := range []struct {
		code string
		args map[string]any
		want string
	}{
		{queue.ReasonNextInLine, nil, "next in line · 按顺序"},
		{queue.ReasonCap, map[string]any{"cap_minutes": 30}, "waited past the 30-min cap · 等候超过 30 分钟上限"},
		{queue.ReasonCapRisk, map[string]any{"minutes": 5, "cap_minutes": 30}, "5 min to the 30-min cap · 距 30 分钟上限还剩 5 分钟"},
		{queue.ReasonCapRisk, map[string]any{"cap_minutes": 20}, "<1 min to the 20-min cap · 距 20 分钟上限还剩不到 1 分钟"},
		{queue.ReasonTarget, map[string]any{"minutes": 3}, "3 min to target · 距目标还剩 3 分钟"},
		{queue.ReasonTierTarget, map[string]any{"tier": "gold", "tier_name": "Gold", "minutes": 4}, "Gold · 4 min to target · 金卡 · 距目标还剩 4 分钟"},
		{queue.ReasonTierPastTarget, map[string]any{"tier": "gold", "tier_name": "Gold", "minutes": 2}, "Gold · 2 min past target · 金卡 · 已超过目标 2 分钟"},
		{queue.ReasonTierShare, map[string]any{"tier": "gold", "tier_name": "Gold", "share": 2.5}, "Gold · tier share 2.5 · 金卡 · 等级权重 2.5"},
		{queue.ReasonAppointment, map[string]any{"at": "11:00"}, "appointment at 11:00 · 预约 11:00"},
		{queue.ReasonRotation, map[string]any{"level": "VIP", "weights": []map[string]any{{"level": "VIP", "weight": 2}, {"level": "normal", "weight": 1}}},
			"VIP turn in the rotation (2 VIP : 1 normal) · 轮到贵宾（2 贵宾 : 1 普通）"},
		{queue.ReasonPriority, map[string]any{"priority": 2}, "priority level 2, oldest first · 优先级 2，先到先办"},
		{queue.ReasonBookedEarly, map[string]any{"at": "10:30"}, "booked 10:30, here early · 已预约 10:30，提前到达"},
		{queue.ReasonShortJob, map[string]any{"at": "10:30"}, "short job before booked 10:30 · 10:30 预约前先办短业务"},
		{queue.ReasonNextInLine, map[string]any{"before_booked": "10:30"}, "next in line, before booked 10:30 · 按顺序，先于 10:30 的预约"},
		{queue.ReasonByNumber, map[string]any{"by": "alice", "text": "came back with the form"}, "called by number by alice · alice 指定叫号: came back with the form"},
	} {
		if got := say(tt.code, tt.args); got != tt.want {
			t.Errorf("%s %v is worded %q, want %q", tt.code, tt.args, got, tt.want)
		}
	}
	for _, code := range queue.ReasonCodes {
		if got := say(code, map[string]any{"tier_name": "Gold", "at": "10:30"}); got == code || !han.MatchString(got) {
			t.Errorf("reason code %s has no Chinese on the console: %q", code, got)
		}
	}
}

// han matches Chinese characters.
var han = regexp.MustCompile(`\p{Han}`)
