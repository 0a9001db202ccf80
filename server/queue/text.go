package queue

import (
	"unicode"
	"unicode/utf8"
)

// What people type is shown on the kiosk, the lobby display, printed
// tickets, staff screens and logs. A control character, a bidirectional
// override or an invisible character in a name can reorder, hide or forge
// what others read there (and a line break can add a line to a ticket or a
// log), so names refuse them all; notes may hold line breaks and nothing
// else of the kind.

// NameProblem says what is wrong with s as a one-line name, "" if nothing.
func NameProblem(s string) string {
	return textProblem(s, false)
}

// NotesProblem is NameProblem for free text of several lines: it allows
// line breaks (\n).
func NotesProblem(s string) string {
	return textProblem(s, true)
}

func textProblem(s string, lines bool) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8 text"
	}
	for _, r := range s {
		switch {
		case r == '\n' && lines:
		case unicode.IsControl(r), r == '\u2028', r == '\u2029':
			if lines {
				return "must not hold control characters other than line breaks"
			}
			return "must not hold control characters such as line breaks or tabs"
		case unicode.In(r, unicode.Bidi_Control):
			return "must not hold bidirectional control characters (such as U+202E)"
		case unicode.Is(unicode.Cf, r), unicode.In(r, unicode.Other_Default_Ignorable_Code_Point):
			// Cf holds the zero-width characters (U+200B…U+200D, U+2060,
			// U+FEFF) and the soft hyphen.
			return "must not hold zero-width or invisible characters"
		}
	}
	return ""
}

// checkName is NameProblem as a ValidationError for field.
func checkName(field, s string) error {
	if p := NameProblem(s); p != "" {
		return invalid(field, "%s", p)
	}
	return nil
}
