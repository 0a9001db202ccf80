package display_test

import (
	"bytes"
	"encoding/binary"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// The lobby chime is made here rather than downloaded, so its origin and
// licence are plain. Regenerate it with:
//
//	go test ./display -run TestChime -update
var update = flag.Bool("update", false, "rewrite assets/static/chime.wav")

const (
	chimeRate    = 16000
	chimeSeconds = 1.25
	chimePath    = "../assets/static/chime.wav"
)

// bell is one struck note: a few partials, the higher ones dying faster, and
// one slightly inharmonic partial that makes it sound like metal, not a beep.
func bell(t, freq float64) float64 {
	if t < 0 {
		return 0
	}
	partials := []struct{ mul, amp, decay float64 }{
		{1, 1, 0.55},
		{2, 0.32, 0.30},
		{3, 0.10, 0.20},
		{4.16, 0.07, 0.12},
	}
	attack := math.Min(1, t/0.004) // 4 ms: no click
	var v float64
	for _, p := range partials {
		v += p.amp * math.Exp(-t/p.decay) * math.Sin(2*math.Pi*freq*p.mul*t)
	}
	return attack * v
}

// chimeSamples is a "ding-dong": E5 then C5, a major third down.
func chimeSamples() []int16 {
	n := int(chimeRate * chimeSeconds)
	raw := make([]float64, n)
	peak := 0.0
	for i := range raw {
		t := float64(i) / chimeRate
		v := bell(t, 659.25) + 0.95*bell(t-0.42, 523.25)
		// Fade the tail so the file ends in silence.
		if rest := chimeSeconds - t; rest < 0.25 {
			v *= rest / 0.25
		}
		raw[i] = v
		peak = math.Max(peak, math.Abs(v))
	}
	out := make([]int16, n)
	for i, v := range raw {
		out[i] = int16(math.Round(v / peak * 0.7 * math.MaxInt16))
	}
	return out
}

func encodeWAV(samples []int16, rate int) []byte {
	var b bytes.Buffer
	data := len(samples) * 2
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	w(uint32(36 + data))
	b.WriteString("WAVEfmt ")
	w(uint32(16))
	w(uint16(1)) // PCM
	w(uint16(1)) // mono
	w(uint32(rate))
	w(uint32(rate * 2))
	w(uint16(2))
	w(uint16(16))
	b.WriteString("data")
	w(uint32(data))
	w(samples)
	return b.Bytes()
}

func TestChime(t *testing.T) {
	want := encodeWAV(chimeSamples(), chimeRate)
	if *update {
		if err := os.WriteFile(filepath.FromSlash(chimePath), want, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", chimePath, len(want))
		return
	}
	got, err := os.ReadFile(filepath.FromSlash(chimePath))
	if err != nil {
		t.Fatalf("read chime: %v (run: go test ./display -run TestChime -update)", err)
	}
	if len(got) != len(want) || !bytes.Equal(got[:44], want[:44]) {
		t.Fatalf("chime.wav header or length differs from the generator: got %d bytes, want %d; run with -update", len(got), len(want))
	}
	// Floating point may round the last bit differently on another CPU.
	for i := 44; i+1 < len(got); i += 2 {
		g := int16(binary.LittleEndian.Uint16(got[i:]))
		w := int16(binary.LittleEndian.Uint16(want[i:]))
		if d := int(g) - int(w); d > 1 || d < -1 {
			t.Fatalf("chime.wav sample %d = %d, generator gives %d; run with -update", (i-44)/2, g, w)
		}
	}
}
