package store

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"queuebox/server/queue"
)

// An erased customer's tickets, events and appointments keep their counts
// (service, times, tier) but must lose the customer's opaque id, or the id
// would still tie their visits together. EraseCustomer leaves a mark for
// each erased customer in bCustomerStats (pendingUnlink), in its own
// transaction; UnlinkCustomers rewrites the history and clears the marks.
// A box stopped in between finds the marks at start and finishes.

// unlinkPrefix starts the keys of the erased customers whose history may
// still name them.
var unlinkPrefix = []byte("unlink\x00")

// unlinkChunk bounds the records one write transaction rewrites, so the
// commit loop (issuing) waits for one chunk at most, never for a year.
var unlinkChunk = 500

// unlinkScan bounds the records one read transaction searches.
var unlinkScan = 20000

func unlinkKey(id string) []byte { return append(bytes.Clone(unlinkPrefix), id...) }

// markUnlink records, inside tx, that id's history still names them.
func markUnlink(tx *bolt.Tx, id string) error {
	return tx.Bucket(bCustomerStats).Put(unlinkKey(id), nil)
}

// PendingUnlinks are the erased customers whose history UnlinkCustomers has
// not finished with.
func (db *DB) PendingUnlinks() ([]string, error) {
	var ids []string
	err := db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bCustomerStats).Cursor()
		for k, _ := c.Seek(unlinkPrefix); k != nil && bytes.HasPrefix(k, unlinkPrefix); k, _ = c.Next() {
			ids = append(ids, string(k[len(unlinkPrefix):]))
		}
		return nil
	})
	return ids, err
}

// UnlinkStats says how many stored records UnlinkCustomers rewrote.
type UnlinkStats struct {
	Tickets, Events, Appointments int
}

// UnlinkCustomers takes the ids of erased customers out of every stored
// ticket, event and appointment, and the name and phone out of their
// appointments, leaving the rest of each record as it was (reports count
// the same). The records are found in read transactions and rewritten a
// chunk at a time; a record the engine wrote meanwhile is read again in
// the rewriting transaction, never put back as it was. The engine must
// have forgotten the customers first (queue.Engine.ForgetCustomers), or
// it could write an id back. It clears the customers' marks at the end.
func (db *DB) UnlinkCustomers(ids []string) (UnlinkStats, error) {
	var st UnlinkStats
	var needles [][]byte
	for _, id := range ids {
		if id != "" {
			needles = append(needles, []byte(id))
		}
	}
	if len(needles) == 0 {
		return st, nil
	}
	gone := func(id string) bool {
		return id != "" && slices.ContainsFunc(needles, func(n []byte) bool { return string(n) == id })
	}
	for _, b := range []struct {
		name  []byte
		count *int
		edit  func(raw []byte) ([]byte, bool, error)
	}{
		{bTickets, &st.Tickets, func(raw []byte) ([]byte, bool, error) {
			var t queue.Ticket
			if err := decodeRecord(raw, &t); err != nil || !gone(t.CustomerID) {
				return nil, false, err
			}
			t.CustomerID = ""
			out, err := encodeRecord(&t)
			return out, true, err
		}},
		{bEvents, &st.Events, func(raw []byte) ([]byte, bool, error) {
			var ev queue.Event
			if err := decodeRecord(raw, &ev); err != nil {
				return nil, false, err
			}
			changed := false
			if ev.Ticket != nil && gone(ev.Ticket.CustomerID) {
				ev.Ticket.CustomerID, changed = "", true
			}
			if ev.Appointment != nil && gone(ev.Appointment.CustomerID) {
				ev.Appointment.CustomerID, changed = "", true
			}
			if !changed {
				return nil, false, nil
			}
			out, err := encodeRecord(&ev)
			return out, true, err
		}},
		{bAppts, &st.Appointments, func(raw []byte) ([]byte, bool, error) {
			var a queue.Appointment
			if err := decodeRecord(raw, &a); err != nil || !gone(a.CustomerID) {
				return nil, false, err
			}
			a.CustomerID, a.Name, a.Phone = "", "", ""
			out, err := encodeRecord(&a)
			return out, true, err
		}},
	} {
		keys, err := db.keysNaming(b.name, needles)
		if err != nil {
			return st, fmt.Errorf("unlink customers: %w", err)
		}
		for len(keys) > 0 {
			chunk := keys[:min(len(keys), unlinkChunk)]
			keys = keys[len(chunk):]
			if err := db.update(func(tx *bolt.Tx) error {
				bk := tx.Bucket(b.name)
				for _, k := range chunk {
					raw := bk.Get(k)
					if raw == nil {
						continue // pruned meanwhile
					}
					out, changed, err := b.edit(raw)
					if err != nil {
						return fmt.Errorf("record %x of %s: %w", k, b.name, err)
					}
					if !changed {
						continue
					}
					if err := bk.Put(k, out); err != nil {
						return err
					}
					*b.count++
				}
				// The pages the old records leave still hold the ids.
				return markScrubDue(tx, time.Now())
			}); err != nil {
				return st, fmt.Errorf("unlink customers: %w", err)
			}
		}
	}
	err := db.update(func(tx *bolt.Tx) error {
		for _, n := range needles {
			if err := tx.Bucket(bCustomerStats).Delete(unlinkKey(string(n))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("unlink customers: %w", err)
	}
	return st, nil
}

// keysNaming returns the keys of the records of bucket name whose stored
// JSON holds one of needles anywhere: the candidates, read again and
// checked field by field when they are rewritten. Only the bytes are
// searched, in read transactions of unlinkScan records each: a read
// transaction open for the whole of a year's events would hold off the
// commit that needs to grow the file until it ends.
func (db *DB) keysNaming(name []byte, needles [][]byte) ([][]byte, error) {
	var keys [][]byte
	var after []byte // the last key read, nil before the first
	var buf []byte
	for {
		n := 0
		err := db.view(func(tx *bolt.Tx) error {
			c := tx.Bucket(name).Cursor()
			k, v := c.First()
			if after != nil {
				if k, v = c.Seek(after); bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for ; k != nil && n < unlinkScan; k, v = c.Next() {
				n++
				after = append(after[:0], k...)
				js := v
				if len(v) > 0 && v[0] == packV1 {
					var err error
					if buf, err = unpackTo(buf, v); err != nil {
						return fmt.Errorf("record %x of %s: %w", k, name, err)
					}
					js = buf[len(dictV1):]
				}
				for _, nd := range needles {
					if bytes.Contains(js, nd) {
						keys = append(keys, bytes.Clone(k))
						break
					}
				}
			}
			return nil
		})
		if err != nil || n < unlinkScan {
			return keys, err
		}
	}
}
