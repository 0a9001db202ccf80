// Package queue is the domain of queuebox: services, counters, tickets, the
// ticket state machine, daily numbering, the routing policy and the wait
// estimate. It is pure Go: time comes from a Clock and persistence goes through
// the small Store interface declared here, so every rule can be tested alone.
package queue

import (
	"regexp"
	"time"
)

// Clock tells the engine what time it is; tests pass a fake one.
type Clock interface {
	Now() time.Time
}

// Status is where a ticket is in its life.
type Status string

// The ticket states. waiting → called → serving → done is the happy path.
const (
	StatusWaiting   Status = "waiting"
	StatusCalled    Status = "called"
	StatusServing   Status = "serving"
	StatusDone      Status = "done"
	StatusNoShow    Status = "no_show"
	StatusCancelled Status = "cancelled"
	// StatusParked is a ticket put aside at a counter to be called back
	// later by number (an extension of the contract's states).
	StatusParked Status = "parked"
	// StatusExpired is a ticket its business day ended on before it was
	// served: it is never called on a later day.
	StatusExpired Status = "expired"
)

// Active reports whether a ticket in this state still needs attention.
func (s Status) Active() bool {
	return s == StatusWaiting || s == StatusCalled || s == StatusServing || s == StatusParked
}

// Priority levels. Higher is called earlier by the routing policy.
const (
	PriorityNormal = 0
	PriorityMax    = 9
)

// IDPattern is the shape of admin-chosen ids (services, counters).
var IDPattern = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)

// Service is a kind of business customers queue for.
type Service struct {
	ID                string            `json:"id"`
	Prefix            string            `json:"prefix"`
	Name              string            `json:"name"`
	Names             map[string]string `json:"names,omitempty"`
	AvgServiceSeconds int               `json:"avg_service_seconds"`
	SlotMinutes       int               `json:"slot_minutes"`
	SlotCapacity      int               `json:"slot_capacity"`
	// Position orders services on the kiosk and lists; 0 on create means last.
	Position int `json:"position"`
	// Priority is the level of tickets the kiosk issues for this service
	// (e.g. a "Seniors" service at level 1).
	Priority int `json:"priority"`
	// Guide is what staff should check or do for this service, shown when
	// one of its tickets is called.
	Guide string `json:"guide,omitempty"`
	// OutcomeCodes are the results staff pick from when finishing.
	OutcomeCodes []string `json:"outcome_codes,omitempty"`
	// OutcomeLabels words each outcome code for people, per language:
	// code → language → label ("account_opened" → "zh" → "已开户"). A code
	// without a label is shown as it is.
	OutcomeLabels map[string]map[string]string `json:"outcome_labels,omitempty"`
}

// Bookable reports whether customers may book appointments for s.
func (s Service) Bookable() bool { return s.SlotMinutes > 0 && s.SlotCapacity > 0 }

// Counter is a desk where staff serve some services.
type Counter struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Names are the counter's name per language, like a service's
	// ("zh": "3 号窗口"): the lobby display and the phone say it in the
	// customer's language.
	Names      map[string]string `json:"names,omitempty"`
	ServiceIDs []string          `json:"service_ids"`
	Paused     bool              `json:"paused"`
	// Schedule is the counter's planned working hours per weekday (mon..sun
	// to "HH:MM-HH:MM" ranges, comma separated; breaks are the gaps; "" is
	// off that day). Empty means "open whenever not paused". The wait
	// estimate uses it to know who will be working in the next hours;
	// pausing stays for the unplanned.
	Schedule map[string]string `json:"schedule,omitempty"`
}

// Serves reports whether c serves serviceID.
func (c *Counter) Serves(serviceID string) bool {
	for _, id := range c.ServiceIDs {
		if id == serviceID {
			return true
		}
	}
	return false
}

// Settings are the branch-wide rules.
type Settings struct {
	BranchName string `json:"branch_name"`
	Timezone   string `json:"timezone"`
	// Hours maps mon..sun to "HH:MM-HH:MM" ranges, comma separated; "" is closed.
	Hours map[string]string `json:"hours"`
	// ClosedDates are local dates ("2026-12-25") the branch is closed
	// whatever the weekly hours say: holidays. No tickets, no slots.
	ClosedDates []string `json:"closed_dates,omitempty"`
	// MaxWaitMinutes is the anti-starvation cap: a ticket that has waited
	// longer is called first whatever its level. 0 disables the cap.
	MaxWaitMinutes int `json:"max_wait_minutes"`
	// An appointment checks in from CheckinEarlyMinutes before its slot to
	// CheckinLateMinutes after it; later it becomes a no-show.
	CheckinEarlyMinutes int `json:"checkin_early_minutes"`
	CheckinLateMinutes  int `json:"checkin_late_minutes"`
	// PriorityWeights turns strict priority into a weighted rotation between
	// levels: index = level, value = calls per round (e.g. [1, 1, 2]).
	// Empty means strict priority: the highest level always goes first.
	PriorityWeights []int `json:"priority_weights"`

	// TicketsPerPhonePerDay caps the tickets one phone number may take in a
	// business day (0: no cap).
	TicketsPerPhonePerDay int `json:"tickets_per_phone_per_day"`
	// The no-show chain: a called ticket not started within GraceSeconds is
	// put back PushBackPlaces places and called again when its turn comes;
	// after MaxRecalls such returns it becomes a no-show (0: off).
	GraceSeconds   int `json:"grace_seconds"`
	PushBackPlaces int `json:"push_back_places"`
	MaxRecalls     int `json:"max_recalls"`
	// Booking rights: NoShowLimit no-shows within NoShowWindowDays pause
	// online booking for BookingBlockDays (0: off). Walk-ins stay welcome.
	NoShowLimit      int `json:"no_show_limit"`
	NoShowWindowDays int `json:"no_show_window_days"`
	BookingBlockDays int `json:"booking_block_days"`
	// RetentionMonths deletes customers not seen for that long (0: keep).
	RetentionMonths int `json:"retention_months"`
	// AppointmentHoldMinutes plans ahead for booked slots: a desk that
	// serves a bookable service does not start a walk-in that would still
	// be running when a slot due within this many minutes needs it, and a
	// checked-in appointment due within it is called before such a walk-in.
	// 0 turns planning off. The walk-ins' max-wait cap always goes first.
	AppointmentHoldMinutes int `json:"appointment_hold_minutes"`
	// IssuingStoppedOn is the business date on which the manager stopped
	// issuing tickets (closing the day); set only through StopIssuing.
	IssuingStoppedOn string `json:"issuing_stopped_on,omitempty"`
	// NearTurnPlace: a waiting ticket that moves up to this place in its
	// service's queue (1 = next) gets a near_turn event, once; 0 turns it off.
	NearTurnPlace int `json:"near_turn_place"`
	// SpecialDays overrides Hours on given local dates (YYYY-MM-DD): a
	// holiday is "" (closed), a short day "09:00-12:00". The kiosk, the
	// booking page's slots and the open/closed state all follow it.
	SpecialDays map[string]string `json:"special_days,omitempty"`
	// Notice is a short text the lobby display shows ("Counter 3 closed for
	// lunch"), until NoticeUntil if set; "" shows none.
	Notice      string     `json:"notice,omitempty"`
	NoticeUntil *time.Time `json:"notice_until,omitempty"`
}

// Ticket is one customer's place in a queue.
type Ticket struct {
	ID        string    `json:"id"`
	Number    string    `json:"number"`
	ServiceID string    `json:"service_id"`
	Status    Status    `json:"status"`
	Priority  int       `json:"priority"`
	Token     string    `json:"token"`
	Date      string    `json:"date"` // local business date it was issued on
	IssuedAt  time.Time `json:"issued_at"`
	// IssuedRun is the box's running time when the ticket was issued: waits
	// are measured on it, so a wall clock that is set never makes them
	// negative or leap.
	IssuedRun  time.Duration `json:"issued_run_ns"`
	CalledAt   *time.Time    `json:"called_at"`
	StartedAt  *time.Time    `json:"started_at,omitempty"`
	EndedAt    *time.Time    `json:"ended_at,omitempty"`
	CounterID  string        `json:"counter_id"`
	CallReason string        `json:"call_reason"`
	// CallReasonCode and CallReasonArgs say CallReason as one of the
	// Reason* codes and its parameters, for pages in other languages.
	CallReasonCode string      `json:"call_reason_code,omitempty"`
	CallReasonArgs *ReasonArgs `json:"call_reason_args,omitempty"`
	Recalls        int         `json:"recalls,omitempty"`
	Transfers      []string    `json:"transfers,omitempty"` // services it came from, oldest first
	Source         string      `json:"source,omitempty"`    // who issued it: "device:ID" or "user:NAME"
	// AppointmentID and AppointmentAt are set for the ticket of a checked-in appointment.
	AppointmentID string     `json:"appointment_id,omitempty"`
	AppointmentAt *time.Time `json:"appointment_at,omitempty"`
	ParkedAt      *time.Time `json:"parked_at,omitempty"`
	Notes         string     `json:"notes,omitempty"`
	Outcome       string     `json:"outcome,omitempty"`
	// CustomerID links the ticket to a known customer (an opaque id: no
	// phone or name ever travels with a ticket). Tier is the customer's
	// tier at issue; anonymous tickets get the default tier.
	CustomerID string `json:"customer_id,omitempty"`
	Tier       string `json:"tier"`
	// PushBacks counts the returns to the queue after a missed call;
	// HoldCalls is how many other calls it still lets go first.
	PushBacks int `json:"push_backs,omitempty"`
	HoldCalls int `json:"hold_calls,omitempty"`
	// Rating (1..5) and Comment are the customer's feedback on a done ticket.
	Rating  int    `json:"rating,omitempty"`
	Comment string `json:"comment,omitempty"`
	// Promise is the wait the ticket was shown when it was issued, kept to
	// measure the estimate's accuracy.
	Promise *Promise `json:"promise,omitempty"`
	// NearTurnAt is when the ticket came within the near-turn place.
	NearTurnAt *time.Time `json:"near_turn_at,omitempty"`
}

// Promise is a wait estimate as shown: a point and the range around it.
type Promise struct {
	WaitSeconds int `json:"wait_seconds"`
	LowSeconds  int `json:"low_seconds"`
	HighSeconds int `json:"high_seconds"`
	// ModelSeconds is the replay's own figure before the learned correction,
	// SpreadSeconds how uncertain the replay found it (a standard
	// deviation); the estimator learns its errors from them.
	ModelSeconds  int `json:"model_seconds"`
	SpreadSeconds int `json:"spread_seconds,omitempty"`
}

// TicketView is a ticket with the figures computed from the live queue.
type TicketView struct {
	Ticket
	Ahead      int `json:"ahead"`
	EWTSeconds int `json:"ewt_seconds"`
	// EWTLowSeconds and EWTHighSeconds are the range the wait should fall in.
	EWTLowSeconds  int `json:"ewt_low_seconds"`
	EWTHighSeconds int `json:"ewt_high_seconds"`
}

// ServiceView is a service with its live figures.
type ServiceView struct {
	Service
	Waiting        int `json:"waiting"`
	EWTSeconds     int `json:"ewt_seconds"`
	EWTLowSeconds  int `json:"ewt_low_seconds"`
	EWTHighSeconds int `json:"ewt_high_seconds"`
}

// StatusView is what the phone status page may show: no personal data.
type StatusView struct {
	Number       string            `json:"number"`
	ServiceID    string            `json:"service_id"`
	ServiceName  string            `json:"service_name"`
	ServiceNames map[string]string `json:"service_names,omitempty"`
	Status       Status            `json:"status"`
	Ahead        int               `json:"ahead"`
	EWTSeconds   int               `json:"ewt_seconds"`
	EWTLow       int               `json:"ewt_low_seconds"`
	EWTHigh      int               `json:"ewt_high_seconds"`
	CounterName  string            `json:"counter_name"`
	CounterNames map[string]string `json:"counter_names,omitempty"`
	// CalledAt and Recalls let the phone buzz again on a recall.
	CalledAt *time.Time `json:"called_at,omitempty"`
	Recalls  int        `json:"recalls,omitempty"`
	// PushBacks counts the missed calls that put the ticket back in the
	// queue (the no-show chain): the phone says why it waits again.
	PushBacks int `json:"push_backs,omitempty"`
	// Tier and TierName greet a known customer of a better tier (never
	// their phone or name).
	Tier      string            `json:"tier,omitempty"`
	TierName  string            `json:"tier_name,omitempty"`
	TierNames map[string]string `json:"tier_names,omitempty"`
	// Rated is true once the customer gave feedback on this ticket.
	Rated bool `json:"rated,omitempty"`
}

// Event types appended to the branch event log.
const (
	EventIssued      = "issued"
	EventCalled      = "called"
	EventStarted     = "started"
	EventFinished    = "finished"
	EventNoShow      = "no_show"
	EventCancelled   = "cancelled"
	EventTransferred = "transferred"
	EventParked      = "parked"
	EventNoted       = "noted"
	EventService     = "service_changed"
	EventCounter     = "counter_changed"
	EventSettings    = "settings_changed"
	EventTiers       = "tiers_changed"
	EventPushedBack  = "pushed_back"
	EventRated       = "rated"
	// EventNearTurn: a waiting ticket moved up to the near-turn place
	// (Settings.NearTurnPlace); Event.Ahead says how many are before it.
	EventNearTurn = "near_turn"

	EventApptBooked    = "appointment_booked"
	EventApptCancelled = "appointment_cancelled"
	EventApptMoved     = "appointment_moved"
	EventApptCheckedIn = "appointment_checked_in"
	EventApptNoShow    = "appointment_no_show"
	// EventApptNoShowReverted undoes a no-show: made on a wrong clock, or
	// excused by staff.
	EventApptNoShowReverted = "appointment_no_show_reverted"

	// EventExpired closes a ticket its business day ended on.
	EventExpired = "expired"
	// EventNoShowReverted puts a ticket marked no-show back in its place.
	EventNoShowReverted = "no_show_reverted"
	// Clock events: the box's trust in its wall clock changed, an admin
	// confirmed it, or it was stepped (set) against the monotonic clock.
	EventClockUntrusted = "clock_untrusted"
	EventClockTrusted   = "clock_trusted"
	EventClockConfirmed = "clock_confirmed"
	EventClockStepped   = "clock_stepped"
)

// Event is one change of the branch. Seq rises by one per event, branch-wide;
// the live push, analytics and audit all read this log.
type Event struct {
	Seq     uint64    `json:"seq"`
	Type    string    `json:"type"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor,omitempty"`
	Ticket  *Ticket   `json:"ticket,omitempty"`
	Counter *Counter  `json:"counter,omitempty"`
	Service *Service  `json:"service,omitempty"`
	Recall  bool      `json:"recall,omitempty"`
	Deleted bool      `json:"deleted,omitempty"`
	From    string    `json:"from,omitempty"` // previous service of a transfer
	Ahead   *int      `json:"ahead,omitempty"`
	// Appointment carries no name or phone.
	Appointment *Appointment `json:"appointment,omitempty"`
	// Clock is the box's view of its clock, on clock events.
	Clock *ClockState `json:"clock,omitempty"`
}
