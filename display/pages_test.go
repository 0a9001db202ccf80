package display_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"queuebox/server/browsertest"
)

// TestPages runs the display and the status page side by side, each against
// its own box, in two tabs of one chromium: starting a browser is the
// slowest part of these tests.
func TestPages(t *testing.T) {
	browser := browsertest.New(t, browsertest.Options{Width: 1920, Height: 1080, Timeout: 3 * time.Minute})
	t.Run("display", func(t *testing.T) {
		t.Parallel()
		testDisplay(t, newTab(t, browser))
	})
	t.Run("status", func(t *testing.T) {
		t.Parallel()
		testStatusPage(t, newTab(t, browser))
	})
	t.Run("near turn", func(t *testing.T) {
		t.Parallel()
		testNearTurn(t, newTab(t, browser))
	})
}

func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	return tab
}
