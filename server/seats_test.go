package server

import (
	"net/http"
	"testing"
	"time"
)

func TestSeatsWarnOfASecondClerkAtOneCounter(t *testing.T) {
	h := newHarness(t, withStaff())
	// A third clerk, without a password check: a session minted for a user.
	h.do("POST", "/api/v1/users", h.admin, `{"username":"staff2","password":"`+testStaffPassword+`","role":"staff"}`).want(t, http.StatusCreated)
	staff2 := h.mintSession(t, "staff2")

	type answer struct {
		CounterID string `json:"counter_id"`
		Also      []struct {
			Username string    `json:"username"`
			Since    time.Time `json:"since"`
		} `json:"also"`
	}
	take := func(c caller, counter string) answer {
		t.Helper()
		var a answer
		h.do("POST", "/api/v1/counters/"+counter+"/seat", c, "").want(t, http.StatusOK).decode(t, &a)
		return a
	}
	names := func(a answer) []string {
		var out []string
		for _, m := range a.Also {
			out = append(out, m.Username)
		}
		return out
	}

	if a := take(h.staff, "c1"); len(a.Also) != 0 || a.CounterID != "c1" {
		t.Errorf("first clerk at c1: %+v, want alone", a)
	}
	h.clock.Advance(time.Minute)
	if got := names(take(h.admin, "c1")); len(got) != 1 || got[0] != "staff1" {
		t.Errorf("second clerk at c1 is told of %v, want staff1", got)
	}
	if got := names(take(staff2, "c1")); len(got) != 2 || got[0] != "staff1" || got[1] != "admin" {
		t.Errorf("third clerk at c1 is told of %v, want staff1 then admin (longest there first)", got)
	}
	// Moving to another counter, or leaving, frees the seat.
	if a := take(staff2, "c2"); len(a.Also) != 0 {
		t.Errorf("c2: %+v, want alone", a)
	}
	h.do("DELETE", "/api/v1/seat", h.admin, "").want(t, http.StatusNoContent)
	if got := names(take(h.staff, "c1")); len(got) != 0 {
		t.Errorf("after the others left c1, staff1 is told of %v", got)
	}
	// A console that stopped saying it (closed, crashed) is forgotten.
	take(h.admin, "c1")
	h.clock.Advance(seatTTL)
	if got := names(take(h.staff, "c1")); len(got) != 0 {
		t.Errorf("a console silent for %v still counts: %v", seatTTL, got)
	}
	r := h.do("POST", "/api/v1/counters/c99/seat", h.staff, "")
	if code, _, _ := r.apiError(); r.status != http.StatusNotFound || code != "unknown_counter" {
		t.Errorf("seat at an unknown counter: %v, want 404 unknown_counter", r)
	}
}
