package customers

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNormalizePhoneOneCustomerManyWritings(t *testing.T) {
	for _, raw := range []string{"138 0013 8000", "+86 138-0013-8000", "008613800138000", " 13800138000 "} {
		got, err := NormalizePhone(raw, "CN")
		if err != nil || got != "+8613800138000" {
			t.Errorf("NormalizePhone(%q, CN) = %q, %v; want +8613800138000", raw, got, err)
		}
	}
	if got, err := NormalizePhone("020 7946 0018", "GB"); err != nil || got != "+442079460018" {
		t.Errorf("GB number = %q, %v", got, err)
	}
}

func TestNormalizePhoneRefusesJunk(t *testing.T) {
	for _, raw := range []string{"", "hello", "123", "+86 1", strings.Repeat("1", 60)} {
		if got, err := NormalizePhone(raw, "CN"); !errors.Is(err, ErrPhone) {
			t.Errorf("NormalizePhone(%q) = %q, %v; want ErrPhone", raw, got, err)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	if got := MaskPhone("+8613800138000"); got != "+86 138****8000" {
		t.Errorf("MaskPhone = %q, want +86 138****8000", got)
	}
	if got := MaskPhone("+442079460018"); strings.Contains(got, "79460") || !strings.HasPrefix(got, "+44 ") {
		t.Errorf("MaskPhone(GB) = %q: shows too much", got)
	}
}

var day = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

var rules = []Rule{
	{ID: "gold", Name: "Gold", MinSpend: 5000000, WindowDays: 365},
	{ID: "silver", Name: "Silver", MinVisits: 5, WindowDays: 90},
	{ID: "standard", Name: "Standard"},
}

func visitsAgo(days ...int) []time.Time {
	var out []time.Time
	for _, d := range days {
		out = append(out, day.AddDate(0, 0, -d))
	}
	return out
}

func TestEvaluateTiersWithReasons(t *testing.T) {
	tests := []struct {
		name   string
		facts  Facts
		tier   string
		reason string
	}{
		{"big spender", Facts{Purchases: []Purchase{{Amount: 5230000, At: day.AddDate(0, -2, 0)}}},
			"gold", "spent 52,300 in the last 365 days ≥ 50,000"},
		{"old spending does not count", Facts{Purchases: []Purchase{{Amount: 9000000, At: day.AddDate(-2, 0, 0)}}},
			"standard", "no other tier's rule met: Gold: spent 0 in the last 365 days < 50,000; Silver: 0 visits in the last 90 days < 5"},
		{"frequent visitor", Facts{Visits: visitsAgo(1, 10, 20, 30, 80)},
			"silver", "5 visits in the last 90 days ≥ 5"},
		{"visits too long ago", Facts{Visits: visitsAgo(1, 10, 20, 30, 100)},
			"standard", "no other tier's rule met: Gold: spent 0 in the last 365 days < 50,000; Silver: 4 visits in the last 90 days < 5"},
		{"both: best tier wins", Facts{Visits: visitsAgo(1, 2, 3, 4, 5), Purchases: []Purchase{{Amount: 6000000, At: day}}},
			"gold", "spent 60,000 in the last 365 days ≥ 50,000"},
	}
	for _, tt := range tests {
		tier, reason := Evaluate(rules, tt.facts, day)
		if tier != tt.tier || reason != tt.reason {
			t.Errorf("%s: got %s (%q), want %s (%q)", tt.name, tier, reason, tt.tier, tt.reason)
		}
	}
}

func TestEvaluateReTiersAsTimePasses(t *testing.T) {
	f := Facts{Purchases: []Purchase{{Amount: 5000000, At: day}}}
	if tier, _ := Evaluate(rules, f, day.AddDate(0, 0, 364)); tier != "gold" {
		t.Errorf("364 days later: %s, want gold", tier)
	}
	if tier, _ := Evaluate(rules, f, day.AddDate(0, 0, 366)); tier != "standard" {
		t.Errorf("366 days later: %s, want standard (the spending left the window)", tier)
	}
}

func TestAllConditionsOfARuleMustHold(t *testing.T) {
	rs := []Rule{{ID: "vip", MinSpend: 100000, MinVisits: 2, WindowDays: 30}, {ID: "standard"}}
	f := Facts{Purchases: []Purchase{{Amount: 200000, At: day}}, Visits: visitsAgo(3)}
	if tier, reason := Evaluate(rs, f, day); tier != "standard" || !strings.Contains(reason, "1 visit in the last 30 days < 2") {
		t.Errorf("got %s (%q)", tier, reason)
	}
	f.Visits = visitsAgo(3, 4)
	if tier, reason := Evaluate(rs, f, day); tier != "vip" || reason != "spent 2,000 in the last 30 days ≥ 1,000 and 2 visits in the last 30 days ≥ 2" {
		t.Errorf("got %s (%q)", tier, reason)
	}
}

func TestResolveOverride(t *testing.T) {
	if tier, reason := Resolve("standard", "x", "gold", "board member"); tier != "gold" || reason != "set by an admin: board member" {
		t.Errorf("got %s %q", tier, reason)
	}
	if tier, reason := Resolve("silver", "5 visits", "", ""); tier != "silver" || reason != "5 visits" {
		t.Errorf("got %s %q", tier, reason)
	}
}

func TestAmounts(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int64
	}{{"52300", 5230000}, {"52,300.5", 5230050}, {"19.99", 1999}, {"0", 0}} {
		if got, err := ParseAmount(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "abc", "-5", "1.234", "1e5", "+3"} {
		if _, err := ParseAmount(bad); err == nil {
			t.Errorf("ParseAmount(%q) accepted", bad)
		}
	}
	if got := FormatAmount(123456789); got != "1,234,567.89" {
		t.Errorf("FormatAmount = %q", got)
	}
}

func TestBookingRights(t *testing.T) {
	rule := NoShowRule{Limit: 3, WindowDays: 60, BlockDays: 30}
	ns := visitsAgo(50, 20, 2) // three within 60 days, the last 2 days ago
	r := BookingRights(ns, time.Time{}, rule, day)
	if r.CanBook || !r.Until.Equal(day.AddDate(0, 0, 28)) || !strings.Contains(r.Reason, "Walk-in tickets are always welcome") {
		t.Errorf("three no-shows in 60 days: %+v", r)
	}
	if want := "because 3 booked visits or calls were missed within 60 days"; !strings.Contains(r.Reason, want) {
		t.Errorf("reason = %q, want %q", r.Reason, want)
	}
	// A limit of one is said in the singular.
	one := BookingRights(visitsAgo(2), time.Time{}, NoShowRule{Limit: 1, WindowDays: 60, BlockDays: 30}, day)
	if want := "because a booked visit or call was missed within 60 days"; one.CanBook || !strings.Contains(one.Reason, want) {
		t.Errorf("one no-show: %+v, want %q", one, want)
	}
	if r := BookingRights(ns, time.Time{}, rule, day.AddDate(0, 0, 29)); !r.CanBook {
		t.Errorf("after the block: %+v, want can book", r)
	}
	if r := BookingRights(visitsAgo(80, 20, 2), time.Time{}, rule, day); !r.CanBook || r.Counted != 2 {
		t.Errorf("spread over 78 days: %+v, want can book with 2 counted", r)
	}
	if r := BookingRights(ns, day.AddDate(0, 0, -1), rule, day); !r.CanBook {
		t.Errorf("forgiven: %+v, want can book", r)
	}
	if r := BookingRights(ns, time.Time{}, NoShowRule{}, day); !r.CanBook {
		t.Errorf("rule off: %+v", r)
	}
}

func TestExpired(t *testing.T) {
	if !Expired(day.AddDate(0, -25, 0), 24, day) || Expired(day.AddDate(0, -23, 0), 24, day) || Expired(day.AddDate(-9, 0, 0), 0, day) {
		t.Error("retention rule wrong")
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"138 0013 8000", "+86 138-0013-8000", "008613800138000", "", "++", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := NormalizePhone(raw, "CN")
		if err != nil {
			return
		}
		again, err := NormalizePhone(got, "CN")
		if err != nil || again != got {
			t.Fatalf("normal form %q does not survive a second pass: %q, %v", got, again, err)
		}
		_ = MaskPhone(got)
	})
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1", "1.5", "1,000.25", "", "-1", "9999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseAmount(s)
		if err == nil && c < 0 {
			t.Fatalf("ParseAmount(%q) = %d", s, c)
		}
	})
}
