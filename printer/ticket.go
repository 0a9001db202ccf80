package printer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Ticket is what a printed queue ticket shows. Strings may contain Chinese.
type Ticket struct {
	Branch                 string    // branch name
	Number                 string    // e.g. "A023"
	ServiceZH              string    // may be empty
	ServiceEN              string    // may be empty
	IssuedAt               time.Time // printed in its own location
	Ahead                  int       // tickets called before this one
	WaitMinMin, WaitMaxMin int       // estimated wait range in minutes; both 0 = no estimate
	StatusURL              string    // encoded in the QR code; empty = no QR code
	Footer                 string    // free text from the config; may hold several lines
}

// Options choose how a ticket is printed.
type Options struct {
	Width    int    // Width58mm or Width80mm; 0 means Width80mm
	NativeQR bool   // let the printer draw the QR code (GS ( k) instead of sending an image
	Lang     string // "zh", "en", or "" for both
}

func (o Options) withDefaults() (Options, error) {
	if o.Width == 0 {
		o.Width = Width80mm
	}
	switch o.Lang {
	case "", "zh", "en":
	default:
		return o, fmt.Errorf("ticket language %q: want \"zh\", \"en\" or \"\" for both", o.Lang)
	}
	return o, nil
}

// Encode lays out t as one ESC/POS job, ending with a cut.
func Encode(t Ticket, o Options) ([]byte, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(t.Number) == "" {
		return nil, errors.New("encode ticket: empty number")
	}
	e, err := NewEncoder(o.Width)
	if err != nil {
		return nil, fmt.Errorf("encode ticket: %w", err)
	}
	zh, en := o.Lang != "en", o.Lang != "zh"
	cols := o.Width / cellWidth

	e.Init()
	e.Align(AlignCenter)

	if t.Branch != "" {
		e.Bold(true)
		e.lines(t.Branch, cols)
		e.Bold(false)
	}

	// The number is what people compare with the lobby display from across
	// the room, so it gets the largest magnification that still fits.
	m := clamp(o.Width/(cellWidth*max(1, e.textWidth(t.Number))), 1, 8)
	e.Size(m, m)
	e.Line(t.Number)
	e.Size(1, 1)

	svcZH, svcEN := t.ServiceZH, t.ServiceEN
	if !zh && svcEN == "" {
		svcEN = svcZH
	}
	if !en && svcZH == "" {
		svcZH = svcEN
	}
	e.Size(1, 2)
	if zh && svcZH != "" {
		e.lines(svcZH, cols)
	}
	if en && svcEN != "" && (!zh || svcEN != svcZH) {
		e.lines(svcEN, cols)
	}
	e.Size(1, 1)
	e.Feed(1)

	if !t.IssuedAt.IsZero() {
		e.Line(t.IssuedAt.Format("2006-01-02 15:04"))
	}
	if zh {
		e.lines(aheadZH(t), cols)
	}
	if en {
		e.lines(aheadEN(t), cols)
	}

	if t.StatusURL != "" {
		e.Feed(1)
		if err := e.QR(t.StatusURL, o.NativeQR); err != nil {
			return nil, fmt.Errorf("encode ticket: %w", err)
		}
		e.Align(AlignCenter)
		if zh {
			e.lines("扫码查看排队进度", cols)
		}
		if en {
			e.lines("Scan to follow your turn", cols)
		}
	}

	if footer := strings.TrimSpace(t.Footer); footer != "" {
		e.Feed(1)
		for _, l := range strings.Split(footer, "\n") {
			e.lines(strings.TrimSpace(l), cols)
		}
	}

	// GS V 66 feeds to the blade by itself, but clones that take it for a
	// plain cut would cut above the last lines printed (the blade sits
	// above the print head) and leave the footer on the next ticket.
	e.Feed(3)
	if e.chinese {
		// Software that prints after us may expect single-byte mode.
		e.ChineseMode(false)
	}
	e.Cut()
	return e.Bytes(), nil
}

// lines prints s wrapped to cols cells, so a long name breaks between words
// instead of wherever the printer runs out of paper.
func (e *Encoder) lines(s string, cols int) {
	for _, l := range wrap(s, cols, e.textWidth) {
		e.Line(l)
	}
}

func aheadZH(t Ticket) string {
	var s string
	if t.Ahead <= 0 {
		s = "下一位就是您"
	} else {
		s = "前面还有 " + strconv.Itoa(t.Ahead) + " 人"
	}
	if w := waitRange(t); w != "" {
		s += " · 约 " + w + " 分钟"
	}
	return s
}

// aheadEN stays ASCII so an English ticket never needs the printer's
// Chinese mode (or a Chinese font at all).
func aheadEN(t Ticket) string {
	var s string
	switch {
	case t.Ahead <= 0:
		s = "You are next"
	case t.Ahead == 1:
		s = "1 person ahead"
	default:
		s = strconv.Itoa(t.Ahead) + " people ahead"
	}
	if w := waitRange(t); w != "" {
		s += ", about " + w + " min"
	}
	return s
}

func waitRange(t Ticket) string {
	lo, hi := max(0, t.WaitMinMin), max(0, t.WaitMaxMin)
	if lo > hi {
		lo, hi = hi, lo
	}
	switch {
	case hi == 0:
		return ""
	case lo == hi:
		return strconv.Itoa(hi)
	default:
		return strconv.Itoa(lo) + "-" + strconv.Itoa(hi)
	}
}

// wrap breaks s into lines of at most cols cells. It breaks at spaces when it
// can; Chinese text has no spaces, so it may break between any two
// characters there.
func wrap(s string, cols int, width func(string) int) []string {
	var lines []string
	var cur []rune
	curW := 0
	lastSpace := -1 // index in cur of the last space, if any
	for _, r := range strings.TrimSpace(s) {
		rw := width(string(r))
		if unicode.IsSpace(r) {
			switch {
			case len(cur) == 0 || cur[len(cur)-1] == ' ':
			case curW+rw > cols:
				lines = append(lines, string(cur))
				cur, curW, lastSpace = cur[:0], 0, -1
			default:
				lastSpace = len(cur)
				cur = append(cur, ' ')
				curW += width(" ")
			}
			continue
		}
		for curW+rw > cols && len(cur) > 0 {
			if lastSpace > 0 {
				lines = append(lines, strings.TrimSpace(string(cur[:lastSpace])))
				cur = append(cur[:0], cur[lastSpace+1:]...)
				curW = width(string(cur))
				lastSpace = -1
			} else {
				lines = append(lines, string(cur))
				cur, curW = cur[:0], 0
			}
		}
		cur = append(cur, r)
		curW += rw
	}
	if l := strings.TrimSpace(string(cur)); l != "" {
		lines = append(lines, l)
	}
	return lines
}

// SampleTicket is a fixed ticket for golden files and for test prints, so
// the same bytes come out on every machine and every day.
func SampleTicket() Ticket {
	return Ticket{
		Branch:     "Demo Branch",
		Number:     "A023",
		ServiceZH:  "综合业务",
		ServiceEN:  "General",
		IssuedAt:   time.Date(2026, time.March, 14, 9, 41, 0, 0, time.FixedZone("CST", 8*60*60)),
		Ahead:      3,
		WaitMinMin: 10,
		WaitMaxMin: 15,
		StatusURL:  "http://192.168.1.20:8080/s/SAMPLETOKENx7Qm2Vd9Lp4Kz8",
		Footer:     "请留意叫号屏幕\nPlease watch the display",
	}
}
