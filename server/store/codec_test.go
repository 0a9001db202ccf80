package store

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"queuebox/server/queue"
)

func sampleEvent() queue.Event {
	at := time.Date(2026, 12, 6, 23, 41, 12, 123000000, time.UTC)
	called, started, ended := at.Add(-20*time.Minute), at.Add(-19*time.Minute), at.Add(-time.Minute)
	t := queue.Ticket{ID: "50099", Number: "A123", ServiceID: "general", Status: queue.StatusDone, Token: "q3T9xZk2Lm0PaB7cVd1E8w",
		Date: "2026-12-06", IssuedAt: at.Add(-40 * time.Minute), CalledAt: &called, StartedAt: &started, EndedAt: &ended,
		CounterID: "c1", CallReason: "next in line", Source: "device:kiosk-1", Notes: "柜台 notes"}
	return queue.Event{Seq: 190203, Type: queue.EventFinished, At: ended, Actor: "user:staff", Ticket: &t,
		Counter: &queue.Counter{ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general", "cash"}}}
}

// TestPackRoundTrip: every record reads back byte for byte, packed records
// are smaller, and values that are not JSON objects are kept as they are.
func TestPackRoundTrip(t *testing.T) {
	ev := sampleEvent()
	evRaw, _ := json.Marshal(ev)
	tkRaw, _ := json.Marshal(ev.Ticket)
	for _, raw := range [][]byte{evRaw, tkRaw, []byte(`{}`), []byte(`{"a":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}`),
		[]byte(`[1,2]`), []byte(`{"x":"` + string(bytes.Repeat([]byte("counter_id"), 100)) + `"}`)} {
		packed := pack(raw)
		back, err := unpack(packed)
		if err != nil || !bytes.Equal(back, raw) {
			t.Fatalf("round trip of %s: got %q, %v", raw, back, err)
		}
		if raw[0] == '{' && len(raw) > 40 && len(packed) >= len(raw) {
			t.Errorf("%d bytes did not pack smaller (%d)", len(raw), len(packed))
		}
	}
	if p := pack(evRaw); len(p) > len(evRaw)/2 {
		t.Errorf("an event with its ticket packs to %d of %d bytes; want at most half", len(p), len(evRaw))
	}
	var got queue.Event
	if err := decodeRecord(pack(evRaw), &got); err != nil || got.Ticket.Notes != ev.Ticket.Notes || got.Seq != ev.Seq {
		t.Fatalf("decode: %+v, %v", got, err)
	}
}

// TestEncodeRecordIsPackedJSON: a record is stored as its JSON packed (or
// plain when packing gains nothing), each in a slice of its own though the
// JSON is made in a shared buffer.
func TestEncodeRecordIsPackedJSON(t *testing.T) {
	ev := sampleEvent()
	// An event with a counter is encoded by encoding/json; one with only
	// its ticket, and the ticket, write their own JSON.
	issued := queue.Event{Seq: 1, Type: queue.EventIssued, At: ev.At, Actor: "device:kiosk-1", Ticket: ev.Ticket}
	values := []any{&ev, &issued, ev.Ticket, ev.Counter, map[string]int{"a": 1}, "<plain & short>"}
	var got [][]byte
	for _, v := range values {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := encodeRecord(v)
		if err != nil || !bytes.Equal(enc, pack(raw)) {
			t.Fatalf("%T stored as %q (%v), want %q", v, enc, err, pack(raw))
		}
		got = append(got, enc)
	}
	for i, v := range values {
		raw, _ := json.Marshal(v)
		if !bytes.Equal(got[i], pack(raw)) {
			t.Errorf("the record of %T changed when later ones were made: %q", v, got[i])
		}
	}
	// What encoding/json refuses is refused, not written some other way.
	if enc, err := encodeRecord(&queue.Ticket{IssuedAt: time.Date(12026, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil {
		t.Errorf("a ticket issued in the year 12026 was stored as %q, want an error", enc)
	}
}

// TestPackMarksWrap: a packer marks what it saw with the record's number;
// when that wraps around (after 2³² records), records pack as before.
func TestPackMarksWrap(t *testing.T) {
	ev := sampleEvent()
	raw, _ := json.Marshal(ev)
	other, _ := json.Marshal(ev.Ticket)
	want := pack(raw)
	p := &packer{gen: math.MaxUint32 - 2}
	for i := range 6 {
		p.pack(other) // leaves marks the next record must not take as its own
		if got := p.pack(raw); !bytes.Equal(got, want) {
			t.Fatalf("record %d near the wrap (mark %d) packs to %x, want %x", i, p.gen, got, want)
		}
	}
}

// FuzzUnpack: damaged packed values give errors, never a panic or a huge
// allocation, and anything packed reads back.
func FuzzUnpack(f *testing.F) {
	evRaw, _ := json.Marshal(sampleEvent())
	f.Add(pack(evRaw))
	f.Add(evRaw)
	f.Add([]byte{packV1, 0xf0})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = unpack(b)
		if len(b) > 0 && b[0] == '{' {
			back, err := unpack(pack(b))
			if err != nil || !bytes.Equal(back, b) {
				t.Fatalf("round trip of %q: %q, %v", b, back, err)
			}
		}
	})
}

func BenchmarkPackEvent(b *testing.B) {
	raw, _ := json.Marshal(sampleEvent())
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		pack(raw)
	}
	b.ReportMetric(float64(len(pack(raw))), "packed-bytes")
}

func BenchmarkUnpackEvent(b *testing.B) {
	raw, _ := json.Marshal(sampleEvent())
	p := pack(raw)
	for b.Loop() {
		unpack(p)
	}
}
