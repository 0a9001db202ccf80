package config

import (
	"os"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the YAML config parser. A store manager
// edits this file by hand: whatever it holds, Parse answers with a config or
// an error, never a crash, and an unknown key is named as a key, not as a Go
// type. Under plain go test it runs the seeds.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("../../configs/queuebox.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	for _, s := range []string{
		"", "\n", "---", "--- |\n  x", "addr: [", "addr: :8080\naddr: :8081", "branch: 5", "services: {a: 1}",
		"branch:\n  hours: {mon: [1]}\n", "branch:\n  max_wait_minutes: 1e400\n", "printer: {width_mm: 99999999999999999999}",
		"services:\n  - {id: 1, prefix: [], names: {zh: null}}\n", "counters: [{service_ids: general}]",
		"colour: blue", "branch: {name: x, colour: blue}", "branch: {max wait minutes: 5}", "a: &a [*a, *a]", "x: &x {y: *x}",
		"branch: &b {name: x}\nservices: *b", "\xff\xfe", "\t- x", "!!binary aGVsbG8=", "addr: !!int 5",
		"branch:\n  priority_weights: [1, -1, 1e9]\n", strings.Repeat("[", 5000), strings.Repeat("- ", 2000) + "x",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var c Config
		err := Parse(raw, &c)
		if err != nil {
			if strings.Contains(err.Error(), "not found in type") {
				t.Fatalf("Parse(%q) = %q: an unknown key must be named as a key", raw, err)
			}
			return
		}
		// What parsed must validate without a crash, as Load does.
		_ = c.Validate()
	})
}
