package store

import (
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"
	"time"

	"queuebox/server/queue"
)

// compactChildEnv makes the test binary compact the database in the named
// directory and exit, for the test that kills it half way.
const compactChildEnv = "QUEUEBOX_STORE_COMPACT_CHILD"

var (
	pruneBefore = "2026-03-04"
	pruneCutoff = time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(compactChildEnv); dir != "" {
		pruneChunk = 20 // many transactions, so a kill lands between them
		if _, err := Compact(dir, Options{LockTimeout: 5 * time.Second}, pruneBefore, pruneCutoff); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// aggregateOf is what the day aggregates must say of tickets.
func aggregateOf(tickets map[string]queue.Ticket, before string) map[string]DayAggregate {
	out := map[string]DayAggregate{}
	for _, t := range tickets {
		if t.Date >= before || t.Status.Active() {
			continue
		}
		key := t.Date + "/" + t.ServiceID
		a := out[key]
		a.Date, a.ServiceID = t.Date, t.ServiceID
		a.add(&t)
		out[key] = a
	}
	return out
}

// checkPruned: every ticket is either still there as written or counted in
// its day's aggregate, never both and never neither; the aggregates hold
// exactly the counts of the tickets they replaced.
func checkPruned(t *testing.T, db *DB, w want, complete bool) {
	t.Helper()
	aggs, err := db.DayAggregates("0000-00-00", "9999-99-99")
	if err != nil {
		t.Fatal(err)
	}
	counted := 0
	for _, a := range aggs {
		counted += a.Issued
	}
	present := 0
	for id, tk := range w.tickets {
		got, err := db.Ticket(id)
		switch {
		case errors.Is(err, queue.ErrTicketNotFound):
			if tk.Date >= pruneBefore {
				t.Fatalf("ticket %s of %s was pruned", id, tk.Date)
			}
			if _, err := db.TicketByToken(tk.Token); !errors.Is(err, queue.ErrTicketNotFound) {
				t.Fatalf("pruned ticket %s is still found by token: %v", id, err)
			}
		case err != nil:
			t.Fatal(err)
		default:
			present++
			sameJSON(t, "ticket "+id, got, tk)
		}
	}
	if present+counted != len(w.tickets) {
		t.Fatalf("%d tickets kept + %d counted in aggregates = %d, want %d", present, counted, present+counted, len(w.tickets))
	}
	if !complete {
		return
	}
	want := aggregateOf(w.tickets, pruneBefore)
	if len(aggs) != len(want) {
		t.Fatalf("%d aggregates, want %d", len(aggs), len(want))
	}
	for _, a := range aggs {
		sameJSON(t, "aggregate "+a.Date, a, want[a.Date+"/"+a.ServiceID])
	}
	evs, err := db.Events(0, len(w.events))
	if err != nil {
		t.Fatal(err)
	}
	// The log is cut before its first event at or after the cutoff.
	var keep []queue.Event
	for i, ev := range w.events {
		if !ev.At.Before(pruneCutoff) {
			keep = w.events[i:]
			break
		}
	}
	sameJSON(t, "events kept", evs, keep)
}

// TestPruneCountsThenForgets: pruning in many small transactions keeps the
// recent days whole, turns the old ones into aggregates with the right
// counts, drops the old events, and a second run changes nothing.
func TestPruneCountsThenForgets(t *testing.T) {
	defer func(n int) { pruneChunk = n }(pruneChunk)
	pruneChunk = 25
	dir := t.TempDir()
	changes := history(600, time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range changes {
		if err := <-db.Apply(c); err != nil {
			t.Fatal(err)
		}
	}
	w := wantOf(changes)
	res, err := db.Prune(pruneBefore, pruneCutoff)
	if err != nil {
		t.Fatal(err)
	}
	if res.Tickets == 0 || res.Events == 0 || res.Appointments == 0 {
		t.Fatalf("pruned %+v: something of each kind is old", res)
	}
	checkPruned(t, db, w, true)
	again, err := db.Prune(pruneBefore, pruneCutoff)
	if err != nil || again != (PruneResult{}) {
		t.Fatalf("second prune: %+v, %v; want nothing", again, err)
	}
	checkPruned(t, db, w, true)
	snap, err := db.Load()
	if err != nil || snap.LastTicketID != 600 || len(snap.Active) != 3 {
		t.Fatalf("after pruning: last ticket %d, %d active, %v", snap.LastTicketID, len(snap.Active), err)
	}
}

// TestCompactSurvivesKill9 kills the compaction (pruning included) at
// random moments: after each kill the database opens, nothing is lost or
// counted twice, and a compaction run to its end leaves a smaller file.
func TestCompactSurvivesKill9(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	changes := history(600, time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	makeSchema2(t, dir, changes)
	w := wantOf(changes)
	before, err := os.Stat(dir + "/" + FileName)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	killed := 0
	for round := range 8 {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), compactChildEnv+"="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(120)) * time.Millisecond)
		_ = cmd.Process.Kill()
		if err := cmd.Wait(); err != nil {
			killed++
		}
		db, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("round %d: open after kill: %v", round, err)
		}
		checkPruned(t, db, w, false)
		db.Close()
	}
	t.Logf("%d of 8 compactions killed before their end", killed)
	if killed == 0 {
		t.Fatal("no compaction was killed: nothing was tested")
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), compactChildEnv+"="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("compaction to the end: %v %s", err, out)
	}
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkPruned(t, db, w, true)
	after, _ := os.Stat(dir + "/" + FileName)
	if after.Size() >= before.Size() {
		t.Errorf("file %d bytes after compaction, %d before", after.Size(), before.Size())
	}
}

// TestNewTokensAreFoundBeforeAndAfterFolding: a new ticket is found by its
// token at once, after a restart, and after its token moved into the main
// index; later writes of the ticket do not index it again.
func TestNewTokensAreFoundBeforeAndAfterFolding(t *testing.T) {
	dir := t.TempDir()
	changes := history(60, time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	w := wantOf(changes)
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		if err := <-db.Apply(c); err != nil {
			t.Fatal(err)
		}
	}
	found := func(db *DB) {
		t.Helper()
		for id, tk := range w.tickets {
			if got, err := db.TicketByToken(tk.Token); err != nil || got.ID != id {
				t.Fatalf("token of ticket %s: %q, %v", id, got.ID, err)
			}
		}
	}
	found(db)
	db.Close()
	if db, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	found(db)
	// The tokens of ended tickets move to the main index; those of the
	// three still waiting stay with them in the active set.
	n, err := db.FoldTokens()
	if err != nil || n != len(w.tickets)-3 {
		t.Fatalf("folded %d tokens (%v), want %d", n, err, len(w.tickets)-3)
	}
	found(db)
	// The last ticket is called: written again, not indexed again.
	last := changes[len(changes)-1].Tickets[0]
	last.Status = queue.StatusCalled
	if err := <-db.Apply(&queue.Change{Tickets: []queue.Ticket{last}}); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.FoldTokens(); n != 0 {
		t.Errorf("a ticket written again was indexed again (%d tokens to fold)", n)
	}
	found(db)
	// Once it ends, its token leaves the active set for the main index.
	last.Status = queue.StatusDone
	if err := <-db.Apply(&queue.Change{Tickets: []queue.Ticket{last}}); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.FoldTokens(); n != 1 {
		t.Errorf("folded %d tokens after the ticket ended, want 1", n)
	}
	found(db)
	db.Close()
	if db, err = Open(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	found(db)
}
