package queue

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Appointment states.
const (
	ApptBooked    = "booked"
	ApptCheckedIn = "checked_in"
	ApptNoShow    = "no_show"
	ApptCancelled = "cancelled"
)

// Booking rules.
const (
	// MaxActiveBookings is how many future bookings one phone number may hold.
	MaxActiveBookings = 3
	// BookingHorizonDays is how far ahead slots can be booked.
	BookingHorizonDays = 60
)

// Appointment is a booked slot. Name and phone are personal data: they never
// go into the event log, logs or the live push.
type Appointment struct {
	ID        string    `json:"id"`
	Code      string    `json:"code"`
	ServiceID string    `json:"service_id"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Status    string    `json:"status"`
	Name      string    `json:"name,omitempty"`
	Phone     string    `json:"phone,omitempty"`
	TicketID  string    `json:"ticket_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// NoShowBy is who marked it no-show: "clock" for the sweep.
	NoShowBy string `json:"no_show_by,omitempty"`
	// Excused is set when staff revert a no-show: the customer may still
	// check in, however late.
	Excused bool `json:"excused,omitempty"`
	// CustomerID (opaque) and Tier link the booking to a known customer;
	// its ticket gets them at check-in.
	CustomerID string `json:"customer_id,omitempty"`
	Tier       string `json:"tier,omitempty"`
}

// anonymous is a copy without personal data, for the event log.
func (a Appointment) anonymous() *Appointment {
	a.Name, a.Phone = "", ""
	return &a
}

// Slot is one bookable period of a service.
type Slot struct {
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Capacity  int       `json:"capacity"`
	Available int       `json:"available"`
}

// Appointment errors.
var (
	ErrNotBookable       = errors.New("this service cannot be booked")
	ErrSlotFull          = errors.New("this slot is fully booked")
	ErrBookingLimit      = fmt.Errorf("a phone number may hold at most %d upcoming bookings", MaxActiveBookings)
	ErrUnknownCode       = errors.New("no appointment with that code")
	ErrAlreadyCheckedIn  = errors.New("this appointment is already checked in")
	ErrTooLate           = errors.New("the check-in window of this appointment has passed")
	ErrTooEarly          = errors.New("it is too early to check in")
	ErrApptCancelled     = errors.New("this appointment was cancelled")
	ErrNotCancellableApp = errors.New("only a booked appointment can be cancelled")
	ErrNotNoShow         = errors.New("this is not a no-show")
	ErrNotMovable        = errors.New("only a booked appointment can be moved")
)

// TooEarlyError says from when check-in opens, in the branch's local time.
type TooEarlyError struct {
	From  time.Time
	Local string // "10:05"
	// Date is the local day check-in opens ("2026-12-08") when it is not
	// today: a time alone would send the customer back on the wrong day.
	Date string
}

func (e *TooEarlyError) Error() string {
	if e.Date != "" {
		return "too early: check in from " + e.Date + " " + e.Local
	}
	return "too early: check in from " + e.Local
}
func (e *TooEarlyError) Is(target error) bool {
	return target == ErrTooEarly
}

// CheckedInError names the ticket an appointment was already checked in
// as, so the kiosk can show the customer their number again.
type CheckedInError struct {
	Number string
}

func (e *CheckedInError) Error() string { return "already checked in as " + e.Number }
func (e *CheckedInError) Is(target error) bool {
	return target == ErrAlreadyCheckedIn
}

func slotKey(serviceID string, start time.Time) string {
	return serviceID + "|" + strconv.FormatInt(start.Unix(), 10)
}

// trackAppt indexes an appointment in memory.
func (e *Engine) trackAppt(a *Appointment) {
	if old, ok := e.appts[a.Code]; ok {
		e.untrackAppt(old)
	}
	e.appts[a.Code] = a
	if a.Status == ApptBooked || a.Status == ApptCheckedIn {
		e.slotTaken[slotKey(a.ServiceID, a.Start)]++
	}
	if a.Status == ApptBooked {
		e.phoneBooked[a.Phone]++
	}
}

func (e *Engine) untrackAppt(a *Appointment) {
	delete(e.appts, a.Code)
	if a.Status == ApptBooked || a.Status == ApptCheckedIn {
		e.slotTaken[slotKey(a.ServiceID, a.Start)]--
	}
	if a.Status == ApptBooked {
		e.phoneBooked[a.Phone]--
	}
}

// setApptStatus changes an appointment's state, keeping the indexes right.
func (e *Engine) setApptStatus(a *Appointment, st string) {
	e.untrackAppt(a)
	a.Status = st
	e.trackAppt(a)
}

// Slots lists a bookable service's slots on a local date (YYYY-MM-DD).
// Past slots are listed with nothing available, so a day reads whole.
func (e *Engine) Slots(serviceID, date string) ([]Slot, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	svc, ok := e.services[serviceID]
	if !ok {
		return nil, ErrServiceNotFound
	}
	if !svc.Bookable() {
		return nil, ErrNotBookable
	}
	day, err := time.ParseInLocation("2006-01-02", date, e.cal.loc)
	if err != nil {
		return nil, invalid("date", "must be YYYY-MM-DD")
	}
	now := e.apptNowLocked()
	today, _ := time.ParseInLocation("2006-01-02", e.cal.businessDate(now), e.cal.loc)
	if day.Before(today) || day.After(today.AddDate(0, 0, BookingHorizonDays)) {
		return nil, invalid("date", "must be between today and %d days ahead", BookingHorizonDays)
	}
	return e.slotsLocked(svc, day, now), nil
}

func (e *Engine) slotsLocked(svc *Service, day time.Time, now time.Time) []Slot {
	out := []Slot{}
	step := svc.SlotMinutes
	for _, sp := range e.cal.spans(day) {
		for m := sp.From; m+step <= sp.To; m += step {
			start := time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, e.cal.loc)
			s := Slot{Start: start, End: start.Add(time.Duration(step) * time.Minute), Capacity: svc.SlotCapacity}
			if start.After(now) {
				s.Available = max(0, svc.SlotCapacity-e.slotTaken[slotKey(svc.ID, start)])
			}
			out = append(out, s)
		}
	}
	return out
}

// BookRequest asks for an appointment.
type BookRequest struct {
	ServiceID string
	Start     time.Time
	Name      string
	Phone     string
	// CustomerID and Tier are the booking customer's, when known.
	CustomerID string
	Tier       string
}

// NormalizePhone checks a phone number and returns its canonical form:
// digits, with a leading + kept.
func NormalizePhone(s string) (string, error) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return "", invalid("phone", "may only hold digits, spaces, dashes and a leading +")
		}
	}
	p := b.String()
	digits := strings.TrimPrefix(p, "+")
	if len(digits) < 6 || len(digits) > 15 {
		return "", invalid("phone", "must have 6 to 15 digits")
	}
	return p, nil
}

func cleanName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if err := checkName("name", s); err != nil {
		return "", err
	}
	n := utf8.RuneCountInString(s)
	if n == 0 || n > 64 {
		return "", invalid("name", "is required, at most 64 characters")
	}
	return s, nil
}

func newCode(taken map[string]*Appointment) string {
	for {
		n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
		if err != nil {
			panic(err)
		}
		code := fmt.Sprintf("%08d", n.Int64())
		if _, dup := taken[code]; !dup {
			return code
		}
	}
}

// bookableSlotLocked finds the slot of svc starting at start that can still
// be booked now, or says why not.
func (e *Engine) bookableSlotLocked(svc *Service, start, now time.Time) (Slot, error) {
	local := start.In(e.cal.loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, e.cal.loc)
	var slot *Slot
	for _, s := range e.slotsLocked(svc, day, now) {
		if s.Start.Equal(start) {
			slot = &s
			break
		}
	}
	today, _ := time.ParseInLocation("2006-01-02", e.cal.businessDate(now), e.cal.loc)
	switch {
	case slot == nil:
		return Slot{}, invalid("start", "is not the start of a slot of this service")
	case !slot.Start.After(now):
		return Slot{}, invalid("start", "is in the past")
	case day.After(today.AddDate(0, 0, BookingHorizonDays)):
		return Slot{}, invalid("start", "is more than %d days ahead", BookingHorizonDays)
	case slot.Available <= 0:
		return Slot{}, ErrSlotFull
	}
	return *slot, nil
}

// Book reserves a slot. Capacity is checked and taken under the engine lock,
// so concurrent bookings of the last place cannot both win.
func (e *Engine) Book(req BookRequest) (Appointment, error) {
	name, err := cleanName(req.Name)
	if err != nil {
		return Appointment{}, err
	}
	phone, err := NormalizePhone(req.Phone)
	if err != nil {
		return Appointment{}, err
	}
	e.mu.Lock()
	svc, ok := e.services[req.ServiceID]
	if !ok {
		e.mu.Unlock()
		return Appointment{}, ErrServiceNotFound
	}
	if !svc.Bookable() {
		e.mu.Unlock()
		return Appointment{}, ErrNotBookable
	}
	now, c, err := e.apptChangeLocked()
	if err != nil {
		e.mu.Unlock()
		return Appointment{}, err
	}
	slot, err := e.bookableSlotLocked(svc, req.Start, now)
	if err != nil {
		e.mu.Unlock()
		return Appointment{}, err
	}
	if e.phoneBooked[phone] >= MaxActiveBookings {
		e.mu.Unlock()
		return Appointment{}, ErrBookingLimit
	}
	e.lastApptID++
	a := &Appointment{
		ID: strconv.FormatUint(e.lastApptID, 10), Code: newCode(e.appts), ServiceID: svc.ID,
		Start: slot.Start, End: slot.End, Status: ApptBooked, Name: name, Phone: phone, CreatedAt: now,
		CustomerID: req.CustomerID, Tier: req.Tier,
	}
	e.trackAppt(a)
	c.Appointments = append(c.Appointments, *a)
	c.Events = append(c.Events, Event{Type: EventApptBooked, Actor: "customer", Appointment: a.anonymous()})
	out := *a
	if err := e.commitUnlock(c, "book"); err != nil {
		return Appointment{}, err
	}
	return out, nil
}

// FindAppointment returns an appointment by code when the phone matches, so a
// code alone reveals nobody's name.
func (e *Engine) FindAppointment(code, phone string) (Appointment, error) {
	p, err := NormalizePhone(phone)
	if err != nil {
		return Appointment{}, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	a, ok := e.appts[code]
	if !ok || a.Phone != p {
		return Appointment{}, ErrUnknownCode
	}
	return *a, nil
}

// commitEventsUnlock is commitUnlock for a change that may hold nothing
// to save (no events): then it only releases the engine lock.
func (e *Engine) commitEventsUnlock(c *Change) error {
	if len(c.Events) == 0 {
		e.mu.Unlock()
		return nil
	}
	return e.commitUnlock(c, "")
}

// MoveAppointment moves a booked appointment to another slot of its service;
// the phone must match. The new slot is taken and the old one freed in one
// step: a full new slot leaves the booking where it was.
func (e *Engine) MoveAppointment(code, phone string, start time.Time) (Appointment, error) {
	p, err := NormalizePhone(phone)
	if err != nil {
		return Appointment{}, err
	}
	e.mu.Lock()
	now, c, err := e.apptChangeLocked()
	if err != nil {
		e.mu.Unlock()
		return Appointment{}, err
	}
	a, ok := e.appts[code]
	var fail error
	var slot Slot
	switch {
	case !ok || a.Phone != p:
		fail = ErrUnknownCode
	case a.Status != ApptBooked:
		fail = ErrNotMovable
	case a.Start.Equal(start):
		// Already there: nothing to change.
	default:
		svc, found := e.services[a.ServiceID]
		if !found {
			fail = ErrServiceNotFound
			break
		}
		slot, fail = e.bookableSlotLocked(svc, start, now)
	}
	if fail == nil && !a.Start.Equal(start) {
		e.untrackAppt(a)
		a.Start, a.End = slot.Start, slot.End
		e.trackAppt(a)
		c.Appointments = append(c.Appointments, *a)
		c.Events = append(c.Events, Event{Type: EventApptMoved, Actor: "customer", Appointment: a.anonymous()})
	}
	var out Appointment
	if fail == nil {
		out = *a
	}
	if err := e.commitEventsUnlock(c); err != nil {
		return Appointment{}, fmt.Errorf("move appointment: %w", err)
	}
	if fail != nil {
		return Appointment{}, fail
	}
	return out, nil
}

// CancelAppointment frees a booked slot; the phone must match.
func (e *Engine) CancelAppointment(code, phone string) (Appointment, error) {
	p, err := NormalizePhone(phone)
	if err != nil {
		return Appointment{}, err
	}
	e.mu.Lock()
	a, ok := e.appts[code]
	if !ok || a.Phone != p {
		e.mu.Unlock()
		return Appointment{}, ErrUnknownCode
	}
	if a.Status != ApptBooked {
		e.mu.Unlock()
		return Appointment{}, ErrNotCancellableApp
	}
	e.setApptStatus(a, ApptCancelled)
	out := *a
	if err := e.commitUnlock(&Change{Appointments: []Appointment{*a}, Events: []Event{{Type: EventApptCancelled, Actor: "customer", Appointment: a.anonymous()}}}, "cancel appointment"); err != nil {
		return Appointment{}, err
	}
	return out, nil
}

// CheckIn turns a booked appointment into a ticket, inside its window
// (from CheckinEarlyMinutes before the slot to CheckinLateMinutes after).
func (e *Engine) CheckIn(code, source string) (TicketView, error) {
	if err := e.tick(false); err != nil {
		return TicketView{}, fmt.Errorf("check in: %w", err)
	}
	e.mu.Lock()
	now, c, err := e.apptChangeLocked()
	if err != nil {
		e.mu.Unlock()
		return TicketView{}, err
	}
	a, ok := e.appts[code]
	var fail error
	var doneTicket string // checked in as a ticket no longer in the queue
	switch {
	case !ok:
		fail = ErrUnknownCode
	case a.Status == ApptCheckedIn:
		fail = ErrAlreadyCheckedIn
		if t, ok := e.active[a.TicketID]; ok {
			fail = &CheckedInError{Number: t.Number}
		} else {
			doneTicket = a.TicketID
		}
	case a.Status == ApptCancelled:
		fail = ErrApptCancelled
	case a.Status == ApptNoShow:
		fail = ErrTooLate
	case a.Status == ApptBooked && a.Excused:
		// Staff let a late customer in: no window applies.
	case now.Before(a.Start.Add(-time.Duration(e.settings.CheckinEarlyMinutes) * time.Minute)):
		from := a.Start.Add(-time.Duration(e.settings.CheckinEarlyMinutes) * time.Minute)
		early := &TooEarlyError{From: from, Local: from.In(e.cal.loc).Format("15:04")}
		if day := from.In(e.cal.loc).Format(time.DateOnly); day != now.In(e.cal.loc).Format(time.DateOnly) {
			early.Date = day
		}
		fail = early
	}
	if fail == nil {
		if _, ok := e.services[a.ServiceID]; !ok {
			fail = ErrServiceNotFound
		}
	}
	if fail != nil {
		// A lapsed appointment found on the way is still recorded.
		if err := e.commitEventsUnlock(c); err != nil {
			return TicketView{}, err
		}
		if doneTicket != "" {
			// Read outside the lock, like any store read.
			if old, err := e.store.Ticket(doneTicket); err == nil {
				fail = &CheckedInError{Number: old.Number}
			}
		}
		return TicketView{}, fail
	}
	start := a.Start
	t := e.newTicketLocked(c, e.services[a.ServiceID], PriorityNormal, source, e.nowLocked())
	t.AppointmentID, t.AppointmentAt = a.ID, &start
	t.CustomerID, t.Tier = a.CustomerID, a.Tier
	if _, ok := e.plan.byID[t.Tier]; !ok {
		t.Tier = e.plan.deflt
	}
	e.track(t)
	e.promiseLocked(e.policy(), t)
	e.setApptStatus(a, ApptCheckedIn)
	a.TicketID = t.ID
	c.Tickets = append(c.Tickets, *t)
	c.Appointments = append(c.Appointments, *a)
	c.Events = append(c.Events,
		Event{Type: EventApptCheckedIn, Actor: source, Appointment: a.anonymous()},
		Event{Type: EventIssued, Actor: source, Ticket: copyTicket(t)})
	view := e.viewLocked(t)
	if err := e.commitUnlock(c, "check in"); err != nil {
		return TicketView{}, err
	}
	return view, nil
}

// ExpireAppointments marks booked appointments whose check-in window has
// passed as no-shows, recorded against their phone numbers.
func (e *Engine) ExpireAppointments() (int, error) {
	e.mu.Lock()
	c := &Change{}
	n := e.expireApptsLocked(c, e.apptNowLocked())
	if n == 0 {
		e.mu.Unlock()
		return 0, nil
	}
	if err := e.commitUnlock(c, "expire appointments"); err != nil {
		return 0, err
	}
	return n, nil
}

// apptChangeLocked starts a change to the appointments: refused on a clock
// the box distrusts (a booking dated by a wrong clock would lapse or
// vanish), and with the appointments past their window marked first.
func (e *Engine) apptChangeLocked() (time.Time, *Change, error) {
	if !e.trustedLocked() {
		return time.Time{}, nil, ErrClockUntrusted
	}
	now := e.apptNowLocked()
	c := &Change{}
	e.expireApptsLocked(c, now)
	return now, c, nil
}

func (e *Engine) expireApptsLocked(c *Change, now time.Time) int {
	if !e.trustedLocked() {
		// Never on a clock that may be wrong: it would mark people who
		// still have time, and forget bookings that are still to come.
		return 0
	}
	late := time.Duration(e.settings.CheckinLateMinutes) * time.Minute
	n := 0
	for _, a := range e.appts {
		if a.Status == ApptBooked && !a.Excused && now.After(a.Start.Add(late)) {
			e.setApptStatus(a, ApptNoShow)
			a.NoShowBy = "clock"
			c.Appointments = append(c.Appointments, *a)
			c.NoShowPhones = append(c.NoShowPhones, a.Phone)
			c.Events = append(c.Events, Event{Type: EventApptNoShow, Actor: "clock", Appointment: a.anonymous()})
			n++
		}
	}
	// Appointments of past days no longer count for anything live.
	for code, a := range e.appts {
		// (An excused booking, let in late by staff, is never swept: it
		// ends with its day too.)
		if (a.Status != ApptBooked || a.Excused) && a.Start.Before(now.Add(-24*time.Hour)) {
			e.untrackAppt(a)
			delete(e.appts, code)
			c.ForgetAppointments = append(c.ForgetAppointments, a.ID)
			n++
		}
	}
	return n
}

// apptNowLocked is the time appointment windows are judged by: the wall
// clock, which is all a customer's booking knows. Branch time may still be
// held at records made on a clock that was ahead; and windows are only
// judged on a trusted clock.
func (e *Engine) apptNowLocked() time.Time { return e.clock.Now() }

// RevertAppointmentNoShow is staff undoing a no-show: the booking holds
// again, does not count against the phone, and may still check in.
func (e *Engine) RevertAppointmentNoShow(code, actor string) (Appointment, error) {
	e.mu.Lock()
	a, ok := e.appts[code]
	if !ok {
		e.mu.Unlock()
		return Appointment{}, ErrUnknownCode
	}
	if a.Status != ApptNoShow {
		e.mu.Unlock()
		return Appointment{}, ErrNotNoShow
	}
	c := &Change{}
	e.revertApptNoShowLocked(c, a, actor, e.nowLocked())
	a.Excused = true
	c.Appointments[len(c.Appointments)-1] = *a
	out := *a
	if err := e.commitUnlock(c, "revert no-show"); err != nil {
		return Appointment{}, err
	}
	return out, nil
}

// Appointments lists the appointments of a local date for staff, by start.
func (e *Engine) Appointments(date string) ([]Appointment, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	day, err := time.ParseInLocation("2006-01-02", date, e.cal.loc)
	if err != nil {
		return nil, invalid("date", "must be YYYY-MM-DD")
	}
	end := day.AddDate(0, 0, 1)
	out := []Appointment{}
	for _, a := range e.appts {
		if !a.Start.Before(day) && a.Start.Before(end) {
			out = append(out, *a)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Start.Before(out[j-1].Start); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}
