// Package sim plays recorded or generated branch days through the real
// queue engine, on a real (throw-away) database with a virtual clock, and
// scores the wait each ticket was promised against the wait that happened.
// The trace format, the rules of play and the output are the contract in
// docs (queuebox-trace/1); see the README's section on the simulator.
package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"queuebox/server/queue"
)

// Format is the trace format this package reads and writes.
const Format = "queuebox-trace/1"

// Trace is a queuebox-trace/1 file.
type Trace struct {
	Format               string          `json:"format"`
	Name                 string          `json:"name"`
	Timezone             string          `json:"timezone"`
	Open                 string          `json:"open"`
	Close                string          `json:"close"`
	NoShowTimeoutSeconds *float64        `json:"no_show_timeout_seconds"`
	Services             []Service       `json:"services"`
	Counters             []Counter       `json:"counters"`
	Settings             json.RawMessage `json:"settings,omitempty"`
	Tiers                []Tier          `json:"tiers,omitempty"`
	Customers            []Customer      `json:"customers,omitempty"`
	ScoreLastDays        *int            `json:"score_last_days,omitempty"`
	Days                 []Day           `json:"days"`
}

// Service is a service as in the config.
type Service struct {
	ID                string            `json:"id"`
	Prefix            string            `json:"prefix"`
	Name              string            `json:"name"`
	Names             map[string]string `json:"names,omitempty"`
	AvgServiceSeconds int               `json:"avg_service_seconds"`
	SlotMinutes       int               `json:"slot_minutes,omitempty"`
	SlotCapacity      int               `json:"slot_capacity,omitempty"`
	Priority          int               `json:"priority,omitempty"`
}

// Counter is a desk with its working hours (every day alike) and pace.
type Counter struct {
	ID         string   `json:"id"`
	Name       string   `json:"name,omitempty"`
	ServiceIDs []string `json:"service_ids"`
	Shifts     []Shift  `json:"shifts"`
	Speed      *float64 `json:"speed,omitempty"`
}

// Shift is one working period, local "HH:MM".
type Shift struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Tier is a customer tier, best first; the last is the default.
type Tier struct {
	ID             string   `json:"id"`
	SLAWaitSeconds *float64 `json:"sla_wait_seconds,omitempty"`
	SLATarget      *float64 `json:"sla_target,omitempty"`
}

// Customer fixes a known customer's tier.
type Customer struct {
	ID   string `json:"id"`
	Tier string `json:"tier"`
}

// Day is one business day of arrivals.
type Day struct {
	Date      string    `json:"date"`
	Customers []Arrival `json:"customers"`
}

// Arrival is one customer of a day: a walk-in, or a booked appointment
// (which checks in at arrive, or never comes when no_show).
type Arrival struct {
	Arrive             *string  `json:"arrive,omitempty"`
	Appointment        *string  `json:"appointment,omitempty"`
	ServiceID          string   `json:"service_id"`
	Priority           int      `json:"priority,omitempty"`
	ServiceSeconds     float64  `json:"service_seconds"`
	LeavesAfterSeconds *float64 `json:"leaves_after_seconds,omitempty"`
	CustomerID         string   `json:"customer_id,omitempty"`
	NoShow             bool     `json:"no_show,omitempty"`
}

// FieldError is a bad trace: Field says where, e.g. "days[2].customers[7].arrive".
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func bad(field, format string, a ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// jsonWords name the Go types of a trace's fields in JSON's words (not Go's
// "float64").
var jsonWords = map[string]string{"float64": "a number", "int": "a whole number", "int64": "a whole number",
	"string": "a string", "bool": "true or false"}

func jsonWord(t reflect.Type) string {
	if w, ok := jsonWords[t.Kind().String()]; ok {
		return w
	}
	return "a list or an object, as the format shows"
}

// Read decodes and checks a trace.
func Read(r io.Reader) (*Trace, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read trace: %w", err)
	}
	var tr Trace
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&tr); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			// json names the field without its list indices: the byte
			// offset finds the element in a long trace.
			return nil, bad(te.Field, "must be %s, not %s (at byte %d)", jsonWord(te.Type), te.Value, te.Offset)
		}
		return nil, bad("(file)", "is not valid JSON: %v", err)
	}
	if _, err := tr.check(); err != nil {
		return nil, err
	}
	return &tr, nil
}

// plan is a checked trace in the forms the player needs.
type plan struct {
	loc         *time.Location
	open, close int // seconds from midnight
	timeout     time.Duration
	settings    queue.Settings
	services    map[string]Service
	shifts      [][][2]int // per counter: [from, to) seconds
	speed       []float64
	tierOf      map[string]string
	defaultTier string
	tiers       map[string]Tier
	scoreFrom   int // index of the first scored day
	capacity    map[string]int
}

func clockSeconds(s string, withSeconds bool) (int, bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 2 && !(withSeconds && len(parts) == 3) {
		return 0, false
	}
	v := 0
	for i, p := range parts {
		if len(p) != 2 || strings.Trim(p, "0123456789") != "" {
			return 0, false
		}
		n, _ := strconv.Atoi(p)
		if (i == 0 && n > 24) || (i > 0 && n > 59) {
			return 0, false
		}
		v = v*60 + n
	}
	if len(parts) == 2 {
		v *= 60
	}
	if v > 24*3600 {
		return 0, false
	}
	return v, true
}

func (tr *Trace) check() (*plan, error) {
	p := &plan{services: map[string]Service{}, tierOf: map[string]string{}, tiers: map[string]Tier{}, capacity: map[string]int{}}
	if tr.Format != Format {
		return nil, bad("format", "must be %q", Format)
	}
	if tr.Timezone == "" {
		return nil, bad("timezone", "is required, e.g. Asia/Shanghai")
	}
	loc, err := time.LoadLocation(tr.Timezone)
	if err != nil {
		return nil, bad("timezone", "%q is not a known time zone", tr.Timezone)
	}
	p.loc = loc
	var ok bool
	if p.open, ok = clockSeconds(tr.Open, false); !ok {
		return nil, bad("open", "must be a time of day HH:MM")
	}
	if p.close, ok = clockSeconds(tr.Close, false); !ok {
		return nil, bad("close", "must be a time of day HH:MM")
	}
	if p.close <= p.open {
		return nil, bad("close", "must be after open")
	}
	p.timeout = 90 * time.Second
	if tr.NoShowTimeoutSeconds != nil {
		v := *tr.NoShowTimeoutSeconds
		if v < 0 || v > 3600 || math.IsNaN(v) {
			return nil, bad("no_show_timeout_seconds", "must be between 0 and 3600")
		}
		p.timeout = time.Duration(math.Round(v)) * time.Second
	}
	st := queue.DefaultSettings()
	if len(tr.Settings) > 0 && string(tr.Settings) != "null" {
		if err := json.Unmarshal(tr.Settings, &st); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return nil, bad("settings."+te.Field, "must be %s, not %s", jsonWord(te.Type), te.Value)
			}
			return nil, bad("settings", "must be an object of the box's settings: %v", err)
		}
	}
	st.Timezone = tr.Timezone
	hours := fmt.Sprintf("%s-%s", tr.Open, tr.Close)
	st.Hours = map[string]string{}
	for _, d := range queue.Days {
		st.Hours[d] = hours
	}
	if st.BranchName == "" {
		st.BranchName = "simulation"
	}
	if err := queue.ValidateSettings(st); err != nil {
		var ve *queue.ValidationError
		if errors.As(err, &ve) {
			return nil, bad("settings."+ve.Field, "%s", ve.Reason)
		}
		return nil, bad("settings", "%v", err)
	}
	p.settings = st

	if len(tr.Services) == 0 {
		return nil, bad("services", "needs at least one service")
	}
	prefixes := map[string]bool{}
	for i, s := range tr.Services {
		f := fmt.Sprintf("services[%d]", i)
		if s.Name == "" {
			s.Name = s.ID
		}
		if err := queue.ValidateService(s.queue()); err != nil {
			var ve *queue.ValidationError
			if errors.As(err, &ve) {
				return nil, bad(f+"."+ve.Field, "%s", ve.Reason)
			}
			return nil, bad(f, "%v", err)
		}
		if _, dup := p.services[s.ID]; dup {
			return nil, bad(f+".id", "%q is listed twice", s.ID)
		}
		if prefixes[s.Prefix] {
			return nil, bad(f+".prefix", "%q is used by another service", s.Prefix)
		}
		prefixes[s.Prefix] = true
		p.services[s.ID] = s
	}
	if len(tr.Counters) == 0 {
		return nil, bad("counters", "needs at least one counter")
	}
	seen := map[string]bool{}
	for i, c := range tr.Counters {
		f := fmt.Sprintf("counters[%d]", i)
		if !queue.IDPattern.MatchString(c.ID) {
			return nil, bad(f+".id", "must be 1–32 characters of a-z, 0-9 and -")
		}
		if seen[c.ID] {
			return nil, bad(f+".id", "%q is listed twice", c.ID)
		}
		seen[c.ID] = true
		if len(c.ServiceIDs) == 0 {
			return nil, bad(f+".service_ids", "needs at least one service")
		}
		dup := map[string]bool{}
		for j, sid := range c.ServiceIDs {
			if _, ok := p.services[sid]; !ok {
				return nil, bad(fmt.Sprintf("%s.service_ids[%d]", f, j), "%q is not a service of the trace", sid)
			}
			if dup[sid] {
				return nil, bad(fmt.Sprintf("%s.service_ids[%d]", f, j), "%q is listed twice", sid)
			}
			dup[sid] = true
		}
		var sh [][2]int
		last := -1
		for j, s := range c.Shifts {
			g := fmt.Sprintf("%s.shifts[%d]", f, j)
			from, ok1 := clockSeconds(s.From, false)
			if !ok1 {
				return nil, bad(g+".from", "must be a time of day HH:MM")
			}
			to, ok2 := clockSeconds(s.To, false)
			if !ok2 {
				return nil, bad(g+".to", "must be a time of day HH:MM")
			}
			if to <= from {
				return nil, bad(g+".to", "must be after from")
			}
			if from < last {
				return nil, bad(g+".from", "overlaps or is before the previous shift")
			}
			last = to
			sh = append(sh, [2]int{from, to})
		}
		p.shifts = append(p.shifts, sh)
		speed := 1.0
		if c.Speed != nil {
			speed = *c.Speed
			if !(speed > 0 && speed <= 20) {
				return nil, bad(f+".speed", "must be above 0 (1 = normal pace, 0.9 = 10%% faster)")
			}
		}
		p.speed = append(p.speed, speed)
	}
	p.defaultTier = "standard"
	for i, t := range tr.Tiers {
		f := fmt.Sprintf("tiers[%d]", i)
		if !queue.IDPattern.MatchString(t.ID) {
			return nil, bad(f+".id", "must be 1–32 characters of a-z, 0-9 and -")
		}
		if _, dup := p.tiers[t.ID]; dup {
			return nil, bad(f+".id", "%q is listed twice", t.ID)
		}
		if t.SLAWaitSeconds != nil && !(*t.SLAWaitSeconds >= 0) {
			return nil, bad(f+".sla_wait_seconds", "must be 0 or more")
		}
		if t.SLATarget != nil && !(*t.SLATarget >= 0 && *t.SLATarget <= 1) {
			return nil, bad(f+".sla_target", "must be a share between 0 and 1")
		}
		p.tiers[t.ID] = t
		p.defaultTier = t.ID
	}
	for i, c := range tr.Customers {
		f := fmt.Sprintf("customers[%d]", i)
		if c.ID == "" || len(c.ID) > 64 {
			return nil, bad(f+".id", "is required, at most 64 characters")
		}
		if _, dup := p.tierOf[c.ID]; dup {
			return nil, bad(f+".id", "%q is listed twice", c.ID)
		}
		if _, ok := p.tiers[c.Tier]; !ok {
			return nil, bad(f+".tier", "%q is not one of the trace's tiers", c.Tier)
		}
		p.tierOf[c.ID] = c.Tier
	}
	if len(tr.Days) == 0 {
		return nil, bad("days", "needs at least one day")
	}
	prev := ""
	for i, d := range tr.Days {
		f := fmt.Sprintf("days[%d]", i)
		if _, err := time.ParseInLocation("2006-01-02", d.Date, loc); err != nil {
			return nil, bad(f+".date", "must be a date YYYY-MM-DD")
		}
		if d.Date <= prev {
			return nil, bad(f+".date", "must come after the previous day's date")
		}
		prev = d.Date
		slots := map[string]int{}
		for j, a := range d.Customers {
			g := fmt.Sprintf("%s.customers[%d]", f, j)
			svc, ok := p.services[a.ServiceID]
			if !ok {
				return nil, bad(g+".service_id", "%q is not a service of the trace", a.ServiceID)
			}
			if a.Priority < queue.PriorityNormal || a.Priority > queue.PriorityMax {
				return nil, bad(g+".priority", "must be between %d and %d", queue.PriorityNormal, queue.PriorityMax)
			}
			if !(a.ServiceSeconds >= 0 && a.ServiceSeconds <= 86400) {
				return nil, bad(g+".service_seconds", "must be between 0 and 86400")
			}
			if a.LeavesAfterSeconds != nil && !(*a.LeavesAfterSeconds >= 0) {
				return nil, bad(g+".leaves_after_seconds", "must be 0 or more, or null")
			}
			if a.Arrive != nil {
				if _, ok := clockSeconds(*a.Arrive, true); !ok {
					return nil, bad(g+".arrive", "must be a time of day HH:MM:SS")
				}
			}
			if a.Appointment == nil {
				if a.NoShow {
					return nil, bad(g+".no_show", "only a booked appointment can be a no-show")
				}
				if a.Arrive == nil {
					return nil, bad(g+".arrive", "is required for a walk-in")
				}
				continue
			}
			slot, ok := clockSeconds(*a.Appointment, false)
			if !ok {
				return nil, bad(g+".appointment", "must be a time of day HH:MM")
			}
			if svc.SlotMinutes <= 0 || svc.SlotCapacity <= 0 {
				return nil, bad(g+".appointment", "service %q cannot be booked (no slot_minutes/slot_capacity)", svc.ID)
			}
			step := svc.SlotMinutes * 60
			if slot < p.open || slot+step > p.close || (slot-p.open)%step != 0 {
				return nil, bad(g+".appointment", "%s is not the start of a %d-minute slot between open and close", *a.Appointment, svc.SlotMinutes)
			}
			if a.Arrive == nil && !a.NoShow {
				return nil, bad(g+".arrive", "is required unless the appointment is a no_show")
			}
			k := svc.ID + "|" + *a.Appointment
			slots[k]++
			if slots[k] > p.capacity[svc.ID] {
				p.capacity[svc.ID] = slots[k]
			}
		}
	}
	p.scoreFrom = 0
	if tr.ScoreLastDays != nil {
		n := *tr.ScoreLastDays
		if n < 0 {
			return nil, bad("score_last_days", "must be 0 or more")
		}
		if n > 0 && n < len(tr.Days) {
			p.scoreFrom = len(tr.Days) - n
		}
	}
	return p, nil
}

func (s Service) queue() queue.Service {
	return queue.Service{ID: s.ID, Prefix: s.Prefix, Name: s.Name, Names: s.Names, AvgServiceSeconds: s.AvgServiceSeconds,
		SlotMinutes: s.SlotMinutes, SlotCapacity: s.SlotCapacity, Priority: s.Priority}
}

// sortedKeys lists a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// queueTiers is the trace's tiers as the box's tier configuration.
func (tr *Trace) queueTiers() []queue.Tier {
	out := make([]queue.Tier, len(tr.Tiers))
	for i, t := range tr.Tiers {
		qt := queue.Tier{ID: t.ID, Name: strings.ToUpper(t.ID[:1]) + t.ID[1:]}
		if t.SLAWaitSeconds != nil {
			qt.SLAWaitSeconds = int(*t.SLAWaitSeconds)
		}
		if t.SLATarget != nil {
			qt.SLATarget = *t.SLATarget
		}
		out[i] = qt
	}
	return out
}
