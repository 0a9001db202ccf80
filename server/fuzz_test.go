package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzDecoders sends arbitrary bytes as the body of every route that decodes
// one. Whatever arrives, the answer is below 500, and an error is the API's
// JSON error shape. Under plain go test it runs the seeds.
func FuzzDecoders(f *testing.F) {
	h := newHarness(f)
	tk := h.issue(f, h.kiosk, "general")
	appt := h.book(f, h.slotIn(15*time.Minute), "13700000000")
	targets := []struct {
		method, path string
		as           caller
	}{
		{"POST", "/api/v1/tickets", h.kiosk},
		{"POST", "/api/v1/services", h.admin},
		{"PUT", "/api/v1/settings", h.admin},
		{"POST", "/api/v1/session", anonCaller},
		{"POST", "/api/v1/users", h.admin},
		{"POST", "/api/v1/counters", h.admin},
		{"POST", "/api/v1/tickets/" + tk.ID + "/transfer", h.admin},
		{"POST", "/api/v1/appointments", anonCaller},
		{"POST", "/api/v1/checkin", h.kiosk},
	}
	good := []string{
		`{"service_id":"cash"}`,
		`{"id":"loans","prefix":"L","name":"Loans","names":{"zh":"贷款"},"avg_service_seconds":600,"slot_minutes":15,"slot_capacity":2}`,
		`{"timezone":"Europe/Berlin","hours":{"mon":"09:00-12:00,13:00-17:00","sun":""},"max_wait_minutes":20}`,
		`{"username":"admin","password":"` + testAdminPassword + `"}`,
		`{"username":"clerk","password":"clerk-password-1","role":"staff"}`,
		`{"id":"c7","name":"Counter 7","service_ids":["general","cash"]}`,
		`{"service_id":"cash"}`,
		`{"service_id":"advice","start":"` + h.slotIn(time.Hour) + `","name":"王小明","phone":"+86 138-0000-0001"}`,
		`{"code":"` + appt.Code + `"}`,
	}
	bad := []string{
		``, `{`, `}`, `null`, `[]`, `""`, `0`, `{}{}`, `{"a":1,}`,
		`{"service_id":5}`, `{"service_id":null}`, `{"priority":1e400}`, `{"hours":{"mon":[]}}`,
		`{"names":{"":""}}`, `{"service_ids":[1,null]}`, `{"timezone":"\u0000"}`, "\xff\xfe{}",
		`{"start":"tomorrow"}`, `{"start":"0001-01-01T00:00:00Z"}`, `{"phone":"+","name":"\u0007"}`, `{"code":"` + strings.Repeat("9", 40) + `"}`,
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	}
	for i, body := range good {
		f.Add(uint8(i), []byte(body))
	}
	for i := range targets {
		for _, body := range bad {
			f.Add(uint8(i), []byte(body))
		}
	}

	f.Fuzz(func(t *testing.T, target uint8, body []byte) {
		tg := targets[int(target)%len(targets)]
		// Avoid the harness shortcut that drops an empty body: an empty
		// JSON request is one of the inputs.
		req := h.req(tg.method, tg.path, tg.as, "")
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/json")
		r := h.serve(req)
		if r.status >= 500 {
			t.Fatalf("%v: want no 5xx", r)
		}
		if r.status >= 400 {
			if _, _, err := r.apiError(); err != nil {
				t.Fatalf("%v: %v", r, err)
			}
			return
		}
		if !json.Valid(r.body) {
			t.Fatalf("%v: the answer is not JSON", r)
		}
		if r.status == http.StatusNoContent {
			t.Fatalf("%v: want a body", r)
		}
	})
}
