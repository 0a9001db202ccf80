package queue

import "testing"

func TestNameAndNotesProblems(t *testing.T) {
	for _, tt := range []struct {
		text        string
		name, notes bool // acceptable as a name, as notes
	}{
		{"Counter 1", true, true},
		{"综合业务 · Général 🏦", true, true},
		{"עברית and English", true, true}, // right-to-left script itself is fine
		{"line\nbreak", false, true},
		{"carriage\rreturn", false, false},
		{"tab\there", false, false},
		{"bell\a", false, false},
		{"del\x7f", false, false},
		{"c1 control \u0085", false, false},
		{"override \u202e", false, false},
		{"embedding \u202a", false, false},
		{"isolate \u2067x\u2069", false, false},
		{"mark \u200f", false, false},
		{"arabic mark \u061c", false, false},
		{"zero\u200bwidth", false, false},
		{"joiner\u200d", false, false},
		{"word\u2060joiner", false, false},
		{"\ufeffbom", false, false},
		{"soft\u00adhyphen", false, false},
		{"line\u2028separator", false, false},
		{"bad utf-8 \xff", false, false},
	} {
		if got := NameProblem(tt.text) == ""; got != tt.name {
			t.Errorf("NameProblem(%q) accepts: %v, want %v", tt.text, got, tt.name)
		}
		if got := NotesProblem(tt.text) == ""; got != tt.notes {
			t.Errorf("NotesProblem(%q) accepts: %v, want %v", tt.text, got, tt.notes)
		}
	}
}

func FuzzNameProblem(f *testing.F) {
	for _, s := range []string{"Counter 1", "a\u202eb", "x\u200by", "\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// A name accepted is accepted as notes too, and never holds a
		// line break.
		if NameProblem(s) == "" {
			if NotesProblem(s) != "" {
				t.Errorf("%q: a good name refused as notes", s)
			}
			for _, r := range s {
				if r == '\n' || r == '\r' || r == '\u202e' || r == '\u200b' {
					t.Errorf("%q: accepted with %U", s, r)
				}
			}
		}
	})
}
