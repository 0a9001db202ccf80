package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestPanicIsA500: a handler that panics gets the caller a JSON 500 with
// the security headers, and the box answers the next request as usual.
func TestPanicIsA500(t *testing.T) {
	h := newHarness(t)
	h.s.echo.GET("/api/v1/test-panic", func(echo.Context) error { panic("boom") })
	r := h.do(http.MethodGet, "/api/v1/test-panic", anonCaller, "")
	if r.status != http.StatusInternalServerError || !strings.Contains(string(r.body), `"internal"`) {
		t.Fatalf("a panicking handler: %s; want a 500 with code internal", r)
	}
	if got := r.header.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("the 500 has X-Frame-Options %q, want DENY", got)
	}
	if r := h.do(http.MethodGet, "/api/v1/services", anonCaller, ""); r.status != http.StatusOK {
		t.Errorf("after the panic: %s", r)
	}
}
