package assets

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A table is one QB.text.define call: the page's name and its languages,
// each a map of key to a string or a plural set.
type table struct {
	page  string
	langs map[string]map[string]any
}

// jsReader reads the data-only subset of JavaScript the translation files
// are written in: QB.text.define("page", {zh: {k: "v", n: {one: "…"}}, …}).
type jsReader struct {
	src string
	at  int
}

func (r *jsReader) skip() {
	for r.at < len(r.src) {
		switch {
		case strings.ContainsRune(" \t\r\n", rune(r.src[r.at])):
			r.at++
		case strings.HasPrefix(r.src[r.at:], "//"):
			for r.at < len(r.src) && r.src[r.at] != '\n' {
				r.at++
			}
		case strings.HasPrefix(r.src[r.at:], "/*"):
			end := strings.Index(r.src[r.at+2:], "*/")
			if end < 0 {
				r.at = len(r.src)
				return
			}
			r.at += end + 4
		default:
			return
		}
	}
}

func (r *jsReader) fail(what string) error {
	line := strings.Count(r.src[:r.at], "\n") + 1
	return fmt.Errorf("line %d: %s", line, what)
}

func (r *jsReader) expect(s string) error {
	r.skip()
	if !strings.HasPrefix(r.src[r.at:], s) {
		return r.fail("want " + s)
	}
	r.at += len(s)
	return nil
}

func (r *jsReader) str() (string, error) {
	r.skip()
	if r.at >= len(r.src) || (r.src[r.at] != '"' && r.src[r.at] != '\'') {
		return "", r.fail("want a string")
	}
	q := r.src[r.at]
	var b strings.Builder
	for r.at++; r.at < len(r.src) && r.src[r.at] != q; r.at++ {
		if r.src[r.at] == '\\' {
			r.at++
		}
		if r.at < len(r.src) {
			b.WriteByte(r.src[r.at])
		}
	}
	if r.at >= len(r.src) {
		return "", r.fail("unterminated string")
	}
	r.at++
	return b.String(), nil
}

func (r *jsReader) key() (string, error) {
	r.skip()
	if r.at < len(r.src) && (r.src[r.at] == '"' || r.src[r.at] == '\'') {
		return r.str()
	}
	start := r.at
	for r.at < len(r.src) && (r.src[r.at] == '_' || r.src[r.at] == '$' ||
		'a' <= r.src[r.at]|0x20 && r.src[r.at]|0x20 <= 'z' || '0' <= r.src[r.at] && r.src[r.at] <= '9') {
		r.at++
	}
	if start == r.at {
		return "", r.fail("want a key")
	}
	return r.src[start:r.at], nil
}

// object reads {key: value, …}, where a value is a string or an object.
func (r *jsReader) object() (map[string]any, error) {
	if err := r.expect("{"); err != nil {
		return nil, err
	}
	out := map[string]any{}
	for {
		r.skip()
		if strings.HasPrefix(r.src[r.at:], "}") {
			r.at++
			return out, nil
		}
		k, err := r.key()
		if err != nil {
			return nil, err
		}
		if _, dup := out[k]; dup {
			return nil, r.fail("key " + k + " twice")
		}
		if err := r.expect(":"); err != nil {
			return nil, err
		}
		r.skip()
		if strings.HasPrefix(r.src[r.at:], "{") {
			out[k], err = r.object()
		} else {
			out[k], err = r.str()
		}
		if err != nil {
			return nil, err
		}
		r.skip()
		if strings.HasPrefix(r.src[r.at:], ",") {
			r.at++
		}
	}
}

// readTables reads every QB.text.define call of a translation file.
func readTables(src string) ([]table, error) {
	r := &jsReader{src: src}
	var out []table
	for {
		i := strings.Index(r.src[r.at:], "QB.text.define(")
		if i < 0 {
			return out, nil
		}
		r.at += i + len("QB.text.define(")
		page, err := r.str()
		if err != nil {
			return nil, err
		}
		if err := r.expect(","); err != nil {
			return nil, err
		}
		langs, err := r.object()
		if err != nil {
			return nil, err
		}
		tb := table{page: page, langs: map[string]map[string]any{}}
		for lang, v := range langs {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s.%s is not a table", page, lang)
			}
			tb.langs[lang] = m
		}
		out = append(out, tb)
		if err := r.expect(")"); err != nil {
			return nil, err
		}
	}
}

// TestEveryPageHasCompleteTranslations reads every page's <page>.i18n.js,
// customer pages and staff pages alike, and wants zh and en with the same
// keys, each plural set with "other", each file loaded by a page of its
// folder — without a browser, so a missing word fails in a second.
func TestEveryPageHasCompleteTranslations(t *testing.T) {
	var files []string
	for _, d := range pageDirs[1:] {
		m, err := filepath.Glob(filepath.Join(d, "*.i18n.js"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	for _, want := range []string{"kiosk.i18n.js", "book.i18n.js", "display.i18n.js", "status.i18n.js",
		"console.i18n.js", "admin.i18n.js", "login.i18n.js"} {
		if !slices.ContainsFunc(files, func(f string) bool { return filepath.Base(f) == want }) {
			t.Errorf("no %s: every page keeps its words in its own translation file", want)
		}
	}
	pages := map[string]string{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tables, err := readTables(string(raw))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(tables) == 0 {
			t.Errorf("%s defines no table", f)
		}
		for _, tb := range tables {
			if other, dup := pages[tb.page]; dup {
				t.Errorf("%s: page %q is defined in %s too", f, tb.page, other)
			}
			pages[tb.page] = f
			for _, missing := range tb.missing() {
				t.Errorf("%s: %s", f, missing)
			}
		}
		html, _ := filepath.Glob(filepath.Join(filepath.Dir(f), "*.html"))
		loaded := false
		for _, h := range html {
			b, _ := os.ReadFile(h)
			loaded = loaded || strings.Contains(string(b), filepath.Base(f)+`"`)
		}
		if !loaded {
			t.Errorf("%s is loaded by no page of its folder", f)
		}
	}
}

// missing lists what one language has and the other lacks, as
// QB.text.missing() does in the browser.
func (tb table) missing() []string {
	var out []string
	for _, lang := range []string{"zh", "en"} {
		if tb.langs[lang] == nil {
			out = append(out, tb.page+" has no "+lang)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, pair := range [][2]string{{"zh", "en"}, {"en", "zh"}} {
		a, b := tb.langs[pair[0]], tb.langs[pair[1]]
		for k, v := range a {
			if _, ok := b[k]; !ok {
				out = append(out, fmt.Sprintf("%s.%s.%s is missing (%s has it)", tb.page, pair[1], k, pair[0]))
			}
			if set, ok := v.(map[string]any); ok {
				if _, ok := set["other"]; !ok {
					out = append(out, fmt.Sprintf("%s.%s.%s: a plural set needs \"other\"", tb.page, pair[0], k))
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestReadTables(t *testing.T) {
	src := `/* words */
QB.text.define("p", {
  // zh first
  zh: { a: '一', n: { other: "{n} 个" }, "q-k": "引\"号" },
  en: { a: "one", n: { one: "{n} thing", other: "{n} things" }, 'q-k': 'it\'s' }
});
QB.text.define('q', { zh: { x: "x" }, en: { y: "y", z: { one: "z" } } });`
	tables, err := readTables(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 2 || tables[0].page != "p" || tables[1].page != "q" {
		t.Fatalf("got %+v", tables)
	}
	if got := tables[0].langs["en"]["q-k"]; got != "it's" {
		t.Errorf("escaped string: got %q", got)
	}
	if m := tables[0].missing(); len(m) != 0 {
		t.Errorf("complete table: missing %v", m)
	}
	want := []string{
		`q.en.x is missing (zh has it)`,
		`q.en.z: a plural set needs "other"`,
		`q.zh.y is missing (en has it)`,
		`q.zh.z is missing (en has it)`,
	}
	if got := tables[1].missing(); !slices.Equal(got, want) {
		t.Errorf("incomplete table: got %q, want %q", got, want)
	}
}
