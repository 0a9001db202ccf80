package webhook

import (
	"testing"
	"time"

	"queuebox/server/queue"
)

// Every change of a ticket's or a booking's state reaches a webhook: a CRM
// that mirrors tickets must learn that one expired at the day's end, went
// back to waiting, or that a booking moved, or it keeps a stale state forever.
func TestEveryStateChangeIsAMessage(t *testing.T) {
	tk := &queue.Ticket{ID: "1", Number: "A001", ServiceID: "general", Status: queue.StatusWaiting}
	ap := &queue.Appointment{ID: "7", ServiceID: "advice", Start: time.Now(), End: time.Now(), Status: "booked"}
	for _, tt := range []struct {
		event, want string
	}{
		{queue.EventIssued, TypeIssued}, {queue.EventCalled, TypeCalled}, {queue.EventStarted, TypeStarted},
		{queue.EventFinished, TypeFinished}, {queue.EventNoShow, TypeNoShow}, {queue.EventCancelled, TypeCancelled},
		{queue.EventTransferred, TypeTransferred}, {queue.EventParked, TypeParked}, {queue.EventNearTurn, TypeNearTurn},
		{queue.EventExpired, "ticket.expired"}, {queue.EventPushedBack, "ticket.pushed_back"},
		{queue.EventNoShowReverted, "ticket.no_show_reverted"},
		{queue.EventApptBooked, TypeApptBooked}, {queue.EventApptCancelled, TypeApptCancel},
		{queue.EventApptMoved, "appointment.moved"}, {queue.EventApptCheckedIn, TypeApptCheckin},
		{queue.EventApptNoShow, TypeApptNoShow}, {queue.EventApptNoShowReverted, "appointment.no_show_reverted"},
	} {
		b, ok := Message(queue.Event{Type: tt.event, Ticket: tk, Appointment: ap})
		if !ok || b.Type != tt.want {
			t.Errorf("event %s: message %q (ok %v), want %q", tt.event, b.Type, ok, tt.want)
		}
		if !KnownType(tt.want) {
			t.Errorf("%s is not a type a webhook may ask for", tt.want)
		}
	}
}
