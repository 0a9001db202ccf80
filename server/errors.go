package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"queuebox/server/access"
	"queuebox/server/queue"
	"queuebox/server/store"
)

// APIError is one entry of the catalogue: every error the API answers with.
type APIError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// with returns a copy of e with a more specific message.
func (e *APIError) with(format string, args ...any) *APIError {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	return &c
}

// answerNaming answers e with the id of the record the request met, as the
// contract's 409 for a duplicate does: {"error":{"code","message","id"}}.
func answerNaming(c echo.Context, e *APIError, id string) error {
	return c.JSON(e.Status, map[string]any{"error": map[string]string{"code": e.Code, "message": e.Message, "id": id}})
}

// The catalogue. Codes are part of the API contract: never rename one.
var (
	errInvalid          = &APIError{http.StatusBadRequest, "invalid", "a field is not valid"}
	errBadJSON          = &APIError{http.StatusBadRequest, "bad_json", "the body is not valid JSON"}
	errUnauthenticated  = &APIError{http.StatusUnauthorized, "unauthenticated", "log in first"}
	errBadCredentials   = &APIError{http.StatusUnauthorized, "bad_credentials", "wrong username or password"}
	errBadDeviceToken   = &APIError{http.StatusUnauthorized, "bad_device_token", "this device is not paired or was revoked"}
	errForbidden        = &APIError{http.StatusForbidden, "forbidden", "your role may not do this"}
	errWrongPassword    = &APIError{http.StatusForbidden, "wrong_password", "the current password is wrong"}
	errBadOrigin        = &APIError{http.StatusForbidden, "bad_origin", "the request came from another site"}
	errNotFound         = &APIError{http.StatusNotFound, "not_found", "no such page or route"}
	errUnknownService   = &APIError{http.StatusNotFound, "unknown_service", "no service with that id"}
	errUnknownCounter   = &APIError{http.StatusNotFound, "unknown_counter", "no counter with that id"}
	errUnknownTicket    = &APIError{http.StatusNotFound, "unknown_ticket", "no ticket with that id or token"}
	errUnknownUser      = &APIError{http.StatusNotFound, "unknown_user", "no user with that name"}
	errUnknownDevice    = &APIError{http.StatusNotFound, "unknown_device", "no device with that id"}
	errUnknownCustomer  = &APIError{Status: http.StatusNotFound, Code: "unknown_customer", Message: "no customer with that id"}
	errTicketLimit      = &APIError{Status: http.StatusConflict, Code: "ticket_limit", Message: "this phone number already took the most tickets allowed today"}
	errBookingBlocked   = &APIError{Status: http.StatusConflict, Code: "booking_blocked", Message: "online booking is paused for this phone number; walk-in tickets are always welcome"}
	errUnknownWebhook   = &APIError{http.StatusNotFound, "unknown_webhook", "no webhook with that id"}
	errWebhookExists    = &APIError{http.StatusConflict, "webhook_exists", "a webhook for that URL is already added"}
	errMethodNotAllowed = &APIError{http.StatusMethodNotAllowed, "method_not_allowed", "this route does not take that method"}
	errClosed           = &APIError{http.StatusConflict, "closed", "the branch is closed now"}
	errNotWaiting       = &APIError{http.StatusConflict, "not_waiting", "the ticket is not waiting"}
	errNotCalled        = &APIError{http.StatusConflict, "not_called", "the ticket has not been called"}
	errNotServing       = &APIError{http.StatusConflict, "not_serving", "the ticket is not being served; start it first"}
	errNotCancellable   = &APIError{http.StatusConflict, "not_cancellable", "only a waiting or called ticket can be cancelled"}
	errNotTransferable  = &APIError{http.StatusConflict, "not_transferable", "only a waiting, called or serving ticket can be transferred"}
	errSameService      = &APIError{http.StatusConflict, "same_service", "the ticket already waits in that service"}
	errHasWaiting       = &APIError{http.StatusConflict, "has_waiting", "tickets are still waiting for this service"}
	errExists           = &APIError{http.StatusConflict, "exists", "that id is already taken"}
	errCounterPaused    = &APIError{http.StatusConflict, "counter_paused", "the counter is paused; resume it first"}
	errTicketClosed     = &APIError{http.StatusConflict, "ticket_closed", "the ticket is finished and can no longer change"}
	errNotParkable      = &APIError{http.StatusConflict, "not_parkable", "only a called or serving ticket can be parked"}
	errNotCallable      = &APIError{http.StatusConflict, "not_callable", "only a waiting or parked ticket can be called by number"}
	errLastAdmin        = &APIError{http.StatusConflict, "last_admin", "the last active admin cannot be disabled or demoted"}
	errUnknownCode      = &APIError{http.StatusNotFound, "unknown_code", "no appointment with that code (and phone number)"}
	errNotBookable      = &APIError{http.StatusConflict, "not_bookable", "this service cannot be booked"}
	errSlotFull         = &APIError{http.StatusConflict, "slot_full", "this slot is fully booked; pick another"}
	errBookingLimit     = &APIError{http.StatusConflict, "booking_limit", "this phone number already holds the most upcoming bookings allowed"}
	errTooEarly         = &APIError{http.StatusConflict, "too_early", "it is too early to check in"}
	errTooLate          = &APIError{http.StatusConflict, "too_late", "the check-in time of this appointment has passed"}
	errAlreadyCheckedIn = &APIError{http.StatusConflict, "already_checked_in", "this appointment is already checked in"}
	errApptCancelled    = &APIError{http.StatusConflict, "appointment_cancelled", "this appointment was cancelled"}
	errApptNotBooked    = &APIError{http.StatusConflict, "not_cancellable", "only a booked appointment can be cancelled"}
	errApptNotMovable   = &APIError{http.StatusConflict, "not_movable", "only a booked appointment can be moved"}
	errNotDone          = &APIError{http.StatusConflict, "not_done", "the ticket is not done yet; rate it once it is"}
	errAlreadyRated     = &APIError{http.StatusConflict, "already_rated", "this ticket was already rated; thank you"}
	errIssuingStopped   = &APIError{http.StatusConflict, "issuing_stopped", "the branch has stopped issuing tickets for today"}
	errTooLarge         = &APIError{http.StatusRequestEntityTooLarge, "too_large", "the request body is too large"}
	errUnsupportedMedia = &APIError{http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as application/json"}
	errClockUntrusted   = &APIError{http.StatusConflict, "clock_untrusted", "the box's clock seems wrong; new numbers wait until it is set right or an admin confirms it"}
	errClockBeforeBuild = &APIError{http.StatusConflict, "clock_before_build", "the box's clock reads a date before this software was built; set the clock first"}
	errNotNoShow        = &APIError{http.StatusConflict, "not_no_show", "only a no-show can be reverted"}
	errRateLimited      = &APIError{http.StatusTooManyRequests, "rate_limited", "too many attempts; wait a minute and try again"}
	errRequestTimeout   = &APIError{http.StatusRequestTimeout, "request_timeout", "the request did not arrive in time; send it again"}
	// A full or read-only disk is a state of the box, not a bug: a clear 409
	// that says nothing was changed, never a 5xx.
	errStorage  = &APIError{http.StatusConflict, "storage_unavailable", "the box could not save this (its disk is full or not writable); nothing was changed — please tell the staff"}
	errInternal = &APIError{http.StatusInternalServerError, "internal", "something went wrong on the box"}
)

// domainErrors maps the queue's errors to the catalogue.
var domainErrors = []struct {
	err error
	api *APIError
}{
	{queue.ErrServiceNotFound, errUnknownService},
	{queue.ErrCounterNotFound, errUnknownCounter},
	{queue.ErrTicketNotFound, errUnknownTicket},
	{queue.ErrClosed, errClosed},
	{queue.ErrNotWaiting, errNotWaiting},
	{queue.ErrNotCalled, errNotCalled},
	{queue.ErrNotServing, errNotServing},
	{queue.ErrNotCancellable, errNotCancellable},
	{queue.ErrNotTransferable, errNotTransferable},
	{queue.ErrSameService, errSameService},
	{queue.ErrHasWaiting, errHasWaiting},
	{queue.ErrExists, errExists},
	{queue.ErrCounterPaused, errCounterPaused},
	{queue.ErrStorage, errStorage},
	{queue.ErrNotParkable, errNotParkable},
	{queue.ErrTicketClosed, errTicketClosed},
	{queue.ErrNotCallable, errNotCallable},
	{queue.ErrUnknownCode, errUnknownCode},
	{queue.ErrNotBookable, errNotBookable},
	{queue.ErrSlotFull, errSlotFull},
	{queue.ErrBookingLimit, errBookingLimit},
	{queue.ErrTooLate, errTooLate},
	{queue.ErrAlreadyCheckedIn, errAlreadyCheckedIn},
	{queue.ErrApptCancelled, errApptCancelled},
	{queue.ErrNotCancellableApp, errApptNotBooked},
	{queue.ErrClockUntrusted, errClockUntrusted},
	{queue.ErrClockBeforeBuild, errClockBeforeBuild},
	{queue.ErrNotNoShow, errNotNoShow},
	{queue.ErrNotMovable, errApptNotMovable},
	{queue.ErrNotDone, errNotDone},
	{queue.ErrAlreadyRated, errAlreadyRated},
	{queue.ErrIssuingStopped, errIssuingStopped},
	{access.ErrLastAdmin, errLastAdmin},
}

// toAPIError finds the catalogue entry for any error a handler returns.
func toAPIError(err error) *APIError {
	var api *APIError
	if errors.As(err, &api) {
		return api
	}
	var early *queue.TooEarlyError
	if errors.As(err, &early) {
		if early.Date != "" {
			return errTooEarly.with("too early to check in: come back on %s after %s", early.Date, early.Local)
		}
		return errTooEarly.with("too early to check in: come back after %s", early.Local)
	}
	var checkedIn *queue.CheckedInError
	if errors.As(err, &checkedIn) {
		return errAlreadyCheckedIn.with("this appointment is already checked in as %s", checkedIn.Number)
	}
	var ve *queue.ValidationError
	if errors.As(err, &ve) {
		return errInvalid.with("%s %s", ve.Field, ve.Reason)
	}
	var inv *access.Invalid
	if errors.As(err, &inv) {
		return errInvalid.with("%s", inv.Msg)
	}
	var refused *access.Refused
	if errors.As(err, &refused) {
		return errForbidden.with("%s", refused.Msg)
	}
	for _, m := range domainErrors {
		if errors.Is(err, m.err) {
			return m.api
		}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return errNotFound
		case http.StatusMethodNotAllowed:
			return errMethodNotAllowed
		case http.StatusRequestEntityTooLarge:
			return errTooLarge
		case http.StatusUnsupportedMediaType:
			return errUnsupportedMedia
		case http.StatusUnauthorized:
			return errUnauthenticated
		case http.StatusForbidden:
			return errForbidden
		case http.StatusTooManyRequests:
			return errRateLimited
		}
		if he.Code >= 400 && he.Code < 500 {
			return &APIError{Status: he.Code, Code: "bad_request", Message: fmt.Sprint(he.Message)}
		}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return errBadJSON
	}
	if errors.Is(err, store.ErrCorrupted) || errors.Is(err, store.ErrWrite) {
		return errStorage
	}
	return errInternal
}

// errorHandler writes every error as {"error":{"code","message"}}.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		api := toAPIError(err)
		switch {
		case api.Status >= 500:
			log.Error("request failed", "route", c.Path(), "method", c.Request().Method, "err", err)
		case api.Code == errStorage.Code:
			// The caller can do nothing about the box's disk; whoever runs
			// the box must hear of it.
			log.Warn("could not save", "route", c.Path(), "method", c.Request().Method, "err", err)
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(api.Status)
			return
		}
		_ = c.JSON(api.Status, map[string]*APIError{"error": api})
	}
}
