package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"queuebox/server/queue"
)

// The live set (bucket "active") holds everything the engine loads at
// start that a ticket's issue changes, side by side on the pages the issue
// writes anyway:
//
//   - ticket id (8 bytes)           → its token until it is indexed: an active ticket
//   - ticket id + 'i' (9 bytes)     → the idempotency key's use that issued it
//   - 0xff 'n' prefix               → the prefix's number of the day (queue.DayNumber)
//   - 0xff 't'                      → the timekeeping as of the last commit (queue.TimeMark)
//
// A key's use sorts right after its ticket, and new tickets come at the
// end of the ids, so both land on the last leaf, where the numbers and the
// timekeeping (after every id) are too: a ticket issued dirties one leaf of
// one bucket for all four, where separate buckets cost a leaf (or the
// root's page, for a small one), a bucket to open and a header in the root
// page each. Uses expire from the front as before, and a use stays after
// its ticket has left the active set, for a retry to find.
const idemMark = 'i'

var (
	numberMark = []byte{0xff, 'n'}
	timeKey    = []byte{0xff, 't'}
)

// liveKind tells what a key of the live set holds.
type liveKind int

const (
	liveTicket liveKind = iota
	liveIdem
	liveNumber
	liveTime
)

func kindOf(k []byte) (liveKind, error) {
	switch {
	case len(k) == 8:
		return liveTicket, nil
	case len(k) == 9 && k[8] == idemMark:
		return liveIdem, nil
	case len(k) > len(numberMark) && k[0] == numberMark[0] && k[1] == numberMark[1]:
		return liveNumber, nil
	case bytes.Equal(k, timeKey):
		return liveTime, nil
	}
	return 0, fmt.Errorf("unknown key %x in the live set", k)
}

// idemKey is where the use of an idempotency key that issued ticket key
// (8 bytes) is kept.
func idemKey(ticket []byte) []byte { return append(append(make([]byte, 0, 9), ticket...), idemMark) }

func numberKey(prefix string) []byte {
	return append(append(make([]byte, 0, len(numberMark)+len(prefix)), numberMark...), prefix...)
}

// putIdem keeps an idempotency key's use beside its ticket: kiosks' keys
// are random, and keyed by them every issue would rewrite a page picked at
// random; by ticket, uses are appended and expire from the front. The
// engine looks keys up in memory only.
func putIdem(live *bolt.Bucket, it queue.IdemEntry) error {
	var k [9]byte // bbolt copies a key it keeps
	key, err := idemKeyOf(&k, it.TicketID)
	if err != nil {
		return err
	}
	raw, err := encodeIdem(it)
	if err != nil {
		return err
	}
	return live.Put(key, raw)
}

// idemKeyOf writes the key of ticket id's idempotency key's use into k.
func idemKeyOf(k *[9]byte, id string) ([]byte, error) {
	n, err := ticketID(id)
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint64(k[:8], n)
	k[8] = idemMark
	return k[:], nil
}

// encodeIdem is the stored form of a key's use.
func encodeIdem(it queue.IdemEntry) ([]byte, error) {
	// AppendJSON sizes the record at once: a buffer made here, a little
	// short of that, was made again.
	if raw, ok := it.AppendJSON(nil); ok {
		return raw, nil
	}
	return json.Marshal(it) // which says why not
}

// writeIdem writes a change's idempotency keys and forgets its expired ones.
func writeIdem(live *bolt.Bucket, c *queue.Change) error {
	live.FillPercent = fillAppend
	for _, it := range c.Idem {
		if err := putIdem(live, it); err != nil {
			return err
		}
	}
	for _, it := range c.DeleteIdem {
		var k [9]byte
		key, err := idemKeyOf(&k, it.TicketID)
		if err != nil {
			return err
		}
		if err := live.Delete(key); err != nil {
			return err
		}
	}
	return nil
}

// lastOfBatch is what a commit writes once for all its changes: each
// prefix's number as the last change left it, and the last timekeeping.
// A commit of 64 tickets would otherwise write the day's number 64 times
// and keep only the last.
type lastOfBatch struct {
	numbers []queue.DayNumber
	time    *queue.TimeMark
}

func (l *lastOfBatch) add(c *queue.Change) {
	for _, n := range c.Numbers {
		found := false
		for i := range l.numbers {
			if l.numbers[i].Prefix == n.Prefix {
				l.numbers[i], found = n, true
				break
			}
		}
		if !found {
			l.numbers = append(l.numbers, n)
		}
	}
	if c.Time != nil {
		l.time = c.Time
	}
}

func (l *lastOfBatch) write(tx *bolt.Tx) error {
	if len(l.numbers) == 0 && l.time == nil {
		return nil
	}
	live := tx.Bucket(bActive)
	for _, n := range l.numbers {
		if err := putJSON(live, numberKey(n.Prefix), n); err != nil {
			return err
		}
	}
	if l.time != nil {
		return putJSON(live, timeKey, l.time)
	}
	return nil
}

// loadLive reads the live set into snap.
func loadLive(tx *bolt.Tx, snap *queue.Snapshot) error {
	tickets := tx.Bucket(bTickets)
	return tx.Bucket(bActive).ForEach(func(k, v []byte) error {
		kind, err := kindOf(k)
		if err != nil {
			return err
		}
		switch kind {
		case liveIdem:
			var it queue.IdemEntry
			if err := json.Unmarshal(v, &it); err != nil {
				return fmt.Errorf("idempotency key of ticket %d: %w", binary.BigEndian.Uint64(k), err)
			}
			snap.Idem = append(snap.Idem, it)
		case liveNumber:
			var n queue.DayNumber
			if err := json.Unmarshal(v, &n); err != nil {
				return fmt.Errorf("number of prefix %q: %w", k[len(numberMark):], err)
			}
			snap.Numbers = append(snap.Numbers, n)
		case liveTime:
			snap.Time = &queue.TimeMark{}
			if err := json.Unmarshal(v, snap.Time); err != nil {
				return fmt.Errorf("timekeeping: %w", err)
			}
		default:
			var t queue.Ticket
			if err := getRecord(tickets, k, "active ticket", &t); err != nil {
				return err
			}
			snap.Active = append(snap.Active, t)
		}
		return nil
	})
}

// migrateLive moves the day's numbers and the idempotency keys' uses from
// their own buckets into the live set (schema 7).
func migrateLive(tx *bolt.Tx) error {
	live := tx.Bucket(bActive)
	live.FillPercent = fillAppend
	if err := tx.Bucket(bNumbers).ForEach(func(k, v []byte) error {
		var n queue.DayNumber
		if err := json.Unmarshal(v, &n); err != nil {
			return fmt.Errorf("number of prefix %q: %w", k, err)
		}
		return live.Put(numberKey(n.Prefix), v)
	}); err != nil {
		return err
	}
	if err := tx.Bucket(bIdem).ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			return fmt.Errorf("idempotency key %q is not kept by ticket", k)
		}
		var it queue.IdemEntry
		if err := json.Unmarshal(v, &it); err != nil {
			return fmt.Errorf("idempotency key of ticket %d: %w", binary.BigEndian.Uint64(k), err)
		}
		return live.Put(idemKey(k), v)
	}); err != nil {
		return err
	}
	for _, b := range [][]byte{bNumbers, bIdem} {
		if err := tx.DeleteBucket(b); err != nil {
			return err
		}
	}
	return nil
}

// migrateTime moves the timekeeping from the meta bucket into the live set
// (schema 9).
func migrateTime(tx *bolt.Tx) error {
	meta := tx.Bucket(bMeta)
	raw := meta.Get(kTime)
	if raw == nil {
		return nil // a file from before it was kept, or with no change yet
	}
	var tm queue.TimeMark
	if err := json.Unmarshal(raw, &tm); err != nil {
		return fmt.Errorf("timekeeping: %w", err)
	}
	if err := tx.Bucket(bActive).Put(timeKey, bytes.Clone(raw)); err != nil {
		return err
	}
	return meta.Delete(kTime)
}
