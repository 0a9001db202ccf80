package assets

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// pageDirs are the folders that hold page code, relative to this package.
var pageDirs = []string{"static", "../kiosk/web", "../display/web", "../server/console/web"}

// tvFiles are the scripts the lobby display loads: they keep to ES5 syntax
// because wall TVs run old Chromium forks (see README.md).
func isTVFile(path string) bool {
	p := filepath.ToSlash(path)
	return strings.HasPrefix(p, "static/") ||
		strings.HasSuffix(p, "display/web/display.js") ||
		strings.HasSuffix(p, "display/web/display.i18n.js")
}

type rule struct {
	re   *regexp.Regexp
	what string
}

var (
	// Beyond ES2017, or modules: never in page code.
	laterRules = []rule{
		{regexp.MustCompile(`(?m)^\s*(import|export)\b`), "ES module import/export"},
		{regexp.MustCompile(`\?\.[^0-9]`), "optional chaining ?."},
		{regexp.MustCompile(`\?\?`), "nullish coalescing ??"},
		{regexp.MustCompile(`\b\d+_\d`), "numeric separator"},
		{regexp.MustCompile(`catch\s*\{`), "catch without a binding"},
	}
	// ES2015+ syntax: not in what the TV loads.
	es5Rules = []rule{
		{regexp.MustCompile(`=>`), "arrow function"},
		{regexp.MustCompile(`\b(let|const)\s`), "let/const"},
		{regexp.MustCompile(`\bclass\s+\w`), "class"},
		{regexp.MustCompile("`"), "template literal"},
		{regexp.MustCompile(`\b(async|await)\s`), "async/await"},
		{regexp.MustCompile(`\.\.\.`), "spread/rest"},
	}
)

// stripJS blanks comments and the insides of quoted strings, so words in
// prose and translations do not trip the rules. Template literals are kept
// (so ES5 files are caught using them); regex literals are rare enough in
// page code to be left alone.
func stripJS(src string) string {
	var b strings.Builder
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			b.WriteByte('\n')
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return b.String()
			}
			b.WriteString(strings.Repeat("\n", strings.Count(src[i:i+2+end+2], "\n")))
			i += 2 + end + 1
		case c == '"' || c == '\'':
			b.WriteByte(c)
			for i++; i < len(src) && src[i] != c && src[i] != '\n'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func TestPageScriptsKeepTheDialect(t *testing.T) {
	files := pageFiles(t, ".js")
	if len(files) < 10 {
		t.Fatalf("found %d page scripts, want the whole set: %v", len(files), files)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		code := stripJS(string(raw))
		rules := laterRules
		if isTVFile(f) {
			rules = append(append([]rule{}, laterRules...), es5Rules...)
		}
		for n, line := range strings.Split(code, "\n") {
			for _, r := range rules {
				if r.re.MatchString(line) {
					t.Errorf("%s:%d: %s is outside the pages' dialect (assets/README.md)", f, n+1, r.what)
				}
			}
		}
	}
}

func TestPagesLoadClassicScriptsAndTheBaseStylesheet(t *testing.T) {
	var pages []string
	for _, d := range pageDirs[1:] {
		m, _ := filepath.Glob(filepath.Join(d, "*.html"))
		pages = append(pages, m...)
	}
	for _, p := range pages {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		html := string(raw)
		if strings.Contains(html, `type="module"`) {
			t.Errorf("%s loads an ES module; pages use classic scripts", p)
		}
		if !strings.Contains(html, `href="/assets/base.css"`) {
			t.Errorf("%s does not load /assets/base.css", p)
		}
		if !strings.Contains(html, `src="/assets/api.js"`) {
			t.Errorf("%s does not load /assets/api.js", p)
		}
	}
}

func TestStripJS(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a // x => y\nb", "a \nb"},
		{"a /* const x */ b", "a  b"},
		{`s = "a ?? b"; t`, `s = ""; t`},
		{`s = 'it\'s => x'; t`, `s = ''; t`},
		{"x = `t`", "x = `t`"},
	}
	for _, tc := range tests {
		if got := stripJS(tc.in); got != tc.want {
			t.Errorf("stripJS(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
