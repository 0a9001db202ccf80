package webhook

import (
	"encoding/json"
	"time"

	"queuebox/server/queue"
)

// DefaultTier is the tier of a ticket that has none (one from before tiers).
const DefaultTier = queue.DefaultTierID

// TicketTier is the tier a message names for t: its own, or the default.
func TicketTier(t queue.Ticket) string {
	if t.Tier != "" {
		return t.Tier
	}
	return DefaultTier
}

// The message types; ticket.* carry data.ticket, appointment.* data.appointment.
const (
	TypeIssued      = "ticket.issued"
	TypeCalled      = "ticket.called"
	TypeRecalled    = "ticket.recalled"
	TypeStarted     = "ticket.started"
	TypeFinished    = "ticket.finished"
	TypeNoShow      = "ticket.no_show"
	TypeCancelled   = "ticket.cancelled"
	TypeTransferred = "ticket.transferred"
	TypeParked      = "ticket.parked"
	TypeNearTurn    = "ticket.near_turn"
	// TypeExpired: the business day ended (or the branch sent the waiting
	// home at closing) before the ticket was served; final.
	TypeExpired = "ticket.expired"
	// TypePushedBack: a called customer did not come within the grace
	// time; the ticket waits again.
	TypePushedBack = "ticket.pushed_back"
	// TypeNoShowReverted: staff undid a no-show; the ticket waits again.
	TypeNoShowReverted = "ticket.no_show_reverted"
	TypeApptBooked     = "appointment.booked"
	TypeApptCancel     = "appointment.cancelled"
	TypeApptMoved      = "appointment.moved"
	TypeApptCheckin    = "appointment.checked_in"
	TypeApptNoShow     = "appointment.no_show"
	TypeApptNoShowUndo = "appointment.no_show_reverted"
	// TypeTest is what "send test event" sends.
	TypeTest = "webhook.test"
)

// Types lists every type a webhook may ask for (besides "*").
var Types = []string{TypeIssued, TypeCalled, TypeRecalled, TypeStarted, TypeFinished, TypeNoShow,
	TypeCancelled, TypeTransferred, TypeParked, TypeNearTurn, TypeExpired, TypePushedBack, TypeNoShowReverted,
	TypeApptBooked, TypeApptCancel, TypeApptMoved, TypeApptCheckin, TypeApptNoShow, TypeApptNoShowUndo}

// KnownType reports whether t is a type a webhook may ask for.
func KnownType(t string) bool {
	for _, k := range Types {
		if k == t {
			return true
		}
	}
	return false
}

var ticketTypes = map[string]string{
	queue.EventIssued:         TypeIssued,
	queue.EventCalled:         TypeCalled,
	queue.EventStarted:        TypeStarted,
	queue.EventFinished:       TypeFinished,
	queue.EventNoShow:         TypeNoShow,
	queue.EventCancelled:      TypeCancelled,
	queue.EventTransferred:    TypeTransferred,
	queue.EventParked:         TypeParked,
	queue.EventNearTurn:       TypeNearTurn,
	queue.EventExpired:        TypeExpired,
	queue.EventPushedBack:     TypePushedBack,
	queue.EventNoShowReverted: TypeNoShowReverted,
}

var apptTypes = map[string]string{
	queue.EventApptBooked:         TypeApptBooked,
	queue.EventApptCancelled:      TypeApptCancel,
	queue.EventApptCheckedIn:      TypeApptCheckin,
	queue.EventApptNoShow:         TypeApptNoShow,
	queue.EventApptMoved:          TypeApptMoved,
	queue.EventApptNoShowReverted: TypeApptNoShowUndo,
}

// Ticket is what a message tells of a ticket: never a phone number, a name,
// the staff's notes or the status page's token.
type Ticket struct {
	ID        string     `json:"id"`
	Number    string     `json:"number"`
	ServiceID string     `json:"service_id"`
	Tier      string     `json:"tier"`
	Status    string     `json:"status"`
	Priority  int        `json:"priority"`
	CounterID string     `json:"counter_id,omitempty"`
	IssuedAt  time.Time  `json:"issued_at"`
	CalledAt  *time.Time `json:"called_at,omitempty"`
	StartedAt *time.Time `json:"started_at,omitempty"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	Outcome   string     `json:"outcome,omitempty"`
	Recalls   int        `json:"recalls,omitempty"`
	// AppointmentID links the ticket of a checked-in appointment.
	AppointmentID string `json:"appointment_id,omitempty"`
}

// Appointment is what a message tells of an appointment: no name, phone
// number or booking code (the code is a key to the booking).
type Appointment struct {
	ID        string    `json:"id"`
	ServiceID string    `json:"service_id"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Status    string    `json:"status"`
	TicketID  string    `json:"ticket_id,omitempty"`
}

// Counter is the desk a ticket was called to.
type Counter struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Data is a message's data.
type Data struct {
	Ticket      *Ticket      `json:"ticket,omitempty"`
	Counter     *Counter     `json:"counter,omitempty"`
	FromService string       `json:"from_service_id,omitempty"`
	Appointment *Appointment `json:"appointment,omitempty"`
	// Ahead is the ticket's place for ticket.near_turn (0 = next).
	Ahead *int `json:"ahead,omitempty"`
	// WebhookID names the webhook a test message was sent to.
	WebhookID string `json:"webhook_id,omitempty"`
}

// Body is a message's JSON body.
type Body struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      Data      `json:"data"`
}

// ticketOf copies the fields a message may carry.
func ticketOf(t *queue.Ticket) *Ticket {
	return &Ticket{
		ID: t.ID, Number: t.Number, ServiceID: t.ServiceID, Tier: TicketTier(*t),
		Status: string(t.Status), Priority: t.Priority, CounterID: t.CounterID,
		IssuedAt: t.IssuedAt, CalledAt: t.CalledAt, StartedAt: t.StartedAt, EndedAt: t.EndedAt,
		Outcome: t.Outcome, Recalls: t.Recalls, AppointmentID: t.AppointmentID,
	}
}

// Message turns a committed event into a message, or ok=false for events
// webhooks do not carry (configuration changes, staff notes).
func Message(ev queue.Event) (b Body, ok bool) {
	b.Timestamp = ev.At
	if typ, found := ticketTypes[ev.Type]; found && ev.Ticket != nil {
		b.Type = typ
		b.Data.Ticket = ticketOf(ev.Ticket)
		switch ev.Type {
		case queue.EventCalled:
			if ev.Recall {
				b.Type = TypeRecalled
			}
			if ev.Counter != nil {
				b.Data.Counter = &Counter{ID: ev.Counter.ID, Name: ev.Counter.Name}
			}
		case queue.EventTransferred:
			b.Data.FromService = ev.From
		case queue.EventNearTurn:
			b.Data.Ahead = ev.Ahead
		}
		return b, true
	}
	if typ, found := apptTypes[ev.Type]; found && ev.Appointment != nil {
		a := ev.Appointment
		b.Type = typ
		b.Data.Appointment = &Appointment{ID: a.ID, ServiceID: a.ServiceID, Start: a.Start, End: a.End, Status: a.Status, TicketID: a.TicketID}
		return b, true
	}
	return b, false
}

func encode(b Body) []byte {
	raw, _ := json.Marshal(b) // only plain fields: cannot fail
	return raw
}
