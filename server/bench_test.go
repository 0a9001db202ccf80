package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	bolt "go.etcd.io/bbolt"

	"queuebox/server/access"
	"queuebox/server/config"
)

// benchConfig is a branch open all day with one service and one counter.
func benchConfig(dir string) *config.Config {
	hours := map[string]string{}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		hours[d] = "00:00-24:00"
	}
	return &config.Config{
		Addr: "127.0.0.1:0", Data: dir, LogLevel: "error", AdminPassword: "bench-admin-pw",
		Branch:   config.Branch{Name: "Bench", Timezone: "UTC", Hours: hours},
		Services: []config.Service{{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300}},
		Counters: []config.Counter{{ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general"}}},
		Printer:  config.Printer{URL: "none"},
	}
}

// load sends n requests from clients goroutines and reports throughput and
// latency percentiles. send makes one request and reports whether it succeeded.
func load(b *testing.B, clients int, send func(c *http.Client) bool) {
	b.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	lat := make([]time.Duration, b.N)
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j := next.Add(1) - 1
				if j >= int64(b.N) {
					return
				}
				t0 := time.Now()
				if !send(hc) {
					failed.Add(1)
				}
				lat[j] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d requests failed", f, b.N)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
	b.ReportMetric(0, "ns/op") // throughput, not time per op, is the figure here
}

func post(hc *http.Client, url, token string, body []byte) bool {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusCreated
}

// benchKioskServer is a server on benchConfig with a paired kiosk, and the
// kiosk's token; the caller closes it.
func benchKioskServer(b *testing.B) (*Server, string) {
	b.Helper()
	s, err := New(benchConfig(b.TempDir()), nil, Options{PublicURL: "http://127.0.0.1"})
	if err != nil {
		b.Fatal(err)
	}
	_, tok, err := s.createDevice(access.Kiosk, "bench")
	if err != nil {
		s.Close()
		b.Fatal(err)
	}
	return s, tok
}

// BenchmarkIssue measures durable ticket issue through the whole server:
// device auth, engine, group commit with fsync, JSON answer.
func BenchmarkIssue(b *testing.B) {
	for _, clients := range []int{1, 16, 64} {
		b.Run("clients="+strconv.Itoa(clients), func(b *testing.B) {
			s, tok := benchKioskServer(b)
			defer s.Close()
			ts := httptest.NewServer(s.Handler())
			defer ts.Close()
			body := []byte(`{"service_id":"general"}`)
			load(b, clients, func(hc *http.Client) bool { return post(hc, ts.URL+"/api/v1/tickets", tok, body) })
		})
	}
}

// BenchmarkBareIssue is the machine's limit for the same work: a bare echo
// handler that writes a ticket-sized record with one bbolt Update (fsync) per
// request. BenchmarkIssue is read against it.
func BenchmarkBareIssue(b *testing.B) {
	for _, clients := range []int{1, 16, 64} {
		b.Run("clients="+strconv.Itoa(clients), func(b *testing.B) {
			db, err := bolt.Open(filepath.Join(b.TempDir(), "bare.db"), 0o600, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists([]byte("t")); return err })
			e := echo.New()
			e.POST("/tickets", func(c echo.Context) error {
				var req struct {
					ServiceID string `json:"service_id"`
				}
				if err := json.NewDecoder(c.Request().Body).Decode(&req); err != nil {
					return c.NoContent(http.StatusBadRequest)
				}
				var rec []byte
				err := db.Update(func(tx *bolt.Tx) error {
					bk := tx.Bucket([]byte("t"))
					id, _ := bk.NextSequence()
					rec, _ = json.Marshal(map[string]any{"id": strconv.FormatUint(id, 10), "number": fmt.Sprintf("A%03d", id),
						"service_id": req.ServiceID, "status": "waiting", "issued_at": time.Now()})
					return bk.Put([]byte(strconv.FormatUint(id, 10)), rec)
				})
				if err != nil {
					return err
				}
				return c.JSONBlob(http.StatusCreated, rec)
			})
			ts := httptest.NewServer(e)
			defer ts.Close()
			body := []byte(`{"service_id":"general"}`)
			load(b, clients, func(hc *http.Client) bool { return post(hc, ts.URL+"/tickets", "", body) })
		})
	}
}
