package queue

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Days are the keys of Settings.Hours, Sunday first like time.Weekday.
var Days = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// span is an opening period in minutes from local midnight, [From, To).
type span struct{ From, To int }

// parseHours reads "09:00-12:00,13:00-17:00"; "" means closed all day.
func parseHours(s string) ([]span, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []span
	for _, part := range strings.Split(s, ",") {
		from, to, ok := strings.Cut(strings.TrimSpace(part), "-")
		if !ok {
			return nil, fmt.Errorf("%q is not HH:MM-HH:MM", part)
		}
		f, err := parseClock(from)
		if err != nil {
			return nil, err
		}
		t, err := parseClock(to)
		if err != nil {
			return nil, err
		}
		if t <= f {
			return nil, fmt.Errorf("%q ends before it starts", part)
		}
		if len(out) > 0 && f < out[len(out)-1].To {
			return nil, fmt.Errorf("%q overlaps or is out of order", part)
		}
		out = append(out, span{f, t})
	}
	return out, nil
}

func parseClock(s string) (int, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	// Atoi alone would take "+9" and "-0" for hours.
	digits := strings.Trim(hh+mm, "0123456789") == ""
	if !ok || !digits || len(hh) != 2 || len(mm) != 2 || err1 != nil || err2 != nil || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	return h*60 + m, nil
}

// calendar is the parsed, validated form of the time-related settings.
type calendar struct {
	loc     *time.Location
	hours   [7][]span
	closed  map[string]bool   // local dates, "2006-01-02"
	special map[string][]span // by local date, overriding hours
}

// MaxClosedDates bounds the holiday list: a few years of holidays.
const MaxClosedDates = 400

// MaxSpecialDays bounds Settings.SpecialDays (a year of holidays is a few dozen).
const MaxSpecialDays = 400

func newCalendar(st Settings) (calendar, error) {
	var c calendar
	if st.Timezone == "" {
		return c, invalid("timezone", "is required, e.g. Asia/Shanghai")
	}
	loc, err := time.LoadLocation(st.Timezone)
	if err != nil {
		return c, invalid("timezone", "%q is not a known time zone (use Area/City)", st.Timezone)
	}
	c.loc = loc
	for day := range st.Hours {
		if dayIndex(day) < 0 {
			return c, invalid("hours."+day, "is not a day; use mon, tue, wed, thu, fri, sat or sun")
		}
	}
	for i, day := range Days {
		spans, err := parseHours(st.Hours[day])
		if err != nil {
			return c, invalid("hours."+day, "%v", err)
		}
		c.hours[i] = spans
	}
	if len(st.ClosedDates) > MaxClosedDates {
		return c, invalid("closed_dates", "may list at most %d dates", MaxClosedDates)
	}
	c.closed = map[string]bool{}
	for _, d := range st.ClosedDates {
		if _, err := time.Parse("2006-01-02", d); err != nil {
			return c, invalid("closed_dates", "%q is not a date like 2026-12-25", d)
		}
		c.closed[d] = true
	}
	if len(st.SpecialDays) > MaxSpecialDays {
		return c, invalid("special_days", "may hold at most %d dates", MaxSpecialDays)
	}
	for date, h := range st.SpecialDays {
		if _, err := time.Parse("2006-01-02", date); err != nil {
			return c, invalid("special_days", "%q is not a date YYYY-MM-DD", date)
		}
		spans, err := parseHours(h)
		if err != nil {
			return c, invalid("special_days."+date, "%v", err)
		}
		if c.special == nil {
			c.special = map[string][]span{}
		}
		c.special[date] = spans
	}
	return c, nil
}

// spans are the opening hours of the local date of day: none on a closed
// date, a special day's own hours, else its weekday's.
func (c calendar) spans(day time.Time) []span {
	date := c.businessDate(day)
	if c.closed[date] {
		return nil
	}
	if sp, ok := c.special[date]; ok {
		return sp
	}
	return c.hours[day.In(c.loc).Weekday()]
}

func dayIndex(day string) int {
	for i, d := range Days {
		if d == day {
			return i
		}
	}
	return -1
}

// businessDate is the local date of t, which numbering restarts on.
func (c calendar) businessDate(t time.Time) string {
	y, m, d := t.In(c.loc).Date()
	return dateString(y, m, d)
}

// lastDate is the date dateString gave last: the box asks for the same
// business date many times a second (every issue and tick), and a string
// made for each would be garbage at once.
var lastDate atomic.Pointer[dateMemo]

type dateMemo struct {
	y, d int
	m    time.Month
	s    string
}

// dateString is y-m-d as YYYY-MM-DD.
func dateString(y int, m time.Month, d int) string {
	if l := lastDate.Load(); l != nil && l.y == y && l.m == m && l.d == d {
		return l.s
	}
	s := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	lastDate.Store(&dateMemo{y: y, m: m, d: d, s: s})
	return s
}

// open reports whether the branch is open at t.
func (c calendar) open(t time.Time) bool {
	lt := t.In(c.loc)
	min := lt.Hour()*60 + lt.Minute()
	for _, s := range c.spans(t) {
		if min >= s.From && min < s.To {
			return true
		}
	}
	return false
}

// DayCloseGrace is how long after its last opening hour a business day is
// closed: time for staff to serve those still inside.
const DayCloseGrace = 2 * time.Hour

// dayOver reports whether t's business day is over: its opening hours ended
// DayCloseGrace ago. A day open until midnight ends at midnight.
func (c calendar) dayOver(t time.Time) bool {
	lt := t.In(c.loc)
	spans := c.hours[lt.Weekday()]
	if len(spans) == 0 {
		return false
	}
	min := lt.Hour()*60 + lt.Minute()
	return min >= spans[len(spans)-1].To+int(DayCloseGrace/time.Minute)
}

// ValidateSettings checks st and returns a *ValidationError naming the bad field.
func ValidateSettings(st Settings) error {
	if _, err := newCalendar(st); err != nil {
		return err
	}
	if st.MaxWaitMinutes < 0 || st.MaxWaitMinutes > 24*60 {
		return invalid("max_wait_minutes", "must be between 0 (no cap) and 1440")
	}
	if st.CheckinEarlyMinutes < 0 || st.CheckinEarlyMinutes > 240 {
		return invalid("checkin_early_minutes", "must be between 0 and 240")
	}
	if st.CheckinLateMinutes < 0 || st.CheckinLateMinutes > 240 {
		return invalid("checkin_late_minutes", "must be between 0 and 240")
	}
	if len(st.PriorityWeights) > PriorityMax+1 {
		return invalid("priority_weights", "may list at most %d levels", PriorityMax+1)
	}
	sum := 0
	for i, w := range st.PriorityWeights {
		if w < 0 || w > 10 {
			return invalid("priority_weights", "level %d: weight must be between 0 and 10", i)
		}
		sum += w
	}
	if len(st.PriorityWeights) > 0 && sum == 0 {
		return invalid("priority_weights", "needs at least one weight above 0 (or an empty list for strict priority)")
	}
	if st.AppointmentHoldMinutes < 0 || st.AppointmentHoldMinutes > 120 {
		return invalid("appointment_hold_minutes", "must be between 0 (no planning) and 120")
	}
	if len(st.Notice) > 200 {
		return invalid("notice", "must be at most 200 characters")
	}
	if st.NearTurnPlace < 0 || st.NearTurnPlace > 50 {
		return invalid("near_turn_place", "must be between 0 (off) and 50")
	}
	if len(st.BranchName) > 100 {
		return invalid("branch_name", "must be at most 100 characters")
	}
	if err := checkName("branch_name", st.BranchName); err != nil {
		return err
	}
	return validateCustomerSettings(st)
}

// OpeningMinutes reads opening hours as the settings and the counters'
// schedules write them ("09:00-12:00,13:00-17:30"; "" closed) into
// [from, to) minutes from local midnight, for tools that plan a day.
func OpeningMinutes(s string) ([][2]int, error) {
	spans, err := parseHours(s)
	out := make([][2]int, len(spans))
	for i, sp := range spans {
		out[i] = [2]int{sp.From, sp.To}
	}
	return out, err
}
