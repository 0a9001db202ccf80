package server

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"testing"

	"queuebox/server/access"
)

// BenchmarkIssueHandler issues tickets through the server's handler (auth,
// engine, group commit with fsync, JSON answer) without a network between,
// from many goroutines at once, so batches form as they do under load: its
// allocations per op are the server's per ticket.
func BenchmarkIssueHandler(b *testing.B) {
	s, err := New(benchConfig(b.TempDir()), nil, Options{PublicURL: "http://127.0.0.1"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	_, tok, err := s.createDevice(access.Kiosk, "bench")
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	body := []byte(`{"service_id":"general"}`)
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
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
	})
}
