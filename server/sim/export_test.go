package sim

import (
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
