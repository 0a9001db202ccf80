package printer

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Paper widths in printer dots (203 dpi print heads).
const (
	Width58mm = 384
	Width80mm = 576
)

// Font A cells are 12×24 dots; Chinese characters take two cells.
const (
	cellWidth  = 12
	cellHeight = 24
)

// Alignment is the horizontal position of the following lines (ESC a).
type Alignment byte

// Alignments understood by ESC a.
const (
	AlignLeft   Alignment = 0
	AlignCenter Alignment = 1
	AlignRight  Alignment = 2
)

// QR sizing: below minQRScale dots per module cheap print heads smear the
// modules together and phone cameras struggle; above maxQRScale the code only
// wastes paper.
const (
	minQRScale = 5
	maxQRScale = 10
)

// maxRasterBand is the most rows sent in one GS v 0 command. Some cheap
// printers garble an image sent in one piece once it outgrows their input
// buffer; bands print the same and keep each command small.
const maxRasterBand = 256

// Encoder builds an ESC/POS byte stream for one job. The zero value is not
// usable; call [NewEncoder]. Methods append to an internal buffer and never
// fail, except those that need to fit something on the paper.
type Encoder struct {
	buf     bytes.Buffer
	width   int
	chinese bool
	gbk     *encoding.Encoder
}

// NewEncoder returns an encoder for paper that is width dots wide
// ([Width58mm] or [Width80mm]).
func NewEncoder(width int) (*Encoder, error) {
	if width != Width58mm && width != Width80mm {
		return nil, fmt.Errorf("paper width %d dots: want %d (58 mm) or %d (80 mm)", width, Width58mm, Width80mm)
	}
	return &Encoder{width: width, gbk: simplifiedchinese.GBK.NewEncoder()}, nil
}

// Width is the paper width in dots.
func (e *Encoder) Width() int { return e.width }

// Bytes returns the job built so far. The slice aliases the encoder's buffer.
func (e *Encoder) Bytes() []byte { return e.buf.Bytes() }

// Init resets the printer (ESC @), so that a previous job that ended half way
// cannot leave bold or huge text behind.
func (e *Encoder) Init() {
	e.buf.Write([]byte{0x1b, '@'})
}

// Align sets the alignment of the lines that follow (ESC a).
func (e *Encoder) Align(a Alignment) {
	e.buf.Write([]byte{0x1b, 'a', byte(a)})
}

// Bold turns emphasis on or off (ESC E).
func (e *Encoder) Bold(on bool) {
	var n byte
	if on {
		n = 1
	}
	e.buf.Write([]byte{0x1b, 'E', n})
}

// Size sets the character magnification (GS !); w and h are clamped to 1–8.
func (e *Encoder) Size(w, h int) {
	e.buf.Write([]byte{0x1d, '!', byte(clamp(w, 1, 8)-1)<<4 | byte(clamp(h, 1, 8)-1)})
}

// Feed prints the buffer and advances the paper n lines (ESC d).
func (e *Encoder) Feed(n int) {
	e.buf.Write([]byte{0x1b, 'd', byte(clamp(n, 0, 255))})
}

// Cut feeds the paper to the cutter and makes a partial cut (GS V 66 0).
// A partial cut leaves a hinge so the ticket does not drop on the floor.
func (e *Encoder) Cut() {
	e.buf.Write([]byte{0x1d, 'V', 66, 0})
}

// ChineseMode switches the printer's double-byte (GBK) mode on (FS &) or
// off (FS .). [Encoder.Line] turns it on by itself when a line needs it.
func (e *Encoder) ChineseMode(on bool) {
	if on {
		e.buf.Write([]byte{0x1c, '&'})
	} else {
		e.buf.Write([]byte{0x1c, '.'})
	}
	e.chinese = on
}

// Line prints s and ends the line. Text that GBK cannot express comes out as
// '?', and control characters as spaces, so that text from the config or the
// API can never smuggle printer commands into the job.
func (e *Encoder) Line(s string) {
	b := e.encodeText(s)
	if !e.chinese && !isASCII(b) {
		e.ChineseMode(true)
	}
	e.buf.Write(b)
	e.buf.WriteByte('\n')
}

// encodeText turns s into the bytes the printer expects: ASCII as is, every
// other character as a two-byte GBK code.
func (e *Encoder) encodeText(s string) []byte {
	out := make([]byte, 0, len(s)+8)
	var one [utf8.UTFMax]byte
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f:
			out = append(out, ' ')
		case r < 0x80:
			out = append(out, byte(r))
		default:
			n := utf8.EncodeRune(one[:], r)
			g, err := e.gbk.Bytes(one[:n])
			// Printers read every byte from 0x81 up as the first half of a
			// pair; GBK's one-byte euro sign (0x80) would swallow the
			// next character, so only genuine pairs are kept.
			if err != nil || len(g) != 2 {
				out = append(out, '?')
				continue
			}
			out = append(out, g...)
		}
	}
	return out
}

// Raster prints a black-and-white image (GS v 0). rows[y][x] is true for a
// black dot; every row must have the same length, at most the paper width.
func (e *Encoder) Raster(rows [][]bool) error {
	if len(rows) == 0 {
		return nil
	}
	w := len(rows[0])
	if w == 0 || w > e.width {
		return fmt.Errorf("raster %d dots wide: paper is %d", w, e.width)
	}
	for _, row := range rows {
		if len(row) != w {
			return errors.New("raster rows differ in length")
		}
	}
	bpr := (w + 7) / 8
	line := make([]byte, bpr)
	for len(rows) > 0 {
		band := rows[:min(len(rows), maxRasterBand)]
		rows = rows[len(band):]
		e.buf.Write([]byte{0x1d, 'v', '0', 0, byte(bpr), byte(bpr >> 8), byte(len(band)), byte(len(band) >> 8)})
		for _, row := range band {
			clear(line)
			for x, black := range row {
				if black {
					line[x/8] |= 0x80 >> (x % 8)
				}
			}
			e.buf.Write(line)
		}
	}
	return nil
}

// QR prints data as a QR code with error correction M, centred. By default
// it is drawn here and sent as a raster image, which every printer with
// GS v 0 prints the same way; native asks the printer to draw it (GS ( k),
// which is smaller on the wire but missing or buggy on many cheap models.
func (e *Encoder) QR(data string, native bool) error {
	q, err := qrcode.New(data, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("qr code: %w", err)
	}
	bm := q.Bitmap() // includes the four-module quiet zone
	scale := qrScale(len(bm), e.width)
	if scale < minQRScale {
		return fmt.Errorf("qr code: %d modules do not fit %d dots at %d dots per module; shorten the status url", len(bm), e.width, minQRScale)
	}
	if native {
		e.nativeQR(data, scale)
		return nil
	}
	side := len(bm) * scale
	left := (e.width - side) / 2
	rows := make([][]bool, side)
	for y := range rows {
		row := make([]bool, e.width)
		src := bm[y/scale]
		for x := 0; x < side; x++ {
			row[left+x] = src[x/scale]
		}
		rows[y] = row
	}
	// A full-width image is centred by its own margins: several printers
	// ignore ESC a for raster images.
	return e.Raster(rows)
}

// qrScale picks dots per module so the code (with quiet zone) takes about
// two thirds of the paper: big enough to scan from arm's length, small
// enough to leave room for the text.
func qrScale(modules, width int) int {
	if modules*minQRScale > width {
		return 0
	}
	return clamp(width*2/3/modules, minQRScale, maxQRScale)
}

func (e *Encoder) nativeQR(data string, scale int) {
	e.Align(AlignCenter)
	fn := func(params ...byte) {
		n := len(params)
		e.buf.Write([]byte{0x1d, '(', 'k', byte(n), byte(n >> 8)})
		e.buf.Write(params)
	}
	fn(0x31, 0x41, 0x32, 0x00)           // model 2
	fn(0x31, 0x43, byte(min(scale, 16))) // module size in dots
	fn(0x31, 0x45, 0x31)                 // error correction M
	fn(append([]byte{0x31, 0x50, 0x30}, data...)...)
	fn(0x31, 0x51, 0x30) // print the stored symbol
	// The printer draws no quiet zone of its own below the symbol.
	e.Feed(1)
}

// textWidth is the width of s in font A cells once encoded: one for ASCII
// and for '?' replacements, two for a GBK character.
func (e *Encoder) textWidth(s string) int {
	return len(e.encodeText(s))
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func clamp(v, lo, hi int) int {
	return max(lo, min(v, hi))
}
