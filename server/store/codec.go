package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"sync"
)

// Records of the history (tickets, events, appointments) are JSON, packed
// against a fixed dictionary of what such records usually hold: the JSON
// keys, statuses, event types and the shape of a time. An event with its
// ticket shrinks from about 530 bytes to about 150, which is most of a
// year's file. The packing knows nothing of the fields, so a field added
// to a ticket later is kept like any other.
//
// A packed value starts with packV1; anything else is plain JSON (the layout
// before schema 3, and records that do not pack smaller), so both read the
// same way and old files need no rewrite before use.
//
// The format is a small LZ77: a sequence of
//
//	token (literal count << 4 | match length - minMatch, 15 meaning "more
//	in a uvarint"), the literals, then the match's distance back (uvarint)
//
// where a match may reach back into the dictionary, which sits before the
// record. The last sequence has literals only.

const (
	packV1   = 0x01
	minMatch = 4
	hashBits = 12
)

// dictV1 is frozen: every record packed with packV1 is read against exactly
// these bytes. A new dictionary needs a new leading byte.
const dictV1 = `{"id":"","code":"","service_id":"","start":"","end":"","status":"booked","ticket_id":"","created_at":"` +
	`appointment_booked","appointment_cancelled","appointment_checked_in","transferred","parked","noted","service_changed","counter_changed",` +
	`"recall":true,"deleted":true,"from":"","appointment":{"id":"","counter":{"id":"c1","name":"Counter ","service_ids":["general","cash"],"paused":false},` +
	`"transfers":[""],"appointment_id":"","appointment_at":"","parked_at":"","notes":"","outcome":"","recalls":1,` +
	`"status":"cancelled","status":"no_show","status":"parked","status":"serving","status":"done","status":"called",` +
	`{"seq":1,"type":"issued","at":"2026-01-01T00:00:00.000Z","actor":"user:","actor":"device:","actor":"customer","ticket":` +
	`{"id":"1","number":"A001","service_id":"general","status":"waiting","priority":0,"token":"","date":"2026-01-01",` +
	`"issued_at":"2026-01-01T00:00:00.000000000Z","called_at":null,"started_at":"2026-01-01T00:00:00Z","ended_at":"2026-01-01T00:00:00Z",` +
	`"counter_id":"","call_reason":"next in line","source":"device:kiosk-1"},"counter":{"id":"c1","name":"Counter 1","service_ids":["general"],"paused":false}}`

var dictTable = func() *[1 << hashBits]int32 {
	var t [1 << hashBits]int32
	for i := range t {
		t[i] = -1
	}
	d := []byte(dictV1)
	for i := 0; i+minMatch <= len(d); i++ {
		t[hash4(d[i:])] = int32(i)
	}
	return &t
}()

func hash4(b []byte) uint32 {
	return (binary.LittleEndian.Uint32(b) * 2654435761) >> (32 - hashBits)
}

type packer struct {
	// table holds, for each hash, the last position it was seen at in
	// this record, where seen[h] is gen; dictTable's position otherwise.
	// (Resetting a 16 KiB table for every record cost more than packing.)
	table [1 << hashBits]int32
	seen  [1 << hashBits]uint32
	gen   uint32
	src   []byte
	check []byte // what pack's output unpacks to
}

func (p *packer) get(h uint32) int32 {
	if p.seen[h] == p.gen {
		return p.table[h]
	}
	return dictTable[h]
}

func (p *packer) set(h uint32, i int) {
	p.table[h], p.seen[h] = int32(i), p.gen
}

var packers = sync.Pool{New: func() any { return &packer{} }}

// jsonBufs hold records' JSON on its way to being packed: only the packed
// form is kept, so the JSON need not be a slice of its own.
var jsonBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// appender is a record that writes its own JSON, the bytes encoding/json
// would write (false when it cannot: encoding/json then does, or says why
// not). Tickets and their events are written this way: they are most of
// what a ticket issued costs to store.
type appender interface {
	AppendJSON(b []byte) ([]byte, bool)
}

// appendBufs are jsonBufs for the records that write their own JSON.
var appendBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// encodeRecord is the stored form of v: packed JSON, or plain JSON when
// packing would not make it smaller.
func encodeRecord(v any) ([]byte, error) {
	if a, ok := v.(appender); ok {
		bp := appendBufs.Get().(*[]byte)
		defer appendBufs.Put(bp)
		if *bp, ok = a.AppendJSON((*bp)[:0]); ok {
			return packed(*bp), nil
		}
	}
	buf := jsonBufs.Get().(*bytes.Buffer)
	defer jsonBufs.Put(buf)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return nil, err
	}
	return packed(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil // as json.Marshal gives it
}

// packed is pack(raw) in a slice of its own: raw is a pooled buffer.
func packed(raw []byte) []byte {
	out := pack(raw)
	if len(out) > 0 && &out[0] == &raw[0] {
		return bytes.Clone(raw) // kept plain
	}
	return out
}

// pack returns the packed form of a JSON record, or raw itself when that is
// no smaller. Every packed record is unpacked once before it is returned:
// a record is worth the microsecond that proves it reads back.
func pack(raw []byte) []byte {
	if len(raw) == 0 || raw[0] != '{' {
		return raw
	}
	p := packers.Get().(*packer)
	defer packers.Put(p)
	return p.pack(raw)
}

func (p *packer) pack(raw []byte) []byte {
	if p.gen++; p.gen == 0 {
		// After 2³² records: marks of the last round could pass as new.
		p.seen, p.gen = [1 << hashBits]uint32{}, 1
	}
	p.src = append(append(p.src[:0], dictV1...), raw...)
	src, base := p.src, len(dictV1)

	out := make([]byte, 1, len(raw)/2+16)
	out[0] = packV1
	lit := base // start of the literals not yet written
	i := base
	for i+minMatch <= len(src) {
		h := hash4(src[i:])
		cand := int(p.get(h))
		p.set(h, i)
		if cand < 0 || binary.LittleEndian.Uint32(src[cand:]) != binary.LittleEndian.Uint32(src[i:]) {
			i++
			continue
		}
		n := minMatch
		for i+n < len(src) && src[cand+n] == src[i+n] {
			n++
		}
		out = appendSeq(out, src[lit:i], n, i-cand)
		for j := i + 1; j < i+n && j+minMatch <= len(src); j++ {
			p.set(hash4(src[j:]), j)
		}
		i += n
		lit = i
	}
	out = appendSeq(out, src[lit:], 0, 0)
	if len(out) >= len(raw) {
		return raw
	}
	back, err := unpackTo(p.check, out)
	p.check = back
	if err != nil || !bytes.Equal(back[len(dictV1):], raw) {
		return raw
	}
	return out
}

func appendSeq(out, lits []byte, match, dist int) []byte {
	ml := 0
	if match > 0 {
		ml = match - minMatch
	}
	tok := byte(min(len(lits), 15)<<4) | byte(min(ml, 15))
	out = append(out, tok)
	if len(lits) >= 15 {
		out = binary.AppendUvarint(out, uint64(len(lits)-15))
	}
	out = append(out, lits...)
	if match == 0 {
		return out
	}
	out = binary.AppendUvarint(out, uint64(dist))
	if ml >= 15 {
		out = binary.AppendUvarint(out, uint64(ml-15))
	}
	return out
}

var errPacked = errors.New("damaged packed record")

// unpack turns a stored value back into JSON.
func unpack(v []byte) ([]byte, error) {
	if len(v) == 0 || v[0] != packV1 {
		return v, nil
	}
	buf, err := unpackTo(make([]byte, 0, len(dictV1)+4*len(v)), v)
	if err != nil {
		return nil, err
	}
	return buf[len(dictV1):], nil
}

// unpackTo unpacks v, a packed record, into buf (from its start), after
// the dictionary: pack checks its output in a buffer it keeps.
func unpackTo(buf, v []byte) ([]byte, error) {
	return unpackAfterDict(append(buf[:0], dictV1...), v)
}

// unpackAfterDict is unpackTo into a buf that holds the dictionary and
// nothing after it: a reader of many records copies it once.
func unpackAfterDict(buf, v []byte) ([]byte, error) {
	in := v[1:]
	for len(in) > 0 {
		tok := in[0]
		in = in[1:]
		nl := int(tok >> 4)
		if nl == 15 {
			x, k := binary.Uvarint(in)
			if k <= 0 || x > uint64(len(in)) {
				return nil, errPacked
			}
			nl += int(x)
			in = in[k:]
		}
		if nl > len(in) {
			return nil, errPacked
		}
		buf = append(buf, in[:nl]...)
		in = in[nl:]
		if len(in) == 0 {
			if tok&15 != 0 {
				return nil, errPacked
			}
			break
		}
		dist, k := binary.Uvarint(in)
		if k <= 0 || dist == 0 || dist > uint64(len(buf)) {
			return nil, errPacked
		}
		in = in[k:]
		n := int(tok&15) + minMatch
		if tok&15 == 15 {
			x, k := binary.Uvarint(in)
			if k <= 0 || x > 1<<20 {
				return nil, errPacked
			}
			n += int(x)
			in = in[k:]
		}
		from := len(buf) - int(dist)
		if int(dist) >= n {
			buf = append(buf, buf[from:from+n]...)
			continue
		}
		for j := range n { // byte by byte: the match overlaps what it writes
			buf = append(buf, buf[from+j])
		}
	}
	return buf, nil
}

// decodeRecord reads a stored value (packed or plain JSON) into v.
func decodeRecord(raw []byte, v any) error {
	js, err := unpack(raw)
	if err != nil {
		return err
	}
	return json.Unmarshal(js, v)
}
