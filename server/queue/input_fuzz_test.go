package queue

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// The booking form's phone and name and the admin's opening hours come from
// outside. These fuzz targets hold their cleaners to what the rest of the
// engine relies on; under plain go test they run the seeds.

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{
		"13800000000", "+86 138-0000-0000", "(010) 6552.1234", " +49 30 1234567 ", "", "+", "++8613800000000",
		"138+00000000", "12345", "1234567890123456", "１３８００００００００", "١٣٨٠٠٠٠٠٠٠٠", "13800000000\x00", "\ufeff13800000000",
		"+-()- .", "138 0000 0000 ext 12", strings.Repeat("9", 10000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := NormalizePhone(s)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != "phone" {
				t.Fatalf("NormalizePhone(%q) error %v, want a ValidationError on phone", s, err)
			}
			return
		}
		digits := strings.TrimPrefix(p, "+")
		if len(digits) < 6 || len(digits) > 15 || strings.Trim(digits, "0123456789") != "" {
			t.Fatalf("NormalizePhone(%q) = %q, want an optional + and 6 to 15 ASCII digits", s, p)
		}
		// Records are keyed by the canonical form: it must be a fixed point.
		if again, err := NormalizePhone(p); err != nil || again != p {
			t.Fatalf("NormalizePhone(%q) = %q, %v; want %q again", p, again, err, p)
		}
	})
}

func FuzzCleanName(f *testing.F) {
	for _, s := range []string{
		"王小明", "Mei", "  Mei  ", "", " ", "\t", "a\nb", "a\x00b", "a\u0085b", "a\u202eb", "😀", strings.Repeat("长", 64),
		strings.Repeat("长", 65), strings.Repeat("a", 10000), "\xff\xfe", "e\u0301",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, err := cleanName(s)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != "name" {
				t.Fatalf("cleanName(%q) error %v, want a ValidationError on name", s, err)
			}
			return
		}
		n := utf8.RuneCountInString(name)
		if n == 0 || n > 64 || name != strings.TrimSpace(name) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
			t.Fatalf("cleanName(%q) = %q: want 1 to 64 characters, trimmed, no control characters", s, name)
		}
		if again, err := cleanName(name); err != nil || again != name {
			t.Fatalf("cleanName(%q) = %q, %v; want %q again", name, again, err, name)
		}
	})
}

// FuzzHours fuzzes the opening hours of a day through ValidateSettings, as the
// admin API and the config file reach them.
func FuzzHours(f *testing.F) {
	for _, s := range []string{
		"09:00-12:00,13:00-17:00", "", " ", "00:00-24:00", "24:00-24:00", "23:59-24:00", "9:00-12:00", "12:00-09:00",
		"09:00-12:00,11:00-13:00", "13:00-17:00,09:00-12:00", " 09:00 - 12:00 , 13:00-14:00 ", "-", ",", "09:00-12:00,",
		"+9:00-12:00", "+1:00-02:00", "-0:00-01:00", "09:60-10:00", "24:01-24:02", "0x:00-01:00", "٠٩:٠٠-١٠:٠٠", "09:00-10:00-11:00",
		"09:00:00-10:00", "09-10", strings.Repeat("09:00-09:01,", 500),
	} {
		f.Add(s)
	}
	monday := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, hours string) {
		st := DefaultSettings()
		st.Hours = map[string]string{"mon": hours}
		err := ValidateSettings(st)
		spans, perr := parseHours(hours)
		if (err == nil) != (perr == nil) {
			t.Fatalf("hours %q: ValidateSettings says %v, parseHours says %v", hours, err, perr)
		}
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != "hours.mon" {
				t.Fatalf("hours %q: error %v, want a ValidationError on hours.mon", hours, err)
			}
			return
		}
		var canon []string
		for i, s := range spans {
			if s.From < 0 || s.To > 24*60 || s.From >= s.To || (i > 0 && s.From < spans[i-1].To) {
				t.Fatalf("hours %q gave spans %v: want ordered, non-empty, within the day", hours, spans)
			}
			canon = append(canon, fmt.Sprintf("%02d:%02d-%02d:%02d", s.From/60, s.From%60, s.To/60, s.To%60))
		}
		dropSpace := func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}
		if rest := strings.Trim(strings.Map(dropSpace, hours), "0123456789:-,"); rest != "" {
			t.Fatalf("hours %q accepted, but %q is not digits, colons, dashes and commas", hours, rest)
		}
		// What was accepted means what its canonical form means.
		again, err := parseHours(strings.Join(canon, ","))
		if err != nil || fmt.Sprint(again) != fmt.Sprint(spans) {
			t.Fatalf("hours %q: canonical %q parses to %v, %v; want %v", hours, canon, again, err, spans)
		}
		cal, err := newCalendar(st)
		if err != nil {
			t.Fatal(err)
		}
		for m := 0; m < 24*60; m++ {
			in := false
			for _, s := range spans {
				in = in || (m >= s.From && m < s.To)
			}
			if got := cal.open(monday.Add(time.Duration(m) * time.Minute)); got != in {
				t.Fatalf("hours %q: open at %02d:%02d = %v, want %v", hours, m/60, m%60, got, in)
			}
		}
	})
}
