package queue

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

var (
	prefixPattern = regexp.MustCompile(`^[A-Z]{1,3}$`)
	langPattern   = regexp.MustCompile(`^[a-z]{2}(-[A-Za-z]{2,4})?$`)
)

// ValidateService checks the fields an admin sets.
func ValidateService(s Service) error {
	switch {
	case !IDPattern.MatchString(s.ID):
		return invalid("id", "must be 1–32 characters of a-z, 0-9 and -")
	case !prefixPattern.MatchString(s.Prefix):
		return invalid("prefix", "must be 1–3 capital letters A–Z")
	case strings.TrimSpace(s.Name) == "" || len(s.Name) > 64:
		return invalid("name", "is required, at most 64 characters")
	case s.AvgServiceSeconds < 1 || s.AvgServiceSeconds > 86400:
		return invalid("avg_service_seconds", "must be between 1 and 86400")
	case s.SlotMinutes < 0 || s.SlotMinutes > 480:
		return invalid("slot_minutes", "must be between 0 (not bookable) and 480")
	case s.SlotCapacity < 0 || s.SlotCapacity > 1000:
		return invalid("slot_capacity", "must be between 0 (not bookable) and 1000")
	case (s.SlotMinutes > 0) != (s.SlotCapacity > 0):
		return invalid("slot_capacity", "slot_minutes and slot_capacity must both be set to make a service bookable")
	case s.Priority < PriorityNormal || s.Priority > PriorityMax:
		return invalid("priority", "must be between %d and %d", PriorityNormal, PriorityMax)
	case len(s.Guide) > 4000:
		return invalid("guide", "must be at most 4000 characters")
	case len(s.OutcomeCodes) > 30:
		return invalid("outcome_codes", "may list at most 30 codes")
	}
	if err := checkName("name", s.Name); err != nil {
		return err
	}
	if p := NotesProblem(s.Guide); p != "" {
		return invalid("guide", "%s", p)
	}
	for _, oc := range s.OutcomeCodes {
		if strings.TrimSpace(oc) == "" || len(oc) > 64 {
			return invalid("outcome_codes", "each code must be 1–64 characters")
		}
		if err := checkName("outcome_codes", oc); err != nil {
			return err
		}
	}
	if err := validateNames("names", s.Names); err != nil {
		return err
	}
	for code, labels := range s.OutcomeLabels {
		if !contains(s.OutcomeCodes, code) {
			return invalid("outcome_labels."+code, "is not one of outcome_codes")
		}
		if err := validateNames("outcome_labels."+code, labels); err != nil {
			return err
		}
	}
	return nil
}

// validateNames checks names per language (field "names" gives errors
// like "names.zh").
func validateNames(field string, names map[string]string) error {
	for lang, name := range names {
		if !langPattern.MatchString(lang) {
			return invalid(field+"."+lang, "is not a language code like zh or en")
		}
		if strings.TrimSpace(name) == "" || len(name) > 64 {
			return invalid(field+"."+lang, "must be 1–64 characters")
		}
		if err := checkName(field+"."+lang, name); err != nil {
			return err
		}
	}
	return nil
}

// ValidateCounter checks a counter's own fields.
func ValidateCounter(c Counter) error {
	switch {
	case !IDPattern.MatchString(c.ID):
		return invalid("id", "must be 1–32 characters of a-z, 0-9 and -")
	case strings.TrimSpace(c.Name) == "" || len(c.Name) > 64:
		return invalid("name", "is required, at most 64 characters")
	}
	if err := checkName("name", c.Name); err != nil {
		return err
	}
	if err := validateNames("names", c.Names); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, id := range c.ServiceIDs {
		if seen[id] {
			return invalid("service_ids", "lists %q twice", id)
		}
		seen[id] = true
	}
	if _, err := parseWeek(c.Schedule); err != nil {
		return err
	}
	return nil
}

// PutService creates (create=true) or replaces a service.
func (e *Engine) PutService(s Service, create bool, actor string) (ServiceView, error) {
	if err := ValidateService(s); err != nil {
		return ServiceView{}, err
	}
	e.mu.Lock()
	old, exists := e.services[s.ID]
	switch {
	case create && exists:
		e.mu.Unlock()
		return ServiceView{}, ErrExists
	case !create && !exists:
		e.mu.Unlock()
		return ServiceView{}, ErrServiceNotFound
	}
	for _, other := range e.services {
		if other.ID != s.ID && other.Prefix == s.Prefix {
			e.mu.Unlock()
			return ServiceView{}, invalid("prefix", "%q is already used by service %q", s.Prefix, other.ID)
		}
	}
	if exists && old.Prefix != s.Prefix {
		if q := e.waiting[s.ID]; q != nil && q.n > 0 {
			e.mu.Unlock()
			return ServiceView{}, invalid("prefix", "cannot change while tickets wait with the old prefix")
		}
	}
	s.Names = copyNames(s.Names)
	s.OutcomeLabels = copyLabels(s.OutcomeLabels)
	if s.Position == 0 {
		if exists {
			s.Position = old.Position
		} else {
			for _, other := range e.services {
				s.Position = max(s.Position, other.Position)
			}
			s.Position++
		}
	}
	e.services[s.ID] = &s
	e.sortServicesLocked()
	sc := s
	c := &Change{Services: []Service{s}, Events: []Event{{Type: EventService, Actor: actor, Service: &sc}}}
	view := e.serviceViewLocked(&s)
	if err := e.commitUnlock(c, "save service"); err != nil {
		return ServiceView{}, err
	}
	return view, nil
}

// DeleteService removes a service no ticket waits for, and takes it off every counter.
func (e *Engine) DeleteService(id, actor string) error {
	e.mu.Lock()
	s, ok := e.services[id]
	if !ok {
		e.mu.Unlock()
		return ErrServiceNotFound
	}
	for _, t := range e.active {
		if t.ServiceID == id {
			e.mu.Unlock()
			return ErrHasWaiting
		}
	}
	c := &Change{DeleteServices: []string{id}}
	for _, ctr := range e.counters {
		if ctr.Serves(id) {
			kept := ctr.ServiceIDs[:0:0]
			for _, sid := range ctr.ServiceIDs {
				if sid != id {
					kept = append(kept, sid)
				}
			}
			ctr.ServiceIDs = kept
			c.Counters = append(c.Counters, *copyCounter(ctr))
		}
	}
	delete(e.services, id)
	delete(e.waiting, id)
	for i, sid := range e.svcOrder {
		if sid == id {
			e.svcOrder = append(e.svcOrder[:i:i], e.svcOrder[i+1:]...)
			break
		}
	}
	sc := *s
	c.Events = []Event{{Type: EventService, Actor: actor, Service: &sc, Deleted: true}}
	if err := e.commitUnlock(c, "delete service"); err != nil {
		return err
	}
	return nil
}

// PutCounter creates (create=true) or replaces a counter.
func (e *Engine) PutCounter(ctr Counter, create bool, actor string) (Counter, error) {
	if err := ValidateCounter(ctr); err != nil {
		return Counter{}, err
	}
	if ctr.ServiceIDs == nil {
		ctr.ServiceIDs = []string{}
	}
	e.mu.Lock()
	_, exists := e.counters[ctr.ID]
	switch {
	case create && exists:
		e.mu.Unlock()
		return Counter{}, ErrExists
	case !create && !exists:
		e.mu.Unlock()
		return Counter{}, ErrCounterNotFound
	}
	for _, id := range ctr.ServiceIDs {
		if _, ok := e.services[id]; !ok {
			e.mu.Unlock()
			return Counter{}, invalid("service_ids", "%q is not a service", id)
		}
	}
	c := copyCounter(&ctr)
	c.Schedule = copyNames(ctr.Schedule)
	e.counters[ctr.ID] = c
	if err := e.commitUnlock(&Change{Counters: []Counter{*c}, Events: []Event{{Type: EventCounter, Actor: actor, Counter: copyCounter(c)}}}, "save counter"); err != nil {
		return Counter{}, err
	}
	return *copyCounter(&ctr), nil
}

// SetPaused pauses or resumes a counter; a paused counter calls nobody and
// does not count as open for wait estimates.
func (e *Engine) SetPaused(id string, paused bool, actor string) (Counter, error) {
	e.mu.Lock()
	ctr, ok := e.counters[id]
	if !ok {
		e.mu.Unlock()
		return Counter{}, ErrCounterNotFound
	}
	ctr.Paused = paused
	out := *copyCounter(ctr)
	if err := e.commitUnlock(&Change{Counters: []Counter{out}, Events: []Event{{Type: EventCounter, Actor: actor, Counter: copyCounter(ctr)}}}, "pause counter"); err != nil {
		return Counter{}, err
	}
	return out, nil
}

// DeleteCounter removes a counter.
func (e *Engine) DeleteCounter(id, actor string) error {
	e.mu.Lock()
	ctr, ok := e.counters[id]
	if !ok {
		e.mu.Unlock()
		return ErrCounterNotFound
	}
	delete(e.counters, id)
	if err := e.commitUnlock(&Change{DeleteCounters: []string{id}, Events: []Event{{Type: EventCounter, Actor: actor, Counter: copyCounter(ctr), Deleted: true}}}, "delete counter"); err != nil {
		return err
	}
	return nil
}

// PutSettings replaces the branch settings.
func (e *Engine) PutSettings(st Settings, actor string) (Settings, error) {
	if err := ValidateSettings(st); err != nil {
		return Settings{}, err
	}
	cal, _ := newCalendar(st)
	st.Hours = copyNames(st.Hours)
	st.ClosedDates = normDates(st.ClosedDates)
	st.PriorityWeights = slices.Clone(st.PriorityWeights)
	if st.Hours == nil {
		st.Hours = map[string]string{}
	}
	st.SpecialDays = copyNames(st.SpecialDays)
	e.mu.Lock()
	// Closing the day is not a setting the admin form sends back.
	st.IssuingStoppedOn = e.settings.IssuingStoppedOn
	e.settings, e.cal = st, cal
	saved := st
	if err := e.commitUnlock(&Change{Settings: &saved, Events: []Event{{Type: EventSettings, Actor: actor}}}, "save settings"); err != nil {
		return Settings{}, err
	}
	return st, nil
}

// SetSpecialDays replaces the calendar of holidays and special opening hours.
func (e *Engine) SetSpecialDays(days map[string]string, actor string) (Settings, error) {
	st := e.Settings()
	st.SpecialDays = days
	return e.PutSettings(st, actor)
}

// SetCalendar replaces the special days and the closed dates together, in
// one change: how the admin's one holiday editor moves the older
// closed-dates list into special days ("" = closed) without a moment in
// which a holiday is in neither.
func (e *Engine) SetCalendar(days map[string]string, closed []string, actor string) (Settings, error) {
	st := e.Settings()
	st.SpecialDays, st.ClosedDates = days, closed
	return e.PutSettings(st, actor)
}

// SetNotice posts the lobby display's notice ("" takes it down), shown
// until until when that is set.
func (e *Engine) SetNotice(text string, until *time.Time, actor string) (Settings, error) {
	st := e.Settings()
	st.Notice, st.NoticeUntil = text, until
	if text == "" {
		st.NoticeUntil = nil
	}
	return e.PutSettings(st, actor)
}

// Configured reports whether the branch was ever configured (false on a new database).
func (e *Engine) Configured() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.lastSeq > 0 || len(e.services) > 0
}

// ValidateSeed checks a whole configuration: settings, services and the
// counters that refer to them. Fields are named like config keys.
func ValidateSeed(st Settings, services []Service, counters []Counter) error {
	if err := ValidateSettings(st); err != nil {
		return err
	}
	prefixes := map[string]string{}
	ids := map[string]bool{}
	for i, s := range services {
		if err := ValidateService(s); err != nil {
			return prefixField(fmt.Sprintf("services[%d]", i), err)
		}
		if ids[s.ID] {
			return invalid(fmt.Sprintf("services[%d].id", i), "%q is used twice", s.ID)
		}
		if other, ok := prefixes[s.Prefix]; ok {
			return invalid(fmt.Sprintf("services[%d].prefix", i), "%q is already used by %q", s.Prefix, other)
		}
		ids[s.ID], prefixes[s.Prefix] = true, s.ID
	}
	cids := map[string]bool{}
	for i, c := range counters {
		if err := ValidateCounter(c); err != nil {
			return prefixField(fmt.Sprintf("counters[%d]", i), err)
		}
		if cids[c.ID] {
			return invalid(fmt.Sprintf("counters[%d].id", i), "%q is used twice", c.ID)
		}
		cids[c.ID] = true
		for _, sid := range c.ServiceIDs {
			if !ids[sid] {
				return invalid(fmt.Sprintf("counters[%d].service_ids", i), "%q is not a service", sid)
			}
		}
	}
	return nil
}

// Seed configures a new branch in one commit: settings, services, counters.
func (e *Engine) Seed(st Settings, services []Service, counters []Counter) error {
	if err := ValidateSeed(st, services, counters); err != nil {
		return err
	}
	cal, _ := newCalendar(st)
	e.mu.Lock()
	if len(e.services) > 0 || len(e.counters) > 0 {
		e.mu.Unlock()
		return ErrExists
	}
	e.settings, e.cal = st, cal
	c := &Change{Settings: &st, Events: []Event{{Type: EventSettings, Actor: "config"}}}
	for i := range services {
		s := services[i]
		if s.Position == 0 {
			s.Position = i + 1
		}
		e.services[s.ID] = &s
		c.Services = append(c.Services, s)
	}
	e.sortServicesLocked()
	for i := range counters {
		ctr := counters[i]
		if ctr.ServiceIDs == nil {
			ctr.ServiceIDs = []string{}
		}
		e.counters[ctr.ID] = &ctr
		c.Counters = append(c.Counters, ctr)
	}
	if err := e.commitUnlock(c, "seed configuration"); err != nil {
		return err
	}
	return nil
}

func prefixField(prefix string, err error) error {
	if ve, ok := err.(*ValidationError); ok {
		return &ValidationError{Field: prefix + "." + ve.Field, Reason: ve.Reason}
	}
	return err
}

// normDates sorts closed dates and drops repeats, so the admin page and the
// kiosk read them in order.
func normDates(ds []string) []string {
	if len(ds) == 0 {
		return nil
	}
	out := append([]string(nil), ds...)
	sort.Strings(out)
	return slices.Compact(out)
}
