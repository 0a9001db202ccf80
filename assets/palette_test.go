package assets

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// One palette: static/base.css defines every colour as a --qb-* token and the
// pages' own stylesheets only name those tokens. These tests keep it so: a
// page stylesheet that writes a colour of its own fails, and every pair of
// tokens the pages put text or marks on is held to its WCAG contrast.

const baseCSS = "static/base.css"

// cssDecl is one declaration of a stylesheet: its line, property and value.
type cssDecl struct {
	line        int
	prop, value string
}

// cssDecls reads the declarations of a stylesheet. Comments are skipped and
// quoted strings blanked; what comes before a "{" (a selector, an at-rule's
// prelude) is not a declaration, so "#outcome .pick-list" is no colour.
func cssDecls(src string) []cssDecl {
	var (
		out   []cssDecl
		buf   strings.Builder
		line  = 1
		start = 0 // line where buf's first non-space character is
	)
	flush := func(isDecl bool) {
		text := strings.TrimSpace(buf.String())
		buf.Reset()
		if !isDecl || text == "" {
			return
		}
		prop, value, ok := strings.Cut(text, ":")
		if !ok {
			return
		}
		out = append(out, cssDecl{line: start, prop: strings.ToLower(strings.TrimSpace(prop)), value: strings.TrimSpace(value)})
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				end = len(src) - i - 2
			}
			line += strings.Count(src[i:min(len(src), i+2+end+2)], "\n")
			i += 2 + end + 1
			continue
		case c == '"' || c == '\'':
			buf.WriteByte(c)
			for i++; i < len(src) && src[i] != c && src[i] != '\n'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
			buf.WriteByte(c)
			continue
		case c == '{':
			flush(false)
			continue
		case c == ';' || c == '}':
			flush(true)
			continue
		case c == '\n':
			line++
		}
		if strings.TrimSpace(buf.String()) == "" && c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			start = line
		}
		buf.WriteByte(c)
	}
	return out
}

var (
	hexColour  = regexp.MustCompile(`#[0-9a-fA-F]{3,8}\b`)
	colourFunc = regexp.MustCompile(`(?i)\b(rgba?|hsla?|hwb|lab|lch|oklab|oklch|color|color-mix|light-dark)\s*\(`)
	customName = regexp.MustCompile(`--[A-Za-z0-9_-]+`)
	word       = regexp.MustCompile(`[A-Za-z]+`)
	varRef     = regexp.MustCompile(`var\(\s*(--[A-Za-z0-9_-]+)`)
	tokenDef   = regexp.MustCompile(`(--qb-[a-z0-9-]+)\s*:\s*([^;]+);`)
)

// namedColours are CSS's colour keywords (and the system colours): a page
// that writes "white" instead of #fff is writing its own colour too.
// transparent and currentColor are not here: they name no colour.
var namedColours = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`aliceblue antiquewhite aqua aquamarine azure beige bisque black
		blanchedalmond blue blueviolet brown burlywood cadetblue chartreuse chocolate coral
		cornflowerblue cornsilk crimson cyan darkblue darkcyan darkgoldenrod darkgray darkgreen
		darkgrey darkkhaki darkmagenta darkolivegreen darkorange darkorchid darkred darksalmon
		darkseagreen darkslateblue darkslategray darkslategrey darkturquoise darkviolet deeppink
		deepskyblue dimgray dimgrey dodgerblue firebrick floralwhite forestgreen fuchsia gainsboro
		ghostwhite gold goldenrod gray green greenyellow grey honeydew hotpink indianred indigo
		ivory khaki lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan
		lightgoldenrodyellow lightgray lightgreen lightgrey lightpink lightsalmon lightseagreen
		lightskyblue lightslategray lightslategrey lightsteelblue lightyellow lime limegreen linen
		magenta maroon mediumaquamarine mediumblue mediumorchid mediumpurple mediumseagreen
		mediumslateblue mediumspringgreen mediumturquoise mediumvioletred midnightblue mintcream
		mistyrose moccasin navajowhite navy oldlace olive olivedrab orange orangered orchid
		palegoldenrod palegreen paleturquoise palevioletred papayawhip peachpuff peru pink plum
		powderblue purple rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown
		seagreen seashell sienna silver skyblue slateblue slategray slategrey snow springgreen
		steelblue tan teal thistle tomato turquoise violet wheat white whitesmoke yellow
		yellowgreen accentcolor accentcolortext activetext buttonborder buttonface buttontext
		canvas canvastext field fieldtext graytext highlight highlighttext linktext mark marktext
		selecteditem selecteditemtext visitedtext`) {
		m[w] = true
	}
	return m
}()

// takesColour says whether a property's value can hold a colour keyword.
// Only these are searched for named colours, so an animation or grid area
// that happens to be called "tan" is left alone; hex and rgb() are searched
// for everywhere.
func takesColour(prop string) bool {
	if strings.HasPrefix(prop, "--") {
		return true
	}
	for _, p := range []string{"color", "background", "border", "outline", "box-shadow", "text-shadow",
		"fill", "stroke", "caret-color", "accent-color", "text-decoration", "column-rule", "filter"} {
		if prop == p || strings.HasPrefix(prop, p+"-") || strings.HasSuffix(prop, "-"+p) {
			return true
		}
	}
	return false
}

// colourLiterals returns the colours a declaration writes itself.
func colourLiterals(d cssDecl) []string {
	var got []string
	got = append(got, hexColour.FindAllString(d.value, -1)...)
	for _, m := range colourFunc.FindAllStringSubmatch(d.value, -1) {
		got = append(got, m[1]+"()")
	}
	if takesColour(d.prop) {
		for _, w := range word.FindAllString(customName.ReplaceAllString(d.value, " "), -1) {
			if namedColours[strings.ToLower(w)] {
				got = append(got, w)
			}
		}
	}
	return got
}

// tokens reads base.css's --qb-* definitions: name → value.
func tokens(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(baseCSS)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range cssDecls(string(raw)) {
		if strings.HasPrefix(d.prop, "--qb-") {
			out[d.prop] = d.value
		}
	}
	if len(out) < 40 {
		t.Fatalf("read %d tokens from %s, want the whole set", len(out), baseCSS)
	}
	return out
}

// pageFiles lists the page files with the given extension; base.css is the
// palette itself, not a page.
func pageFiles(t *testing.T, ext string) []string {
	t.Helper()
	var files []string
	for _, d := range pageDirs {
		m, err := filepath.Glob(filepath.Join(d, "*"+ext))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			if filepath.ToSlash(f) != baseCSS {
				files = append(files, f)
			}
		}
	}
	return files
}

func TestPageStylesheetsUseOnlyThePalette(t *testing.T) {
	toks := tokens(t)
	isColourToken := map[string]bool{}
	for name, v := range toks {
		if _, err := parseColour(v); err == nil {
			isColourToken[name] = true
		}
	}
	sheets := pageFiles(t, ".css")
	if len(sheets) < 6 {
		t.Fatalf("found %d page stylesheets, want the whole set: %v", len(sheets), sheets)
	}
	for _, f := range sheets {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		decls := cssDecls(string(raw))
		local := map[string]bool{}
		for _, d := range decls {
			if strings.HasPrefix(d.prop, "--") {
				local[d.prop] = true
			}
		}
		for _, d := range decls {
			for _, lit := range colourLiterals(d) {
				t.Errorf("%s:%d: %s: %s writes its own colour %q; take a --qb-* token from %s (add one there if none fits)",
					f, d.line, d.prop, d.value, lit, baseCSS)
			}
			for _, m := range varRef.FindAllStringSubmatch(d.value, -1) {
				name := m[1]
				switch {
				case strings.HasPrefix(name, "--qb-"):
					if _, ok := toks[name]; !ok {
						t.Errorf("%s:%d: var(%s) is not defined in %s", f, d.line, name, baseCSS)
					}
				case !local[name]:
					t.Errorf("%s:%d: var(%s) is defined neither in %s nor in the page", f, d.line, name, baseCSS)
				}
				// A page's own name for a colour token ("--late: var(--qb-bad)")
				// splits the palette into dialects: name the token itself.
				if strings.HasPrefix(d.prop, "--") && !strings.HasPrefix(d.prop, "--qb-") && isColourToken[name] {
					t.Errorf("%s:%d: %s is a local name for %s; use var(%s) where it is used", f, d.line, d.prop, name, name)
				}
			}
			if strings.HasPrefix(d.prop, "--qb-") {
				t.Errorf("%s:%d: %s is defined in a page; tokens live in %s", f, d.line, d.prop, baseCSS)
			}
		}
	}
}

// A page's HTML may name a colour only where CSS cannot reach (the
// theme-color meta), and then it must be a token's value.
func TestPageHTMLColoursAreTokens(t *testing.T) {
	values := map[string]string{}
	for name, v := range tokens(t) {
		values[strings.ToLower(v)] = name
	}
	for _, f := range pageFiles(t, ".html") {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for n, line := range strings.Split(string(raw), "\n") {
			for _, lit := range hexColour.FindAllString(line, -1) {
				if _, ok := values[strings.ToLower(lit)]; !ok {
					t.Errorf("%s:%d: colour %s is no token's value in %s", f, n+1, lit, baseCSS)
				}
			}
			if colourFunc.MatchString(line) {
				t.Errorf("%s:%d: a colour function in a page's HTML; take a --qb-* token", f, n+1)
			}
		}
	}
}

func TestColourLiterals(t *testing.T) {
	tests := []struct {
		d    cssDecl
		want string
	}{
		{cssDecl{prop: "color", value: "#fff"}, "#fff"},
		{cssDecl{prop: "box-shadow", value: "0 1px 3px rgba(20, 30, 50, .08)"}, "rgba()"},
		{cssDecl{prop: "background", value: "rgb(11 37 69 / 97%)"}, "rgb()"},
		{cssDecl{prop: "border", value: "1px solid White"}, "White"},
		{cssDecl{prop: "--late", value: "hsl(0 70% 40%)"}, "hsl()"},
		{cssDecl{prop: "color", value: "var(--qb-ink)"}, ""},
		{cssDecl{prop: "border-left", value: "6px solid transparent"}, ""},
		{cssDecl{prop: "border", value: "1px solid currentColor"}, ""},
		{cssDecl{prop: "background", value: "var(--qb-navy)"}, ""}, // "navy" inside a token's name
		{cssDecl{prop: "grid-area", value: "tan"}, ""},
		{cssDecl{prop: "animation", value: "flash 1s steps(1, end) 4"}, ""},
	}
	for _, tc := range tests {
		if got := strings.Join(colourLiterals(tc.d), ","); got != tc.want {
			t.Errorf("colourLiterals(%s: %s) = %q, want %q", tc.d.prop, tc.d.value, got, tc.want)
		}
	}
	// Selectors are not values: an id is no colour.
	decls := cssDecls("/* #abc */\n#outcome .pick { color: var(--qb-good); }\n@media (x) {\n  #fade { content: \"#fff\"; }\n}")
	if len(decls) != 2 || decls[0].line != 2 || decls[1].line != 4 {
		t.Fatalf("cssDecls = %+v, want two declarations on lines 2 and 4", decls)
	}
	for _, d := range decls {
		if lits := colourLiterals(d); len(lits) > 0 {
			t.Errorf("colourLiterals(%+v) = %v, want none", d, lits)
		}
	}
}

// rgba is a colour with its alpha, channels 0–255.
type rgba struct{ r, g, b, a float64 }

// parseColour reads the forms base.css writes: #rgb, #rrggbb and
// rgba(r, g, b, a).
func parseColour(s string) (rgba, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "#") {
		h := s[1:]
		if len(h) == 3 {
			h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
		}
		v, err := strconv.ParseUint(h, 16, 32)
		if len(h) != 6 || err != nil {
			return rgba{}, fmt.Errorf("parse colour %q", s)
		}
		return rgba{float64(v >> 16 & 255), float64(v >> 8 & 255), float64(v & 255), 1}, nil
	}
	if inner, ok := strings.CutPrefix(s, "rgba("); ok {
		parts := strings.Split(strings.TrimSuffix(inner, ")"), ",")
		if len(parts) != 4 {
			return rgba{}, fmt.Errorf("parse colour %q", s)
		}
		var f [4]float64
		for i, p := range parts {
			v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return rgba{}, fmt.Errorf("parse colour %q: %w", s, err)
			}
			f[i] = v
		}
		return rgba{f[0], f[1], f[2], f[3]}, nil
	}
	return rgba{}, fmt.Errorf("parse colour %q: not a colour", s)
}

// over lays c on an opaque background.
func (c rgba) over(bg rgba) rgba {
	mix := func(x, y float64) float64 { return x*c.a + y*(1-c.a) }
	return rgba{mix(c.r, bg.r), mix(c.g, bg.g), mix(c.b, bg.b), 1}
}

// luminance is WCAG 2's relative luminance.
func (c rgba) luminance() float64 {
	lin := func(v float64) float64 {
		v /= 255
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.r) + 0.7152*lin(c.g) + 0.0722*lin(c.b)
}

// contrast is WCAG 2's contrast ratio, 1 to 21.
func contrast(a, b rgba) float64 {
	la, lb := a.luminance(), b.luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func TestContrast(t *testing.T) {
	white, black := rgba{255, 255, 255, 1}, rgba{0, 0, 0, 1}
	if got := contrast(white, black); math.Abs(got-21) > 1e-9 {
		t.Errorf("contrast(white, black) = %v, want 21", got)
	}
	if got := contrast(white, white); got != 1 {
		t.Errorf("contrast(white, white) = %v, want 1", got)
	}
	grey, _ := parseColour("#767676") // the classic lightest grey that passes on white
	if got := contrast(grey, white); got < 4.5 || got > 4.6 {
		t.Errorf("contrast(#767676, white) = %.3f, want 4.54", got)
	}
}

// Text needs 4.5:1 (WCAG 1.4.3), large text and the marks that carry
// meaning (borders of inputs, the connection dots, bars) 3:1 (1.4.3, 1.4.11).
const (
	aaText = 4.5
	aaMark = 3.0
)

// The pairs the pages draw: foreground token, background token, the least
// ratio and where it is used. A translucent background (the scrim) is laid
// over the paper first.
var tokenPairs = []struct {
	fg, bg string
	min    float64
	where  string
}{
	{"ink", "paper", aaText, "body text"},
	{"ink", "card", aaText, "text on cards"},
	{"ink", "gold-soft", aaText, "the service guide's text"},
	{"muted", "paper", aaText, "secondary text"},
	{"muted", "card", aaText, "secondary text on cards"},
	{"muted", "line-soft", aaText, "secondary text on a hairline fill"},
	{"muted", "off", aaText, "a disabled check-in button, a stale code"},
	{"off-ink", "off", aaText, "a paused counter's banner, admin tags"},
	{"off-ink", "card", aaText, "a finished ticket's number on the phone"},
	{"line-strong", "card", aaMark, "input borders"},
	{"line-strong", "paper", aaMark, "input borders, the phone's unknown-ticket icon"},
	{"blue", "card", aaText, "buttons, links"},
	{"blue", "paper", aaText, "links on the page"},
	{"blue", "blue-soft", aaText, "the appointment tile pressed"},
	{"blue", "blue-glow", aaMark, "the active code cell's halo"},
	{"navy", "blue-glow", aaText, "a pressed keypad key"},
	{"blue-dark", "blue-soft", aaText, "the console's status pill"},
	{"inverse", "navy", aaText, "header bars"},
	{"inverse", "blue", aaText, "primary buttons, tiles"},
	{"inverse", "blue-dark", aaText, "pressed tiles, the staff counter picker"},
	{"inverse", "bad", aaText, "alarm banners, the display's offline badge"},
	{"inverse", "ink", aaText, "the console's waiting count"},
	{"inverse", "scrim", aaText, "the kiosk's reconnecting overlay"},
	{"inverse-muted", "navy", aaText, "the staff top bar's quiet words"},
	{"inverse-muted", "blue-dark", aaMark, "the staff counter picker's border"},
	{"good", "card", aaText, "done states"},
	{"good", "good-soft", aaText, "waiting in time, the outcome panel"},
	{"warn", "warn-soft", aaText, "warnings"},
	{"bad", "card", aaText, "errors"},
	{"bad", "bad-soft", aaText, "errors on their band"},
	{"amber", "card", aaMark, "rating stars, the parked box"},
	{"amber", "paper", aaMark, "rating stars on the phone"},
	{"amber", "warn-soft", aaMark, "a waiting ticket near its target"},
	{"special", "special-soft", aaText, "the appointment pill"},
	{"inverse", "special", aaText, "the priority pill"},
	{"gold", "gold-soft", aaText, "the guide's heading, the customer card"},
	{"gold", "gold-line", aaText, "the tier chip"},
	{"gold", "card", aaText, "the phone's tier greeting"},
	{"inverse", "called", aaText, "the phone's called screen"},
	{"inverse", "called-deep", aaText, "the called screen's bar"},
	{"called", "card", aaText, "the called screen's counter box"},
	{"inverse", "done", aaText, "finished tickets"},
	{"signal-live", "navy", aaMark, "staff connection dot"},
	{"signal-wait", "navy", aaMark, "staff connection dot"},
	{"signal-live", "tv-bg", aaMark, "display connection dot"},
	{"signal-wait", "tv-bg", aaMark, "display connection dot"},
	{"signal-down", "tv-bg", aaMark, "display connection dot"},
	{"tv-bg", "signal-wait", aaText, "the display's notice strip"},
	{"tv-ink", "tv-bg", aaText, "display text"},
	{"tv-ink", "tv-panel", aaText, "the called counter"},
	{"tv-muted", "tv-bg", aaText, "display labels and figures"},
	{"tv-muted", "tv-panel", aaText, "the call's label and hint"},
	{"tv-accent", "tv-bg", aaText, "waiting counts"},
	{"tv-accent", "tv-panel", aaText, "the called number"},
	{"tv-bg", "tv-accent", aaText, "the flash, the sound prompt"},
	{"tv-dim", "tv-panel", aaMark, "the placeholder when no one is called (27vh)"},
	{"focus", "card", aaMark, "the focus ring"},
	{"focus", "paper", aaMark, "the focus ring"},
	{"focus", "focus-halo", aaMark, "the focus ring in its halo"},
}

func TestTokenPairsReachAA(t *testing.T) {
	toks := tokens(t)
	paper, err := parseColour(toks["--qb-paper"])
	if err != nil {
		t.Fatal(err)
	}
	colour := func(name string) rgba {
		v, ok := toks["--qb-"+name]
		if !ok {
			t.Fatalf("token --qb-%s is not in %s", name, baseCSS)
		}
		c, err := parseColour(v)
		if err != nil {
			t.Fatalf("--qb-%s: %v", name, err)
		}
		return c
	}
	for _, p := range tokenPairs {
		fg, bg := colour(p.fg), colour(p.bg).over(paper)
		if got := contrast(fg.over(bg), bg); got < p.min {
			t.Errorf("%s on %s (%s): contrast %.2f:1, want at least %.1f:1", p.fg, p.bg, p.where, got, p.min)
		}
	}
}
