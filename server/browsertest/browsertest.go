// Package browsertest starts Debian's chromium, driven by chromedp, for page
// tests against a real server on loopback. Without chromium a test is skipped
// with a message, except under CI=true, where it fails: CI installs chromium.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Find returns the chromium binary, or "" when there is none.
func Find() string {
	if p := os.Getenv("QUEUEBOX_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Options shape the browser window.
type Options struct {
	Width, Height int           // default 1280×800
	Timeout       time.Duration // whole test, default 60 s
}

// Selectors: in chromedp a plain string is a text search; use
// chromedp.CSS("[data-ticket-number]") for CSS selectors.

// New starts a fresh headless chromium (own profile, no network chatter) and
// returns a chromedp context for one tab. It is closed when the test ends.
func New(t testing.TB, o Options) context.Context {
	t.Helper()
	bin := Find()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not found; CI must install it (apt-get install -y chromium)")
		}
		t.Skip("chromium not found: install it (apt-get install -y chromium) to run browser tests")
	}
	if o.Width == 0 {
		o.Width, o.Height = 1280, 800
	}
	if o.Timeout == 0 {
		o.Timeout = 60 * time.Second
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(o.Width, o.Height),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancelTab := chromedp.NewContext(actx)
	// The first action starts the browser; it must run without a deadline,
	// since the browser lives as long as that call's context.
	if err := chromedp.Do(tab); err != nil {
		cancelTab()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(tab, o.Timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	return ctx
}

// Shot saves a screenshot of the viewport as name.png under
// $QUEUEBOX_SHOTS (default $TMPDIR/shots), for a human to look at, and
// audits the same state for accessibility (CheckA11y): every state a test
// shows a person is also checked for a screen reader and for contrast.
func Shot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := os.Getenv("QUEUEBOX_SHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "shots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", p)
	CheckA11y(t, ctx, name)
}

// Requests records every URL a page asks for, websockets included, so a test
// can prove the page never leaves the box.
type Requests struct {
	mu   sync.Mutex
	urls []string
}

// WatchRequests starts recording the requests of the page in ctx.
func WatchRequests(ctx context.Context) (*Requests, error) {
	r := &Requests{}
	err := chromedp.Listen(ctx, func(ev any) {
		var u string
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			u = e.Request.URL
		case *network.EventWebSocketCreated:
			u = e.URL
		default:
			return
		}
		r.mu.Lock()
		r.urls = append(r.urls, u)
		r.mu.Unlock()
	})
	return r, err
}

// URLs are the requests recorded so far, oldest first.
func (r *Requests) URLs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.urls...)
}
