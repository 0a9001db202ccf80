package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"queuebox/server/queue"
)

// ModelEvents is Events as the wait model reads them at start-up: each
// event with its seq, type, time and recall mark, and of its ticket only
// what the engine's learner (queue's learnLocked) hands the model: service,
// counter, priority, issue and call times, the appointment's time,
// transfers and the promise. Everything else is left zero, and events of
// the types the model does not learn from (queue.Teaches) carry no ticket.
//
// A box reads some weeks of events when it starts, and decoding all of
// each record with encoding/json was most of its start-up: this reader
// walks the JSON once and skips what the model never reads. A record it
// does not follow (an escaped key, an unusual value) is decoded in full,
// so the model learns the same as from Events; TestModelEventsLearnLikeEvents
// holds the two together. It checks JSON's grammar but not the types of
// the fields it skips: a damaged record with, say, a number for a ticket's
// notes still teaches the model, where Events fails the whole read.
//
// The records are read in parallel, a share per CPU, inside one read
// transaction: the cursor only collects them.
func (db *DB) ModelEvents(since uint64, limit int) ([]queue.Event, error) {
	var out []queue.Event
	err := db.view(func(tx *bolt.Tx) error {
		// keys and raws point into the mapped file: valid until the
		// transaction ends, which is after every reader has finished.
		keys := make([][]byte, 0, min(limit, 1<<16))
		raws := make([][]byte, 0, cap(keys))
		c := tx.Bucket(bEvents).Cursor()
		for k, v := c.Seek(u64(since + 1)); k != nil && len(raws) < limit; k, v = c.Next() {
			keys, raws = append(keys, k), append(raws, v)
		}
		out = make([]queue.Event, len(raws))
		return readLeanly(keys, raws, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// leanShare is the fewest records worth a reader goroutine of their own.
const leanShare = 2048

// readLeanly reads raws into out, splitting them among up to one reader
// per CPU, and returns the error of the first record that fails.
func readLeanly(keys, raws [][]byte, out []queue.Event) error {
	n := max(1, min(runtime.GOMAXPROCS(0), len(raws)/leanShare))
	errs := make([]error, n)
	var wg sync.WaitGroup
	for w := range n {
		from, to := w*len(raws)/n, (w+1)*len(raws)/n
		wg.Go(func() { errs[w] = readShare(keys[from:to], raws[from:to], out[from:to]) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// readShare is one reader's share of readLeanly.
func readShare(keys, raws [][]byte, out []queue.Event) (err error) {
	defer func() {
		// A reader's panic would not reach the transaction's recover.
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupted, p)
		}
	}()
	r := leanReader{names: map[string]string{}}
	for i, raw := range raws {
		if out[i], err = r.event(raw); err != nil {
			return fmt.Errorf("event %d: %w", binary.BigEndian.Uint64(keys[i]), err)
		}
	}
	return nil
}

// ticketSlab is how many tickets leanReader allocates at once: one
// allocation per ticket was a good part of the garbage of a start-up.
const ticketSlab = 512

// leanReader reads stored events for the wait model. It keeps one buffer
// to unpack records into, and one copy of each service and counter id.
type leanReader struct {
	buf     []byte
	names   map[string]string
	tickets []queue.Ticket
	// in and at are the record being read and the reader's place in it;
	// bad is set at the first thing the reader does not follow.
	in  []byte
	at  int
	bad bool
}

// event decodes one stored event, leanly if it can and in full otherwise.
func (r *leanReader) event(raw []byte) (queue.Event, error) {
	js := raw
	if len(raw) > 0 && raw[0] == packV1 {
		if len(r.buf) < len(dictV1) {
			r.buf = append(r.buf[:0], dictV1...)
		}
		var err error
		if r.buf, err = unpackAfterDict(r.buf[:len(dictV1)], raw); err != nil {
			r.buf = r.buf[:0]
			return queue.Event{}, err
		}
		js = r.buf[len(dictV1):]
	}
	if ev, ok := r.lean(js); ok {
		return ev, nil
	}
	var ev queue.Event
	err := json.Unmarshal(js, &ev)
	return ev, err
}

// lean reads the event in js, or reports false.
func (r *leanReader) lean(js []byte) (queue.Event, bool) {
	r.in, r.at, r.bad = js, 0, false
	var ev queue.Event
	skipped := false
	for i := 0; ; i++ {
		key, ok := r.member(i)
		if !ok {
			break
		}
		switch string(key) {
		case "seq":
			ev.Seq = r.uint()
		case "type":
			ev.Type = r.text()
		case "at":
			ev.At = r.time()
		case "recall":
			ev.Recall = r.bool()
		case "ticket":
			switch {
			case r.null():
				ev.Ticket = nil
			case ev.Type != "" && !queue.Teaches(ev.Type):
				// The model learns nothing from it (the type comes
				// first in every record queuebox writes).
				ev.Ticket, skipped = nil, true
				r.skip()
			default:
				if ev.Ticket == nil { // a second ticket adds to the first, as in encoding/json
					ev.Ticket = r.newTicket()
				}
				r.ticket(ev.Ticket)
			}
		default:
			r.skip()
		}
	}
	r.space()
	if r.bad || r.at != len(r.in) || skipped && queue.Teaches(ev.Type) {
		return queue.Event{}, false
	}
	return ev, true
}

// ticket reads the fields of a ticket the model learns from into t.
func (r *leanReader) ticket(t *queue.Ticket) {
	for i := 0; ; i++ {
		key, ok := r.member(i)
		if !ok {
			return
		}
		switch string(key) {
		case "service_id":
			t.ServiceID = r.text()
		case "counter_id":
			t.CounterID = r.text()
		case "priority":
			t.Priority = r.int()
		case "issued_at":
			t.IssuedAt = r.time()
		case "called_at":
			t.CalledAt = r.timePtr()
		case "appointment_at":
			t.AppointmentAt = r.timePtr()
		case "transfers":
			t.Transfers = r.texts()
		case "promise":
			t.Promise = r.promise(t.Promise)
		default:
			r.skip()
		}
	}
}

// newTicket is a zero ticket from the reader's current slab.
func (r *leanReader) newTicket() *queue.Ticket {
	if len(r.tickets) == cap(r.tickets) {
		r.tickets = make([]queue.Ticket, 0, ticketSlab)
	}
	r.tickets = r.tickets[:len(r.tickets)+1]
	return &r.tickets[len(r.tickets)-1]
}

// promise reads a promise into p, as encoding/json does (into the one
// already there, if a key comes twice).
func (r *leanReader) promise(p *queue.Promise) *queue.Promise {
	if r.null() {
		return nil
	}
	if p == nil {
		p = &queue.Promise{}
	}
	for i := 0; ; i++ {
		key, ok := r.member(i)
		if !ok {
			return p
		}
		switch string(key) {
		case "wait_seconds":
			p.WaitSeconds = r.int()
		case "low_seconds":
			p.LowSeconds = r.int()
		case "high_seconds":
			p.HighSeconds = r.int()
		case "model_seconds":
			p.ModelSeconds = r.int()
		case "spread_seconds":
			p.SpreadSeconds = r.int()
		default:
			r.skip()
		}
	}
}

// member reads the key of the i-th member of an object (from 0, whose
// call reads the opening brace) and the colon after it, leaving the reader
// at its value, which the caller reads. It reports false at the closing
// brace, or at anything else the reader does not follow. A key
// encoding/json could match to a field in another spelling (it ignores
// case) is not followed.
func (r *leanReader) member(i int) ([]byte, bool) {
	switch {
	case i == 0 && !r.consume('{'), r.consume('}'), i > 0 && !r.consume(','):
		return nil, false
	}
	key := r.key()
	return key, !r.bad && r.consume(':')
}

// key reads an object's key, which must be only lower-case letters,
// digits and underscores, as every key queuebox writes is.
func (r *leanReader) key() []byte {
	r.space()
	in, i := r.in, r.at
	if i >= len(in) || in[i] != '"' {
		r.bad = true
		return nil
	}
	start := i + 1
	for i = start; i < len(in) && keyByte[in[i]]; i++ {
	}
	if i >= len(in) || in[i] != '"' {
		r.bad = true
		return nil
	}
	r.at = i + 1
	return in[start:i]
}

// keyByte are the bytes of the keys the reader follows.
var keyByte = func() (t [256]bool) {
	for c := range t {
		t[c] = 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_'
	}
	return t
}()

// str reads a string and returns what is between its quotes; plain is
// false when it holds an escape or a byte beyond ASCII (the caller then
// gives up on the record or leaves the string to encoding/json, which
// also mends invalid UTF-8).
func (r *leanReader) str() (s []byte, plain bool) {
	r.space()
	if r.at >= len(r.in) || r.in[r.at] != '"' {
		r.bad = true
		return nil, false
	}
	start := r.at + 1
	plain = true
	for i := start; i < len(r.in); i++ {
		for i < len(r.in) && !strSpecial[r.in[i]] {
			i++
		}
		if i == len(r.in) {
			break
		}
		switch c := r.in[i]; {
		case c == '"':
			r.at = i + 1
			return r.in[start:i], plain
		case c == '\\':
			plain = false
			n := escapeLen(r.in[i:])
			if n == 0 {
				r.bad = true
				return nil, false
			}
			i += n - 1 // an escaped quote does not end the string
		case c >= 0x80:
			plain = false
		default: // a control character
			r.bad = true
			return nil, false
		}
	}
	r.bad = true
	return nil, false
}

// escapeLen is the length of the escape at the start of b (a backslash
// and what follows), 0 if JSON has no such escape.
func escapeLen(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		if len(b) < 6 {
			return 0
		}
		for _, c := range b[2:6] {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return 0
			}
		}
		return 6
	}
	return 0
}

// strSpecial are the bytes str stops at in a string.
var strSpecial = func() (t [256]bool) {
	for c := range t {
		t[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80
	}
	return t
}()

// text reads a string value. Each is kept once per reader: a few types,
// services and counters recur in every event.
func (r *leanReader) text() string {
	from := r.at
	s, plain := r.str()
	if r.bad {
		return ""
	}
	if !plain {
		var v string
		if json.Unmarshal(r.in[from:r.at], &v) != nil {
			r.bad = true
		}
		return v
	}
	if v, ok := r.names[string(s)]; ok {
		return v
	}
	v := string(s)
	r.names[v] = v
	return v
}

func (r *leanReader) texts() []string {
	if r.null() {
		return nil
	}
	if !r.consume('[') {
		return nil
	}
	out := []string{}
	if r.consume(']') {
		return out
	}
	for !r.bad {
		out = append(out, r.text())
		if r.consume(']') {
			return out
		}
		if !r.consume(',') {
			return nil
		}
	}
	return nil
}

// time reads a time as encoding/json would: by time.Time's UnmarshalJSON.
// A null (which would leave the field as it was) is not followed.
func (r *leanReader) time() time.Time {
	r.space()
	from := r.at
	var t time.Time
	if _, plain := r.str(); r.bad || !plain || t.UnmarshalJSON(r.in[from:r.at]) != nil {
		r.bad = true
	}
	return t
}

func (r *leanReader) timePtr() *time.Time {
	if r.null() {
		return nil
	}
	t := r.time()
	return &t
}

// number reads a number's text, checked against JSON's grammar.
func (r *leanReader) number() []byte {
	r.space()
	in, i := r.in, r.at
	from := i
	if i < len(in) && in[i] == '-' {
		i++
	}
	first := i
	if i = digits(in, i); i == first || i-first > 1 && in[first] == '0' {
		r.bad = true
		return nil
	}
	if i < len(in) && in[i] == '.' {
		if i++; digits(in, i) == i {
			r.bad = true
			return nil
		}
		i = digits(in, i)
	}
	if i < len(in) && (in[i] == 'e' || in[i] == 'E') {
		if i++; i < len(in) && (in[i] == '+' || in[i] == '-') {
			i++
		}
		if digits(in, i) == i {
			r.bad = true
			return nil
		}
		i = digits(in, i)
	}
	r.at = i
	return in[from:i]
}

// digits is where the run of digits from in[i] ends.
func digits(in []byte, i int) int {
	for i < len(in) && in[i] >= '0' && in[i] <= '9' {
		i++
	}
	return i
}

// int and uint read integers; anything encoding/json would refuse for an
// integer field (a fraction, too big) sends the record to it, and so does
// a null, which would leave the field as it was.
func (r *leanReader) int() int {
	n, ok := parseInt(r.number())
	if !ok {
		r.bad = true
	}
	return n
}

func (r *leanReader) uint() uint64 {
	b := r.number()
	n, ok := parseInt(b)
	if !ok || b[0] == '-' {
		r.bad = true
		return 0
	}
	return uint64(n)
}

// parseInt reads a decimal integer of at most 18 digits (always in range).
func parseInt(b []byte) (int, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func (r *leanReader) bool() bool {
	switch {
	case r.literal("true"):
		return true
	case r.literal("false"):
		return false
	}
	r.bad = true
	return false
}

// null reads a null if one is next.
func (r *leanReader) null() bool { return r.literal("null") }

func (r *leanReader) literal(word string) bool {
	r.space()
	if r.bad || len(r.in)-r.at < len(word) || string(r.in[r.at:r.at+len(word)]) != word {
		return false
	}
	r.at += len(word)
	return true
}

// skip reads past a value of any kind, checking its grammar.
func (r *leanReader) skip() {
	r.space()
	if r.at >= len(r.in) {
		r.bad = true
		return
	}
	switch r.in[r.at] {
	case '{':
		for i := 0; ; i++ {
			if _, ok := r.member(i); !ok {
				return
			}
			r.skip()
		}
	case '[':
		r.at++
		if r.consume(']') {
			return
		}
		for !r.bad {
			r.skip()
			if r.consume(']') {
				return
			}
			if !r.consume(',') {
				return
			}
		}
	case '"':
		r.str()
	case 't', 'f':
		r.bool()
	case 'n':
		if !r.null() {
			r.bad = true
		}
	default:
		r.number()
	}
}

// consume reads c if it is next; anything else is a record the reader
// does not follow, except for the closing brackets it checks for.
func (r *leanReader) consume(c byte) bool {
	r.space()
	if r.bad || r.at >= len(r.in) {
		r.bad = true
		return false
	}
	if r.in[r.at] == c {
		r.at++
		return true
	}
	if c != '}' && c != ']' {
		r.bad = true
	}
	return false
}

func (r *leanReader) space() {
	for r.at < len(r.in) {
		switch r.in[r.at] {
		case ' ', '\t', '\n', '\r':
			r.at++
		default:
			return
		}
	}
}
