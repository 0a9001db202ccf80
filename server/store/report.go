package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"queuebox/server/queue"
	"queuebox/server/report"
)

// The report index holds one compact report.Record per ticket, keyed by
// business date then ticket id, so a range of days is one cursor walk and a
// year of reports never decodes the event log. It is derived data, folded
// from the events and rebuilt from them when missing or when the record
// layout changes.
//
// The commits of engine changes fold their events into it a few hundred at
// a time (reportFoldEvents), not one commit at a time: a ticket's commit
// then writes no page of the index, and its record is written once for all
// the events it got meanwhile. The meta key report_seq says up to which
// event the index is folded, in the same transaction as the records; a
// reader first has the committing goroutine fold what is waiting
// (syncReport), and Open folds what a crash left behind from the event log.
var (
	bReport         = []byte("report_records")
	kReportVersion  = []byte("report_index_version")
	kReportSeq      = []byte("report_seq")
	reportKeyLength = 10 + 8 // "YYYY-MM-DD" + big-endian id
)

// reportFoldEvents is how many committed events wait for the report index
// before a commit folds them: enough for commits of a busy morning to share
// the index's pages, few enough to fold in well under a millisecond.
const reportFoldEvents = 512

// foldReport folds evs into the index and notes the last as folded.
func foldReport(tx *bolt.Tx, evs []queue.Event) error {
	if len(evs) == 0 {
		return nil
	}
	if err := applyReport(tx, evs); err != nil {
		return err
	}
	return tx.Bucket(bMeta).Put(kReportSeq, u64(evs[len(evs)-1].Seq))
}

// markReportFolded notes an index kept before schema 8 as folded up to the
// last event: it was written with every commit.
func markReportFolded(tx *bolt.Tx) error {
	if tx.Bucket(bReport) == nil {
		return nil // built from the events when the store opens
	}
	last, _ := tx.Bucket(bEvents).Cursor().Last()
	if last == nil {
		last = u64(0)
	}
	return tx.Bucket(bMeta).Put(kReportSeq, bytes.Clone(last))
}

// syncReport brings the report index up to every event committed so far,
// for a reader about to read it. When the store cannot commit (closed, or
// failed and waiting for the engine), the reader reads the index as it is.
func (db *DB) syncReport() {
	if db.reportBehind.Load() == 0 {
		return
	}
	<-db.queue(&pending{change: &queue.Change{}, fold: true, errc: make(chan error, 1)})
}

// foldRest folds what waits when the store closes.
func (db *DB) foldRest() {
	if len(db.reportLag) == 0 {
		return
	}
	db.writeTxs.Add(1)
	if err := db.bolt.Update(func(tx *bolt.Tx) error { return foldReport(tx, db.reportLag) }); err == nil {
		db.reportLag = nil
		db.reportBehind.Store(0)
	}
}

func reportKey(date string, id uint64) []byte {
	k := make([]byte, 0, reportKeyLength)
	k = append(k, date...)
	return binary.BigEndian.AppendUint64(k, id)
}

// applyReport folds ticket events into the index. A ticket's record is
// read (unless its first event here issues it), brought up to its last
// event here in memory, and written once, in key order.
func applyReport(tx *bolt.Tx, evs []queue.Event) error {
	b := tx.Bucket(bReport)
	if b == nil {
		return nil // built from the events when the store next opens
	}
	// Keys grow with the date and the ticket id; a record is rewritten a
	// few times in its first hours, a little longer each time.
	b.FillPercent = fillHistory
	type entry struct {
		key []byte
		rec report.Record
	}
	// Sized once: a fold takes hundreds of events, most of them of tickets
	// of their own, and a record is large.
	recs := make([]entry, 0, len(evs))
	at := make(map[string]int, len(evs))
	for i := range evs {
		ev := &evs[i]
		if ev.Ticket == nil || ev.Ticket.Date == "" {
			continue
		}
		id, err := ticketID(ev.Ticket.ID)
		if err != nil {
			return err
		}
		k := reportKey(ev.Ticket.Date, id)
		j, seen := at[string(k)]
		if !seen {
			var rec report.Record
			// A ticket's record starts with its issue: nothing to read then.
			if ev.Type != queue.EventIssued {
				if raw := b.Get(k); raw != nil {
					if rec, err = report.Unmarshal(raw, nil); err != nil {
						return fmt.Errorf("report record %x: %w", k, err)
					}
				}
			}
			j = len(recs)
			recs = append(recs, entry{key: k, rec: rec})
			at[string(k)] = j
		}
		recs[j].rec.Apply(ev)
	}
	// In key order: bbolt fills pages best when keys come sorted.
	slices.SortFunc(recs, func(a, b entry) int { return bytes.Compare(a.key, b.key) })
	for i := range recs {
		if err := b.Put(recs[i].key, recs[i].rec.Marshal()); err != nil {
			return err
		}
	}
	return nil
}

// ensureReportIndex builds the index from the event log when it is missing
// or was written in another layout, and folds the events it has not yet.
func ensureReportIndex(b *bolt.DB) error {
	want := []byte{report.RecordVersion()}
	var ok, behind bool
	if err := b.View(func(tx *bolt.Tx) error {
		v, seq := tx.Bucket(bMeta).Get(kReportVersion), tx.Bucket(bMeta).Get(kReportSeq)
		ok = tx.Bucket(bReport) != nil && len(v) == 1 && v[0] == want[0] && len(seq) == 8
		if ok {
			last, _ := tx.Bucket(bEvents).Cursor().Last()
			behind = last != nil && bytes.Compare(last, seq) > 0
		}
		return nil
	}); err != nil || (ok && !behind) {
		return err
	}
	if ok {
		return b.Update(func(tx *bolt.Tx) error {
			return foldEvents(tx, binary.BigEndian.Uint64(tx.Bucket(bMeta).Get(kReportSeq))+1)
		})
	}
	return b.Update(func(tx *bolt.Tx) error {
		if err := resetReport(tx); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(kReportVersion, want)
	})
}

// resetReport makes the report index afresh from the event log.
func resetReport(tx *bolt.Tx) error {
	if tx.Bucket(bReport) != nil {
		if err := tx.DeleteBucket(bReport); err != nil {
			return err
		}
	}
	if _, err := tx.CreateBucket(bReport); err != nil {
		return err
	}
	return rebuildReport(tx)
}

// EachReportRecord calls f with the report record of every ticket issued
// on the business days from..to (YYYY-MM-DD, both included), by day then
// ticket id, in one read transaction. f must not keep r: it is reused.
func (db *DB) EachReportRecord(from, to string, f func(r *report.Record) error) error {
	db.syncReport()
	intern := report.NewInterner()
	err := db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bReport)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek([]byte(from)); k != nil && len(k) == reportKeyLength && string(k[:10]) <= to; k, v = c.Next() {
			rec, err := report.Unmarshal(v, intern)
			if err != nil {
				return fmt.Errorf("report record %x: %w", k, err)
			}
			if err := f(&rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read report records: %w", err)
	}
	return nil
}

// rebuildBatch is how many events the rebuild folds in memory before it
// writes their records: each record is then written once per batch rather
// than read and written again for every event.
const rebuildBatch = 200000

// rebuildReport replays the event log into the empty report bucket.
func rebuildReport(tx *bolt.Tx) error { return foldEvents(tx, 1) }

// foldEvents folds the events from seq from on, read from the log, into the
// report index, and notes the last as folded.
func foldEvents(tx *bolt.Tx, from uint64) error {
	b := tx.Bucket(bReport)
	recs := map[string]*report.Record{}
	flush := func() error {
		// In key order: bbolt fills pages best when keys come sorted.
		keys := make([]string, 0, len(recs))
		for k := range recs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if err := b.Put([]byte(k), recs[k].Marshal()); err != nil {
				return err
			}
		}
		clear(recs)
		return nil
	}
	n := 0
	c := tx.Bucket(bEvents).Cursor()
	var last []byte
	for k, v := c.Seek(u64(from)); k != nil; k, v = c.Next() {
		last = k
		var ev queue.Event
		if err := decodeRecord(v, &ev); err != nil {
			return fmt.Errorf("event %d: %w", binary.BigEndian.Uint64(k), err)
		}
		if ev.Ticket == nil || ev.Ticket.Date == "" {
			continue
		}
		id, err := ticketKey(ev.Ticket.ID)
		if err != nil {
			return err
		}
		key := string(reportKey(ev.Ticket.Date, binary.BigEndian.Uint64(id)))
		r := recs[key]
		if r == nil {
			r = &report.Record{}
			if raw := b.Get([]byte(key)); raw != nil {
				old, err := report.Unmarshal(raw, nil)
				if err != nil {
					return fmt.Errorf("report record %x: %w", key, err)
				}
				*r = old
			}
			recs[key] = r
		}
		r.Apply(&ev)
		if n++; n%rebuildBatch == 0 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if last == nil {
		last = u64(from - 1)
	}
	return tx.Bucket(bMeta).Put(kReportSeq, bytes.Clone(last))
}

// ReportRecords returns the report records of the days from..to; see
// EachReportRecord, which long ranges should use instead.
func (db *DB) ReportRecords(from, to string) ([]report.Record, error) {
	var out []report.Record
	err := db.EachReportRecord(from, to, func(r *report.Record) error {
		out = append(out, *r)
		return nil
	})
	return out, err
}

// Comment is one customer's feedback with text.
type Comment struct {
	Number    string `json:"number"`
	Date      string `json:"date"`
	ServiceID string `json:"service_id"`
	Staff     string `json:"staff"`
	Rating    int    `json:"rating"`
	Comment   string `json:"comment"`
}

// Comments returns the feedback with text on tickets of the days from..to,
// newest first, at most limit.
func (db *DB) Comments(from, to string, limit int) ([]Comment, error) {
	var rated []report.Record
	if err := db.EachReportRecord(from, to, func(r *report.Record) error {
		if r.Rating > 0 {
			rated = append(rated, *r)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	var out []Comment
	err := db.view(func(tx *bolt.Tx) error {
		tickets := tx.Bucket(bTickets)
		for i := len(rated) - 1; i >= 0 && len(out) < limit; i-- {
			r := &rated[i]
			raw := tickets.Get(u64(r.ID))
			if raw == nil {
				continue
			}
			var t queue.Ticket
			if err := decodeRecord(raw, &t); err != nil {
				return fmt.Errorf("ticket %d: %w", r.ID, err)
			}
			if t.Comment == "" {
				continue
			}
			out = append(out, Comment{Number: t.Number, Date: t.Date, ServiceID: t.ServiceID, Staff: r.Staff, Rating: t.Rating, Comment: t.Comment})
		}
		return nil
	})
	return out, err
}
