package server

import (
	"strings"
	"testing"
	"time"
)

func TestParseOffset(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"+2h\n", 2 * time.Hour, true},
		{"-10m", -10 * time.Minute, true},
		{"  -24h30m \r\n", -(24*time.Hour + 30*time.Minute), true},
		{"", 0, true},
		{"\n", 0, true},
		{"2", 0, false},
		{"tomorrow", 0, false},
		{"+2h\n-1h", 0, false},
	}
	for _, tt := range tests {
		got, err := parseOffset([]byte(tt.in))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseOffset(%q) = %v, %v; want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "QUEUEBOX_CLOCK_FILE") {
			t.Errorf("parseOffset(%q): error %q does not name the variable", tt.in, err)
		}
	}
}

func FuzzParseOffset(f *testing.F) {
	for _, s := range []string{"+2h\n", "-10m", "", "1.5h", "-9223372036854775808ns", "junk"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		off, err := parseOffset(raw)
		if err != nil && off != 0 {
			t.Errorf("an error with offset %v", off)
		}
		if err == nil && strings.TrimSpace(string(raw)) != "" {
			if back, perr := time.ParseDuration(off.String()); perr != nil || back != off {
				t.Errorf("offset %v does not read back: %v %v", off, back, perr)
			}
		}
	})
}
