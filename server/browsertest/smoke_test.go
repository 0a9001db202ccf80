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
