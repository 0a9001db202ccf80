package display_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestTranslationsComplete keeps the pages from showing a half-translated
// screen: every string exists in Chinese and in English.
func TestTranslationsComplete(t *testing.T) {
	src, err := os.ReadFile("web/i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	zh, en := strings.Index(text, "\n    zh: {"), strings.Index(text, "\n    en: {")
	end := strings.Index(text[en:], "\n    }") + en
	if zh < 0 || en < zh || end < en {
		t.Fatal("i18n.js: cannot find the zh and en tables")
	}
	key := regexp.MustCompile(`(?m)^\s+(\w+): "`)
	keys := func(s string) []string {
		var out []string
		for _, m := range key.FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		slices.Sort(out)
		return out
	}
	zhKeys, enKeys := keys(text[zh:en]), keys(text[en:end])
	if len(zhKeys) < 20 {
		t.Fatalf("found only %d Chinese strings; is the table format changed?", len(zhKeys))
	}
	for _, k := range enKeys {
		if _, ok := slices.BinarySearch(zhKeys, k); !ok {
			t.Errorf("%q has no Chinese text", k)
		}
	}
	for _, k := range zhKeys {
		if _, ok := slices.BinarySearch(enKeys, k); !ok {
			t.Errorf("%q has no English text", k)
		}
	}
}
