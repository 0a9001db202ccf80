package store

import (
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"queuebox/server/queue"
)

// historyPerTx is how many changes share one transaction in WriteHistory:
// big enough that a million tickets need few commits, small enough that the
// dirty pages of one transaction stay in the tens of megabytes.
const historyPerTx = 10000

// WriteHistory fills a database in dir that holds no tickets yet with past
// tickets and events, for load tests that need a box with a long past. gen
// calls apply once per change, in the order the engine would have made
// them. Each change is written by the same code as a live commit, so the
// file has exactly the shapes a real box writes; only the fsync per commit
// is left out, and the whole file is synced once at the end.
func WriteHistory(dir string, gen func(apply func(*queue.Change) error) error) (err error) {
	db, err := Open(dir, Options{})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}()
	if err := db.view(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bTickets).Cursor().First(); k != nil {
			return errors.New("the database already holds tickets")
		}
		return nil
	}); err != nil {
		return fmt.Errorf("write history: %w", err)
	}

	db.bolt.NoSync = true
	var batch []*queue.Change
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := db.commit(wrap(batch))
		batch = batch[:0]
		return err
	}
	apply := func(c *queue.Change) error {
		batch = append(batch, c)
		if len(batch) >= historyPerTx {
			return flush()
		}
		return nil
	}
	if err := gen(apply); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	if err := flush(); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	// A box folds its new tokens into the index every hour; a year-old
	// file has them all there.
	if _, err := db.foldTokens(historyPerTx * 10); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	db.bolt.NoSync = false
	if err := db.bolt.Sync(); err != nil {
		return fmt.Errorf("write history: sync: %w", err)
	}
	return nil
}

func wrap(cs []*queue.Change) []*pending {
	out := make([]*pending, len(cs))
	for i, c := range cs {
		out[i] = &pending{change: c}
	}
	return out
}

// TicketsSince lists the tickets issued at or after since, oldest first.
// Ticket ids rise with issue time, so it reads back from the newest and
// stops at the first older one: a report on recent days stays cheap with
// years of history.
func (db *DB) TicketsSince(since time.Time) ([]queue.Ticket, error) {
	var out []queue.Ticket
	err := db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bTickets).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var t queue.Ticket
			if err := decodeRecord(v, &t); err != nil {
				return fmt.Errorf("ticket %x: %w", k, err)
			}
			if t.IssuedAt.Before(since) {
				break
			}
			out = append(out, t)
		}
		return nil
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

// AppointmentsFrom lists the appointments whose slot starts at or after
// from, in id order.
func (db *DB) AppointmentsFrom(from time.Time) ([]queue.Appointment, error) {
	var out []queue.Appointment
	err := db.view(func(tx *bolt.Tx) error {
		return eachJSON(tx.Bucket(bAppts), func(a queue.Appointment) {
			if !a.Start.Before(from) {
				a.Name, a.Phone = "", ""
				out = append(out, a)
			}
		})
	})
	return out, err
}
