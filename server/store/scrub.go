package store

import (
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Deleting a record in bbolt frees the pages that held it, but the bytes
// stay in the file until the page is written again: an erased customer's
// phone number would linger on disk. Erasure marks the database (kScrubDue
// in meta, in the erasing transaction) and ScrubFree, run by the server's
// nightly maintenance, writes over every free page. Compact rewrites the
// file and clears the mark too.

var (
	kScrubDue = []byte("scrub_due")
	// bScrub is the filler bucket ScrubFree writes and drops.
	bScrub = []byte("scrub_filler")
)

// scrubChunkPages bounds one filler transaction (16 MiB of 4 KiB pages):
// the write lock is held for one chunk at a time, so issuing goes on.
const scrubChunkPages = 4096

// markScrubDue records, inside tx, that freed pages may hold erased data.
func markScrubDue(tx *bolt.Tx, now time.Time) error {
	m := tx.Bucket(bMeta)
	if m.Get(kScrubDue) != nil {
		return nil // the first erasure's time says how long it has waited
	}
	return m.Put(kScrubDue, u64(uint64(now.Unix())))
}

// ScrubDue reports whether an erasure is waiting for ScrubFree, and since when.
func (db *DB) ScrubDue() (due bool, since time.Time, err error) {
	err = db.view(func(tx *bolt.Tx) error {
		if raw := tx.Bucket(bMeta).Get(kScrubDue); len(raw) == 8 {
			due, since = true, time.Unix(int64(binary.BigEndian.Uint64(raw)), 0)
		}
		return nil
	})
	return due, since, err
}

// ScrubResult says what ScrubFree did.
type ScrubResult struct {
	// Pages is how many pages of filler were written over free space.
	Pages int
	// Grown is how many bytes the file grew (filler that found no free
	// page lands at the end of the file, and stays there as free space).
	Grown int64
	// Again is true when a reader was open as the scrub began: pages it
	// held could not be written over, so the mark stays for the next run.
	Again bool
}

// ScrubFree writes over every free page of the file, so the bytes of
// deleted records (an erased customer's phone and name) leave the disk,
// and clears the erasure mark. It writes a filler bucket big enough to
// take every free page (the allocator hands out free pages before it
// grows the file), in chunks, then drops it: the pages freed then hold
// only filler. Pages pinned by a reader open at the start cannot be
// written over yet: then the mark stays (res.Again) and the next nightly
// run scrubs again; the server's reads are short.
func (db *DB) ScrubFree() (res ScrubResult, err error) {
	before := db.bolt.Stats()
	res.Again = before.OpenTxN > 0
	sizeBefore := db.size()
	// The first write releases the pages freed before it (the erasure's)
	// to the free list, when no older reader holds them.
	if err := db.update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bScrub)
		return err
	}); err != nil {
		return res, fmt.Errorf("scrub free pages: %w", err)
	}
	target := db.bolt.Stats().FreePageN
	if p := before.FreePageN + before.PendingPageN; p > target {
		target = p
	}
	pageSize := db.bolt.Info().PageSize
	// Three values fill a page: a node is split past a page (FillPercent
	// 1), so each leaf takes one page of its own and covers all of it.
	val := make([]byte, pageSize/4)
	for i := range val {
		val[i] = 0xA5
	}
	key := make([]byte, 8)
	seq := uint64(0)
	for done := 0; done < target+1; {
		n := min(target+1-done, scrubChunkPages)
		if err := db.update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bScrub)
			b.FillPercent = 1
			for i := 0; i < 3*n; i++ {
				seq++
				binary.BigEndian.PutUint64(key, seq)
				if err := b.Put(key, val); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return res, fmt.Errorf("scrub free pages: %w", err)
		}
		done += n
		res.Pages += n
	}
	if err := db.update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bScrub); err != nil {
			return err
		}
		if res.Again {
			return nil
		}
		return tx.Bucket(bMeta).Delete(kScrubDue)
	}); err != nil {
		return res, fmt.Errorf("scrub free pages: %w", err)
	}
	res.Grown = db.size() - sizeBefore
	return res, nil
}

// size is the database file's size in bytes (0 if it cannot be read).
func (db *DB) size() int64 {
	var n int64
	_ = db.bolt.View(func(tx *bolt.Tx) error {
		n = tx.Size()
		return nil
	})
	return n
}
