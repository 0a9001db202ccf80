package queue

import (
	"errors"
	"strings"
	"unicode"
)

// Feedback errors.
var (
	ErrNotDone      = errors.New("the ticket is not done yet")
	ErrAlreadyRated = errors.New("the ticket was already rated")
)

// MaxCommentRunes bounds a customer's comment.
const MaxCommentRunes = 500

// Rate keeps a customer's rating (1..5) and optional comment of a done
// ticket, once. The ticket is found by its status token: only the customer
// holding the ticket can rate it.
func (e *Engine) Rate(token string, rating int, comment string) error {
	if rating < 1 || rating > 5 {
		return invalid("rating", "must be a whole number from 1 to 5")
	}
	comment, err := cleanComment(comment)
	if err != nil {
		return err
	}
	e.mu.Lock()
	if _, ok := e.byToken[token]; ok {
		e.mu.Unlock()
		return ErrNotDone
	}
	if e.rating[token] {
		e.mu.Unlock()
		return ErrAlreadyRated
	}
	// Claimed under the lock: a second rating sent at the same moment sees
	// this one even before it reaches the disk.
	if e.rating == nil {
		e.rating = map[string]bool{}
	}
	e.rating[token] = true
	e.mu.Unlock()
	release := func() {
		e.mu.Lock()
		delete(e.rating, token)
		e.mu.Unlock()
	}
	defer release()

	t, err := e.store.TicketByToken(token)
	if err != nil {
		return err
	}
	switch {
	case t.Status != StatusDone:
		return ErrNotDone
	case t.Rating > 0:
		return ErrAlreadyRated
	}
	t.Rating, t.Comment = rating, comment
	e.mu.Lock()
	if err := e.commitUnlock(&Change{Tickets: []Ticket{t}, Events: []Event{{Type: EventRated, Actor: "customer", Ticket: copyTicket(&t)}}}, "rate ticket"); err != nil {
		return err
	}
	return nil
}

// cleanComment allows newlines but no other control, bidi or zero-width
// characters: the comment is shown to the manager as plain text.
func cleanComment(s string) (string, error) {
	s = strings.TrimSpace(s)
	n := 0
	for _, r := range s {
		n++
		if r == '\n' {
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", invalid("comment", "must not hold control, bidi or zero-width characters")
		}
	}
	if n > MaxCommentRunes {
		return "", invalid("comment", "must be at most %d characters", MaxCommentRunes)
	}
	return s, nil
}
