package console_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"queuebox/server/servertest"
)

// TestDeviceHealthPages: a kiosk page reports in over its live connection,
// the admin's device list shows it online; once its page is gone for over a
// minute (the box's clock moved on) the admin and console show the alert.
func TestDeviceHealthPages(t *testing.T) {
	t.Parallel()
	clock := servertest.NewClock(servertest.StartAt())
	box := servertest.Start(t, servertest.Options{Clock: clock})
	admin := adminClient(t, box)
	st, body := box.Do(admin, "POST", "/api/v1/devices", map[string]string{"kind": "kiosk", "name": "Door kiosk"}, nil)
	var dev struct{ ID, Token string }
	if st != 201 || json.Unmarshal(body, &dev) != nil {
		t.Fatalf("pair a kiosk: %d %s", st, body)
	}

	ctx := browser(t)
	do(t, ctx, chromedp.Navigate(box.URL+"/admin/"))
	loginAs(t, ctx, "admin", servertest.AdminPassword, "/admin/")
	row := `document.querySelector('#devices-body tr[data-device-id="` + dev.ID + `"] [data-device-seen]')`
	waitJS(t, ctx, row+` !== null`)

	kiosk, cancel := chromedp.NewContext(ctx)
	do(t, kiosk, chromedp.Navigate(box.URL+"/kiosk/?device="+dev.Token))
	waitJS(t, kiosk, `document.querySelector("[data-service-id]") !== null`)

	waitJS(t, ctx, `(QBDevices.poll(), `+row+`.textContent.startsWith("Online"))`)

	// A lobby display opened with its pairing link reports in too, and
	// takes its key out of the address bar.
	st, body = box.Do(admin, "POST", "/api/v1/devices", map[string]string{"kind": "display", "name": "Lobby TV"}, nil)
	var tv struct{ ID, Token string }
	if st != 201 || json.Unmarshal(body, &tv) != nil {
		t.Fatalf("pair a display: %d %s", st, body)
	}
	lobby, cancelLobby := chromedp.NewContext(ctx)
	t.Cleanup(cancelLobby)
	do(t, lobby, chromedp.Navigate(box.URL+"/display/?device="+tv.Token))
	waitJS(t, lobby, `location.search === ""`)
	do(t, ctx, chromedp.Navigate(box.URL+"/admin/"))
	tvRow := `document.querySelector('#devices-body tr[data-device-id="` + tv.ID + `"] [data-device-seen]')`
	waitJS(t, ctx, tvRow+` !== null && (QBDevices.poll(), `+tvRow+`.textContent.startsWith("Online"))`)
	if hidden := eval[bool](t, ctx, `document.querySelector("[data-device-alert]").hidden`); !hidden {
		t.Error("alert shown while the kiosk is online")
	}

	cancel() // the kiosk's page is gone
	waitJS(t, ctx, `(QBDevices.poll(), `+row+`.textContent.startsWith("Offline"))`)
	clock.Advance(2 * time.Minute)
	waitJS(t, ctx, `(QBDevices.poll(), !document.querySelector("[data-device-alert]").hidden)`)
	if got := text(t, ctx, "[data-device-alert]"); !strings.Contains(got, "Door kiosk") ||
		!strings.Contains(got, "Kiosk “Door kiosk”") || !strings.Contains(got, "取号机“Door kiosk”") {
		t.Errorf("admin alert = %q, want the kiosk's kind and name in English and Chinese", got)
	}
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		shot(t, "console-admin-device-alert.png", png)
	}

	// The admin's own banner for a wall clock stepped away from the running
	// one says so in both languages.
	clock.Step(3 * time.Hour)
	waitJS(t, ctx, `!document.querySelector("[data-clock-alert]").hidden`)
	if got := text(t, ctx, "#clock-text"); !strings.Contains(got, "clock seems wrong") || !strings.Contains(got, "本机时间似乎有误") {
		t.Errorf("admin clock banner = %q, want it in English and Chinese", got)
	}
	clock.Step(-3 * time.Hour)
	waitJS(t, ctx, `document.querySelector("[data-clock-alert]").hidden`)

	do(t, ctx, chromedp.Navigate(box.URL+"/console/"))
	waitJS(t, ctx, `document.querySelector("[data-device-alert]") !== null && !document.querySelector("[data-device-alert]").hidden`)
	if got := text(t, ctx, "[data-device-alert]"); !strings.Contains(got, "Door kiosk") {
		t.Errorf("console alert = %q, want the kiosk's name", got)
	}
}
