package sim

import (
	"testing"
	"time"

	"queuebox/server/queue"
	"queuebox/server/store"
)

// testFloor is a box's own floor: a desk for cash alone, one for cash and
// business, and a bookable advice desk that takes general walk-ins too.
func testFloor() *Floor {
	return &Floor{Timezone: "Asia/Shanghai", Open: "09:00", Close: "17:00",
		Services: []Service{
			{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300},
			{ID: "cash", Prefix: "B", Name: "Cash", AvgServiceSeconds: 180},
			{ID: "advice", Prefix: "P", Name: "Advice", AvgServiceSeconds: 900, SlotMinutes: 15, SlotCapacity: 2},
			{ID: "business", Prefix: "C", Name: "Business", AvgServiceSeconds: 600},
		},
		Counters: []Counter{
			{ID: "c1", ServiceIDs: []string{"cash"}, Shifts: []Shift{{"09:00", "12:00"}, {"13:00", "17:00"}}},
			{ID: "c2", ServiceIDs: []string{"cash", "business"}, Shifts: []Shift{{"09:00", "17:00"}}},
			{ID: "c3", ServiceIDs: []string{"advice", "general"}, Shifts: []Shift{{"09:00", "12:00"}, {"13:00", "17:00"}}},
		}}
}

// A day generated for a box's floor uses its services only, draws walk-ins
// where its desks have time (business, with half a desk, gets the fewest),
// books no slot past its capacity, and lets known customers identify.
func TestGenerateForAFloor(t *testing.T) {
	tr := Generate(GenOptions{Days: 3, Start: "2026-11-02", Seed: 5, Floor: testFloor(), Known: 50})
	if _, err := tr.check(); err != nil {
		t.Fatalf("the generated trace does not check: %v", err)
	}
	walkins, booked, known := map[string]int{}, map[string]int{}, 0
	for _, d := range tr.Days {
		for _, a := range d.Customers {
			if a.Appointment != nil {
				booked[d.Date+" "+*a.Appointment]++
				continue
			}
			walkins[a.ServiceID]++
			if a.CustomerID != "" {
				known++
			}
		}
	}
	if n := walkins["business"]; n == 0 || n >= walkins["cash"] || n >= walkins["general"] {
		t.Errorf("walk-ins per service %v: want business, with the least desk time, fewest but some", walkins)
	}
	for slot, n := range booked {
		if n > 2 {
			t.Errorf("slot %s booked %d times, capacity 2", slot, n)
		}
	}
	if len(booked) == 0 || known == 0 {
		t.Errorf("%d booked slots, %d known walk-ins: want some of each", len(booked), known)
	}
}

// Play on a box keeps the box's configuration: the days are played on its
// own services and desks, and each desk is left open or paused as it was.
func TestPlayOnABoxKeepsItsConfiguration(t *testing.T) {
	db, err := store.Open(t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, loc)
	b, err := OpenBox(db, day.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	f := testFloor()
	st := queue.DefaultSettings()
	st.Timezone, st.Hours = f.Timezone, map[string]string{}
	for _, d := range queue.Days {
		st.Hours[d] = "09:00-12:00,13:00-17:00" // the advice desk's shifts, and so its slots
	}
	var services []queue.Service
	for _, s := range f.Services {
		services = append(services, s.queue())
	}
	counters := []queue.Counter{
		{ID: "c1", Name: "c1", ServiceIDs: []string{"cash"}},
		{ID: "c2", Name: "c2", ServiceIDs: []string{"cash", "business"}, Paused: true},
		{ID: "c3", Name: "c3", ServiceIDs: []string{"advice", "general"}},
	}
	if err := b.Engine().Seed(st, services, counters); err != nil {
		t.Fatal(err)
	}
	lines, err := b.Play(Generate(GenOptions{Days: 2, Start: "2026-11-02", Seed: 5, Floor: f}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	served := 0
	for _, l := range lines {
		if l.Outcome == "done" {
			served++
		}
	}
	if served < 100 {
		t.Errorf("%d served in two days, want the days played", served)
	}
	got := map[string]bool{}
	for _, c := range b.Engine().Counters() {
		got[c.ID] = c.Paused
	}
	if want := map[string]bool{"c1": false, "c2": true, "c3": false}; len(got) != 3 || got["c1"] || !got["c2"] || got["c3"] {
		t.Errorf("paused after play = %v, want %v", got, want)
	}
	if s := b.Engine().Settings(); s.Hours["mon"] != st.Hours["mon"] || s.BranchName != st.BranchName {
		t.Errorf("settings changed by the play: hours %q, name %q", s.Hours["mon"], s.BranchName)
	}
}
