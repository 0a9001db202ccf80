package queue_test

import (
	"slices"
	"testing"
	"time"

	"queuebox/server/queue"
)

// TestForgetCustomersKeepsTheQueue: forgetting an erased customer takes
// their id off their waiting and called tickets, in memory and on disk,
// while every ticket keeps its tier and its place: the routing does not
// notice. Another customer's tickets keep their link.
func TestForgetCustomersKeepsTheQueue(t *testing.T) {
	f := tierFixture(t, testTiers)
	issue := func(customer, tier string) queue.TicketView {
		t.Helper()
		v, _, err := f.e.Issue(queue.IssueRequest{ServiceID: "general", Source: "test", Tier: tier, CustomerID: customer})
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Minute)
		return v
	}
	called := issue("cu-gone", "gold")
	if got := f.next(t, "c2"); got.ID != called.ID {
		t.Fatalf("called %s, want %s", got.Number, called.Number)
	}
	ids := []string{issue("", "standard").ID, issue("cu-gone", "gold").ID, issue("cu-kept", "silver").ID, issue("cu-gone", "gold").ID}
	ahead := func() []int {
		var out []int
		for _, id := range ids {
			v, err := f.e.Ticket(id)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v.Ahead)
		}
		return out
	}
	before := ahead()
	n, err := f.e.ForgetCustomers([]string{"cu-gone"}, nil)
	if err != nil || n != 3 {
		t.Fatalf("forget: %d, %v; want 3 tickets changed", n, err)
	}
	check := func(when string) {
		t.Helper()
		for _, id := range append(ids, called.ID) {
			v, _ := f.e.Ticket(id)
			if v.CustomerID == "cu-gone" {
				t.Errorf("%s: ticket %s still names the erased customer", when, v.Number)
			}
			if want := map[string]string{ids[0]: "standard", ids[2]: "silver"}[id]; want != "" && v.Tier != want || want == "" && v.Tier != "gold" {
				t.Errorf("%s: ticket %s has tier %q", when, v.Number, v.Tier)
			}
		}
		if v, _ := f.e.Ticket(ids[2]); v.CustomerID != "cu-kept" {
			t.Errorf("%s: the other customer's ticket lost its link: %q", when, v.CustomerID)
		}
		if got := ahead(); !slices.Equal(got, before) {
			t.Errorf("%s: places %v, want %v as before", when, got, before)
		}
	}
	check("after forgetting")
	f.reopen(t)
	check("after a restart")
	if n, err := f.e.ForgetCustomers([]string{"cu-gone"}, nil); err != nil || n != 0 {
		t.Errorf("forgetting again: %d, %v; want nothing left to change", n, err)
	}
}
