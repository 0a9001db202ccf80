package queue_test

import (
	"testing"
	"time"

	"queuebox/server/queue"
)

// nearTurns lists the near_turn events in the log as ticket number → ahead.
func nearTurns(t *testing.T, f *fixture) map[string]int {
	t.Helper()
	evs, err := f.db.Events(0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, ev := range evs {
		if ev.Type != queue.EventNearTurn {
			continue
		}
		if _, twice := out[ev.Ticket.Number]; twice {
			t.Errorf("near_turn twice for %s", ev.Ticket.Number)
		}
		if ev.Ahead == nil {
			t.Fatalf("near_turn of %s without ahead", ev.Ticket.Number)
		}
		out[ev.Ticket.Number] = *ev.Ahead
	}
	return out
}

func TestNearTurn(t *testing.T) {
	f := newFixture(t, "UTC", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	st := f.e.Settings()
	st.NearTurnPlace = 2 // told when at most one is ahead
	if _, err := f.e.PutSettings(st, "admin"); err != nil {
		t.Fatal(err)
	}
	var tk []queue.TicketView
	for range 5 {
		tk = append(tk, f.issue(t, "general", 0))
	}
	// A001 and A002 were issued within the place: their tickets say so,
	// no message.
	if got := nearTurns(t, f); len(got) != 0 {
		t.Errorf("after issuing: got near_turn for %v, want none", got)
	}
	if _, _, err := f.e.Next("c2", "alice"); err != nil { // A001
		t.Fatal(err)
	}
	if got := nearTurns(t, f); len(got) != 1 || got[tk[2].Number] != 1 {
		t.Errorf("after the first call: got %v, want %s with 1 ahead", got, tk[2].Number)
	}
	// A cancel ahead moves A004 up to place 2.
	if _, err := f.e.Cancel(tk[1].ID, "alice"); err != nil {
		t.Fatal(err)
	}
	if got := nearTurns(t, f); len(got) != 2 || got[tk[3].Number] != 1 {
		t.Errorf("after a cancel: got %v, want %s with 1 ahead too", got, tk[3].Number)
	}
	// A recall moves nobody; another service's call moves nobody here.
	cash := f.issue(t, "cash", 0)
	if _, err := f.e.Recall(tk[0].ID, "alice"); err != nil {
		t.Fatal(err)
	}
	if got := nearTurns(t, f); len(got) != 2 {
		t.Errorf("after a recall: got %v, want no new near_turn", got)
	}
	// A transfer puts the ticket in a new queue: it is told again there.
	if _, err := f.e.Transfer(tk[2].ID, "cash", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.e.Next("c3", "bob"); err != nil { // the cash ticket
		t.Fatal(err)
	}
	_ = cash
	evs, _ := f.db.Events(0, 1000)
	n := 0
	for _, ev := range evs {
		if ev.Type == queue.EventNearTurn && ev.Ticket.ID == tk[2].ID {
			n++
		}
	}
	if n != 2 {
		t.Errorf("transferred ticket: %d near_turn events, want one per queue (2)", n)
	}
	// Survives a restart: nobody is told twice.
	f.reopen(t)
	before := len(evs)
	if _, _, err := f.e.Next("c2", "alice"); err != nil {
		t.Fatal(err)
	}
	evs, _ = f.db.Events(0, 1000)
	for _, ev := range evs[before:] {
		if ev.Type == queue.EventNearTurn && (ev.Ticket.ID == tk[3].ID) {
			t.Errorf("told %s again after a restart", ev.Ticket.Number)
		}
	}

	// 0 turns it off.
	st.NearTurnPlace = 0
	if _, err := f.e.PutSettings(st, "admin"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		f.issue(t, "general", 0)
	}
	before = len(evs)
	f.e.Next("c2", "alice")
	evs, _ = f.db.Events(0, 1000)
	for _, ev := range evs[before:] {
		if ev.Type == queue.EventNearTurn {
			t.Errorf("near_turn with the setting at 0: %s", ev.Ticket.Number)
		}
	}
}
