package sim

import (
	"slices"
	"testing"
	"time"

	"queuebox/server/queue"
	"queuebox/server/store"
)

// Days played into a box's database come back out as a trace that holds
// the same customers with the service times they really took, and plays.
func TestExportReplaysTheBoxsOwnDays(t *testing.T) {
	tr := Generate(GenOptions{Days: 2, Load: 0.9, Seed: 11})
	dir := t.TempDir()
	lines, err := Run(tr, Options{KeepDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	snap, err := db.Load()
	if err != nil {
		t.Fatal(err)
	}
	h := History{Settings: *snap.Settings, Services: snap.Services, Counters: snap.Counters}
	first, _ := time.Parse("2006-01-02", tr.Days[0].Date)
	if h.Tickets, err = db.TicketsSince(first.Add(-48 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if h.Appointments, err = db.AppointmentsFrom(first.Add(-48 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	out, err := Export(h, tr.Days[0].Date, tr.Days[1].Date)
	if err != nil {
		t.Fatal(err)
	}
	var served, noShows, walkOuts, booked int
	services := map[float64]bool{}
	for _, l := range lines {
		if l.Kind == "late_appointment_walkin" {
			booked++ // the booking lapsed; the customer took a walk-in ticket
		}
		switch {
		case l.Outcome == "done":
			served++
			services[float64(*l.ServiceSecondsObserv)] = true
		case l.Outcome == "no_show" && l.ticketID != "":
			walkOuts++
		case l.Outcome == "no_show":
			booked++
		}
	}
	got := map[string]int{}
	for _, d := range out.Days {
		for _, a := range d.Customers {
			switch {
			case a.NoShow:
				got["booked no-show"]++
			case a.LeavesAfterSeconds != nil:
				got["walk-out"]++
			default:
				got["served"]++
				if !services[a.ServiceSeconds] {
					t.Errorf("exported service time %.0f s was never observed", a.ServiceSeconds)
				}
			}
		}
	}
	noShows = got["booked no-show"]
	if got["served"] != served || got["walk-out"] != walkOuts || noShows != booked {
		t.Errorf("exported %v; played %d served, %d walk-outs, %d booked no-shows", got, served, walkOuts, booked)
	}
	for _, c := range out.Counters {
		if len(c.Shifts) == 0 || c.Shifts[0].From != "09:00" && c.Shifts[0].From != "10:00" && c.Shifts[0].From != "11:00" {
			t.Errorf("counter %s exported with shifts %v, want its schedule", c.ID, c.Shifts)
		}
	}
	if _, err := Run(out, Options{TempDir: t.TempDir()}); err != nil {
		t.Fatalf("the exported trace does not play: %v", err)
	}
	if out.Settings == nil || queue.DefaultSettings().MaxWaitMinutes == 0 {
		t.Error("settings missing from the export")
	}
}

// Customers the branch did not serve are demand too: a ticket the day's end
// (or a send-home at closing) closed while it waited is exported as an
// arrival who would have stayed, with the service's observed mean service
// time; a transferred customer arrives in the service that served them. A
// replay with one more desk then sees the day's whole load, not only the
// customers the real staffing managed.
func TestExportKeepsTheCustomersTheBranchDidNotServe(t *testing.T) {
	at, st := shanghaiDay()
	st.Hours["mon"] = "09:00-17:00"
	h := History{Settings: st,
		Services: []queue.Service{{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300},
			{ID: "cash", Prefix: "B", Name: "Cash", AvgServiceSeconds: 120}},
		Counters: []queue.Counter{{ID: "c1", Name: "C1", ServiceIDs: []string{"general", "cash"}}},
		Tickets: []queue.Ticket{
			{ID: "1", Number: "A001", ServiceID: "general", Status: queue.StatusDone, Date: "2026-12-01", IssuedAt: *at("09:00"),
				CalledAt: at("09:01"), StartedAt: at("09:01"), EndedAt: at("09:04")},
			{ID: "2", Number: "A002", ServiceID: "general", Status: queue.StatusDone, Date: "2026-12-01", IssuedAt: *at("09:02"),
				CalledAt: at("09:05"), StartedAt: at("09:05"), EndedAt: at("09:10")},
			{ID: "3", Number: "A003", ServiceID: "general", Status: queue.StatusExpired, Date: "2026-12-01", IssuedAt: *at("16:50"),
				EndedAt: at("17:00")},
			{ID: "4", Number: "B001", ServiceID: "general", Status: queue.StatusDone, Date: "2026-12-01", IssuedAt: *at("10:00"),
				CalledAt: at("10:20"), StartedAt: at("10:20"), EndedAt: at("10:24"), Transfers: []string{"cash"}},
			{ID: "5", Number: "D001", ServiceID: "deleted-since", Status: queue.StatusDone, Date: "2026-12-01", IssuedAt: *at("11:00"),
				CalledAt: at("11:01"), StartedAt: at("11:01"), EndedAt: at("11:04")},
		},
	}
	out, err := Export(h, "2026-12-01", "2026-12-01")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Arrival{}
	for _, a := range out.Days[0].Customers {
		got[*a.Arrive] = a
	}
	if len(got) != 4 {
		t.Fatalf("exported %d customers, want the 4 of services that still exist: %+v", len(got), out.Days[0].Customers)
	}
	if a := got["16:50:00"]; a.ServiceID != "general" || a.LeavesAfterSeconds != nil || a.ServiceSeconds != 240 {
		t.Errorf("the customer the day's end sent home: %+v, want general, staying, 240 s (the mean served)", a)
	}
	if a := got["10:00:00"]; a.ServiceID != "general" || a.ServiceSeconds != 240 {
		t.Errorf("the transferred customer: %+v, want general (where served) for 240 s", a)
	}
	if _, err := Run(out, Options{TempDir: t.TempDir()}); err != nil {
		t.Fatalf("the exported trace does not play: %v", err)
	}
}

// TestExportKeepsTiersAndKnownCustomers: the branch's tiers come out with
// their service levels, each customer who identified themselves with the
// tier of their last ticket, and each of their arrivals with their id, so a
// replay of the export shows what the tiers did; anonymous tickets stay
// anonymous.
func TestExportKeepsTiersAndKnownCustomers(t *testing.T) {
	at, st := shanghaiDay()
	done := func(id, cust, tier, from string) queue.Ticket {
		return queue.Ticket{ID: id, Number: "A" + id, ServiceID: "general", Status: queue.StatusDone, Date: "2026-12-01", IssuedAt: *at(from),
			CalledAt: at(from), StartedAt: at(from), EndedAt: at("16:00"), CustomerID: cust, Tier: tier}
	}
	h := History{Settings: st,
		Services: []queue.Service{{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300}},
		Counters: []queue.Counter{{ID: "c1", Name: "C1", ServiceIDs: []string{"general"}}},
		Tiers:    []queue.Tier{{ID: "gold", Name: "Gold", SLAWaitSeconds: 300, SLATarget: 0.9}, {ID: "standard", Name: "Standard"}},
		Tickets: []queue.Ticket{
			done("1", "cu-1", "standard", "09:00"),
			done("2", "", "standard", "09:10"),
			done("3", "cu-1", "gold", "10:00"), // re-tiered after a purchase
			done("4", "cu-2", "gold", "11:00"),
			done("5", "", "gold", "12:00"), // an erased customer's: the tier stays, the link does not
		},
	}
	out, err := Export(h, "2026-12-01", "2026-12-01")
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Tiers) != 2 || out.Tiers[0].ID != "gold" || out.Tiers[0].SLATarget == nil || *out.Tiers[0].SLATarget != 0.9 ||
		*out.Tiers[0].SLAWaitSeconds != 300 || out.Tiers[1].ID != "standard" || out.Tiers[1].SLATarget != nil {
		t.Errorf("tiers exported as %+v", out.Tiers)
	}
	got := map[string]string{}
	for _, c := range out.Customers {
		got[c.ID] = c.Tier
	}
	if len(got) != 3 || got["cu-1"] != "gold" || got["cu-2"] != "gold" || got["anon-5"] != "gold" {
		t.Errorf("customers exported as %v, want cu-1, cu-2 and anon-5 in gold", got)
	}
	var ids []string
	for _, a := range out.Days[0].Customers {
		ids = append(ids, a.CustomerID)
	}
	if want := []string{"cu-1", "", "cu-1", "cu-2", "anon-5"}; !slices.Equal(ids, want) {
		t.Errorf("arrivals carry customer ids %q, want %q", ids, want)
	}
	if _, err := out.check(); err != nil {
		t.Fatalf("the export does not check: %v", err)
	}
}

// shanghaiDay is a branch in Shanghai open on Tuesdays 09:00–17:00, and the
// times of Tuesday 2026-12-01 there.
func shanghaiDay() (at func(hm string) *time.Time, st queue.Settings) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	at = func(hm string) *time.Time {
		v, _ := time.ParseInLocation("2006-01-02 15:04", "2026-12-01 "+hm, loc)
		return &v
	}
	st = queue.DefaultSettings()
	st.Timezone = "Asia/Shanghai"
	st.Hours = map[string]string{"tue": "09:00-17:00"}
	return at, st
}
