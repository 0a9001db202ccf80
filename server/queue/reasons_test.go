package queue_test

import (
	"math"
	"reflect"
	"testing"
	"time"

	"queuebox/server/queue"
)

// wantReason checks that v was called for code with args, and that its
// words (call_reason) are the ones code and args make.
func wantReason(t *testing.T, v queue.TicketView, code string, args queue.ReasonArgs) {
	t.Helper()
	var got queue.ReasonArgs
	if v.CallReasonArgs != nil {
		got = *v.CallReasonArgs
	}
	if v.CallReasonCode != code || !reflect.DeepEqual(got, args) {
		t.Errorf("%s: reason code %q args %+v, want %q %+v", v.Number, v.CallReasonCode, got, code, args)
	}
	if words := (queue.Reason{Code: v.CallReasonCode, Args: got}).Text(); words != v.CallReason {
		t.Errorf("%s: call_reason %q, but its code and args say %q", v.Number, v.CallReason, words)
	}
}

// Every code words its reason as the box always has: pages that read the
// code say the same thing as the English call_reason.
func TestReasonWords(t *testing.T) {
	for _, tt := range []struct {
		r    queue.Reason
		want string
	}{
		{queue.Reason{Code: queue.ReasonNextInLine}, "next in line"},
		{queue.Reason{queue.ReasonCap, queue.ReasonArgs{CapMinutes: 30}}, "waited past the 30-min cap"},
		{queue.Reason{queue.ReasonCapRisk, queue.ReasonArgs{Minutes: 5, CapMinutes: 30}}, "5 min to the 30-min cap"},
		{queue.Reason{queue.ReasonCapRisk, queue.ReasonArgs{CapMinutes: 30}}, "<1 min to the 30-min cap"},
		{queue.Reason{queue.ReasonTarget, queue.ReasonArgs{Minutes: 3}}, "3 min to target"},
		{queue.Reason{queue.ReasonTierTarget, queue.ReasonArgs{Tier: "gold", TierName: "Gold", Minutes: 4}}, "Gold · 4 min to target"},
		{queue.Reason{queue.ReasonTierPastTarget, queue.ReasonArgs{Tier: "gold", TierName: "Gold", Minutes: 1}}, "Gold · 1 min past target"},
		{queue.Reason{queue.ReasonTierShare, queue.ReasonArgs{Tier: "gold", TierName: "Gold", Share: 2.5}}, "Gold · tier share 2.5"},
		{queue.Reason{queue.ReasonAppointment, queue.ReasonArgs{At: "11:00"}}, "appointment at 11:00"},
		{queue.Reason{queue.ReasonRotation, queue.ReasonArgs{Level: "VIP", Weights: []queue.LevelWeight{{Level: "VIP", Weight: 2}, {Level: "normal", Weight: 1}}}}, "VIP turn in the rotation (2 VIP : 1 normal)"},
		{queue.Reason{queue.ReasonPriority, queue.ReasonArgs{Priority: 2}}, "priority level 2, oldest first"},
		{queue.Reason{queue.ReasonBookedEarly, queue.ReasonArgs{At: "10:30"}}, "booked 10:30, here early"},
		{queue.Reason{queue.ReasonShortJob, queue.ReasonArgs{At: "10:30"}}, "short job before booked 10:30"},
		{queue.Reason{queue.ReasonByNumber, queue.ReasonArgs{By: "ann", Text: "back with the form"}}, "called by number by ann: back with the form"},
		{queue.Reason{queue.ReasonNextInLine, queue.ReasonArgs{BeforeBooked: "10:30"}}, "next in line, before booked 10:30"},
	} {
		if got := tt.r.Text(); got != tt.want {
			t.Errorf("%s %+v says %q, want %q", tt.r.Code, tt.r.Args, got, tt.want)
		}
	}
}

// The waiting list gives each ticket its reason's code as a call would; a
// called ticket keeps its code across a restart and its call event carries
// it; a ticket sent back to the queue has none.
func TestReasonCodesListedKeptAndCleared(t *testing.T) {
	open := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	f := newFixture(t, "UTC", open)
	old := f.issue(t, "general", 0)
	f.clock.Set(open.Add(20 * time.Minute))
	vip := f.issue(t, "general", 2)
	f.issue(t, "general", 0)
	f.clock.Set(open.Add(31 * time.Minute))
	list, err := f.e.CounterQueue("c2")
	if err != nil || len(list) != 3 {
		t.Fatalf("c2's list: %d tickets, %v", len(list), err)
	}
	wantReason(t, list[0], queue.ReasonCap, queue.ReasonArgs{CapMinutes: 30})
	wantReason(t, list[1], queue.ReasonPriority, queue.ReasonArgs{Priority: 2})
	wantReason(t, list[2], queue.ReasonNextInLine, queue.ReasonArgs{})

	v, _, _ := f.e.Next("c2", "s")
	if v.ID != old.ID {
		t.Fatalf("called %s, want %s", v.Number, old.Number)
	}
	wantReason(t, v, queue.ReasonCap, queue.ReasonArgs{CapMinutes: 30})
	if evs := f.events(t, queue.EventCalled); len(evs) != 1 || evs[0].Ticket.CallReasonCode != queue.ReasonCap {
		t.Errorf("call events %+v, want one with the cap's code", evs)
	}
	f.reopen(t)
	v, err = f.e.Ticket(old.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantReason(t, v, queue.ReasonCap, queue.ReasonArgs{CapMinutes: 30})

	called, _, _ := f.e.Next("c2", "s")
	if called.ID != vip.ID {
		t.Fatalf("called %s, want the VIP %s", called.Number, vip.Number)
	}
	back, err := f.e.Transfer(vip.ID, "cash", "s")
	if err != nil {
		t.Fatal(err)
	}
	if back.CallReason != "" || back.CallReasonCode != "" || back.CallReasonArgs != nil {
		t.Errorf("transferred back to a queue with reason %q %q %+v, want none", back.CallReason, back.CallReasonCode, back.CallReasonArgs)
	}
}

// A called ticket's reason arguments are left to encoding/json: AppendJSON
// hands the ticket back (the store and the answers then use encoding/json),
// whatever the share, NaN included.
func TestReasonArgsAreHandedBack(t *testing.T) {
	for _, share := range []float64{0, 1.5, 1e-7, 1e21, math.NaN()} {
		tk := queue.Ticket{CallReason: "x", CallReasonCode: queue.ReasonTierShare, CallReasonArgs: &queue.ReasonArgs{Tier: "gold", Share: share}}
		if _, ok := tk.AppendJSON(nil); ok {
			t.Errorf("share %g: AppendJSON wrote a ticket with reason arguments, want it handed to encoding/json", share)
		}
	}
}
