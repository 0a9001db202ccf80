package sim

import "testing"

// TestTierMissesCountedCallByCall: one desk, a 10-minute cap. The desk is
// busy with a 15-minute job when Gold g1 comes at 09:01: nobody is called
// before its target (09:06), so it is late with every desk busy. Gold g2
// comes at 09:11; until its target (09:16) the desk calls g1 (09:15) and B
// (09:16), both past the cap then: g2 is late, forced by the cap. Under
// FIFO, on a second day, a standard ticket is called at 09:02 while Gold
// (09:01) waits: a late call the policy chose, with FIFO's reason.
func TestTierMissesCountedCallByCall(t *testing.T) {
	tr := mustRead(t, `{"format":"queuebox-trace/1","timezone":"UTC","open":"09:00","close":"17:00",
	"settings":{"max_wait_minutes":10},"score_last_days":1,
	"services":[{"id":"a","prefix":"A","name":"A","avg_service_seconds":300}],
	"counters":[{"id":"c1","service_ids":["a"],"shifts":[{"from":"09:00","to":"17:00"}]}],
	"tiers":[{"id":"gold","sla_wait_seconds":300,"sla_target":0.9},{"id":"standard"}],
	"customers":[{"id":"m1","tier":"gold"}],
	"days":[{"date":"2026-12-01","customers":[
		{"arrive":"09:00:00","service_id":"a","service_seconds":900},
		{"arrive":"09:01:00","service_id":"a","service_seconds":60,"customer_id":"m1"},
		{"arrive":"09:02:00","service_id":"a","service_seconds":60},
		{"arrive":"09:11:00","service_id":"a","service_seconds":60,"customer_id":"m1"}]}]}`)
	lines := play(t, tr, Options{})
	ms, err := CountTierMisses(tr, lines)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Tier != "gold" {
		t.Fatalf("misses = %+v, want one row for gold", ms)
	}
	if m := ms[0]; m.Tickets != 2 || m.Late != 2 || m.DesksBusy != 1 || m.ForcedByCap != 1 || m.Chosen != 0 || m.DeskHeld != 0 {
		t.Errorf("gold = %+v, want 2 late: 1 with the desk busy, 1 forced by the cap", m)
	}

	tr = mustRead(t, `{"format":"queuebox-trace/1","timezone":"UTC","open":"09:00","close":"17:00",
	"score_last_days":1,
	"services":[{"id":"a","prefix":"A","name":"A","avg_service_seconds":300}],
	"counters":[{"id":"c1","service_ids":["a"],"shifts":[{"from":"09:00","to":"17:00"}]}],
	"tiers":[{"id":"gold","sla_wait_seconds":300,"sla_target":0.9},{"id":"standard"}],
	"customers":[{"id":"m1","tier":"gold"}],
	"days":[{"date":"2026-12-01","customers":[
		{"arrive":"09:00:00","service_id":"a","service_seconds":120},
		{"arrive":"09:00:30","service_id":"a","service_seconds":600},
		{"arrive":"09:01:00","service_id":"a","service_seconds":60,"customer_id":"m1"}]}]}`)
	for _, fifo := range []bool{false, true} {
		ms, err := CountTierMisses(tr, play(t, tr, Options{FIFO: fifo}))
		if err != nil {
			t.Fatal(err)
		}
		m := ms[0]
		switch {
		case !fifo && m.Late != 0:
			t.Errorf("box policy: gold = %+v, want on time (called at 09:02)", m)
		case fifo && (m.Late != 1 || m.Chosen != 1 || m.ChosenWhy["next in line"] != 1):
			t.Errorf("fifo: gold = %+v, want late by a chosen call (next in line)", m)
		}
	}
}
