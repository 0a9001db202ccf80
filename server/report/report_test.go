package report_test

import (
	"encoding/json"
	"testing"
	"time"

	"queuebox/server/queue"
	"queuebox/server/report"
)

// day builds records through Apply, the way the store does, from the life
// of each ticket: issued at a minute of the day, waiting w seconds, served s
// seconds at a counter by a staff member, or ending otherwise.
type life struct {
	id, svc, counter, staff string
	issued                  string // local "15:04"
	wait, service           int    // seconds; wait < 0: never called
	end                     queue.Status
	rating                  int
}

func build(t *testing.T, loc *time.Location, date string, lives []life) []report.Record {
	t.Helper()
	var out []report.Record
	for _, l := range lives {
		at, err := time.ParseInLocation("2006-01-02 15:04", date+" "+l.issued, loc)
		if err != nil {
			t.Fatal(err)
		}
		tk := queue.Ticket{ID: l.id, Number: "A" + l.id, ServiceID: l.svc, Status: queue.StatusWaiting, Date: date, IssuedAt: at}
		var r report.Record
		step := func(typ, actor string) {
			c := tk
			r.Apply(&queue.Event{Type: typ, Actor: actor, Ticket: &c})
		}
		step(queue.EventIssued, "device:k1")
		if l.wait < 0 {
			ended := at.Add(10 * time.Minute)
			tk.Status, tk.EndedAt = queue.StatusCancelled, &ended
			step(queue.EventCancelled, "customer")
			out = append(out, r)
			continue
		}
		called := at.Add(time.Duration(l.wait) * time.Second)
		tk.Status, tk.CalledAt, tk.CounterID = queue.StatusCalled, &called, l.counter
		step(queue.EventCalled, "user:"+l.staff)
		switch l.end {
		case queue.StatusNoShow:
			ended := called.Add(2 * time.Minute)
			tk.Status, tk.EndedAt = queue.StatusNoShow, &ended
			step(queue.EventNoShow, "user:"+l.staff)
		case queue.StatusDone:
			started := called.Add(30 * time.Second)
			tk.Status, tk.StartedAt = queue.StatusServing, &started
			step(queue.EventStarted, "user:"+l.staff)
			ended := started.Add(time.Duration(l.service) * time.Second)
			tk.Status, tk.EndedAt = queue.StatusDone, &ended
			step(queue.EventFinished, "user:"+l.staff)
			if l.rating > 0 {
				tk.Rating = l.rating
				step(queue.EventRated, "customer")
			}
		}
		// The record survives its own encoding.
		back, err := report.Unmarshal(r.Marshal(), report.NewInterner())
		if err != nil || back != r {
			t.Fatalf("round trip of %s: got %+v, %v; want %+v", l.id, back, err, r)
		}
		out = append(out, r)
	}
	return out
}

func shanghai(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

var tenMinutes report.Targets = func(string, string) time.Duration { return 10 * time.Minute }

// A day whose every figure is worked out by hand.
func sampleDay(t *testing.T) []report.Record {
	return build(t, shanghai(t), "2026-03-04", []life{
		{id: "1", svc: "general", counter: "c1", staff: "ann", issued: "09:00", wait: 60, service: 300, end: queue.StatusDone, rating: 5},
		{id: "2", svc: "general", counter: "c1", staff: "ann", issued: "09:10", wait: 300, service: 200, end: queue.StatusDone, rating: 3},
		{id: "3", svc: "general", counter: "c2", staff: "bob", issued: "09:20", wait: 900, service: 100, end: queue.StatusDone},
		{id: "4", svc: "general", counter: "c2", staff: "bob", issued: "10:05", wait: 1200, end: queue.StatusNoShow},
		{id: "5", svc: "cash", counter: "c2", staff: "bob", issued: "10:30", wait: 120, service: 60, end: queue.StatusDone, rating: 4},
		{id: "6", svc: "cash", issued: "23:30", wait: -1},
	})
}

func TestSummaryByServiceExact(t *testing.T) {
	recs := sampleDay(t)
	s, err := report.Summarize(recs, report.Options{By: "service", Location: shanghai(t), Target: tenMinutes})
	if err != nil {
		t.Fatal(err)
	}
	// general: waits 60,300,900,1200 → p50 = 2nd = 300, p90 = 4th = 1200;
	// services 300,200,100 → p50 200, p90 300; SLA: 60 and 300 within 600
	// of 4 → 0.5; ratings 5,3 → 4.
	// cash: one wait 120, one walk-out: SLA 1 of 2.
	want := `{"from":"","to":"","by":"service","rows":[` +
		`{"key":"cash","issued":2,"served":1,"no_show":0,"cancelled":1,"walk_outs":1,"expired":0,"waiting":0,"wait_p50_seconds":120,"wait_p90_seconds":120,"wait_max_seconds":120,"wait_avg_seconds":120,"service_p50_seconds":60,"service_p90_seconds":60,"sla_met_share":0.5,"ratings":1,"rating_avg":4,"estimate_mae_seconds":null,"estimate_within_5min_share":null},` +
		`{"key":"general","issued":4,"served":3,"no_show":1,"cancelled":0,"walk_outs":0,"expired":0,"waiting":0,"wait_p50_seconds":300,"wait_p90_seconds":1200,"wait_max_seconds":1200,"wait_avg_seconds":615,"service_p50_seconds":200,"service_p90_seconds":300,"sla_met_share":0.5,"ratings":2,"rating_avg":4,"estimate_mae_seconds":null,"estimate_within_5min_share":null}],` +
		`"total":{"key":"total","issued":6,"served":4,"no_show":1,"cancelled":1,"walk_outs":1,"expired":0,"waiting":0,"wait_p50_seconds":300,"wait_p90_seconds":1200,"wait_max_seconds":1200,"wait_avg_seconds":516,"service_p50_seconds":100,"service_p90_seconds":300,"sla_met_share":0.5,"ratings":3,"rating_avg":4,"estimate_mae_seconds":null,"estimate_within_5min_share":null}}`
	got, _ := json.Marshal(s)
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestSummaryKeys(t *testing.T) {
	recs := sampleDay(t)
	for _, tc := range []struct {
		by   string
		keys []string
		n    []int // issued per key
	}{
		{"counter", []string{"c1", "c2", "-"}, []int{2, 3, 1}},
		{"staff", []string{"ann", "bob", "-"}, []int{2, 3, 1}},
		{"hour", []string{"09", "10", "23"}, []int{3, 2, 1}},
		{"day", []string{"2026-03-04"}, []int{6}},
		{"weekday", []string{"wed"}, []int{6}},
		{"tier", []string{"standard"}, []int{6}},
	} {
		s, err := report.Summarize(recs, report.Options{By: tc.by, Location: shanghai(t)})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		var n []int
		for _, r := range s.Rows {
			keys, n = append(keys, r.Key), append(n, r.Issued)
		}
		if len(keys) != len(tc.keys) {
			t.Errorf("by %s: got keys %v, want %v", tc.by, keys, tc.keys)
			continue
		}
		for i := range keys {
			if keys[i] != tc.keys[i] || n[i] != tc.n[i] {
				t.Errorf("by %s: got %v %v, want %v %v", tc.by, keys, n, tc.keys, tc.n)
				break
			}
		}
		if s.Total.SLAMetShare != nil {
			t.Errorf("by %s: SLA share without targets: got %v, want null", tc.by, *s.Total.SLAMetShare)
		}
	}
	if _, err := report.Summarize(recs, report.Options{By: "colour"}); err == nil {
		t.Error("unknown dimension: got no error")
	}
}

func TestEstimateAccuracy(t *testing.T) {
	recs := sampleDay(t)
	// Promised waits: off by 0, 400, 100 and 1200 s on the four called
	// general tickets; the walk-out's promise has no wait to compare.
	for i, p := range []int{60, 700, 1000, 0, -1, 30} {
		recs[i].Predicted = p
	}
	s, err := report.Summarize(recs[:4], report.Options{By: "service", Location: shanghai(t)})
	if err != nil {
		t.Fatal(err)
	}
	r := s.Total
	if r.EstimateMAE == nil || *r.EstimateMAE != 425 || r.EstimateWithin5 == nil || *r.EstimateWithin5 != 0.5 {
		t.Errorf("got MAE %v within %v, want 425 and 0.5", deref(r.EstimateMAE), deref(r.EstimateWithin5))
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func TestPercentileNearestRank(t *testing.T) {
	for _, tc := range []struct {
		vals   []int
		p, out int
	}{
		{[]int{5}, 50, 5}, {[]int{5}, 90, 5},
		{[]int{1, 2}, 50, 1}, {[]int{1, 2}, 90, 2},
		{[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9}, {[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 90, 10},
		{[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 50, 5},
	} {
		if got := report.Percentile(tc.vals, tc.p); got != tc.out {
			t.Errorf("p%d of %v: got %d, want %d", tc.p, tc.vals, got, tc.out)
		}
	}
}

func TestHeatmapAndHistogram(t *testing.T) {
	loc := shanghai(t)
	recs := sampleDay(t)
	from, _ := time.ParseInLocation(time.DateOnly, "2026-03-02", loc) // a Monday
	to, _ := time.ParseInLocation(time.DateOnly, "2026-03-15", loc)
	h := report.MakeHeatmap(recs, loc, from, to)
	// Wednesday is index 2 (Monday first).
	if h.Issued[2][9] != 3 || h.Issued[2][10] != 2 || h.Issued[2][23] != 1 || h.Days != [7]int{2, 2, 2, 2, 2, 2, 2} {
		t.Errorf("heatmap: got wed 9h %d, 10h %d, 23h %d, days %v", h.Issued[2][9], h.Issued[2][10], h.Issued[2][23], h.Days)
	}
	if w := h.WaitAvg[2][9]; w == nil || *w != 420 {
		t.Errorf("wed 9h wait average: got %v, want 420", deref(w))
	}
	if h.WaitAvg[2][23] != nil {
		t.Errorf("wed 23h: the walk-out has no wait, got %v", *h.WaitAvg[2][23])
	}
	got := report.Histogram([]int{0, 299, 300, 900, 5000}, 300, 4)
	if want := []int{2, 1, 0, 2}; len(got) != 4 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
		t.Errorf("histogram: got %v, want %v", got, want)
	}
}

func TestUnmarshalRefusesDamage(t *testing.T) {
	recs := sampleDay(t)
	b := recs[0].Marshal()
	for cut := 0; cut < len(b); cut++ {
		if _, err := report.Unmarshal(b[:cut], nil); err == nil {
			t.Fatalf("record cut to %d bytes: got no error", cut)
		}
	}
}

// A ticket its day ended on is counted as expired, is no walk-out, and
// counts against the service level when it was never called.
func TestExpiredTickets(t *testing.T) {
	recs := sampleDay(t)[:1] // A1: called after 60 s
	at := recs[0].Issued
	recs = append(recs, report.Record{ID: 9, ServiceID: "general", Tier: "standard", Date: "2026-03-04", Status: queue.StatusExpired, Issued: at, Ended: at + 3600000, Predicted: -1})
	s, err := report.Summarize(recs, report.Options{By: "service", Location: shanghai(t), Target: tenMinutes})
	if err != nil {
		t.Fatal(err)
	}
	r := s.Total
	if r.Expired != 1 || r.WalkOuts != 0 || r.Cancelled != 0 || r.SLAMetShare == nil || *r.SLAMetShare != 0.5 {
		t.Errorf("got expired %d, walk-outs %d, cancelled %d, SLA %v", r.Expired, r.WalkOuts, r.Cancelled, deref(r.SLAMetShare))
	}
}
