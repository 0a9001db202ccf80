package browsertest_test

import (
	"github.com/chromedp/chromedp"
	"net/http"
	"net/http/httptest"
	"queuebox/server/browsertest"
	"testing"
)

func TestSmoke(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`<p id=x data-a>hello</p>`)) }))
	defer ts.Close()
	ctx := browsertest.New(t, browsertest.Options{})
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL)); err != nil {
		t.Fatal(err)
	}
	txt, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("[data-a]")))
	if err != nil || txt != "hello" {
		t.Fatal(txt, err)
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int]("1+2"))
	t.Log(n, err)
}

// TestAuditFindsAndPasses proves the audit works both ways: a page with an
// unlabelled button and grey-on-white text fails, the same page fixed passes.
func TestAuditFindsAndPasses(t *testing.T) {
	bad := `<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>Hi</h1>
<button></button><p style="color:#bbb;background:#fff">faint</p></main></body></html>`
	good := `<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>Hi</h1>
<button>Go</button><p style="color:#333;background:#fff">clear</p></main></body></html>`
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Path == "/bad" {
			w.Write([]byte(bad))
			return
		}
		w.Write([]byte(good))
	}))
	defer ts.Close()
	ctx := browsertest.New(t, browsertest.Options{})
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/bad")); err != nil {
		t.Fatal(err)
	}
	vs, err := browsertest.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, v := range vs {
		ids[v.ID] = true
	}
	if !ids["button-name"] || !ids["color-contrast"] {
		t.Errorf("violations on the bad page = %v, want button-name and color-contrast", vs)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/good")); err != nil {
		t.Fatal(err)
	}
	browsertest.CheckA11y(t, ctx, "good page")
}
