package store

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"queuebox/server/queue"
	"queuebox/server/report"
)

// foldedSeq is the last event the report index holds, as the file says.
func foldedSeq(t *testing.T, tx *bolt.Tx) uint64 {
	t.Helper()
	raw := tx.Bucket(bMeta).Get(kReportSeq)
	if len(raw) != 8 {
		t.Fatalf("report_seq is %x", raw)
	}
	return binary.BigEndian.Uint64(raw)
}

// rebuilt is the report index made afresh from the event log of db.
func rebuilt(t *testing.T, db *DB) []report.Record {
	t.Helper()
	var recs []report.Record
	b, err := bolt.Open(filepath.Join(backupDir(t, db), FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(func(tx *bolt.Tx) error {
		if err := resetReport(tx); err != nil {
			return err
		}
		return tx.Bucket(bReport).ForEach(func(k, v []byte) error {
			r, err := report.Unmarshal(v, nil)
			recs = append(recs, r)
			return err
		})
	}); err != nil {
		t.Fatal(err)
	}
	return recs
}

// backupDir is a new directory holding a hot backup of db as its file.
func backupDir(t *testing.T, db *DB) string {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := db.WriteBackup(f); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestReportIndexFoldsLater: the commits of tickets' lives leave the
// report index alone until a few hundred events wait, then one commit
// folds them; a reader finds every committed event in it all the same;
// and a file whose index a crash left behind (a hot backup taken while
// events waited is one) is brought up to date when it opens. Every time,
// the index is what a rebuild from the event log makes.
func TestReportIndexFoldsLater(t *testing.T) {
	const from, to = "2026-03-01", "2026-03-09"
	dir := t.TempDir()
	db, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { db.Close() }()
	changes := history(200, time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
	apply := func(cs []*queue.Change) {
		t.Helper()
		for _, c := range cs {
			if err := <-db.Apply(c); err != nil {
				t.Fatal(err)
			}
		}
	}
	behind := func() (folded, committed uint64) {
		t.Helper()
		if err := db.view(func(tx *bolt.Tx) error {
			folded = foldedSeq(t, tx)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return folded, db.CommittedSeq()
	}

	apply(changes[:41]) // the set-up and 40 tickets' lives: under reportFoldEvents
	if folded, committed := behind(); folded != 0 || committed < 100 || committed >= reportFoldEvents {
		t.Fatalf("after %d events the index holds events up to %d, want none yet", committed, folded)
	}
	// A hot backup now is a file whose index is behind its event log.
	backup := backupDir(t, db)

	got, err := db.ReportRecords(from, to)
	if err != nil {
		t.Fatal(err)
	}
	if folded, committed := behind(); folded != committed || len(got) == 0 {
		t.Fatalf("after a read, the index holds events up to %d of %d (%d records)", folded, committed, len(got))
	}
	if want := rebuilt(t, db); !reflect.DeepEqual(got, want) {
		t.Errorf("records read:\n%+v\nrebuilt from the events:\n%+v", got, want)
	}

	apply(changes[41:]) // past reportFoldEvents: folded without a reader
	if folded, committed := behind(); folded == 0 || folded < committed-reportFoldEvents {
		t.Errorf("after %d events the index holds events up to %d: want at most %d waiting", committed, folded, reportFoldEvents)
	}
	got, err = db.ReportRecords(from, to)
	if err != nil {
		t.Fatal(err)
	}
	if want := rebuilt(t, db); len(got) != 200 || !reflect.DeepEqual(got, want) {
		t.Errorf("%d records read, want 200, as rebuilt from the events:\n%+v\nwant:\n%+v", len(got), got, want)
	}

	old, err := Open(backup, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := old.view(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bEvents).Cursor().Last()
		if folded, last := foldedSeq(t, tx), binary.BigEndian.Uint64(k); folded != last || last == 0 {
			t.Errorf("the backup opened holds events up to %d of %d in its index", folded, last)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err = old.ReportRecords(from, to)
	if err != nil {
		t.Fatal(err)
	}
	if want := rebuilt(t, old); len(got) != 40 || !reflect.DeepEqual(got, want) {
		t.Errorf("the backup's %d records (want 40):\n%+v\nrebuilt from its events:\n%+v", len(got), got, want)
	}
}
