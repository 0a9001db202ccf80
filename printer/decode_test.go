package printer

import (
	"errors"
	"fmt"
	"image"
	"image/color"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// The decoder below reads a job back the way a printer would, so tests can
// check what comes out on paper rather than which bytes were sent.

type blockKind int

const (
	kindText blockKind = iota
	kindImage
	kindNativeQR
	kindFeed
	kindCut
)

// block is one thing on the paper.
type block struct {
	kind  blockKind
	text  string // kindText, GBK decoded
	align Alignment
	bold  bool
	sizeW int // magnification, 1–8
	sizeH int
	img   *image.Gray // kindImage: white background, black dots
	qr    nativeQR    // kindNativeQR
	lines int         // kindFeed
}

type nativeQR struct {
	model, module, ec byte
	data              string
	printed           bool
}

type decoded struct {
	blocks      []block
	inits       int
	chineseUsed bool // FS & was sent
	chineseEnd  bool // still in Chinese mode at the end
}

// texts returns the text lines, in order.
func (d decoded) texts() []string {
	var out []string
	for _, b := range d.blocks {
		if b.kind == kindText {
			out = append(out, b.text)
		}
	}
	return out
}

func (d decoded) images() []*image.Gray {
	var out []*image.Gray
	for _, b := range d.blocks {
		if b.kind == kindImage {
			out = append(out, b.img)
		}
	}
	return out
}

func (d decoded) find(text string) (block, bool) {
	for _, b := range d.blocks {
		if b.kind == kindText && b.text == text {
			return b, true
		}
	}
	return block{}, false
}

// decodeJob parses the ESC/POS subset the encoder uses. Anything else is an
// error: a byte the decoder does not understand is one a printer might
// print as garbage.
func decodeJob(job []byte) (decoded, error) {
	var (
		d       decoded
		align   Alignment
		bold    bool
		sw, sh  = 1, 1
		chinese bool
		text    []byte
		qr      nativeQR
		haveQR  bool
	)
	gbk := simplifiedchinese.GBK.NewDecoder()
	need := func(i, n int) error {
		if i+n > len(job) {
			return fmt.Errorf("offset %d: command % x cut short", i, job[i:])
		}
		return nil
	}
	for i := 0; i < len(job); {
		c := job[i]
		if len(text) > 0 && c < 0x20 && c != '\n' {
			return d, fmt.Errorf("offset %d: command %#02x in the middle of a line %q", i, c, text)
		}
		switch c {
		case '\n':
			s, err := gbk.Bytes(text)
			if err != nil {
				return d, fmt.Errorf("offset %d: line is not GBK: %w", i, err)
			}
			d.blocks = append(d.blocks, block{kind: kindText, text: string(s), align: align, bold: bold, sizeW: sw, sizeH: sh})
			text = text[:0]
			i++
		case 0x1b:
			if err := need(i, 2); err != nil {
				return d, err
			}
			switch job[i+1] {
			case '@':
				d.inits++
				align, bold, sw, sh = AlignLeft, false, 1, 1
				i += 2
			case 'a', 'E', 'd':
				if err := need(i, 3); err != nil {
					return d, err
				}
				n := job[i+2]
				switch job[i+1] {
				case 'a':
					if n > 2 {
						return d, fmt.Errorf("offset %d: alignment %d", i, n)
					}
					align = Alignment(n)
				case 'E':
					bold = n&1 == 1
				case 'd':
					d.blocks = append(d.blocks, block{kind: kindFeed, lines: int(n)})
				}
				i += 3
			default:
				return d, fmt.Errorf("offset %d: unknown command ESC %#02x", i, job[i+1])
			}
		case 0x1c:
			if err := need(i, 2); err != nil {
				return d, err
			}
			switch job[i+1] {
			case '&':
				chinese, d.chineseUsed = true, true
			case '.':
				chinese = false
			default:
				return d, fmt.Errorf("offset %d: unknown command FS %#02x", i, job[i+1])
			}
			i += 2
		case 0x1d:
			if err := need(i, 2); err != nil {
				return d, err
			}
			switch job[i+1] {
			case '!':
				if err := need(i, 3); err != nil {
					return d, err
				}
				sw, sh = int(job[i+2]>>4)+1, int(job[i+2]&0x0f)+1
				if sw > 8 || sh > 8 {
					return d, fmt.Errorf("offset %d: size %#02x", i, job[i+2])
				}
				i += 3
			case 'V':
				if err := need(i, 4); err != nil {
					return d, err
				}
				if job[i+2] != 65 && job[i+2] != 66 {
					return d, fmt.Errorf("offset %d: cut mode %d", i, job[i+2])
				}
				d.blocks = append(d.blocks, block{kind: kindCut})
				i += 4
			case 'v':
				if err := need(i, 8); err != nil {
					return d, err
				}
				if job[i+2] != '0' || job[i+3] != 0 {
					return d, fmt.Errorf("offset %d: raster mode % x", i, job[i+2:i+4])
				}
				bpr := int(job[i+4]) | int(job[i+5])<<8
				h := int(job[i+6]) | int(job[i+7])<<8
				if err := need(i+8, bpr*h); err != nil {
					return d, err
				}
				d.addRaster(bpr, h, job[i+8:i+8+bpr*h])
				i += 8 + bpr*h
			case '(':
				if err := need(i, 5); err != nil {
					return d, err
				}
				if job[i+2] != 'k' {
					return d, fmt.Errorf("offset %d: unknown command GS ( %#02x", i, job[i+2])
				}
				n := int(job[i+3]) | int(job[i+4])<<8
				if err := need(i+5, n); err != nil {
					return d, err
				}
				p := job[i+5 : i+5+n]
				if len(p) < 2 || p[0] != 0x31 {
					return d, fmt.Errorf("offset %d: not a QR function: % x", i, p)
				}
				haveQR = true
				switch {
				case p[1] == 0x41 && len(p) == 4:
					qr.model = p[2]
				case p[1] == 0x43 && len(p) == 3:
					qr.module = p[2]
				case p[1] == 0x45 && len(p) == 3:
					qr.ec = p[2]
				case p[1] == 0x50 && len(p) >= 3 && p[2] == 0x30:
					qr.data = string(p[3:])
				case p[1] == 0x51 && len(p) == 3:
					qr.printed = true
					d.blocks = append(d.blocks, block{kind: kindNativeQR, qr: qr, align: align})
				default:
					return d, fmt.Errorf("offset %d: QR function % x", i, p)
				}
				i += 5 + n
			default:
				return d, fmt.Errorf("offset %d: unknown command GS %#02x", i, job[i+1])
			}
		default:
			if c < 0x20 || c == 0x7f {
				return d, fmt.Errorf("offset %d: stray control byte %#02x", i, c)
			}
			if c >= 0x80 && !chinese {
				return d, fmt.Errorf("offset %d: byte %#02x outside Chinese mode", i, c)
			}
			if c >= 0x80 {
				// Two-byte character: the second byte may look like
				// anything from 0x40 up, never like a command.
				if err := need(i, 2); err != nil {
					return d, err
				}
				if job[i+1] < 0x40 {
					return d, fmt.Errorf("offset %d: broken GBK pair % x", i, job[i:i+2])
				}
				text = append(text, c, job[i+1])
				i += 2
				continue
			}
			text = append(text, c)
			i++
		}
	}
	if len(text) > 0 {
		return d, fmt.Errorf("text %q never ended with a line feed", text)
	}
	if haveQR && !qr.printed {
		return d, errors.New("QR code stored but never printed")
	}
	d.chineseEnd = chinese
	return d, nil
}

// addRaster appends an image, joining it to an image right before it of the
// same width: a tall picture may be sent in bands.
func (d *decoded) addRaster(bpr, h int, data []byte) {
	img := image.NewGray(image.Rect(0, 0, bpr*8, h))
	for y := 0; y < h; y++ {
		for x := 0; x < bpr*8; x++ {
			if data[y*bpr+x/8]&(0x80>>(x%8)) != 0 {
				img.SetGray(x, y, color.Gray{0})
			} else {
				img.SetGray(x, y, color.Gray{255})
			}
		}
	}
	if n := len(d.blocks); n > 0 && d.blocks[n-1].kind == kindImage && d.blocks[n-1].img.Rect.Dx() == img.Rect.Dx() {
		prev := d.blocks[n-1].img
		joined := image.NewGray(image.Rect(0, 0, prev.Rect.Dx(), prev.Rect.Dy()+h))
		copy(joined.Pix, prev.Pix)
		copy(joined.Pix[len(prev.Pix):], img.Pix)
		d.blocks[n-1].img = joined
		return
	}
	d.blocks = append(d.blocks, block{kind: kindImage, img: img})
}

// readQR decodes the QR code in img.
func readQR(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// inkBounds is the smallest rectangle holding every black dot of img.
func inkBounds(img *image.Gray) image.Rectangle {
	var r image.Rectangle
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if img.GrayAt(x, y).Y < 128 {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return r
}

// moduleSize measures the QR module size from the top-left finder pattern,
// whose top edge is a run of 7 black modules.
func moduleSize(img *image.Gray) int {
	ink := inkBounds(img)
	run := 0
	for x := ink.Min.X; x < ink.Max.X && img.GrayAt(x, ink.Min.Y).Y < 128; x++ {
		run++
	}
	return run / 7
}
