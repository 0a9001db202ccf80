package display_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"queuebox/server/browsertest"
	"queuebox/server/servertest"
)

// js quotes s as a JavaScript string literal.
func js(s string) string { return strconv.Quote(s) }

// do runs browser actions and stops the test on error.
func do(t testing.TB, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser: %v\npage: %s", err, pageText(ctx))
	}
}

func eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls expr in the page until it is truthy and returns its value.
func waitFor[T any](t testing.TB, ctx context.Context, what, expr string, d time.Duration) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Poll[T](expr,
		chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(10*time.Millisecond)))
	if err != nil {
		t.Fatalf("%s: %v\npage: %s", what, err, pageText(ctx))
	}
	return v
}

// pageText is what the page shows, for failure messages.
func pageText(ctx context.Context) string {
	tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(tctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return strings.Join(strings.Fields(s), " ")
}

// shot saves a screenshot for a human to look at and audits the state.
func shot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	browsertest.Shot(t, ctx, name)
}

// requests records every URL the page asks for, websockets included, so a
// test can prove the page never leaves the box.
type requests struct{ *browsertest.Requests }

func watchRequests(t testing.TB, ctx context.Context) *requests {
	t.Helper()
	r, err := browsertest.WatchRequests(ctx)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	return &requests{r}
}

// onlyBox fails the test for any request to a host other than the box's.
func (r *requests) onlyBox(t testing.TB, ctx context.Context, base string) {
	t.Helper()
	b, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	// Resource timing sees what the page loaded even if an event was missed.
	perf := eval[[]string](t, ctx, `performance.getEntriesByType("resource").map(function (e) { return e.name; })`)
	seen := r.URLs()
	all := append(seen, perf...)
	if len(seen) == 0 {
		t.Fatal("no requests recorded: the network listener saw nothing")
	}
	for _, s := range all {
		u, err := url.Parse(s)
		if err != nil {
			t.Errorf("unparsable request URL %q", s)
			continue
		}
		if u.Scheme == "data" || u.Scheme == "about" || u.Scheme == "blob" {
			continue
		}
		if u.Host != b.Host {
			t.Errorf("request to another host: %s", s)
		}
	}
}

// callObserver records, in the page, when [data-now-calling] first showed
// each text, on the same wall clock the test reads.
const callObserver = `(function () {
  if (window.__shown) { return true; }
  window.__shown = {};
  var el = document.querySelector("[data-now-calling]");
  function note() {
    var s = el.textContent.replace(/\s+/g, " ");
    if (!(s in window.__shown)) { window.__shown[s] = performance.timeOrigin + performance.now(); }
  }
  new MutationObserver(note).observe(el, { subtree: true, childList: true, characterData: true });
  note();
  return true;
})()`

// shownAt waits until [data-now-calling] holds number and counter and
// returns when that text first appeared, in Unix milliseconds.
func shownAt(t testing.TB, ctx context.Context, number, counter string, d time.Duration) float64 {
	t.Helper()
	expr := `(function () {
  for (var s in window.__shown) {
    if (s.indexOf(` + js(number) + `) >= 0 && s.indexOf(` + js(counter) + `) >= 0) { return window.__shown[s]; }
  }
  return 0;
})()`
	return waitFor[float64](t, ctx, "display shows "+number+" at "+counter, expr, d)
}

func unixMillis(tm time.Time) float64 { return float64(tm.UnixMicro()) / 1000 }

// newBox starts a box and returns it with a staff client (the admin, who
// may do everything staff do) and a kiosk token. One login instead of the
// three that Staff and Device make keeps password hashing, slow under -race,
// out of the way.
func newBox(t testing.TB) (box *servertest.Box, staff *http.Client, kiosk string) {
	t.Helper()
	box = servertest.Start(t, servertest.Options{})
	staff = box.Admin()
	var dev struct{ Token string }
	st, body := box.Do(staff, "POST", "/api/v1/devices", map[string]string{"kind": "kiosk", "name": "test kiosk"}, nil)
	if st != 201 || json.Unmarshal(body, &dev) != nil || dev.Token == "" {
		t.Fatalf("pair kiosk: %d %s", st, body)
	}
	return box, staff, dev.Token
}

// addLoans adds a service with a three-letter prefix (LNS, six-character
// numbers) and a counter c9 that serves only it.
func addLoans(t testing.TB, box *servertest.Box, staff *http.Client) {
	t.Helper()
	for _, step := range []struct {
		path string
		body any
	}{
		{"/api/v1/services", map[string]any{"id": "loans", "prefix": "LNS", "name": "Loans", "avg_service_seconds": 300}},
		{"/api/v1/counters", map[string]any{"id": "c9", "name": "Counter 9", "service_ids": []string{"loans"}}},
	} {
		if st, body := box.Do(staff, "POST", step.path, step.body, nil); st != 201 {
			t.Fatalf("POST %s: %d %s", step.path, st, body)
		}
	}
}
