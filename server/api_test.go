package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"queuebox/server/catalogtest"
	"queuebox/server/store"
)

// catalogueCodes reads every error code declared in errors.go, so a code
// added there without a test here fails TestErrorCatalogue.
func catalogueCodes(t *testing.T) []string {
	t.Helper()
	entries, err := catalogtest.Read("errors.go")
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, e := range entries {
		codes = append(codes, e.Code)
	}
	return codes
}

func TestErrorCatalogue(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	admin, kiosk := h.admin, h.kiosk

	// A ticket in each state the state-machine cases need. Counter c2
	// serves only cash; c1 serves both but is called before any general
	// ticket exists, so each call picks the ticket meant.
	var inService, onCall apiTicket
	h.issue(t, kiosk, "cash")
	h.do("POST", "/api/v1/counters/c2/next", admin, "").want(t, http.StatusOK).decode(t, &inService)
	h.step(inService.ID, "start").want(t, http.StatusOK)
	h.issue(t, kiosk, "cash")
	h.do("POST", "/api/v1/counters/c1/next", admin, "").want(t, http.StatusOK).decode(t, &onCall)
	waiting := h.issue(t, kiosk, "general")
	done := h.issue(t, kiosk, "general")
	h.step(done.ID, "cancel").want(t, http.StatusOK)

	big := `{"service_id":"` + strings.Repeat("a", maxBody) + `"}`
	const limitedIP = "192.0.2.77"

	tests := []struct {
		name   string
		do     func() apiResponse
		status int
		code   string
		msg    string // the message must hold this, when set
	}{
		{"invalid: wrong type names the field", func() apiResponse {
			return h.do("POST", "/api/v1/tickets", kiosk, `{"service_id":5}`)
		}, 400, "invalid", "service_id"},
		{"invalid: missing field", func() apiResponse {
			return h.do("POST", "/api/v1/tickets", kiosk, `{}`)
		}, 400, "invalid", "service_id"},
		{"invalid: service field", func() apiResponse {
			return h.do("POST", "/api/v1/services", admin, `{"id":"new","prefix":"a1","name":"New","avg_service_seconds":60}`)
		}, 400, "invalid", "prefix"},
		{"invalid: settings field", func() apiResponse {
			return h.do("PUT", "/api/v1/settings", admin, `{"timezone":"Mars/Olympus_Mons"}`)
		}, 400, "invalid", "timezone"},
		{"invalid: a fraction where a whole number goes", func() apiResponse {
			return h.do("PUT", "/api/v1/settings", admin, `{"tickets_per_phone_per_day":1.5}`)
		}, 400, "invalid", "tickets_per_phone_per_day must be a whole number, not 1.5"},
		{"invalid: a string where a number goes", func() apiResponse {
			return h.do("PUT", "/api/v1/settings", admin, `{"grace_seconds":"30"}`)
		}, 400, "invalid", "grace_seconds must be a whole number, not a string"},
		{"invalid: nested field", func() apiResponse {
			return h.do("PUT", "/api/v1/settings", admin, `{"hours":{"mon":9}}`)
		}, 400, "invalid", "hours"},
		{"invalid: password", func() apiResponse {
			return h.do("POST", "/api/v1/users", admin, `{"username":"shorty","password":"short","role":"staff"}`)
		}, 400, "invalid", "password"},
		{"invalid: priority out of range", func() apiResponse {
			return h.do("POST", "/api/v1/tickets", admin, `{"service_id":"general","priority":99}`)
		}, 400, "invalid", "priority"},
		{"invalid: body is not an object", func() apiResponse {
			return h.do("POST", "/api/v1/tickets", kiosk, `["general"]`)
		}, 400, "invalid", ""},
		{"bad_json: malformed", func() apiResponse {
			return h.do("POST", "/api/v1/tickets", kiosk, `{"service_id" "general"}`)
		}, 400, "bad_json", ""},
		{"bad_json: cut short", func() apiResponse {
			return h.do("POST", "/api/v1/tickets", kiosk, `{"service_id":`)
		}, 400, "bad_json", ""},
		{"bad_json: empty", func() apiResponse {
			return h.do("POST", "/api/v1/tickets", kiosk, "", "Content-Type", "application/json")
		}, 400, "bad_json", ""},
		{"bad_json: two values", func() apiResponse {
			return h.do("POST", "/api/v1/tickets", kiosk, `{"service_id":"general"} {"service_id":"cash"}`)
		}, 400, "bad_json", ""},
		{"unauthenticated", func() apiResponse {
			return h.do("GET", "/api/v1/queue", anonCaller, "")
		}, 401, "unauthenticated", ""},
		{"bad_credentials", func() apiResponse {
			return h.do("POST", "/api/v1/session", anonCaller, `{"username":"admin","password":"not-the-password"}`)
		}, 401, "bad_credentials", ""},
		{"bad_device_token", func() apiResponse {
			return h.do("POST", "/api/v1/tickets", caller{bearer: "forged-token"}, `{"service_id":"general"}`)
		}, 401, "bad_device_token", ""},
		{"forbidden", func() apiResponse {
			return h.do("POST", "/api/v1/services", kiosk, `{"id":"x","prefix":"X","name":"X","avg_service_seconds":1}`)
		}, 403, "forbidden", ""},
		{"bad_origin", func() apiResponse {
			return h.do("POST", "/api/v1/tickets", kiosk, `{"service_id":"general"}`, "Origin", "http://evil.example")
		}, 403, "bad_origin", ""},
		{"not_found: unknown API route is JSON", func() apiResponse {
			return h.do("GET", "/api/v1/no-such-thing", admin, "", "Accept", "text/html")
		}, 404, "not_found", ""},
		{"not_found: unknown sub-route", func() apiResponse {
			return h.do("POST", "/api/v1/tickets/"+waiting.ID+"/teleport", admin, "")
		}, 404, "not_found", ""},
		{"unknown_service", func() apiResponse {
			return h.do("POST", "/api/v1/tickets", kiosk, `{"service_id":"no-such-service"}`)
		}, 404, "unknown_service", ""},
		{"unknown_counter", func() apiResponse {
			return h.do("POST", "/api/v1/counters/no-such-counter/next", admin, "")
		}, 404, "unknown_counter", ""},
		{"unknown_ticket: by id", func() apiResponse {
			return h.do("GET", "/api/v1/tickets/999999", admin, "")
		}, 404, "unknown_ticket", ""},
		{"unknown_ticket: not an id", func() apiResponse {
			return h.do("POST", "/api/v1/tickets/abc/start", admin, "")
		}, 404, "unknown_ticket", ""},
		{"unknown_ticket: by token", func() apiResponse {
			return h.do("GET", "/api/v1/status/AAAAAAAAAAAAAAAAAAAAAA", anonCaller, "")
		}, 404, "unknown_ticket", ""},
		{"unknown_user", func() apiResponse {
			return h.do("PUT", "/api/v1/users/nobody", admin, `{"role":"staff"}`)
		}, 404, "unknown_user", ""},
		{"unknown_device", func() apiResponse {
			return h.do("DELETE", "/api/v1/devices/no-such-device", admin, "")
		}, 404, "unknown_device", ""},
		{"method_not_allowed", func() apiResponse {
			return h.do("PATCH", "/api/v1/services", admin, `{}`)
		}, 405, "method_not_allowed", ""},
		{"method_not_allowed: route with a parameter", func() apiResponse {
			return h.do("DELETE", "/api/v1/tickets/"+waiting.ID, admin, "")
		}, 405, "method_not_allowed", ""},
		{"not_serving: finish a waiting ticket", func() apiResponse {
			return h.step(waiting.ID, "finish")
		}, 409, "not_serving", ""},
		{"not_called: start a waiting ticket", func() apiResponse {
			return h.step(waiting.ID, "start")
		}, 409, "not_called", ""},
		{"not_called: no-show a ticket in service", func() apiResponse {
			return h.step(inService.ID, "no-show")
		}, 409, "not_called", ""},
		{"not_parkable: park a waiting ticket", func() apiResponse {
			return h.step(waiting.ID, "park")
		}, 409, "not_parkable", ""},
		{"not_callable: call a ticket in service by number", func() apiResponse {
			return h.do("POST", "/api/v1/counters/c3/call", admin, `{"ticket_id":"`+inService.ID+`","reason":"test"}`)
		}, 409, "not_callable", ""},
		{"invalid: call by number without a reason", func() apiResponse {
			return h.do("POST", "/api/v1/counters/c3/call", admin, `{"ticket_id":"`+waiting.ID+`"}`)
		}, 400, "invalid", "reason"},
		{"not_waiting: customer cancels a called ticket", func() apiResponse {
			return h.do("DELETE", "/api/v1/status/"+onCall.Token, anonCaller, "")
		}, 409, "not_waiting", ""},
		{"ticket_closed: notes on a finished ticket", func() apiResponse {
			return h.do("POST", "/api/v1/tickets/"+done.ID+"/notes", admin, `{"notes":"too late"}`)
		}, 409, "ticket_closed", ""},
		{"not_cancellable: cancel a ticket in service", func() apiResponse {
			return h.step(inService.ID, "cancel")
		}, 409, "not_cancellable", ""},
		{"not_cancellable: cancel a cancelled ticket", func() apiResponse {
			return h.step(done.ID, "cancel")
		}, 409, "not_cancellable", ""},
		{"not_transferable: transfer a cancelled ticket", func() apiResponse {
			return h.do("POST", "/api/v1/tickets/"+done.ID+"/transfer", admin, `{"service_id":"cash"}`)
		}, 409, "not_transferable", ""},
		{"same_service", func() apiResponse {
			return h.do("POST", "/api/v1/tickets/"+waiting.ID+"/transfer", admin, `{"service_id":"general"}`)
		}, 409, "same_service", ""},
		{"has_waiting", func() apiResponse {
			return h.do("DELETE", "/api/v1/services/general", admin, "")
		}, 409, "has_waiting", ""},
		{"exists: service", func() apiResponse {
			return h.do("POST", "/api/v1/services", admin, `{"id":"general","prefix":"Q","name":"Again","avg_service_seconds":60}`)
		}, 409, "exists", ""},
		{"exists: user", func() apiResponse {
			return h.do("POST", "/api/v1/users", admin, `{"username":"admin","password":"whatever-long","role":"staff"}`)
		}, 409, "exists", ""},
		{"counter_paused", func() apiResponse {
			h.do("POST", "/api/v1/counters/c1/pause", admin, "")
			return h.do("POST", "/api/v1/counters/c1/next", admin, "")
		}, 409, "counter_paused", ""},
		{"last_admin", func() apiResponse {
			return h.do("PUT", "/api/v1/users/admin", admin, `{"disabled":true}`)
		}, 409, "last_admin", ""},
		{"too_large: declared length", func() apiResponse {
			return h.do("POST", "/api/v1/tickets", kiosk, big)
		}, 413, "too_large", ""},
		{"too_large: streamed body", func() apiResponse {
			req := h.req("POST", "/api/v1/tickets", kiosk, big)
			req.ContentLength = -1
			return h.serve(req)
		}, 413, "too_large", ""},
		{"unsupported_media_type", func() apiResponse {
			return h.do("POST", "/api/v1/tickets", kiosk, `{"service_id":"general"}`, "Content-Type", "text/plain")
		}, 415, "unsupported_media_type", ""},
		{"not_bookable", func() apiResponse {
			return h.do("POST", "/api/v1/appointments", anonCaller, `{"service_id":"general","start":"`+h.slotIn(time.Hour)+`","name":"Li","phone":"13900000001"}`)
		}, 409, "not_bookable", ""},
		{"invalid: phone", func() apiResponse {
			return h.do("POST", "/api/v1/appointments", anonCaller, `{"service_id":"advice","start":"`+h.slotIn(time.Hour)+`","name":"Li","phone":"call me"}`)
		}, 400, "invalid", "phone"},
		{"invalid: start off the slot grid", func() apiResponse {
			return h.do("POST", "/api/v1/appointments", anonCaller, `{"service_id":"advice","start":"`+h.slotIn(time.Hour+7*time.Minute)+`","name":"Li","phone":"13900000001"}`)
		}, 400, "invalid", "start"},
		{"slot_full", func() apiResponse {
			h.book(t, h.slotIn(time.Hour), "13900000001")
			return h.do("POST", "/api/v1/appointments", anonCaller, `{"service_id":"advice","start":"`+h.slotIn(time.Hour)+`","name":"Wang","phone":"13900000002"}`)
		}, 409, "slot_full", ""},
		{"booking_limit", func() apiResponse {
			for _, d := range []time.Duration{2 * time.Hour, 3 * time.Hour} {
				h.book(t, h.slotIn(d), "13900000001")
			}
			return h.do("POST", "/api/v1/appointments", anonCaller, `{"service_id":"advice","start":"`+h.slotIn(4*time.Hour)+`","name":"Li","phone":"13900000001"}`)
		}, 409, "booking_limit", ""},
		{"unknown_webhook", func() apiResponse {
			return h.do("GET", "/api/v1/webhooks/wh_0000/deliveries", admin, "")
		}, 404, "unknown_webhook", ""},
		{"unknown_code: check-in", func() apiResponse {
			return h.do("POST", "/api/v1/checkin", kiosk, `{"code":"no-such-code"}`)
		}, 404, "unknown_code", ""},
		{"unknown_code: wrong phone", func() apiResponse {
			a := h.book(t, h.slotIn(5*time.Hour), "13900000003")
			return h.do("GET", "/api/v1/appointments/"+a.Code+"?phone=13900000004", anonCaller, "")
		}, 404, "unknown_code", ""},
		{"too_early", func() apiResponse {
			a := h.book(t, h.slotIn(6*time.Hour), "13900000005")
			return h.do("POST", "/api/v1/checkin", kiosk, `{"code":"`+a.Code+`"}`)
		}, 409, "too_early", ""},
		{"already_checked_in", func() apiResponse {
			a := h.book(t, h.slotIn(15*time.Minute), "13900000006")
			h.do("POST", "/api/v1/checkin", kiosk, `{"code":"`+a.Code+`"}`).want(t, http.StatusCreated)
			return h.do("POST", "/api/v1/checkin", kiosk, `{"code":"`+a.Code+`"}`)
		}, 409, "already_checked_in", "checked in as P"},
		{"appointment_cancelled", func() apiResponse {
			a := h.book(t, h.slotIn(7*time.Hour), "13900000007")
			h.do("POST", "/api/v1/appointments/"+a.Code+"/cancel", anonCaller, `{"phone":"13900000007"}`).want(t, http.StatusOK)
			return h.do("POST", "/api/v1/checkin", kiosk, `{"code":"`+a.Code+`"}`)
		}, 409, "appointment_cancelled", ""},
		{"not_movable: move a cancelled appointment", func() apiResponse {
			a := h.book(t, h.slotIn(9*time.Hour), "13900000019")
			h.do("POST", "/api/v1/appointments/"+a.Code+"/cancel", anonCaller, `{"phone":"13900000019"}`).want(t, http.StatusOK)
			return h.do("POST", "/api/v1/appointments/"+a.Code+"/move", anonCaller, `{"phone":"13900000019","start":"`+h.slotIn(10*time.Hour)+`"}`)
		}, 409, "not_movable", ""},
		{"not_cancellable: cancel a cancelled appointment", func() apiResponse {
			a := h.book(t, h.slotIn(8*time.Hour), "13900000008")
			h.do("POST", "/api/v1/appointments/"+a.Code+"/cancel", anonCaller, `{"phone":"13900000008"}`).want(t, http.StatusOK)
			return h.do("POST", "/api/v1/appointments/"+a.Code+"/cancel", anonCaller, `{"phone":"13900000008"}`)
		}, 409, "not_cancellable", ""},
		{"unknown_customer", func() apiResponse {
			return h.do("GET", "/api/v1/customers/cu_nobody", admin, "")
		}, 404, "unknown_customer", ""},
		{"ticket_limit: a second ticket for one phone with a cap of 1", func() apiResponse {
			h.do("PUT", "/api/v1/settings", admin, `{"tickets_per_phone_per_day":1}`).want(t, http.StatusOK)
			h.do("POST", "/api/v1/tickets", kiosk, `{"service_id":"general","phone":"13700137000"}`).want(t, http.StatusCreated)
			return h.do("POST", "/api/v1/tickets", kiosk, `{"service_id":"general","phone":"137 0013 7000"}`)
		}, 409, "ticket_limit", "already took 1 ticket today"},
		{"booking_blocked: a booking after a no-show with a limit of 1", func() apiResponse {
			h.do("PUT", "/api/v1/settings", admin, `{"no_show_limit":1,"no_show_window_days":60,"booking_block_days":30}`).want(t, http.StatusOK)
			var cu struct{ ID string }
			h.do("POST", "/api/v1/customers", admin, `{"phone":"13600136000"}`).want(t, http.StatusCreated).decode(t, &cu)
			h.s.recordNoShow(cu.ID, h.clock.Now().Add(-time.Hour))
			body := fmt.Sprintf(`{"service_id":"advice","start":%q,"name":"Wu","phone":"13600136000"}`, h.slotIn(9*time.Hour))
			return h.do("POST", "/api/v1/appointments", anonCaller, body)
		}, 409, "booking_blocked", "Walk-in"},
		// Moves the clock: keep after every case that books relative to now.
		{"too_late", func() apiResponse {
			a := h.book(t, h.slotIn(30*time.Minute), "13900000009")
			h.clock.Advance(45 * time.Minute) // past the slot and its 10-minute grace
			return h.do("POST", "/api/v1/checkin", kiosk, `{"code":"`+a.Code+`"}`)
		}, 409, "too_late", ""},
		{"rate_limited: the 6th failed login of one name from one address", func() apiResponse {
			// The first failure goes through HTTP; the next four are
			// recorded straight into the throttle, since each real attempt
			// costs a bcrypt comparison (most of a second under -race).
			req := h.req("POST", "/api/v1/session", anonCaller, `{"username":"admin","password":"wrong-password"}`)
			req.RemoteAddr = limitedIP + ":5000"
			if r := h.serve(req); r.status != http.StatusUnauthorized {
				return r
			}
			for range 4 {
				h.s.logins.attempt("admin", limitedIP, h.clock.Now())
			}
			req = h.req("POST", "/api/v1/session", anonCaller, `{"username":"admin","password":"`+testAdminPassword+`"}`)
			req.RemoteAddr = limitedIP + ":5001"
			return h.serve(req)
		}, 429, "rate_limited", ""},
		{"not_no_show: revert a waiting ticket", func() apiResponse {
			return h.do("POST", "/api/v1/tickets/"+waiting.ID+"/revert-no-show", admin, "")
		}, 409, "not_no_show", ""},
		{"clock_untrusted: the clock jumped 2 h ahead", func() apiResponse {
			h.clock.Step(2 * time.Hour)
			r := h.do("POST", "/api/v1/tickets", kiosk, `{"service_id":"general"}`)
			h.do("POST", "/api/v1/clock/confirm", admin, "").want(t, http.StatusOK)
			return r
		}, 409, "clock_untrusted", ""},
		{"clock_before_build: confirm a clock before the build date", func() apiResponse {
			h.s.engine.SetNotBefore(h.clock.Now().Add(24 * time.Hour))
			defer h.s.engine.SetNotBefore(time.Time{})
			return h.do("POST", "/api/v1/clock/confirm", admin, "")
		}, 409, "clock_before_build", ""},
		{"wrong_password: changing one's own password", func() apiResponse {
			return h.do("PUT", "/api/v1/users/admin", admin, `{"password":"new-password-9","current_password":"not-the-password"}`)
		}, 403, "wrong_password", ""},
		{"request_timeout: a body cut off by the read timeout", func() apiResponse {
			req := h.req("POST", "/api/v1/tickets", kiosk, `{"service_id":"general"}`)
			req.Body = io.NopCloser(io.MultiReader(strings.NewReader(`{"service_id":`), timeoutReader{}))
			return h.serve(req)
		}, 408, "request_timeout", ""},
		{"not_done", func() apiResponse {
			return h.do("POST", "/api/v1/status/"+waiting.Token+"/feedback", anonCaller, `{"rating":4}`)
		}, 409, "not_done", ""},
		{"already_rated", func() apiResponse {
			served := h.issue(t, kiosk, "cash")
			h.do("POST", "/api/v1/counters/c2/next", admin, "").want(t, http.StatusOK)
			h.step(served.ID, "start").want(t, http.StatusOK)
			h.step(served.ID, "finish").want(t, http.StatusOK)
			h.do("POST", "/api/v1/status/"+served.Token+"/feedback", anonCaller, `{"rating":4}`).want(t, http.StatusCreated)
			return h.do("POST", "/api/v1/status/"+served.Token+"/feedback", anonCaller, `{"rating":5}`)
		}, 409, "already_rated", ""},
		{"issuing_stopped", func() apiResponse {
			h.do("PUT", "/api/v1/issuing", admin, `{"stopped":true}`).want(t, http.StatusOK)
			defer func() { h.do("PUT", "/api/v1/issuing", admin, `{"stopped":false}`).want(t, http.StatusOK) }()
			return h.do("POST", "/api/v1/tickets", kiosk, `{"service_id":"general"}`)
		}, 409, "issuing_stopped", ""},
		{"webhook_exists: one URL added twice", func() apiResponse {
			var w map[string]any
			h.do("POST", "/api/v1/webhooks", admin, `{"url":"http://127.0.0.1:9/dup"}`).want(t, http.StatusCreated).decode(t, &w)
			defer func() {
				h.do("DELETE", "/api/v1/webhooks/"+fmt.Sprint(w["id"]), admin, "").want(t, http.StatusNoContent)
			}()
			return h.do("POST", "/api/v1/webhooks", admin, `{"url":"http://127.0.0.1:9/dup","events":["ticket.called"]}`)
		}, 409, "webhook_exists", "url"},
		// Last: the branch stays closed afterwards.
		{"closed", func() apiResponse {
			h.do("PUT", "/api/v1/settings", admin, `{"hours":{"mon":"","tue":"","wed":"","thu":"","fri":"","sat":"","sun":""}}`).want(t, http.StatusOK)
			return h.do("POST", "/api/v1/tickets", kiosk, `{"service_id":"general"}`)
		}, 409, "closed", ""},
		// internal and storage_unavailable need a bug or a failing disk to
		// appear; a healthy box cannot be made to answer them.
	}

	seen := map[string]bool{}
	for _, tt := range tests {
		r := tt.do()
		code, msg, err := r.apiError()
		switch {
		case err != nil:
			t.Errorf("%s: %v: %v", tt.name, r, err)
		case r.status != tt.status || code != tt.code:
			t.Errorf("%s: got %d %s, want %d %s (%v)", tt.name, r.status, code, tt.status, tt.code, r)
		case !strings.Contains(msg, tt.msg):
			t.Errorf("%s: got message %q, want it to name %q", tt.name, msg, tt.msg)
		default:
			seen[tt.code] = true
		}
	}

	unreachable := map[string]bool{
		"internal":            true, // see above
		"storage_unavailable": true,
		// bad_request wraps a 4xx raised by echo itself that has no entry of
		// its own; no route of ours raises one.
		"bad_request": true,
	}
	for _, code := range catalogueCodes(t) {
		if !seen[code] && !unreachable[code] {
			t.Errorf("error code %q from errors.go was not produced by any request", code)
		}
	}
}

type badBody struct {
	name    string
	body    string
	chunked bool // sent without a Content-Length
}

// badBodies are what a confused or hostile client sends. None may get a 5xx.
func badBodies() []badBody {
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	huge := `{"name":"` + strings.Repeat("x", 1<<20) + `"}`
	out := []badBody{
		{"malformed", `{"service_id":`, false},
		{"trailing comma", `{"service_id":"general",}`, false},
		{"single quotes", `{'service_id':'general'}`, false},
		{"not json", `service_id=general`, false},
		{"two values", `{}{}`, false},
		{"null", `null`, false},
		{"empty object", `{}`, false},
		{"empty array", `[]`, false},
		{"array of objects", `[{"service_id":"general"}]`, false},
		{"string", `"general"`, false},
		{"number", `42`, false},
		{"deeply nested arrays", deep, false},
		{"deeply nested in a field", `{"service_ids":` + deep + `}`, false},
		{"1 MB body", huge, false},
		{"1 MB body, streamed", huge, true},
		{"unicode garbage", "{\"service_id\":\"\u0000\uffff💥\u202e\",\"name\":\"\xff\xfe\xfd\",\"id\":\"ä\",\"prefix\":\"Ä\"}", false},
		{"byte order mark", "\xef\xbb\xbf{\"service_id\":\"general\"}", false},
		{"all nulls", `{"service_id":null,"priority":null,"username":null,"password":null,"role":null,"disabled":null,` +
			`"kind":null,"name":null,"id":null,"prefix":null,"names":null,"avg_service_seconds":null,"slot_minutes":null,` +
			`"slot_capacity":null,"position":null,"service_ids":null,"timezone":null,"hours":null,"max_wait_minutes":null,"branch_name":null}`, false},
		{"extreme numbers", `{"service_id":"general","priority":9223372036854775807,"avg_service_seconds":-9223372036854775808,` +
			`"slot_minutes":2147483648,"position":-1,"max_wait_minutes":99999999}`, false},
		{"bad service", `{"id":"` + strings.Repeat("x", 40) + `","prefix":"ZZZZ","name":"","avg_service_seconds":0,` +
			`"slot_minutes":15,"slot_capacity":0,"names":{"":"","zh":""}}`, false},
		{"bad settings", `{"timezone":"../../../etc/passwd","hours":{"mon":"25:00-26:00","funday":"09:00-10:00"},"max_wait_minutes":-1,"branch_name":"` + strings.Repeat("b", 200) + `"}`, false},
		{"overlapping hours", `{"hours":{"mon":"09:00-17:00,12:00-13:00","tue":"24:00-24:00","wed":"9-17"}}`, false},
		// Never a username and a password together: a login attempt costs a
		// bcrypt comparison, most of a second under -race.
		{"bad user", `{"username":"Root User","role":"root","disabled":"yes"}`, false},
		{"long password", `{"password":"` + strings.Repeat("p", 100) + `","role":"admin"}`, false},
		{"bad device", `{"kind":"printer","name":"` + strings.Repeat("n", 100) + `"}`, false},
		{"bad counter", `{"id":"c1","name":" ","service_ids":["general","general",""]}`, false},
		{"null in a list", `{"service_ids":[null,1,{}]}`, false},
	}
	// Each field of every body the API reads, with each wrong JSON type.
	fields := []string{"service_id", "priority", "username", "password", "role", "disabled", "kind", "name",
		"id", "prefix", "names", "avg_service_seconds", "slot_minutes", "slot_capacity", "position",
		"service_ids", "timezone", "hours", "max_wait_minutes", "branch_name", "printer_url",
		"start", "phone", "code", "checkin_early_minutes", "checkin_late_minutes",
		"notes", "ticket_id", "number", "reason"}
	wrong := []string{`5`, `"x"`, `true`, `[]`, `{}`, `1e400`, `-0.5`, `123456789012345678901234567890`}
	for _, f := range fields {
		for _, v := range wrong {
			out = append(out, badBody{fmt.Sprintf("%s=%s", f, v), fmt.Sprintf(`{%q:%s}`, f, v), false})
		}
	}
	return out
}

func TestNeverServerError(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	fill := h.routeFixture(t)
	all := badBodies()
	// A route that reads no body meets it only in the middleware; a few
	// bodies cover that, and keep the test fast.
	var few []badBody
	for _, b := range all {
		switch b.name {
		case "malformed", "empty object", "array of objects", "1 MB body", "1 MB body, streamed", "unicode garbage":
			few = append(few, b)
		}
	}
	for _, rt := range apiRoutes() {
		as := h.admin
		if rt.logsOut {
			as = h.mintSession(t, "admin")
		}
		bodies := all
		if rt.body == "" {
			bodies = few
		}
		for _, b := range bodies {
			req := h.req(rt.method, fill.Replace(rt.path), as, b.body)
			if b.chunked {
				req.ContentLength = -1
			}
			r := h.serve(req)
			where := fmt.Sprintf("%s %s with %s", rt.method, rt.pattern, b.name)
			if r.status >= 500 {
				t.Errorf("%s: got %v, want no 5xx", where, r)
				continue
			}
			if r.status >= 400 {
				if _, _, err := r.apiError(); err != nil {
					t.Errorf("%s: %v", where, err)
				}
				continue
			}
			if r.status == http.StatusNoContent || rt.binary {
				continue
			}
			if !json.Valid(r.body) || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Errorf("%s: got %v with Content-Type %q, want a JSON body", where, r, r.header.Get("Content-Type"))
			}
		}
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	kioskB, _ := h.newDevice(t, "kiosk", "Kiosk 2")

	first := map[string]apiTicket{} // by step label
	steps := []struct {
		label   string
		as      caller
		key     string
		service string
		sameAs  string // label of the step whose ticket this must be; "" for a new ticket
	}{
		{"a1", h.kiosk, "press-1", "general", ""},
		{"a1 again", h.kiosk, "press-1", "general", "a1"},
		// The key names the press, not the request: another body still gets the first ticket.
		{"a1 other service", h.kiosk, "press-1", "cash", "a1"},
		{"b1", kioskB, "press-1", "general", ""},
		{"b1 again", kioskB, "press-1", "general", "b1"},
		{"staff same key", h.admin, "press-1", "general", ""},
		{"a2", h.kiosk, "press-2", "general", ""},
	}
	for _, s := range steps {
		r := h.do("POST", "/api/v1/tickets", s.as, `{"service_id":"`+s.service+`"}`, "Idempotency-Key", s.key).want(t, http.StatusCreated)
		var got apiTicket
		r.decode(t, &got)
		first[s.label] = got
		if s.sameAs == "" {
			for label, other := range first {
				if label != s.label && (other.ID == got.ID || other.Number == got.Number) {
					t.Errorf("%s: got ticket %s %s, the same as %s; want a new one", s.label, got.ID, got.Number, label)
				}
			}
			continue
		}
		want := first[s.sameAs]
		if got.ID != want.ID || got.Number != want.Number || got.Token != want.Token {
			t.Errorf("%s: got ticket %s %s, want %s %s from %s", s.label, got.ID, got.Number, want.ID, want.Number, s.sameAs)
		}
		if r.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("%s: got Idempotent-Replayed %q, want true", s.label, r.header.Get("Idempotent-Replayed"))
		}
	}

	// Four distinct tickets: a1, b1, staff's and a2.
	ids := map[string]int{}
	for _, w := range h.waiting(t, "") {
		ids[w.ID]++
	}
	if len(ids) != 4 {
		t.Errorf("queue holds %d tickets (%v), want 4", len(ids), ids)
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("ticket %s is in the queue %d times, want once", id, n)
		}
	}

	// A kiosk that retries at once on a flaky network sends the same key
	// in parallel; still one ticket.
	var wg sync.WaitGroup
	got := make([]apiResponse, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = h.do("POST", "/api/v1/tickets", kioskB, `{"service_id":"cash"}`, "Idempotency-Key", "retry-storm")
		}()
	}
	wg.Wait()
	var idsSeen []string
	for _, r := range got {
		var tk apiTicket
		r.want(t, http.StatusCreated).decode(t, &tk)
		idsSeen = append(idsSeen, tk.ID)
	}
	sort.Strings(idsSeen)
	if idsSeen[0] != idsSeen[len(idsSeen)-1] {
		t.Errorf("parallel requests with one key got tickets %v, want one ticket", idsSeen)
	}
	if n := len(h.waiting(t, "?service_id=cash")); n != 1 {
		t.Errorf("cash queue holds %d tickets, want 1", n)
	}
}

func TestBackupWhileIssuing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)

	var before []apiTicket
	for i := range 20 {
		before = append(before, h.issue(t, h.kiosk, []string{"general", "cash"}[i%2]))
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []apiResponse
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if r := h.do("POST", "/api/v1/tickets", h.kiosk, `{"service_id":"general"}`); r.status != http.StatusCreated {
					mu.Lock()
					failures = append(failures, r)
					mu.Unlock()
				}
			}
		}()
	}
	r := h.do("GET", "/api/v1/backup", h.admin, "")
	close(stop)
	wg.Wait()
	for _, f := range failures {
		t.Errorf("issue during backup: %v", f)
	}

	if r.status != http.StatusOK {
		t.Fatalf("backup: got %v, want 200", r)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Errorf("backup: got Content-Disposition %q, want an attachment", cd)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, store.FileName), r.body, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatalf("open backup: %v", err)
	}
	defer db.Close()
	for _, want := range before {
		got, err := db.Ticket(want.ID)
		if err != nil {
			t.Errorf("ticket %s from before the backup: %v", want.ID, err)
			continue
		}
		if got.Number != want.Number || got.ServiceID != want.ServiceID {
			t.Errorf("ticket %s in the backup: got %s %s, want %s %s", want.ID, got.Number, got.ServiceID, want.Number, want.ServiceID)
		}
	}
	if _, err := db.Load(); err != nil {
		t.Errorf("load backup: %v", err)
	}
}

// Reading a queue must be safe however many screens ask at once, including
// for a service that has never had a ticket.
func TestConcurrentQueueReads(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	paths := []string{"/api/v1/queue?service_id=cash", "/api/v1/counters/c2/queue", "/api/v1/services", "/api/v1/queue?service_id=spare"}
	start := make(chan struct{})
	var wg sync.WaitGroup
	got := make([]apiResponse, 4*len(paths))
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			got[i] = h.do("GET", paths[i%len(paths)], h.admin, "")
		}()
	}
	close(start)
	wg.Wait()
	for _, r := range got {
		if r.status != http.StatusOK {
			t.Errorf("got %v, want 200", r)
		}
	}
}

// timeoutReader fails like a connection whose read deadline has passed.
type timeoutReader struct{}

func (timeoutReader) Read([]byte) (int, error) { return 0, os.ErrDeadlineExceeded }
