package printer

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files and the preview in testdata/")

var sampleVariants = []struct {
	name string
	o    Options
}{
	{"sample-58mm-zh", Options{Width: Width58mm, Lang: "zh"}},
	{"sample-58mm-en", Options{Width: Width58mm, Lang: "en"}},
	{"sample-80mm-zh", Options{Width: Width80mm, Lang: "zh"}},
	{"sample-80mm-en", Options{Width: Width80mm, Lang: "en"}},
}

func TestEncodeGolden(t *testing.T) {
	for _, tt := range sampleVariants {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Encode(SampleTicket(), tt.o)
			if err != nil {
				t.Fatalf("Encode(sample, %+v): %v", tt.o, err)
			}
			path := filepath.Join("testdata", tt.name+".bin")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./printer -run TestEncodeGolden -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				i := 0
				for i < min(len(got), len(want)) && got[i] == want[i] {
					i++
				}
				t.Errorf("Encode(sample, %+v): got %d bytes, want %d as in %s; first difference at byte %d\n"+
					"if the change is intended, run go test ./printer -run TestEncodeGolden -update",
					tt.o, len(got), len(want), path, i)
			}
		})
	}
}

func TestSampleReadsBack(t *testing.T) {
	zhLines := []string{"Demo Branch", "A023", "综合业务", "2026-03-14 09:41", "前面还有 3 人 · 约 10-15 分钟",
		"扫码查看排队进度", "请留意叫号屏幕", "Please watch the display"}
	enLines := []string{"Demo Branch", "A023", "General", "2026-03-14 09:41", "3 people ahead, about 10-15 min",
		"Scan to follow your turn", "请留意叫号屏幕", "Please watch the display"}
	bothLines := []string{"Demo Branch", "A023", "综合业务", "General", "2026-03-14 09:41",
		"前面还有 3 人 · 约 10-15 分钟", "3 people ahead, about 10-15 min",
		"扫码查看排队进度", "Scan to follow your turn", "请留意叫号屏幕", "Please watch the display"}

	tests := []struct {
		name  string
		o     Options
		lines []string
	}{
		{"58mm zh", Options{Width: Width58mm, Lang: "zh"}, zhLines},
		{"58mm en", Options{Width: Width58mm, Lang: "en"}, enLines},
		{"80mm zh", Options{Width: Width80mm, Lang: "zh"}, zhLines},
		{"80mm en", Options{Width: Width80mm, Lang: "en"}, enLines},
		{"58mm both", Options{Width: Width58mm}, bothLines},
		{"80mm both", Options{Width: Width80mm}, bothLines},
	}
	sample := SampleTicket()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, err := Encode(sample, tt.o)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			d, err := decodeJob(job)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if got := d.texts(); !slices.Equal(got, tt.lines) {
				t.Errorf("lines:\ngot  %q\nwant %q", got, tt.lines)
			}
			if d.inits != 1 {
				t.Errorf("got %d ESC @, want 1", d.inits)
			}
			if last := d.blocks[len(d.blocks)-1]; last.kind != kindCut {
				t.Errorf("last block: got kind %d, want a cut", last.kind)
			}
			if d.chineseEnd {
				t.Errorf("job ends in Chinese mode; want it switched off before the cut")
			}
			num, ok := d.find("A023")
			if !ok {
				t.Fatalf("number line missing")
			}
			if num.sizeW != 8 || num.sizeH != 8 || num.align != AlignCenter {
				t.Errorf("number: got size %dx%d align %d, want 8x8 centred", num.sizeW, num.sizeH, num.align)
			}

			imgs := d.images()
			if len(imgs) != 1 {
				t.Fatalf("got %d raster images, want 1 (the QR code)", len(imgs))
			}
			img := imgs[0]
			if got := img.Rect.Dx(); got != tt.o.Width {
				t.Errorf("QR image width: got %d, want the paper width %d", got, tt.o.Width)
			}
			url, err := readQR(img)
			if err != nil {
				t.Fatalf("reading the QR code: %v", err)
			}
			if url != sample.StatusURL {
				t.Errorf("QR code: got %q, want %q", url, sample.StatusURL)
			}
			mod := moduleSize(img)
			if mod < minQRScale {
				t.Errorf("QR module: got %d dots, want at least %d", mod, minQRScale)
			}
			ink := inkBounds(img)
			left, right := ink.Min.X, img.Rect.Dx()-ink.Max.X
			top, bottom := ink.Min.Y, img.Rect.Dy()-ink.Max.Y
			for _, m := range []struct {
				side string
				got  int
			}{{"left", left}, {"right", right}, {"top", top}, {"bottom", bottom}} {
				if m.got < 4*mod {
					t.Errorf("quiet zone %s: got %d dots, want at least 4 modules (%d)", m.side, m.got, 4*mod)
				}
			}
			if diff := left - right; diff < -1 || diff > 1 {
				t.Errorf("QR not centred: %d dots left, %d right", left, right)
			}
		})
	}
}

func TestEncodeNativeQR(t *testing.T) {
	for _, width := range []int{Width58mm, Width80mm} {
		sample := SampleTicket()
		job, err := Encode(sample, Options{Width: width, NativeQR: true})
		if err != nil {
			t.Fatalf("Encode: %v", err)
		}
		d, err := decodeJob(job)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if n := len(d.images()); n != 0 {
			t.Errorf("width %d: got %d raster images, want none with NativeQR", width, n)
		}
		var qrs []nativeQR
		for _, b := range d.blocks {
			if b.kind == kindNativeQR {
				qrs = append(qrs, b.qr)
				if b.align != AlignCenter {
					t.Errorf("width %d: native QR alignment %d, want centred", width, b.align)
				}
			}
		}
		if len(qrs) != 1 {
			t.Fatalf("width %d: got %d native QR codes, want 1", width, len(qrs))
		}
		want := nativeQR{model: 0x32, module: qrs[0].module, ec: 0x31, data: sample.StatusURL, printed: true}
		if qrs[0] != want {
			t.Errorf("width %d: got %+v, want %+v", width, qrs[0], want)
		}
		if qrs[0].module < minQRScale || qrs[0].module > 16 {
			t.Errorf("width %d: module size %d, want %d-16", width, qrs[0].module, minQRScale)
		}
	}
}

func TestLineText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ascii", "Counter 3", "Counter 3"},
		{"chinese", "前面还有 3 人", "前面还有 3 人"},
		{"traditional", "綜合業務", "綜合業務"},
		{"middle dot", "a · b", "a · b"},
		{"emoji", "hi 😀!", "hi ?!"},
		{"one-byte euro", "€5", "?5"},
		{"invalid utf-8", "\xff ok", "? ok"},
		{"escape injection", "x\x1b@\x1dV\x42y", "x @ VBy"},
		{"tab and cr", "a\tb\rc", "a b c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := NewEncoder(Width58mm)
			e.Line(tt.in)
			d, err := decodeJob(e.Bytes())
			if err != nil {
				t.Fatalf("decode %q: %v", tt.in, err)
			}
			if got := d.texts(); len(got) != 1 || got[0] != tt.want {
				t.Errorf("Line(%q): got %q, want [%q]", tt.in, got, tt.want)
			}
		})
	}
}

func TestChineseModeOnlyWhenNeeded(t *testing.T) {
	ascii := SampleTicket()
	ascii.Footer = "Thank you"
	tests := []struct {
		name        string
		t           Ticket
		o           Options
		wantChinese bool
	}{
		{"english ascii ticket", ascii, Options{Lang: "en"}, false},
		{"english ticket, chinese footer", SampleTicket(), Options{Lang: "en"}, true},
		{"chinese ticket", ascii, Options{Lang: "zh"}, true},
		{"both languages", ascii, Options{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, err := Encode(tt.t, tt.o)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			d, err := decodeJob(job)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if d.chineseUsed != tt.wantChinese {
				t.Errorf("Chinese mode used: got %v, want %v", d.chineseUsed, tt.wantChinese)
			}
		})
	}
}

func TestTicketLines(t *testing.T) {
	base := SampleTicket()
	with := func(f func(*Ticket)) Ticket {
		t := base
		f(&t)
		return t
	}
	tests := []struct {
		name    string
		t       Ticket
		o       Options
		want    []string // lines that must appear
		notWant []string // substrings that must not appear in any line
	}{
		{"next, no estimate", with(func(t *Ticket) { t.Ahead, t.WaitMinMin, t.WaitMaxMin = 0, 0, 0 }), Options{},
			[]string{"下一位就是您", "You are next"}, []string{"about", "约"}},
		{"one ahead, single estimate", with(func(t *Ticket) { t.Ahead, t.WaitMinMin, t.WaitMaxMin = 1, 5, 5 }), Options{Lang: "en"},
			[]string{"1 person ahead, about 5 min"}, []string{"5-5"}},
		{"reversed range", with(func(t *Ticket) { t.WaitMinMin, t.WaitMaxMin = 20, 10 }), Options{Lang: "zh"},
			[]string{"前面还有 3 人 · 约 10-20 分钟"}, nil},
		{"english only, chinese service name only", with(func(t *Ticket) { t.ServiceEN = "" }), Options{Lang: "en"},
			[]string{"综合业务"}, nil},
		{"no qr without url", with(func(t *Ticket) { t.StatusURL = "" }), Options{},
			[]string{"A023"}, []string{"Scan", "扫码"}},
		{"time in its own zone", with(func(t *Ticket) { t.IssuedAt = t.IssuedAt.UTC() }), Options{},
			[]string{"2026-03-14 01:41"}, nil},
		{"long footer wraps between words", with(func(t *Ticket) {
			t.Footer = "Opening hours Monday to Friday nine to five, Saturday mornings only"
		}), Options{Width: Width58mm, Lang: "en"},
			[]string{"Opening hours Monday to Friday", "nine to five, Saturday mornings", "only"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job, err := Encode(tt.t, tt.o)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			d, err := decodeJob(job)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			lines := d.texts()
			for _, w := range tt.want {
				if !slices.Contains(lines, w) {
					t.Errorf("line %q missing; got %q", w, lines)
				}
			}
			for _, nw := range tt.notWant {
				for _, l := range lines {
					if strings.Contains(l, nw) {
						t.Errorf("line %q contains %q", l, nw)
					}
				}
			}
			if d.images() == nil && tt.t.StatusURL != "" {
				t.Errorf("QR image missing")
			}
		})
	}
}

func TestNumberMagnification(t *testing.T) {
	tests := []struct {
		width  int
		number string
		want   int
	}{
		{Width58mm, "A023", 8},
		{Width80mm, "A023", 8},
		{Width58mm, "A1234", 6},
		{Width80mm, "A1234", 8},
		{Width58mm, "VIP-0001", 4},
		{Width58mm, "号123", 6},
		{Width58mm, strings.Repeat("9", 40), 1},
	}
	for _, tt := range tests {
		tk := SampleTicket()
		tk.Number = tt.number
		job, err := Encode(tk, Options{Width: tt.width, Lang: "en"})
		if err != nil {
			t.Fatalf("Encode(%q): %v", tt.number, err)
		}
		d, err := decodeJob(job)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		var got int
		for _, b := range d.blocks {
			if b.kind == kindText && strings.HasPrefix(tt.number, b.text) {
				got = b.sizeW
				break
			}
		}
		if got != tt.want {
			t.Errorf("width %d number %q: got magnification %d, want %d", tt.width, tt.number, got, tt.want)
		}
	}
}

func TestWrap(t *testing.T) {
	e, _ := NewEncoder(Width58mm)
	tests := []struct {
		in   string
		cols int
		want []string
	}{
		{"", 10, nil},
		{"short", 10, []string{"short"}},
		{"exactly ten", 11, []string{"exactly ten"}},
		{"one two three four", 9, []string{"one two", "three", "four"}},
		{"supercalifragilistic", 8, []string{"supercal", "ifragili", "stic"}},
		{"请留意叫号屏幕", 6, []string{"请留意", "叫号屏", "幕"}},
		{"  spaced   out  ", 20, []string{"spaced out"}},
		{"前面还有 12 人 · 约 100-120 分钟", 20, []string{"前面还有 12 人 · 约", "100-120 分钟"}},
	}
	for _, tt := range tests {
		if got := wrap(tt.in, tt.cols, e.textWidth); !slices.Equal(got, tt.want) {
			t.Errorf("wrap(%q, %d): got %q, want %q", tt.in, tt.cols, got, tt.want)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		t    Ticket
		o    Options
		want string // part of the error message
	}{
		{"empty number", Ticket{Number: " "}, Options{}, "empty number"},
		{"bad width", SampleTicket(), Options{Width: 500}, "paper width 500"},
		{"bad language", SampleTicket(), Options{Lang: "fr"}, `"fr"`},
		{"url too long", Ticket{Number: "A1", StatusURL: "http://x/" + strings.Repeat("y", 800)}, Options{Width: Width58mm}, "shorten the status url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Encode(tt.t, tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// FuzzEncode feeds text from the config and the API through the layout: the
// job must always read back cleanly, whatever the text holds.
func FuzzEncode(f *testing.F) {
	f.Add("Demo Branch", "A023", "综合业务", "请留意叫号屏幕\nThanks", 3)
	f.Add("\x1b@", "\x00", "😀", "\xff\xfe", -1)
	f.Fuzz(func(t *testing.T, branch, number, service, footer string, ahead int) {
		tk := SampleTicket()
		tk.Branch, tk.Number, tk.ServiceZH, tk.ServiceEN, tk.Footer, tk.Ahead = branch, number, service, service, footer, ahead
		for _, o := range []Options{{Width: Width58mm}, {Width: Width80mm, NativeQR: true}} {
			job, err := Encode(tk, o)
			if err != nil {
				if strings.TrimSpace(number) == "" {
					continue
				}
				t.Fatalf("Encode: %v", err)
			}
			d, err := decodeJob(job)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if d.inits != 1 || d.blocks[len(d.blocks)-1].kind != kindCut {
				t.Fatalf("got %d inits and last block %d, want one init and a cut", d.inits, d.blocks[len(d.blocks)-1].kind)
			}
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	tk := SampleTicket()
	for _, v := range sampleVariants {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Encode(tk, v.o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
