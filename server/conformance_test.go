package server

import (
	"net/http"
	"testing"
)

// Checks found by going through the contract as an integrator would (a
// till, a CRM, a monitoring system): what they send wrong must get a message
// a person can act on.

func TestBodyTypeErrorsSpeakJSON(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct {
		path, body, want string
	}{
		{"/api/v1/tickets", `{"service_id":"general","priority":1.5}`, "priority must be a whole number, not 1.5"},
		{"/api/v1/tickets", `{"service_id":"general","priority":99999999999999999999}`, "priority must be a whole number, not 99999999999999999999"},
		{"/api/v1/tickets", `{"service_id":5}`, "service_id must be a string, not a number"},
		{"/api/v1/tickets", `{"service_id":"general","priority":"1"}`, "priority must be a whole number, not a string"},
		{"/api/v1/tickets", `[]`, "the body must be a JSON object, not a list"},
		{"/api/v1/webhooks", `{"url":"http://127.0.0.1:9/x","events":"*"}`, "events must be a list, not a string"},
	} {
		code, msg, err := h.do("POST", tt.path, h.admin, tt.body).want(t, http.StatusBadRequest).apiError()
		if err != nil || code != "invalid" || msg != tt.want {
			t.Errorf("%s %s: got %s %q, want invalid %q", tt.path, tt.body, code, msg, tt.want)
		}
	}
	code, msg, _ := h.do("PUT", "/api/v1/tiers", h.admin, `{"id":"gold"}`).want(t, http.StatusBadRequest).apiError()
	if code != "invalid" || msg != "the body must be a JSON list, not an object" {
		t.Errorf("PUT /tiers with an object: %s %q", code, msg)
	}
}
