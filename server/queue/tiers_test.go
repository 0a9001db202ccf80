package queue_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"queuebox/server/queue"
)

var testTiers = []queue.Tier{
	{ID: "gold", Name: "Gold", SLAWaitSeconds: 300, SLATarget: 0.9},
	{ID: "silver", Name: "Silver", SLAWaitSeconds: 600, SLATarget: 0.8},
	{ID: "standard", Name: "Standard"},
}

func tierFixture(t *testing.T, tiers []queue.Tier) *fixture {
	t.Helper()
	f := newFixture(t, "UTC", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	if _, err := f.e.PutTiers(tiers, "test"); err != nil {
		t.Fatalf("put tiers: %v", err)
	}
	return f
}

func (f *fixture) issueTier(t *testing.T, service, tier string) queue.TicketView {
	t.Helper()
	v, _, err := f.e.Issue(queue.IssueRequest{ServiceID: service, Source: "test", Tier: tier, CustomerID: "c-" + tier})
	if err != nil {
		t.Fatalf("issue %s/%s: %v", service, tier, err)
	}
	return v
}

func (f *fixture) next(t *testing.T, counter string) queue.TicketView {
	t.Helper()
	v, ok, err := f.e.Next(counter, "test")
	if err != nil || !ok {
		t.Fatalf("next at %s: ok=%v err=%v", counter, ok, err)
	}
	return v
}

func TestEveryTicketHasATier(t *testing.T) {
	f := tierFixture(t, testTiers)
	if v := f.issue(t, "general", 0); v.Tier != "standard" {
		t.Errorf("anonymous ticket tier = %q, want the default tier standard", v.Tier)
	}
	if v := f.issueTier(t, "general", "gold"); v.Tier != "gold" || v.CustomerID != "c-gold" {
		t.Errorf("gold ticket = %q/%q", v.Tier, v.CustomerID)
	}
	_, _, err := f.e.Issue(queue.IssueRequest{ServiceID: "general", Tier: "platinum"})
	var ve *queue.ValidationError
	if !errors.As(err, &ve) || ve.Field != "tier" {
		t.Errorf("unknown tier: %v, want a validation error naming tier", err)
	}
	// Tiers survive a restart, and so do the tickets' tiers.
	f.reopen(t)
	if got := f.e.Tiers(); len(got) != 3 || got[0].ID != "gold" {
		t.Errorf("tiers after restart = %+v", got)
	}
}

func TestGoldGoesFirstWithItsReason(t *testing.T) {
	f := tierFixture(t, testTiers)
	std := f.issue(t, "general", 0)
	f.clock.Advance(time.Minute)
	gold := f.issueTier(t, "general", "gold")
	if gold.Ahead != 0 {
		t.Errorf("gold ahead = %d, want 0 (it goes before the standard ticket)", gold.Ahead)
	}
	if v, _ := f.e.Ticket(std.ID); v.Ahead != 1 {
		t.Errorf("standard ahead = %d, want 1", v.Ahead)
	}
	f.clock.Advance(time.Minute)
	got := f.next(t, "c2")
	if got.ID != gold.ID || got.CallReason != "Gold · 4 min to target" {
		t.Errorf("called %s (%q), want the gold ticket with reason %q", got.Number, got.CallReason, "Gold · 4 min to target")
	}
	wantReason(t, got, queue.ReasonTierTarget, queue.ReasonArgs{Tier: "gold", TierName: "Gold", Minutes: 4})
	if got := f.next(t, "c2"); got.ID != std.ID || got.CallReason != "next in line" {
		t.Errorf("then %s (%q), want the standard ticket, next in line", got.Number, got.CallReason)
	}
}

func TestShareDoesNotStarveTheDefaultTier(t *testing.T) {
	// Shares alone (no SLA target, which would make gold urgent at once).
	tiers := append([]queue.Tier(nil), testTiers...)
	for i := range tiers {
		tiers[i].SLAWaitSeconds, tiers[i].SLATarget = 0, 0
	}
	f := tierFixture(t, tiers)
	std := f.issue(t, "general", 0)
	f.clock.Advance(8 * time.Minute)
	// A gold ticket that just came is worth 1.5 × (0 + 10 min) − 10 min =
	// 5 min of waiting: the standard ticket that waited 8 goes first.
	f.issueTier(t, "general", "gold")
	if got := f.next(t, "c2"); got.ID != std.ID {
		t.Errorf("called %s, want the standard ticket that waited 8 minutes", got.Number)
	}
}

func TestSilverAboutToMissItsTargetGoesFirst(t *testing.T) {
	f := tierFixture(t, testTiers)
	silver := f.issueTier(t, "general", "silver")
	f.clock.Advance(7*time.Minute + 30*time.Second)
	gold := f.issueTier(t, "general", "gold")
	// Silver (share 1, 7:30 waited, 2:30 to its 10-min target) has less
	// slack than a fresh gold (5 min to target): both are at risk, and the
	// least slack goes first. (Gold is not on its last chance: desks of
	// "general" free up about every 2 min, so another will most likely be
	// free within its 5 min.)
	if v, _ := f.e.Ticket(silver.ID); v.Ahead != 0 {
		t.Errorf("silver ahead = %d, want 0 (least slack first)", v.Ahead)
	}
	got := f.next(t, "c2")
	if got.ID != silver.ID || got.CallReason != "Silver · 3 min to target" {
		t.Errorf("called %s (%q), want silver with its target in the reason", got.Number, got.CallReason)
	}
	if got := f.next(t, "c2"); got.ID != gold.ID || got.CallReason != "Gold · 5 min to target" {
		t.Errorf("then %s (%q), want gold, 5 min to target", got.Number, got.CallReason)
	}
}

func TestTheCapBeatsEveryTier(t *testing.T) {
	f := tierFixture(t, testTiers) // the fixture's cap is 30 min
	std := f.issue(t, "general", 0)
	f.clock.Advance(31 * time.Minute)
	f.issueTier(t, "general", "gold")
	got := f.next(t, "c2")
	if got.ID != std.ID || !strings.Contains(got.CallReason, "cap") {
		t.Errorf("called %s (%q), want the ticket past the cap", got.Number, got.CallReason)
	}
}

func TestDedicatedAndPreferringCounters(t *testing.T) {
	tiers := append([]queue.Tier(nil), testTiers...)
	tiers[0].Counters = []string{"c2"}       // c2 serves only gold
	tiers[1].PreferCounters = []string{"c1"} // c1 serves silver first
	f := tierFixture(t, tiers)
	std := f.issue(t, "general", 0)
	f.clock.Advance(20 * time.Minute)
	if _, ok, _ := f.e.Next("c2", "test"); ok {
		t.Fatal("the gold desk called a standard ticket")
	}
	silver := f.issueTier(t, "general", "silver")
	// c1 prefers silver even over a standard ticket that waited 20 min.
	if got := f.next(t, "c1"); got.ID != silver.ID {
		t.Errorf("c1 called %s, want the silver ticket it prefers", got.Number)
	}
	// Past the cap, the gold desk takes the standard ticket too.
	f.clock.Advance(11 * time.Minute)
	if got := f.next(t, "c2"); got.ID != std.ID {
		t.Errorf("c2 called %s, want the standard ticket past the cap", got.Number)
	}
}

func TestValidateTiersNamesTheField(t *testing.T) {
	f := tierFixture(t, testTiers)
	tests := []struct {
		tiers []queue.Tier
		field string
	}{
		{nil, "tiers"},
		{[]queue.Tier{{ID: "Gold!", Name: "G"}}, "tiers[0].id"},
		{[]queue.Tier{{ID: "a", Name: "A"}, {ID: "a", Name: "B"}}, "tiers[1].id"},
		{[]queue.Tier{{ID: "a", Name: "A", SLATarget: 1.5}}, "tiers[0].sla_target"},
		{[]queue.Tier{{ID: "a", Name: "A", Counters: []string{"c9"}}}, "tiers[0].counters"},
		{[]queue.Tier{{ID: "a", Name: "A\u202e"}}, "tiers[0].name"},
		// Settings that would do nothing: a share with no time, a
		// condition on the default tier (everyone the others leave).
		{[]queue.Tier{{ID: "a", Name: "A", SLATarget: 0.9}, {ID: "b", Name: "B"}}, "tiers[0].sla_wait_seconds"},
		{[]queue.Tier{{ID: "a", Name: "A", MinSpend: 5}, {ID: "b", Name: "B", MinVisits: 3}}, "tiers[1].min_visits"},
		{[]queue.Tier{{ID: "a", Name: "A", MinSpend: 5}, {ID: "b", Name: "B", WindowDays: 30}}, "tiers[1].window_days"},
	}
	for _, tt := range tests {
		_, err := f.e.PutTiers(tt.tiers, "test")
		var ve *queue.ValidationError
		if !errors.As(err, &ve) || ve.Field != tt.field {
			t.Errorf("PutTiers(%+v) = %v, want a fault in %s", tt.tiers, err, tt.field)
		}
	}
}

func TestGraceChainPushesBackThenNoShow(t *testing.T) {
	f := newFixture(t, "UTC", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	st := f.e.Settings()
	st.GraceSeconds, st.PushBackPlaces, st.MaxRecalls = 60, 2, 1
	if _, err := f.e.PutSettings(st, "test"); err != nil {
		t.Fatal(err)
	}
	var tk []queue.TicketView
	for i := 0; i < 4; i++ {
		tk = append(tk, f.issue(t, "general", 0))
		f.clock.Advance(time.Second)
	}
	a := f.next(t, "c2")
	if a.ID != tk[0].ID {
		t.Fatalf("first call %s", a.Number)
	}
	f.clock.Advance(59 * time.Second)
	if n, err := f.e.ExpireCalls(); err != nil || n != 0 {
		t.Fatalf("within the grace: moved %d, %v", n, err)
	}
	f.clock.Advance(2 * time.Second)
	if n, err := f.e.ExpireCalls(); err != nil || n != 1 {
		t.Fatalf("after the grace: moved %d, %v", n, err)
	}
	back, _ := f.e.Ticket(a.ID)
	if back.Status != queue.StatusWaiting || back.PushBacks != 1 || back.Ahead != 2 {
		t.Errorf("pushed back: status %s, push_backs %d, ahead %d; want waiting, 1, 2", back.Status, back.PushBacks, back.Ahead)
	}
	// The pushed-back ticket keeps its place across a restart.
	f.reopen(t)
	var order []string
	for i := 0; i < 3; i++ {
		order = append(order, f.next(t, "c2").Number)
	}
	if want := tk[1].Number + " " + tk[2].Number + " " + tk[0].Number; strings.Join(order, " ") != want {
		t.Errorf("calls after the push-back = %v, want %s (two others first, then it is called again)", order, want)
	}
	f.clock.Advance(61 * time.Second)
	if _, err := f.e.ExpireCalls(); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.e.Ticket(a.ID); got.Status != queue.StatusNoShow {
		t.Errorf("after %d return(s) and another missed call: %s, want no_show", 1, got.Status)
	}
}

// TestUrgencyOnlyWhenTheTargetNeedsIt: a Gold ticket near its target goes
// first while the day's on-time share needs it; once enough Gold tickets
// were on time that one miss keeps the share above the target, the ticket
// waits its turn by share, and the older standard ticket goes first.
func TestUrgencyOnlyWhenTheTargetNeedsIt(t *testing.T) {
	tiers := []queue.Tier{{ID: "gold", Name: "Gold", SLAWaitSeconds: 300, SLATarget: 0.5}, {ID: "standard", Name: "Standard"}}
	race := func(f *fixture) string {
		std := f.issue(t, "general", 0)
		f.clock.Advance(7 * time.Minute)
		gold := f.issueTier(t, "general", "gold")
		// Gold at 2:40 of its 5 minutes (urgent from 2:30); by share it is
		// worth 1.5 × (160 s + 10 min) − 10 min = 9 min < 9:40 waited.
		f.clock.Advance(160 * time.Second)
		got := f.next(t, "c2")
		other := f.next(t, "c2")
		if got.ID == gold.ID && other.ID == std.ID {
			return "gold"
		}
		return "standard"
	}
	f := tierFixture(t, tiers)
	if got := race(f); got != "gold" {
		t.Errorf("with no Gold call yet today, %s went first; want gold (the target needs it)", got)
	}
	// Four Gold tickets called at once: the share is safe.
	for i := 0; i < 4; i++ {
		f.issueTier(t, "general", "gold")
		f.next(t, "c2")
	}
	if got := race(f); got != "standard" {
		t.Errorf("with the day's Gold tickets on time, %s went first; want standard (a miss is affordable)", got)
	}
}

// TestPastTheCapABetterTierStillCounts: among tickets past the cap (all of
// them go before anyone under it), a Gold one goes before an older standard one.
func TestPastTheCapABetterTierStillCounts(t *testing.T) {
	f := tierFixture(t, testTiers) // the fixture's cap is 30 min
	std := f.issue(t, "general", 0)
	f.clock.Advance(time.Minute)
	gold := f.issueTier(t, "general", "gold")
	f.clock.Advance(31 * time.Minute)
	fresh := f.issue(t, "general", 0)
	var got []string
	for range 3 {
		got = append(got, f.next(t, "c2").ID)
	}
	if want := []string{gold.ID, std.ID, fresh.ID}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("calls = %v, want gold, then the older standard ticket (both past the cap), then the fresh one", got)
	}
}

// TestLastChanceForATierTargetBeforeTheCapLookAhead: a standard ticket 1 min
// from the 30-min cap and a gold one 4 min from its 5-min target. Desks of
// "general" free up about every 2 min (c1 and c2), so gold passed over now
// would miss its target more often than its 90% allows: it goes first. The
// standard ticket passes the cap a moment later and is then called before
// anyone under it. A gold ticket that just came (5 min left: another desk
// will most likely free in time) does not pass the standard one.
func TestLastChanceForATierTargetBeforeTheCapLookAhead(t *testing.T) {
	f := tierFixture(t, testTiers) // the fixture's cap is 30 min
	std := f.issue(t, "general", 0)
	f.clock.Advance(28 * time.Minute)
	gold := f.issueTier(t, "general", "gold")
	f.clock.Advance(time.Minute)
	got := f.next(t, "c2")
	if got.ID != gold.ID || got.CallReason != "Gold · 4 min to target" {
		t.Errorf("called %s (%q), want gold: only this call keeps its target", got.Number, got.CallReason)
	}
	fresh := f.issue(t, "general", 0)
	f.clock.Advance(2 * time.Minute)
	if got := f.next(t, "c1"); got.ID != std.ID || got.CallReason != "waited past the 30-min cap" {
		t.Errorf("then %s (%q), want the standard ticket, past the cap now, before %s", got.Number, got.CallReason, fresh.Number)
	}

	f = tierFixture(t, testTiers)
	std = f.issue(t, "general", 0)
	f.clock.Advance(29 * time.Minute)
	f.issueTier(t, "general", "gold")
	if got := f.next(t, "c2"); got.ID != std.ID || !strings.Contains(got.CallReason, "to the 30-min cap") {
		t.Errorf("called %s (%q), want the standard ticket near the cap before a gold one that just came", got.Number, got.CallReason)
	}
}

// TestUrgencyReadsTheTiersRecentDays: whether a tier can afford a late
// ticket is read from its last days, not from today alone. Yesterday all
// four Gold calls were late; today's first four were on time. Gold (target
// 50%) stands at 4 of 8 on time: one more miss would drop it below its
// target, so gold goes first — today's calls alone (4 of 4) would let it wait.
func TestUrgencyReadsTheTiersRecentDays(t *testing.T) {
	tiers := []queue.Tier{{ID: "gold", Name: "Gold", SLAWaitSeconds: 300, SLATarget: 0.5}, {ID: "standard", Name: "Standard"}}
	f := tierFixture(t, tiers)
	for i := 0; i < 4; i++ {
		f.issueTier(t, "general", "gold")
	}
	f.clock.Advance(6 * time.Minute)
	for i := 0; i < 4; i++ {
		f.next(t, "c2") // each called 6 minutes after issue: late
	}
	f.clock.Advance(24 * time.Hour)
	for i := 0; i < 4; i++ {
		f.issueTier(t, "general", "gold")
		f.next(t, "c2") // at once: on time
	}
	std := f.issue(t, "general", 0)
	f.clock.Advance(7 * time.Minute)
	gold := f.issueTier(t, "general", "gold")
	// Gold at 2:40 of its 5 minutes: by share alone it is worth
	// 1.5 × (160 s + 10 min) − 10 min = 9 min < the standard's 9:40.
	f.clock.Advance(160 * time.Second)
	if got := f.next(t, "c2"); got.ID != gold.ID {
		t.Errorf("called %s, want gold %s: its last two days stand at 4 of 8 on time, a miss would drop it below 50%%", got.Number, gold.Number)
	}
	if got := f.next(t, "c2"); got.ID != std.ID {
		t.Errorf("then %s, want the standard ticket %s", got.Number, std.Number)
	}
}
