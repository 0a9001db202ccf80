package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"queuebox/server/queue"
)

// DayAggregate is what is kept of one business day and service once its
// tickets and events are past the retention period. It is stored as JSON
// in the "days" bucket under "DATE/SERVICE_ID" (DATE as YYYY-MM-DD, the
// branch's local date the tickets were issued on), so reports can keep
// counting days whose details are gone.
//
// Each ticket counts once, under the service it ended in (a transfer counts
// where it was served) and under the date it was issued.
type DayAggregate struct {
	Date      string `json:"date"`
	ServiceID string `json:"service_id"`
	Issued    int    `json:"issued"`
	Served    int    `json:"served"` // finished (status done)
	NoShow    int    `json:"no_show"`
	Cancelled int    `json:"cancelled"`
	Expired   int    `json:"expired"` // still waiting when their day closed
	// Waits are from issue to first call, of the tickets that were called.
	Called      int   `json:"called"`
	WaitSeconds int64 `json:"wait_seconds"`
	// Services are from start to end, of the finished tickets that started.
	ServiceCount   int   `json:"service_count"`
	ServiceSeconds int64 `json:"service_seconds"`
	// WaitHistogram counts the called tickets by wait, in minutes: under 5,
	// 10, 15, 30, 60, and 60 or more (WaitBoundsMinutes).
	WaitHistogram [6]int `json:"wait_histogram"`
}

// WaitBoundsMinutes are the upper bounds of DayAggregate.WaitHistogram's
// buckets but the last, which is everything longer.
var WaitBoundsMinutes = [5]int{5, 10, 15, 30, 60}

func (a *DayAggregate) add(t *queue.Ticket) {
	a.Issued++
	switch t.Status {
	case queue.StatusDone:
		a.Served++
		if t.StartedAt != nil && t.EndedAt != nil && t.EndedAt.After(*t.StartedAt) {
			a.ServiceCount++
			a.ServiceSeconds += int64(t.EndedAt.Sub(*t.StartedAt) / time.Second)
		}
	case queue.StatusNoShow:
		a.NoShow++
	case queue.StatusCancelled:
		a.Cancelled++
	case queue.StatusExpired:
		a.Expired++
	}
	if t.CalledAt != nil {
		w := max(0, t.CalledAt.Sub(t.IssuedAt))
		a.Called++
		a.WaitSeconds += int64(w / time.Second)
		i := 0
		for i < len(WaitBoundsMinutes) && w >= time.Duration(WaitBoundsMinutes[i])*time.Minute {
			i++
		}
		a.WaitHistogram[i]++
	}
}

// DayAggregates returns the aggregates of the days from..to (YYYY-MM-DD,
// inclusive), by date then service.
func (db *DB) DayAggregates(from, to string) ([]DayAggregate, error) {
	var out []DayAggregate
	err := db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bDays).Cursor()
		for k, v := c.Seek([]byte(from)); k != nil && string(k[:min(len(k), len(to))]) <= to; k, v = c.Next() {
			var a DayAggregate
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("day %q: %w", k, err)
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read day aggregates: %w", err)
	}
	return out, nil
}

// PruneResult says what Prune removed.
type PruneResult struct {
	Tickets, Events, Appointments int
}

// pruneChunk is how many records one pruning transaction removes: small
// enough that a ticket issued meanwhile waits a few milliseconds at most
// for the write lock.
var pruneChunk = 500

// Prune removes the details older than the retention period: tickets issued
// before the business date before (YYYY-MM-DD) that are no longer active
// (counted first into the day aggregates), the start of the event log up
// to its first event at or after the instant cutoff, and the appointments that started before it and are over. It
// works in short transactions, each of which both counts and deletes its
// tickets, so it can run beside a serving box and be cut off at any point
// without counting a ticket twice or losing one uncounted.
//
// The file does not shrink (bbolt reuses the freed pages for new records);
// Compact gives the space back to the disk.
func (db *DB) Prune(before string, cutoff time.Time) (PruneResult, error) {
	var res PruneResult
	// Every event in the report index before any is pruned.
	db.syncReport()
	// Every token in the main index: a pruned ticket's token is then found
	// and deleted there.
	if _, err := db.FoldTokens(); err != nil {
		return res, err
	}
	for {
		n, done, err := db.pruneTickets(before)
		res.Tickets += n
		if err != nil {
			return res, fmt.Errorf("prune tickets: %w", err)
		}
		if done {
			break
		}
	}
	for {
		n, done, err := db.pruneEvents(cutoff)
		res.Events += n
		if err != nil {
			return res, fmt.Errorf("prune events: %w", err)
		}
		if done {
			break
		}
	}
	for {
		n, done, err := db.pruneAppointments(cutoff)
		res.Appointments += n
		if err != nil {
			return res, fmt.Errorf("prune appointments: %w", err)
		}
		if done {
			break
		}
	}
	return res, nil
}

// pruneTickets counts and deletes up to pruneChunk old tickets. Ticket ids
// rise with time, so the old ones are at the start of the bucket; an old
// ticket still active (parked for days) is kept and skipped, and so is the
// newest ticket, whose id a restarted box goes on from.
func (db *DB) pruneTickets(before string) (n int, done bool, err error) {
	err = db.update(func(tx *bolt.Tx) error {
		tickets, tokens, active, days := tx.Bucket(bTickets), tx.Bucket(bTokens), tx.Bucket(bActive), tx.Bucket(bDays)
		aggs := map[string]*DayAggregate{}
		var dead [][]byte
		var deadTokens []string
		c := tickets.Cursor()
		last, _ := c.Last()
		for k, v := c.First(); k != nil && len(dead) < pruneChunk && !bytes.Equal(k, last); k, v = c.Next() {
			var t queue.Ticket
			if err := decodeRecord(v, &t); err != nil {
				return fmt.Errorf("ticket %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if t.Date >= before {
				break
			}
			if active.Get(k) != nil {
				continue
			}
			key := t.Date + "/" + t.ServiceID
			a := aggs[key]
			if a == nil {
				a = &DayAggregate{Date: t.Date, ServiceID: t.ServiceID}
				if raw := days.Get([]byte(key)); raw != nil {
					if err := json.Unmarshal(raw, a); err != nil {
						return fmt.Errorf("day %q: %w", key, err)
					}
				}
				aggs[key] = a
			}
			a.add(&t)
			dead = append(dead, bytes.Clone(k))
			deadTokens = append(deadTokens, t.Token)
		}
		done = len(dead) < pruneChunk
		for key, a := range aggs {
			if err := putJSON(days, []byte(key), a); err != nil {
				return err
			}
		}
		for i, k := range dead {
			if err := tickets.Delete(k); err != nil {
				return err
			}
			if owner := tokens.Get([]byte(deadTokens[i])); bytes.Equal(owner, k) {
				if err := tokens.Delete([]byte(deadTokens[i])); err != nil {
					return err
				}
			}
		}
		n = len(dead)
		return nil
	})
	return n, done, err
}

// pruneEvents deletes up to pruneChunk events from before cutoff. Seqs rise
// with time, so they are at the start of the log; the newest event always
// stays, as it carries the last seq a restarted box goes on from.
func (db *DB) pruneEvents(cutoff time.Time) (n int, done bool, err error) {
	err = db.update(func(tx *bolt.Tx) error {
		events := tx.Bucket(bEvents)
		var dead [][]byte
		c := events.Cursor()
		last, _ := c.Last()
		for k, v := c.First(); k != nil && len(dead) < pruneChunk && !bytes.Equal(k, last); k, v = c.Next() {
			var ev struct {
				At time.Time `json:"at"`
			}
			if err := decodeRecord(v, &ev); err != nil {
				return fmt.Errorf("event %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if !ev.At.Before(cutoff) {
				break
			}
			dead = append(dead, bytes.Clone(k))
		}
		done = len(dead) < pruneChunk
		for _, k := range dead {
			if err := events.Delete(k); err != nil {
				return err
			}
		}
		n = len(dead)
		return nil
	})
	return n, done, err
}

// pruneAppointments deletes up to pruneChunk appointments that started
// before cutoff and that the engine has forgotten (their day is over). Ids
// rise with booking time, not slot time, so the scan stops at the first
// appointment booked after cutoff; the newest is kept for its id.
func (db *DB) pruneAppointments(cutoff time.Time) (n int, done bool, err error) {
	err = db.update(func(tx *bolt.Tx) error {
		appts, live := tx.Bucket(bAppts), tx.Bucket(bApptLive)
		var dead [][]byte
		c := appts.Cursor()
		last, _ := c.Last()
		for k, v := c.First(); k != nil && len(dead) < pruneChunk && !bytes.Equal(k, last); k, v = c.Next() {
			var a queue.Appointment
			if err := decodeRecord(v, &a); err != nil {
				return fmt.Errorf("appointment %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if !a.CreatedAt.Before(cutoff) {
				break
			}
			if live.Get(k) != nil || !a.Start.Before(cutoff) {
				continue
			}
			dead = append(dead, bytes.Clone(k))
		}
		done = len(dead) < pruneChunk
		for _, k := range dead {
			if err := appts.Delete(k); err != nil {
				return err
			}
		}
		n = len(dead)
		return nil
	})
	return n, done, err
}

// FoldTokens moves the tokens of new tickets into the main token index, a
// chunk per short transaction. Issuing puts a ticket's token at the end of
// a small bucket instead of at a random place in the big index, which
// would cost the write of a whole page per ticket; folding them in later,
// many at once, touches each page of the index once for all the tokens
// that land on it. The box folds every hour.
func (db *DB) FoldTokens() (int, error) {
	return db.foldTokens(pruneChunk)
}

func (db *DB) foldTokens(chunk int) (int, error) {
	total := 0
	for {
		var moved []string
		err := db.update(func(tx *bolt.Tx) error {
			tokens, tokensNew := tx.Bucket(bTokens), tx.Bucket(bTokensNew)
			var keys [][]byte
			c := tokensNew.Cursor()
			for k, v := c.First(); k != nil && len(keys) < chunk; k, v = c.Next() {
				if err := tokens.Put(bytes.Clone(v), bytes.Clone(k)); err != nil {
					return err
				}
				keys = append(keys, bytes.Clone(k))
				moved = append(moved, string(v))
			}
			for _, k := range keys {
				if err := tokensNew.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("fold tokens: %w", err)
		}
		db.tokMu.Lock()
		for _, tok := range moved {
			delete(db.newTokens, tok)
		}
		db.tokMu.Unlock()
		total += len(moved)
		if len(moved) < chunk {
			return total, nil
		}
	}
}
