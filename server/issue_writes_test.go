package server

import (
	"fmt"
	"net/http"
	"testing"
)

// TestIssueWritesStayFixed issues tickets one at a time through the API as
// a kiosk does (with an idempotency key each) and holds what each costs
// the database, in bbolt's own page count: one commit per ticket, no other
// write on the way (a session, a device's last use, a counter), a fixed
// number of pages that does not grow as the day's tickets add up. The
// store's TestIssueWritesFewPages holds the pages of commits shared by
// many tickets.
func TestIssueWritesStayFixed(t *testing.T) {
	h := newHarness(t)
	taps := uint32(0)
	issue := func(n int) {
		t.Helper()
		for range n {
			taps++ // keys as random as a kiosk's
			h.do("POST", "/api/v1/tickets", h.kiosk, `{"service_id":"general"}`,
				"Idempotency-Key", fmt.Sprintf("%08x-tap", taps*2654435761)).want(t, http.StatusCreated)
		}
	}
	measure := func(n int) (pages, commits float64) {
		t.Helper()
		before := h.s.db.WriteStats()
		issue(n)
		after := h.s.db.WriteStats()
		return float64(after.Pages-before.Pages) / float64(n), float64(after.Commits-before.Commits) / float64(n)
	}
	issue(50)
	early, earlyCommits := measure(100)
	issue(500)
	late, lateCommits := measure(100)
	t.Logf("per ticket: %.1f pages in %.2f commits after 50 tickets; %.1f pages in %.2f commits after 650", early, earlyCommits, late, lateCommits)
	if earlyCommits != 1 || lateCommits != 1 {
		t.Errorf("commits per ticket: %.2f, then %.2f; want 1: the ticket's own", earlyCommits, lateCommits)
	}
	const most = 16 // see the store's TestIssueWritesFewPages
	if early > most || late > most {
		t.Errorf("pages per ticket: %.1f, then %.1f; want at most %d", early, late, most)
	}
	if late > early+1 {
		t.Errorf("pages per ticket grew from %.1f to %.1f over the day: something is rewritten whole with every ticket", early, late)
	}
}
