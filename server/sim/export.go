package sim

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"queuebox/server/queue"
)

// History is what a box knows of its past, for Export.
type History struct {
	Settings     queue.Settings
	Services     []queue.Service
	Counters     []queue.Counter
	Tickets      []queue.Ticket
	Appointments []queue.Appointment
	// Tiers are the branch's tiers, best first (none: the trace has none).
	Tiers []queue.Tier
}

// Export turns the box's own days from..to (local dates) into a trace, so a
// manager can replay real days under other staffing. Each ticket becomes an
// arrival at its issue time with the service time it really took (a
// transferred one in the service that served it); a customer who never came
// when called leaves just before the call; one the day's end closed unserved
// stays, with the service's mean observed service time; a booked
// appointment that never came is a no-show. Tickets of services deleted
// since are left out. Customers who identified themselves keep their id
// and the tier their last ticket had (an erased customer's tickets each
// become a customer of one visit, in the ticket's tier), with the branch's tiers and their
// service levels, so a replay shows what the tiers did. Desks work the branch's hours
// (their own schedule when they have one); edit the trace's counters to ask
// "what if".
func Export(h History, from, to string) (*Trace, error) {
	loc, err := time.LoadLocation(h.Settings.Timezone)
	if err != nil {
		return nil, fmt.Errorf("time zone: %w", err)
	}
	open, close := "", ""
	for _, d := range queue.Days {
		for _, part := range strings.Split(h.Settings.Hours[d], ",") {
			a, b, ok := strings.Cut(strings.TrimSpace(part), "-")
			if !ok {
				continue
			}
			if open == "" || a < open {
				open = a
			}
			if b > close {
				close = b
			}
		}
	}
	if open == "" {
		return nil, fmt.Errorf("the branch has no opening hours")
	}
	if close == "24:00" {
		close = "23:59"
	}
	st := h.Settings
	st.Hours, st.Timezone = nil, ""
	raw, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	tr := &Trace{Format: Format, Name: fmt.Sprintf("%s %s to %s", h.Settings.BranchName, from, to), Timezone: h.Settings.Timezone,
		Open: open, Close: close, Settings: raw}
	one := 1.0
	tierKnown := map[string]bool{}
	deflt := "" // the last tier: what anonymous tickets get
	if len(h.Tiers) > 0 {
		deflt = h.Tiers[len(h.Tiers)-1].ID
	}
	for _, t := range h.Tiers {
		tt := Tier{ID: t.ID}
		if t.SLAWaitSeconds > 0 && t.SLATarget > 0 {
			w, g := float64(t.SLAWaitSeconds), t.SLATarget
			tt.SLAWaitSeconds, tt.SLATarget = &w, &g
		}
		tr.Tiers = append(tr.Tiers, tt)
		tierKnown[t.ID] = true
	}
	tierOf := map[string]string{} // customer id → the tier of their last ticket
	for _, s := range h.Services {
		tr.Services = append(tr.Services, Service{ID: s.ID, Prefix: s.Prefix, Name: s.Name, AvgServiceSeconds: s.AvgServiceSeconds,
			SlotMinutes: s.SlotMinutes, SlotCapacity: s.SlotCapacity, Priority: s.Priority})
	}
	for _, c := range h.Counters {
		if len(c.ServiceIDs) == 0 {
			continue
		}
		hours := ""
		for _, d := range []string{"wed", "tue", "thu", "mon", "fri", "sat", "sun"} {
			if v := c.Schedule[d]; v != "" {
				hours = v
				break
			}
		}
		if hours == "" {
			hours = open + "-" + close
		}
		var shifts []Shift
		for _, part := range strings.Split(hours, ",") {
			a, b, _ := strings.Cut(strings.TrimSpace(part), "-")
			if b == "24:00" {
				b = "23:59"
			}
			shifts = append(shifts, Shift{From: a, To: b})
		}
		tr.Counters = append(tr.Counters, Counter{ID: c.ID, Name: c.Name, ServiceIDs: c.ServiceIDs, Shifts: shifts, Speed: &one})
	}
	days := map[string]*Day{}
	day := func(date string) *Day {
		d := days[date]
		if d == nil {
			d = &Day{Date: date, Customers: []Arrival{}}
			days[date] = d
		}
		return d
	}
	local := func(t time.Time) string { return t.In(loc).Format("15:04:05") }
	var holds []float64
	// Customers the day's end closed unserved get their service's mean
	// observed service time once every ticket was read.
	type unserved struct {
		date string
		i    int
	}
	var pending []unserved
	sum, n := map[string]float64{}, map[string]int{}
	avg := map[string]float64{}
	for _, s := range h.Services {
		avg[s.ID] = float64(s.AvgServiceSeconds)
	}
	for _, t := range h.Tickets {
		// A transferred customer arrives in the service that served them;
		// a service deleted since has no place in the trace.
		if _, ok := avg[t.ServiceID]; !ok || t.Date < from || t.Date > to {
			continue
		}
		arr := local(t.IssuedAt)
		a := Arrival{Arrive: &arr, ServiceID: t.ServiceID, Priority: t.Priority}
		if t.AppointmentAt != nil {
			slot := t.AppointmentAt.In(loc).Format("15:04")
			a.Appointment = &slot
		}
		switch {
		case t.Status == queue.StatusDone && t.StartedAt != nil && t.EndedAt != nil:
			a.ServiceSeconds = t.EndedAt.Sub(*t.StartedAt).Round(time.Second).Seconds()
		case t.Status == queue.StatusDone && t.CalledAt != nil && t.EndedAt != nil:
			a.ServiceSeconds = t.EndedAt.Sub(*t.CalledAt).Round(time.Second).Seconds()
		case t.Status == queue.StatusNoShow && t.CalledAt != nil:
			// Gone by the call: leaves a moment before it.
			v := max(0, t.CalledAt.Sub(t.IssuedAt).Seconds()-1)
			a.LeavesAfterSeconds = &v
			if t.EndedAt != nil {
				holds = append(holds, t.EndedAt.Sub(*t.CalledAt).Seconds())
			}
		case t.Status == queue.StatusCancelled && t.EndedAt != nil:
			v := t.EndedAt.Sub(t.IssuedAt).Round(time.Second).Seconds()
			a.LeavesAfterSeconds = &v
		case t.Status == queue.StatusExpired:
			// Demand the staffing did not meet (the day's end or a
			// send-home at closing): in a replay they stay to be served.
		default:
			continue // still active
		}
		// Listed once they have an arrival (not for a ticket still active).
		switch {
		case t.CustomerID != "" && tierKnown[t.Tier]:
			a.CustomerID = t.CustomerID
			tierOf[t.CustomerID] = t.Tier // tickets come in issue order
		case t.CustomerID == "" && tierKnown[t.Tier] && t.Tier != deflt:
			// An erased customer's ticket kept its tier, not the link to
			// their other visits: a customer of one visit.
			a.CustomerID = "anon-" + t.ID
			tierOf[a.CustomerID] = t.Tier
		}
		if t.Status == queue.StatusDone {
			sum[t.ServiceID] += a.ServiceSeconds
			n[t.ServiceID]++
		}
		d := day(t.Date)
		d.Customers = append(d.Customers, a)
		if t.Status == queue.StatusExpired {
			pending = append(pending, unserved{t.Date, len(d.Customers) - 1})
		}
	}
	for _, p := range pending {
		a := &days[p.date].Customers[p.i]
		a.ServiceSeconds = avg[a.ServiceID]
		if n[a.ServiceID] > 0 {
			a.ServiceSeconds = math.Round(sum[a.ServiceID] / float64(n[a.ServiceID]))
		}
	}
	for _, ap := range h.Appointments {
		date := ap.Start.In(loc).Format("2006-01-02")
		if date < from || date > to || ap.Status != queue.ApptNoShow {
			continue
		}
		slot := ap.Start.In(loc).Format("15:04")
		d := day(date)
		d.Customers = append(d.Customers, Arrival{Appointment: &slot, ServiceID: ap.ServiceID, NoShow: true})
	}
	for _, id := range sortedKeys(tierOf) {
		tr.Customers = append(tr.Customers, Customer{ID: id, Tier: tierOf[id]})
	}
	timeout := 90.0
	if len(holds) > 0 {
		sort.Float64s(holds)
		timeout = float64(int(holds[len(holds)/2] + 0.5))
	}
	tr.NoShowTimeoutSeconds = &timeout
	for _, date := range sortedKeys(days) {
		tr.Days = append(tr.Days, *days[date])
	}
	if len(tr.Days) == 0 {
		return nil, fmt.Errorf("no finished tickets between %s and %s", from, to)
	}
	if _, err := tr.check(); err != nil {
		return nil, fmt.Errorf("the exported trace does not check: %w", err)
	}
	return tr, nil
}
