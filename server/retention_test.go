package server

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"queuebox/server/store"
)

func fileSize(t *testing.T, dir string) int64 {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestRetentionPrunesOldDaysIntoTotals: once a day is past the retention
// period, its tickets (one cancelled, one left waiting, which the day's
// close expired) are counted into the day's totals per service and their
// status pages are gone, while the tickets of kept days stay as they were.
func TestRetentionPrunesOldDaysIntoTotals(t *testing.T) {
	h := newHarness(t)
	h.s.cfg.Retention = 31
	old := h.issue(t, h.kiosk, "general")
	h.step(old.ID, "cancel").want(t, http.StatusOK)
	expired := h.issue(t, h.kiosk, "cash")
	day := h.s.engine.Settings() // the branch's zone decides the date
	oldDate := h.clock.Now().In(branchZone(day.Timezone)).Format(time.DateOnly)

	h.clock.Advance(40 * 24 * time.Hour)
	recent := h.issue(t, h.kiosk, "general")
	res, err := h.s.pruneHistory()
	if err != nil {
		t.Fatal(err)
	}
	if res.Tickets != 2 {
		t.Errorf("pruned %d tickets, want the two of 40 days ago", res.Tickets)
	}
	h.do("GET", "/api/v1/status/"+old.Token, anonCaller, "").want(t, http.StatusNotFound)
	h.do("GET", "/api/v1/status/"+expired.Token, anonCaller, "").want(t, http.StatusNotFound)
	h.do("GET", "/api/v1/status/"+recent.Token, anonCaller, "").want(t, http.StatusOK)
	aggs, err := h.s.db.DayAggregates(oldDate, oldDate)
	if err != nil {
		t.Fatal(err)
	}
	// By date, then service: cash before general.
	if len(aggs) != 2 || aggs[0].ServiceID != "cash" || aggs[0].Issued != 1 || aggs[0].Expired != 1 ||
		aggs[1].ServiceID != "general" || aggs[1].Issued != 1 || aggs[1].Cancelled != 1 {
		t.Fatalf("totals of %s = %+v, want one expired cash ticket and one cancelled general ticket", oldDate, aggs)
	}
}

// TestCLICompact: queuebox compact refuses while a server holds the
// database, and with it stopped shrinks the file and keeps every ticket.
func TestCLICompact(t *testing.T) {
	h := newHarness(t)
	var kept []apiTicket
	// Enough tickets that the file has grown past bbolt's first sizes, and
	// their calls and ends leave freed pages behind.
	for range 600 {
		kept = append(kept, h.issue(t, h.kiosk, "general"))
	}
	for range 300 {
		h.do("POST", "/api/v1/counters/c1/next", h.admin, "").want(t, http.StatusOK)
	}
	dir := h.s.cfg.Data
	if code, _, errs := runCLI(t, "", "compact", "--data", dir); code == 0 || !strings.Contains(errs, "stop it first") {
		t.Fatalf("compact beside a running server: %d %q", code, errs)
	}
	if err := h.s.Close(); err != nil {
		t.Fatal(err)
	}
	// bbolt grows a file in steps, so the pages in use tell what compaction
	// gave back better than the file's size does.
	used := func() int64 {
		t.Helper()
		b, err := bolt.Open(filepath.Join(dir, store.FileName), 0o600, &bolt.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		var n int64
		b.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
		return n
	}
	before, usedBefore := fileSize(t, dir), used()
	code, out, errs := runCLI(t, "", "compact", "--data", dir)
	if code != 0 || !strings.Contains(out, "compacted") {
		t.Fatalf("compact: %d %q %q", code, out, errs)
	}
	if after, usedAfter := fileSize(t, dir), used(); usedAfter >= usedBefore || after > before {
		t.Errorf("after compact: file %d bytes, %d in use; before: %d, %d in use", after, usedAfter, before, usedBefore)
	}
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tk := range kept {
		if got, err := db.TicketByToken(tk.Token); err != nil || got.Number != tk.Number {
			t.Fatalf("ticket %s after compact: %+v, %v", tk.Number, got, err)
		}
	}
}
