package server

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"queuebox/server/access"
	"queuebox/server/customers"
	"queuebox/server/queue"
)

func (s *Server) getSlots(c echo.Context) error {
	svc, date := c.QueryParam("service_id"), c.QueryParam("date")
	if svc == "" || date == "" {
		return errInvalid.with("service_id and date (YYYY-MM-DD) are required")
	}
	slots, err := s.engine.Slots(svc, date)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, slots)
}

// apptOut is what the customer who booked sees: never other people's data.
type apptOut struct {
	ID        string    `json:"id"`
	Code      string    `json:"code"`
	ServiceID string    `json:"service_id"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Status    string    `json:"status"`
}

func newApptOut(a queue.Appointment) apptOut {
	return apptOut{ID: a.ID, Code: a.Code, ServiceID: a.ServiceID, Start: a.Start, End: a.End, Status: a.Status}
}

func (s *Server) postAppointment(c echo.Context) error {
	if err := s.bookLimit.admit(c, c.RealIP(), s.clock.Now(), errRateLimited.with("too many bookings from this address; try again later")); err != nil {
		return err
	}
	var req struct {
		ServiceID string `json:"service_id"`
		Start     string `json:"start"`
		Name      string `json:"name"`
		Phone     string `json:"phone"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.ServiceID == "" || req.Start == "" {
		return errInvalid.with("service_id and start are required")
	}
	start, err := time.Parse(time.RFC3339, req.Start)
	if err != nil {
		return errInvalid.with("start must be a time like 2026-11-24T10:15:00+08:00 (a slot's start)")
	}
	br := queue.BookRequest{ServiceID: req.ServiceID, Start: start, Name: req.Name, Phone: req.Phone}
	// No erasure between finding the customer and the booking.
	s.erasure.linking.RLock()
	defer s.erasure.linking.RUnlock()
	if err := s.linkBooking(&br); err != nil {
		return err
	}
	a, err := s.engine.Book(br)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, newApptOut(a))
}

func (s *Server) getAppointment(c echo.Context) error {
	if err := s.codeLimit.admit(c, c.RealIP(), s.clock.Now(), errRateLimited); err != nil {
		return err
	}
	a, err := s.findAppointment(c.Param("code"), c.QueryParam("phone"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newApptOut(a))
}

func (s *Server) cancelAppointment(c echo.Context) error {
	if err := s.codeLimit.admit(c, c.RealIP(), s.clock.Now(), errRateLimited); err != nil {
		return err
	}
	var req struct {
		Phone string `json:"phone"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	a, err := s.engine.CancelAppointment(c.Param("code"), s.bookingPhone(c.Param("code"), req.Phone))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newApptOut(a))
}

// moveAppointment moves a booking to another slot of its service.
func (s *Server) moveAppointment(c echo.Context) error {
	if err := s.codeLimit.admit(c, c.RealIP(), s.clock.Now(), errRateLimited); err != nil {
		return err
	}
	var req struct {
		Phone string    `json:"phone"`
		Start time.Time `json:"start"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Start.IsZero() {
		return errInvalid.with("start is required")
	}
	a, err := s.engine.MoveAppointment(c.Param("code"), s.bookingPhone(c.Param("code"), req.Phone), req.Start)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newApptOut(a))
}

// appointmentICS is the booking as a calendar file.
func (s *Server) appointmentICS(c echo.Context) error {
	if err := s.codeLimit.admit(c, c.RealIP(), s.clock.Now(), errRateLimited); err != nil {
		return err
	}
	a, err := s.findAppointment(c.Param("code"), c.QueryParam("phone"))
	if err != nil {
		return err
	}
	svcName := a.ServiceID
	if svc, err := s.engine.Service(a.ServiceID); err == nil {
		svcName = svc.Name
	}
	branch := s.engine.Settings().BranchName
	stamp := func(t time.Time) string { return t.UTC().Format("20060102T150405Z") }
	lines := []string{
		"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//queuebox//booking//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
		"BEGIN:VEVENT",
		"UID:" + a.ID + "-" + a.Code + "@queuebox",
		"DTSTAMP:" + stamp(s.clock.Now()),
		"DTSTART:" + stamp(a.Start),
		"DTEND:" + stamp(a.End),
		"SUMMARY:" + icsEscape(svcName+" – "+branch),
		"DESCRIPTION:" + icsEscape(fmt.Sprintf("Booking code %s. Check in at the kiosk with this code from 15 minutes before.", a.Code)),
		"LOCATION:" + icsEscape(branch),
		"END:VEVENT", "END:VCALENDAR",
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="booking-`+a.Code+`.ics"`)
	return c.Blob(http.StatusOK, "text/calendar; charset=utf-8", []byte(strings.Join(lines, "\r\n")+"\r\n"))
}

func icsEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`).Replace(s)
}

func (s *Server) listAppointments(c echo.Context) error {
	date := c.QueryParam("date")
	if date == "" {
		loc, err := time.LoadLocation(s.engine.Settings().Timezone)
		if err != nil {
			loc = time.UTC
		}
		date = s.clock.Now().In(loc).Format("2006-01-02")
	}
	list, err := s.engine.Appointments(date)
	if err != nil {
		return err
	}
	if who(c).role < access.RoleAdmin {
		// Staff greet the customer by name; the number stays masked, as
		// in every staff view of a customer.
		for i := range list {
			if list[i].Phone != "" {
				list[i].Phone = customers.MaskPhone(list[i].Phone)
			}
		}
	}
	return c.JSON(http.StatusOK, list)
}

// A kiosk may have this many wrong check-in codes at once, then one more a
// minute: plenty for customers mistyping, far too few to find a code.
const (
	checkinBurst             = 10
	checkinFailuresPerMinute = 1
)

// codeProbe reports whether a failed check-in says something about the code
// (a guesser learns from it); a closed branch or a distrusted clock does not.
func codeProbe(err error) bool {
	switch toAPIError(err).Code {
	case errUnknownCode.Code, errTooEarly.Code, errTooLate.Code, errAlreadyCheckedIn.Code, errApptCancelled.Code:
		return true
	}
	return false
}

func (s *Server) postCheckin(c echo.Context) error {
	var req struct {
		Code string `json:"code"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	code := strings.TrimSpace(req.Code)
	if code == "" || len(code) > 32 {
		return errInvalid.with("code is required")
	}
	// Failed check-ins count per device (or user): a kiosk's token must not
	// be a way to try booking codes until one fits.
	key, now := who(c).source(), s.clock.Now()
	if !s.checkinLimit.ready(key, now) {
		wait := s.checkinLimit.wait(key, now)
		setRetryAfter(c, wait)
		s.log.Warn("check-in refused after repeated wrong codes", "by", key)
		return errRateLimited.with("too many wrong codes; please ask the staff")
	}
	v, err := s.engine.CheckIn(code, who(c).source())
	if err != nil {
		if codeProbe(err) {
			s.checkinLimit.allow(key, now)
		}
		return err
	}
	out := s.ticketOut(v)
	if id := who(c); id.kind().Prints() {
		out.Print = string(s.printTicket(v, id.device, v.ID))
	}
	return c.JSON(http.StatusCreated, out)
}
