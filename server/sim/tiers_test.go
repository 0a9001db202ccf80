package sim

import "testing"

// TestTiersPlayThroughTheEngine: a known Gold customer identifies at the
// kiosk and is called before the standard tickets that came earlier, with
// the tier's reason; under --policy fifo the ticket still shows its tier
// but waits its turn.
func TestTiersPlayThroughTheEngine(t *testing.T) {
	tr := mustRead(t, `{"format":"queuebox-trace/1","timezone":"UTC","open":"09:00","close":"17:00",
	"services":[{"id":"a","prefix":"A","name":"A","avg_service_seconds":300}],
	"counters":[{"id":"c1","service_ids":["a"],"shifts":[{"from":"09:00","to":"17:00"}]}],
	"tiers":[{"id":"gold","sla_wait_seconds":300,"sla_target":0.9},{"id":"standard"}],
	"customers":[{"id":"m1","tier":"gold"}],
	"days":[{"date":"2026-12-01","customers":[
		{"arrive":"09:00:00","service_id":"a","service_seconds":600},
		{"arrive":"09:01:00","service_id":"a","service_seconds":60},
		{"arrive":"09:02:00","service_id":"a","service_seconds":60},
		{"arrive":"09:03:00","service_id":"a","service_seconds":60,"customer_id":"m1"}]}]}`)
	calledAt := func(lines []*Line) map[string]string {
		out := map[string]string{}
		for _, l := range lines {
			out[*l.Arrive] = hms(l.CalledAt)
			if *l.Arrive == "09:03:00" && l.Tier != "gold" {
				t.Errorf("the identified arrival's line says tier %q, want gold", l.Tier)
			}
		}
		return out
	}
	box := calledAt(play(t, tr, Options{}))
	if box["09:03:00"] != "09:10:00" || box["09:01:00"] != "09:11:00" {
		t.Errorf("box policy calls = %v, want gold at 09:10 before the 09:01 arrival", box)
	}
	fifo := calledAt(play(t, tr, Options{FIFO: true}))
	if fifo["09:01:00"] != "09:10:00" || fifo["09:03:00"] != "09:12:00" {
		t.Errorf("fifo calls = %v, want arrival order", fifo)
	}
}
