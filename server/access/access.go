// Package access holds who may do what at the box: the roles of users, the
// kinds of paired devices, sessions, and the rules over them (password
// policy, the last admin, who may change whom, when sessions end). It is
// pure: no HTTP, no storage, no wall clock (times are passed in). The HTTP
// edge in package server applies these rules and turns their refusals into
// the API's error catalogue.
package access

import (
	"fmt"
)

// Invalid is a request whose field breaks a rule; the API answers 400.
type Invalid struct {
	Field string // the field to fix, as the API names it
	Msg   string // what is wrong, starting with the field's name
}

func (e *Invalid) Error() string { return e.Msg }

// Refused is a request the caller's role may not make; the API answers 403.
type Refused struct {
	Msg string
}

func (e *Refused) Error() string { return e.Msg }

func invalid(field, format string, args ...any) *Invalid {
	return &Invalid{Field: field, Msg: fmt.Sprintf(format, args...)}
}
