package queue

import (
	"errors"
	"fmt"
)

// Domain errors. The HTTP layer maps each to one entry of its error catalogue.
var (
	ErrServiceNotFound = errors.New("unknown service")
	ErrCounterNotFound = errors.New("unknown counter")
	ErrTicketNotFound  = errors.New("unknown ticket")
	ErrClosed          = errors.New("the branch is closed now")
	ErrNotWaiting      = errors.New("the ticket is not waiting")
	ErrNotCalled       = errors.New("the ticket has not been called")
	ErrNotServing      = errors.New("the ticket is not being served")
	ErrNotCancellable  = errors.New("only a waiting or called ticket can be cancelled")
	ErrNotTransferable = errors.New("only a waiting, called or serving ticket can be transferred")
	ErrSameService     = errors.New("the ticket is already in that service")
	ErrHasWaiting      = errors.New("tickets are still waiting for this service")
	ErrExists          = errors.New("the id is already taken")
	ErrCounterPaused   = errors.New("the counter is paused")
	ErrTicketClosed    = errors.New("the ticket is finished")
	ErrNotParkable     = errors.New("only a called or serving ticket can be parked")
	ErrNotCallable     = errors.New("only a waiting or parked ticket can be called by number")
)

// ValidationError names the field that is wrong and why.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
