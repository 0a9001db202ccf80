package queue

import (
	"errors"
)

// ErrIssuingStopped is a ticket asked for after the manager stopped issuing
// for the day.
var ErrIssuingStopped = errors.New("the branch has stopped issuing tickets for today")

// ClosingActor is who ends the tickets a manager sends home at closing.
const ClosingActor = "system:closing"

// IssuingStopped reports whether issuing is stopped for the current business day.
func (e *Engine) IssuingStopped() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.issuingStoppedLocked()
}

func (e *Engine) issuingStoppedLocked() bool {
	d := e.settings.IssuingStoppedOn
	return d != "" && d == e.cal.businessDate(e.nowLocked())
}

// StopIssuing stops (or resumes) issuing for the rest of the business day;
// the next day issues again by itself. Waiting customers are still served.
func (e *Engine) StopIssuing(stop bool, actor string) (Settings, error) {
	e.mu.Lock()
	st := e.settings
	st.Hours = copyNames(st.Hours)
	st.IssuingStoppedOn = ""
	if stop {
		st.IssuingStoppedOn = e.cal.businessDate(e.nowLocked())
	}
	e.settings = st
	saved := st
	if err := e.commitUnlock(&Change{Settings: &saved, Events: []Event{{Type: EventSettings, Actor: actor}}}, "stop issuing"); err != nil {
		return Settings{}, err
	}
	return st, nil
}

// SendHomeWaiting closes every ticket still waiting as expired (not those
// called, in service or parked), for a branch that will not reach them
// today: the day's end would close them the same way, only later. The
// phones of those customers hear it at once. It returns how many it ended.
func (e *Engine) SendHomeWaiting(actor string) (int, error) {
	e.mu.Lock()
	c := &Change{}
	now := e.observeLocked(c)
	var waiting []*Ticket
	for _, t := range e.active {
		if t.Status == StatusWaiting {
			waiting = append(waiting, t)
		}
	}
	for _, t := range waiting {
		e.endLocked(c, t, StatusExpired, EventExpired, ClosingActor, now)
	}
	if len(c.Events) == 0 {
		e.mu.Unlock()
		return 0, nil
	}
	if err := e.commitUnlock(c, "send waiting tickets home"); err != nil {
		return 0, err
	}
	return len(waiting), nil
}
