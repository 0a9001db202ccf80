package server_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"queuebox/server/config"
	"queuebox/server/servertest"
)

// syncBuffer collects the server's log from its goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestCustomersNeverInLogsOrLiveMessages follows one identified customer
// through tickets, a call, a no-show, purchases, a CSV upload, a booking
// and erasure, with the debug log on and the staff and display live topics
// open: neither the phone (in any writing) nor the name ever appears.
func TestCustomersNeverInLogsOrLiveMessages(t *testing.T) {
	var logs syncBuffer
	box := servertest.Start(t, servertest.Options{
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Config: func(c *config.Config) {
			c.LogLevel = "debug"
			c.Tiers = []config.Tier{{ID: "gold", Name: "Gold", MinSpend: 100}, {ID: "standard", Name: "Standard"}}
		},
	})
	admin := box.Admin()
	kiosk := box.Device("kiosk")
	u, _ := http.NewRequest("GET", box.URL, nil)
	header := http.Header{}
	for _, c := range admin.Jar.Cookies(u.URL) {
		header.Add("Cookie", c.String())
	}
	queue := dial(t, box, "topic=queue", header)
	display := dial(t, box, "topic=display", nil)
	var msgs syncBuffer
	var wg sync.WaitGroup
	for _, conn := range []*websocket.Conn{queue, display} {
		wg.Add(1)
		go func(conn *websocket.Conn) {
			defer wg.Done()
			for {
				conn.SetReadDeadline(time.Now().Add(3 * time.Second))
				_, raw, err := conn.ReadMessage()
				if err != nil {
					return
				}
				msgs.Write(append(raw, '\n'))
			}
		}(conn)
	}

	must := func(st int, body []byte) func(want int) []byte {
		return func(want int) []byte {
			t.Helper()
			if st != want {
				t.Fatalf("got %d %s, want %d", st, body, want)
			}
			return body
		}
	}
	var cu struct{ ID string }
	json.Unmarshal(must(box.Do(admin, "POST", "/api/v1/customers", map[string]string{"phone": "13800138000", "name": "Zhang Wei"}, nil))(201), &cu)
	must(box.Do(admin, "POST", "/api/v1/customers/"+cu.ID+"/purchases", map[string]any{"amount": 500, "ref": "r1"}, nil))(201)
	bearer := map[string]string{"Authorization": "Bearer " + kiosk}
	var tk struct{ ID, Tier string }
	json.Unmarshal(must(box.Do(nil, "POST", "/api/v1/tickets", map[string]string{"service_id": "general", "phone": "+86 138 0013 8000"}, bearer))(201), &tk)
	if tk.Tier != "gold" {
		t.Fatalf("ticket tier %q, want gold", tk.Tier)
	}
	must(box.Do(admin, "POST", "/api/v1/counters/c1/next", nil, nil))(200)
	must(box.Do(admin, "POST", "/api/v1/tickets/"+tk.ID+"/no-show", nil, nil))(200)
	must(box.Do(nil, "POST", "/api/v1/tickets", map[string]string{"service_id": "cash", "phone": "008613800138000"}, bearer))(201)
	csv := "phone,name,amount,at,ref\n13800138000,Zhang Wei,10,,r2\n"
	req, _ := http.NewRequest("POST", box.URL+"/api/v1/customers/import", strings.NewReader(csv))
	req.Header.Set("Content-Type", "text/csv")
	if resp, err := admin.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("import: %v %v", err, resp)
	}
	must(box.Do(admin, "DELETE", "/api/v1/customers/"+cu.ID, nil, nil))(204)
	wg.Wait()

	if !strings.Contains(msgs.String(), `"tier":"gold"`) {
		t.Errorf("the staff topic never showed the tier: %s", msgs.String())
	}
	for what, text := range map[string]string{"log": logs.String(), "live messages": msgs.String()} {
		for _, s := range []string{"13800138000", "138 0013", "Zhang", "Wei"} {
			if strings.Contains(text, s) {
				t.Errorf("%s hold %q:\n%s", what, s, text)
			}
		}
	}
	if !strings.Contains(logs.String(), "customer erased") {
		t.Errorf("the log does not record the erasure (without naming anyone): %s", logs.String())
	}
}
