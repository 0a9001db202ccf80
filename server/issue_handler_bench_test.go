package server

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkIssueHandler issues tickets through the server's handler (auth,
// engine, group commit with fsync, JSON answer) without a network between:
// a lone kiosk, and 64 requests at a time, so batches form as they do under
// load. Its allocations per op are the server's per ticket (and the test's
// own request and recorder, about fifteen).
func BenchmarkIssueHandler(b *testing.B) {
	for _, c := range []struct {
		name    string
		clients int
	}{{"clients=1", 1}, {"clients=64", 64}} {
		b.Run(c.name, func(b *testing.B) {
			s, tok := benchKioskServer(b)
			defer s.Close()
			issue := kioskIssuer(b, s.Handler(), tok)
			b.ReportAllocs()
			b.ResetTimer()
			if c.clients == 1 {
				for b.Loop() {
					issue()
				}
				return
			}
			b.SetParallelism(max(1, c.clients/2)) // ×GOMAXPROCS goroutines
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					issue()
				}
			})
		})
	}
}

// kioskIssuer is a walk-in ticket issued through h with the kiosk's token
// (a fresh idempotency key each, as the kiosk sends).
func kioskIssuer(b *testing.B, h http.Handler, tok string) func() {
	body := []byte(`{"service_id":"general"}`)
	return func() {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/tickets", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Idempotency-Key", rand.Text())
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusCreated {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
