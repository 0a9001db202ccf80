package queue

import "fmt"

// ForgetCustomers cuts what the engine holds of erased customers: their
// active tickets, their appointments and the recent calls lose the
// customer's id, so nothing links their visits any more, and appointments
// booked with one of phones (or by one of the customers) lose their name and
// phone too. Tickets keep their tier: the routing, the SLA tallies and the
// tier counts of reports stay as they were. The history on disk is the
// store's to rewrite. It returns how many tickets and appointments it
// changed.
func (e *Engine) ForgetCustomers(ids, phones []string) (int, error) {
	gone := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id != "" {
			gone[id] = true
		}
	}
	byPhone := make(map[string]bool, len(phones))
	for _, p := range phones {
		if p != "" {
			byPhone[p] = true
		}
	}
	if len(gone) == 0 && len(byPhone) == 0 {
		return 0, nil
	}
	e.mu.Lock()
	c := &Change{}
	for _, t := range e.active {
		if gone[t.CustomerID] {
			// The ticket stays where it is: only the link goes.
			t.CustomerID = ""
			c.Tickets = append(c.Tickets, *t)
		}
	}
	for _, a := range e.appts {
		if !gone[a.CustomerID] && !byPhone[a.Phone] {
			continue
		}
		e.untrackAppt(a)
		a.Name, a.Phone, a.CustomerID = "", "", ""
		e.trackAppt(a)
		c.Appointments = append(c.Appointments, *a)
	}
	for i := range e.recent {
		// The calls' tickets are shared with what was published: replaced,
		// never written in place.
		if t := e.recent[i].Ticket; t != nil && gone[t.CustomerID] {
			cp := *t
			cp.CustomerID = ""
			e.recent[i].Ticket = &cp
		}
	}
	n := len(c.Tickets) + len(c.Appointments)
	if n == 0 {
		e.mu.Unlock()
		return 0, nil
	}
	errc := e.commit(c)
	e.mu.Unlock()
	if err := e.wait(errc); err != nil {
		return 0, fmt.Errorf("forget customers: %w", err)
	}
	return n, nil
}
