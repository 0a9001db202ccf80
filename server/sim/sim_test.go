package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"queuebox/server/queue"
	"queuebox/server/store"
)

func mustRead(t *testing.T, js string) *Trace {
	t.Helper()
	tr, err := Read(strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func play(t *testing.T, tr *Trace, opt Options) []*Line {
	t.Helper()
	opt.TempDir = t.TempDir()
	lines, err := Run(tr, opt)
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// want is what a line must show; empty strings are not checked.
type want struct {
	arrive, kind, number, issued, called, ended, outcome string
	wait                                                 int // -1: null
}

func hms(s *string) string {
	if s == nil {
		return ""
	}
	return (*s)[11:19] // the local time of an RFC 3339 stamp
}

func check(t *testing.T, lines []*Line, wants []want) {
	t.Helper()
	if len(lines) != len(wants) {
		t.Fatalf("%d lines, want %d", len(lines), len(wants))
	}
	for i, w := range wants {
		l := lines[i]
		num := ""
		if l.Number != nil {
			num = *l.Number
		}
		arr := ""
		if l.Arrive != nil {
			arr = *l.Arrive
		}
		wait := -1
		if l.ActualWait != nil {
			wait = *l.ActualWait
		}
		got := want{arr, l.Kind, num, hms(l.IssuedAt), hms(l.CalledAt), hms(l.EndedAt), l.Outcome, wait}
		if got != w {
			t.Errorf("line %d:\n got %+v\nwant %+v", i, got, w)
		}
	}
}

// One desk at double time: ordering at one instant, priority, a walk-out
// found when called (the desk waits the timeout), serving on after closing,
// and an arrival at closing time refused.
func TestRulesOfPlay(t *testing.T) {
	tr := mustRead(t, `{"format":"queuebox-trace/1","name":"rules","timezone":"UTC","open":"09:00","close":"10:00",
	"no_show_timeout_seconds":60,
	"services":[{"id":"a","prefix":"A","name":"A","avg_service_seconds":100}],
	"counters":[{"id":"c1","service_ids":["a"],"shifts":[{"from":"09:00","to":"10:00"}],"speed":2}],
	"days":[{"date":"2026-12-01","customers":[
	  {"arrive":"09:00:00","service_id":"a","service_seconds":50},
	  {"arrive":"09:00:10","service_id":"a","service_seconds":30,"leaves_after_seconds":60},
	  {"arrive":"09:00:20","service_id":"a","service_seconds":10,"priority":1},
	  {"arrive":"09:01:40","service_id":"a","service_seconds":20,"priority":2},
	  {"arrive":"09:59:50","service_id":"a","service_seconds":100},
	  {"arrive":"09:59:55","service_id":"a","service_seconds":5},
	  {"arrive":"10:00:00","service_id":"a","service_seconds":5}]}]}`)
	lines := play(t, tr, Options{})
	check(t, lines, []want{
		// The shift starts before the arrival at 09:00:00: called at once, 50 s × 2.
		{"09:00:00", "walkin", "A001", "09:00:00", "09:00:00", "09:01:40", "done", 0},
		// Left at 09:01:10; found gone when called after both priority
		// tickets; the desk waits 60 s for them.
		{"09:00:10", "walkin", "A002", "09:00:10", "09:02:40", "09:03:40", "no_show", 150},
		// The service ending at 09:01:40 comes before the arrival at the
		// same instant, so priority 1 is called before priority 2 arrives.
		{"09:00:20", "walkin", "A003", "09:00:20", "09:01:40", "09:02:00", "done", 80},
		{"09:01:40", "walkin", "A004", "09:01:40", "09:02:00", "09:02:40", "done", 20},
		// Served past closing (the last shift ends at close).
		{"09:59:50", "walkin", "A005", "09:59:50", "09:59:50", "10:03:10", "done", 0},
		{"09:59:55", "walkin", "A006", "09:59:55", "10:03:10", "10:03:20", "done", 195},
		{"10:00:00", "walkin", "", "", "", "", "refused", -1},
	})
	if l := lines[0]; *l.ServiceSecondsObserv != 100 || *l.CounterID != "c1" || *l.OpenCountersAtIssue != 1 || *l.AheadAtIssue != 0 {
		t.Errorf("first line: service %d counter %s open %d ahead %d; want 100, c1, 1, 0",
			*l.ServiceSecondsObserv, *l.CounterID, *l.OpenCountersAtIssue, *l.AheadAtIssue)
	}
	if l := lines[1]; l.ServiceSecondsObserv != nil {
		t.Errorf("a walk-out has no service, got %d s", *l.ServiceSecondsObserv)
	}
	if l := lines[5]; *l.AheadAtIssue != 0 || l.PredictedWait <= 0 {
		// Nobody waits ahead but the only desk is busy: not "no wait".
		t.Errorf("0 ahead at a busy desk: predicted %d s, want more than 0", l.PredictedWait)
	}
}

// A desk still serving two hours past closing: the box closes its day then
// (at its next event, the ticket in service and the one waiting expire); the
// play goes on without error, the service ends at the desk as played and the
// one left waiting is sent home.
func TestServedPastTheBoxsDayClose(t *testing.T) {
	tr := mustRead(t, `{"format":"queuebox-trace/1","name":"late","timezone":"UTC","open":"09:00","close":"10:00",
	"services":[{"id":"a","prefix":"A","name":"A","avg_service_seconds":600}],
	"counters":[{"id":"c1","service_ids":["a"],"shifts":[{"from":"09:00","to":"10:00"}]}],
	"days":[{"date":"2026-12-01","customers":[
	  {"arrive":"09:50:00","service_id":"a","service_seconds":9000},
	  {"arrive":"09:55:00","service_id":"a","service_seconds":60}]},
	 {"date":"2026-12-02","customers":[
	  {"arrive":"09:00:00","service_id":"a","service_seconds":60}]}]}`)
	lines := play(t, tr, Options{})
	check(t, lines, []want{
		{"09:50:00", "walkin", "A001", "09:50:00", "09:50:00", "12:20:00", "done", 0},
		// The box notices its day is over at its next event, 12:20.
		{"09:55:00", "walkin", "A002", "09:55:00", "", "12:20:00", "cancelled", -1},
		{"09:00:00", "walkin", "A001", "09:00:00", "09:00:00", "09:01:00", "done", 0},
	})
}

// A break, a shift end mid-service, check-in too early (comes back when
// allowed), too late (takes a walk-in ticket) and a booked no-show.
func TestShiftsAndCheckIn(t *testing.T) {
	tr := mustRead(t, `{"format":"queuebox-trace/1","name":"shifts","timezone":"Asia/Shanghai","open":"09:00","close":"11:00",
	"services":[{"id":"b","prefix":"B","name":"B","avg_service_seconds":600,"slot_minutes":30,"slot_capacity":1}],
	"counters":[{"id":"c1","service_ids":["b"],"shifts":[{"from":"09:00","to":"09:10"},{"from":"09:20","to":"11:00"}]}],
	"settings":{"appointment_hold_minutes":0},
	"days":[{"date":"2026-12-01","customers":[
	  {"arrive":"09:05:00","service_id":"b","service_seconds":100},
	  {"arrive":"09:09:00","service_id":"b","service_seconds":300},
	  {"arrive":"09:12:00","service_id":"b","service_seconds":60},
	  {"arrive":"09:10:00","appointment":"09:30","service_id":"b","service_seconds":200},
	  {"arrive":"10:11:00","appointment":"10:00","service_id":"b","service_seconds":50},
	  {"appointment":"10:30","service_id":"b","no_show":true,"service_seconds":900}]}]}`)
	lines := play(t, tr, Options{})
	check(t, lines, []want{
		{"09:05:00", "walkin", "B001", "09:05:00", "09:05:00", "09:06:40", "done", 0},
		// The shift ends at 09:10 during this service: it is finished first.
		{"09:09:00", "walkin", "B002", "09:09:00", "09:09:00", "09:14:00", "done", 0},
		// Too early at 09:10 (check-in opens 15 min before the slot): back at 09:15.
		{"09:12:00", "walkin", "B003", "09:12:00", "09:20:00", "09:21:00", "done", 480},
		{"09:10:00", "appointment", "B004", "09:15:00", "09:21:00", "09:24:20", "done", 360},
		// The window closed at 10:10: a walk-in ticket instead.
		{"10:11:00", "late_appointment_walkin", "B005", "10:11:00", "10:11:00", "10:11:50", "done", 0},
		{"", "appointment", "", "", "", "", "no_show", -1},
	})
	if got := *lines[0].IssuedAt; got != "2026-12-01T09:05:00+08:00" {
		t.Errorf("issued_at %s, want RFC 3339 with the branch's offset", got)
	}
	if *lines[2].OpenCountersAtIssue != 0 {
		t.Errorf("during the break open counters = %d, want 0", *lines[2].OpenCountersAtIssue)
	}
}

// A desk is kept free for a booked slot rather than starting a long
// walk-in, asks again every minute, and calls the walk-in after; the FIFO
// baseline plays the same day without planning or precedence.
func TestHoldForSlot(t *testing.T) {
	js := `{"format":"queuebox-trace/1","name":"hold","timezone":"UTC","open":"09:00","close":"11:00",
	"services":[{"id":"adv","prefix":"C","name":"Advice","avg_service_seconds":1200,"slot_minutes":30,"slot_capacity":1}],
	"counters":[{"id":"c1","service_ids":["adv"],"shifts":[{"from":"09:00","to":"11:00"}]}],
	"settings":{"appointment_hold_minutes":20},
	"days":[{"date":"2026-12-01","customers":[
	  {"arrive":"09:20:00","service_id":"adv","service_seconds":600},
	  {"arrive":"09:29:30","appointment":"09:30","service_id":"adv","service_seconds":300}]}]}`
	lines := play(t, mustRead(t, js), Options{})
	check(t, lines, []want{
		{"09:20:00", "walkin", "C001", "09:20:00", "09:34:30", "09:44:30", "done", 870},
		{"09:29:30", "appointment", "C002", "09:29:30", "09:29:30", "09:34:30", "done", 0},
	})
	lines = play(t, mustRead(t, js), Options{FIFO: true})
	check(t, lines, []want{
		{"09:20:00", "walkin", "C001", "09:20:00", "09:20:00", "09:30:00", "done", 0},
		{"09:29:30", "appointment", "C002", "09:29:30", "09:30:00", "09:35:00", "done", 30},
	})
}

func TestSameTraceSameOutput(t *testing.T) {
	tr := Generate(GenOptions{Days: 2, Load: 1, Seed: 5, Tiers: true, Size: 2}) // two bookings share some slots
	a, b := encodeLines(t, play(t, tr, Options{})), encodeLines(t, play(t, tr, Options{}))
	if !bytes.Equal(a, b) {
		t.Fatal("the same trace played twice gave different lines")
	}
	if n := bytes.Count(a, []byte("\n")); n < 600 {
		t.Fatalf("only %d lines for two generated days of a big branch", n)
	}
}

func TestBadTraceNamesTheField(t *testing.T) {
	good := `{"format":"queuebox-trace/1","timezone":"UTC","open":"09:00","close":"17:00",
	"services":[{"id":"a","prefix":"A","name":"A","avg_service_seconds":100,"slot_minutes":30,"slot_capacity":1}],
	"counters":[{"id":"c1","service_ids":["a"],"shifts":[{"from":"09:00","to":"17:00"}]}],
	"tiers":[{"id":"gold","sla_wait_seconds":300},{"id":"standard"}],
	"days":[{"date":"2026-12-01","customers":[{"arrive":"09:00:00","service_id":"a","service_seconds":60}]}]}`
	if _, err := Read(strings.NewReader(good)); err != nil {
		t.Fatalf("good trace refused: %v", err)
	}
	cases := []struct{ from, to, field, msg string }{
		{`"queuebox-trace/1"`, `"queuebox-trace/9"`, "format", ""},
		{`"UTC"`, `"Mars/Base"`, "timezone", ""},
		{`"close":"17:00"`, `"close":"08:00"`, "close", ""},
		{`"service_ids":["a"]`, `"service_ids":["x"]`, "counters[0].service_ids[0]", ""},
		{`"to":"17:00"`, `"to":"25:00"`, "counters[0].shifts[0].to", ""},
		{`"service_id":"a","service_seconds":60`, `"service_id":"zz","service_seconds":60`, "days[0].customers[0].service_id", ""},
		{`"arrive":"09:00:00"`, `"arrive":"9am"`, "days[0].customers[0].arrive", ""},
		{`"arrive":"09:00:00"`, `"appointment":"09:10","arrive":"09:00:00"`, "days[0].customers[0].appointment", ""},
		{`"service_seconds":60}`, `"service_seconds":-1}`, "days[0].customers[0].service_seconds", ""},
		{`{"id":"standard"}`, `{"id":"standard","sla_target":2}`, "tiers[1].sla_target", ""},
		{`"avg_service_seconds":100`, `"avg_service_seconds":0`, "services[0].avg_service_seconds", ""},
		{`"open":"09:00"`, `"open":"09:00","settings":{"max_wait_minutes":-5}`, "settings.max_wait_minutes", ""},
		{`"date":"2026-12-01"`, `"date":"01/12/2026"`, "days[0].date", ""},
		{`"service_seconds":60}`, `"service_seconds":"60"}`, "days.customers.service_seconds", "must be a number, not string (at byte 448)"},
		{`"open":"09:00"`, `"open":"09:00","settings":{"max_wait_minutes":"5"}`, "settings.max_wait_minutes", "must be a whole number, not string"},
	}
	for _, c := range cases {
		js := strings.Replace(good, c.from, c.to, 1)
		_, err := Read(strings.NewReader(js))
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s → %s: err = %v, want one naming %s", c.from, c.to, err, c.field)
		} else if c.msg != "" && fe.Msg != c.msg {
			t.Errorf("%s → %s: message %q, want %q (JSON's words, not Go's)", c.from, c.to, fe.Msg, c.msg)
		}
	}
}

func TestCapCheckFindsACallPastTheCap(t *testing.T) {
	tr := mustRead(t, `{"format":"queuebox-trace/1","timezone":"UTC","open":"09:00","close":"17:00",
	"settings":{"max_wait_minutes":5},
	"services":[{"id":"a","prefix":"A","name":"A","avg_service_seconds":100}],
	"counters":[{"id":"c1","service_ids":["a"],"shifts":[{"from":"09:00","to":"17:00"}]}],
	"days":[{"date":"2026-12-01","customers":[{"arrive":"09:00:00","service_id":"a","service_seconds":60}]}]}`)
	at := func(m int) time.Time { return time.Date(2026, 12, 1, 9, m, 0, 0, time.UTC) }
	c1 := "c1"
	line := func(issued, called int) *Line {
		return &Line{Kind: "walkin", ServiceID: "a", Scored: true, issued: at(issued), called: at(called), CounterID: &c1}
	}
	ok := []*Line{line(0, 10), line(7, 11)}  // the overdue one went first
	bad := []*Line{line(0, 12), line(7, 11)} // c1 called a 4-minute wait while one had waited 11
	for _, c := range []struct {
		lines []*Line
		want  int
	}{{ok, 0}, {bad, 1}} {
		s, err := Summarize(tr, c.lines, false)
		if err != nil {
			t.Fatal(err)
		}
		if s.MaxWaitCap == nil || s.MaxWaitCap.Calls != 2 || s.MaxWaitCap.Violations != c.want {
			t.Errorf("cap check %+v, want 2 calls and %d violations", s.MaxWaitCap, c.want)
		}
	}
}

// TestFeedbackLeavesThePlayAlone: customers rating their visits later on
// the phone change none of the play's calls and times, and every rating
// reaches the box's tickets through the engine.
func TestFeedbackLeavesThePlayAlone(t *testing.T) {
	// Two busy days, and a day whose desk leaves at 09:30 with the branch
	// open to 10:00: the customer of 09:40 is sent home when nothing else
	// is left to happen, not after the ratings.
	short := mustRead(t, `{"format":"queuebox-trace/1","name":"short","timezone":"UTC","open":"09:00","close":"10:00",
	"services":[{"id":"a","prefix":"A","name":"A","avg_service_seconds":100}],
	"counters":[{"id":"c1","service_ids":["a"],"shifts":[{"from":"09:00","to":"09:30"}]}],
	"days":[{"date":"2026-12-01","customers":[
	  {"arrive":"09:00:00","service_id":"a","service_seconds":60},
	  {"arrive":"09:40:00","service_id":"a","service_seconds":60}]}]}`)
	for _, tr := range []*Trace{Generate(GenOptions{Days: 2, Load: 1, Seed: 5, Tiers: true, Size: 2}), short} {
		t.Run(tr.Name, func(t *testing.T) { feedbackLeavesThePlayAlone(t, tr) })
	}
}

func feedbackLeavesThePlayAlone(t *testing.T, tr *Trace) {
	plainDir, dir := t.TempDir(), t.TempDir()
	plain := encodeLines(t, play(t, tr, Options{KeepDir: plainDir}))
	lines := play(t, tr, Options{KeepDir: dir, Feedback: func(l *Line) (time.Duration, int, string, bool) {
		// Everyone rates, late enough to come after later calls and the
		// desks' closing.
		return 45 * time.Minute, 1 + *l.ActualWait%5, "rated " + *l.Number, true
	}})
	if !bytes.Equal(plain, encodeLines(t, lines)) {
		t.Fatal("the play with ratings differs from the play without")
	}
	served, rated := 0, map[string]int{}
	for _, l := range lines {
		if l.Outcome == "done" {
			served++
		}
		if l.Rating > 0 {
			rated[l.Day+" "+*l.Number] = l.Rating
		}
	}
	if served == 0 || len(rated) < served*9/10 {
		t.Fatalf("%d of %d served tickets rated, want nearly all", len(rated), served)
	}
	// The box's log too, desks' openings and closings included.
	plainLog, db := eventLog(t, plainDir, nil), openStore(t, dir)
	if got := eventLog(t, dir, db); !slices.Equal(got, plainLog) {
		t.Errorf("the box's log with ratings (%d events besides them) differs from the one without (%d)", len(got), len(plainLog))
	}
	comments, err := db.Comments(tr.Days[0].Date, tr.Days[len(tr.Days)-1].Date, 100000)
	if err != nil {
		t.Fatal(err)
	}
	if len(comments) != len(rated) {
		t.Errorf("%d comments on the box, want %d", len(comments), len(rated))
	}
	for _, c := range comments {
		if want := rated[c.Date+" "+c.Number]; c.Rating != want || c.Comment != "rated "+c.Number {
			t.Errorf("ticket %s %s on the box: rated %d %q, want %d", c.Date, c.Number, c.Rating, c.Comment, want)
		}
	}
}

// encodeLines is lines as tickets.jsonl holds them.
func encodeLines(t *testing.T, lines []*Line) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func openStore(t *testing.T, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// eventLog is what the box logged in dir (db if open), ratings left out:
// each event's type and time, and its ticket's number and status.
func eventLog(t *testing.T, dir string, db *store.DB) []string {
	t.Helper()
	if db == nil {
		db = openStore(t, dir)
	}
	var out []string
	for since := uint64(0); ; {
		evs, err := db.Events(since, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			since = ev.Seq
			if ev.Type == queue.EventRated {
				continue
			}
			s := ev.Type + " " + ev.At.Format(time.RFC3339Nano)
			if ev.Ticket != nil {
				s += " " + ev.Ticket.Number + " " + string(ev.Ticket.Status)
			}
			out = append(out, s)
		}
		if len(evs) < 1000 {
			return out
		}
	}
}
