package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// compactSuffix names the new file while Compact writes it. A file left by
// an interrupted compaction is never read: the next one starts it afresh.
const compactSuffix = ".compact"

// compactTxBytes is how much one transaction of the new file holds before it
// is committed, which bounds Compact's memory on a small box.
const compactTxBytes = 32 << 20

// CompactResult is what Compact did.
type CompactResult struct {
	Pruned PruneResult
	// Before and After are the file's sizes in bytes.
	Before, After int64
}

// Compact prunes the details older than the retention period (see Prune;
// before == "" prunes nothing) and rewrites the database in dir into a new
// file: records still in the plain layout are packed, pages are filled and
// free pages are left behind, so the file shrinks. The new file is synced
// and then renamed over the old one, and the directory synced: if the
// process dies at any point, the data directory holds either the old file
// or the new one, whole. It needs the database to itself (a server holding
// it makes Open fail with ErrLocked).
func Compact(dir string, o Options, before string, cutoff time.Time) (res CompactResult, err error) {
	db, err := Open(dir, o)
	if err != nil {
		return res, err
	}
	defer func() {
		if cerr := db.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close the database: %w", cerr)
		}
	}()
	if before != "" {
		if res.Pruned, err = db.Prune(before, cutoff); err != nil {
			return res, err
		}
	} else if _, err := db.FoldTokens(); err != nil {
		return res, err
	}
	info, err := os.Stat(db.path)
	if err != nil {
		return res, fmt.Errorf("compact: %w", err)
	}
	res.Before = info.Size()
	tmp := db.path + compactSuffix
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return res, fmt.Errorf("compact: remove an old unfinished copy: %w", err)
	}
	if err := db.copyTo(tmp); err != nil {
		os.Remove(tmp)
		return res, fmt.Errorf("compact: %w", err)
	}
	if err := os.Rename(tmp, db.path); err != nil {
		os.Remove(tmp)
		return res, fmt.Errorf("compact: replace the database: %w", err)
	}
	if err := syncDir(filepath.Dir(db.path)); err != nil {
		return res, fmt.Errorf("compact: %w", err)
	}
	if info, err := os.Stat(db.path); err == nil {
		res.After = info.Size()
	}
	return res, nil
}

// copyTo writes every bucket of the database into a new file at path,
// packing the history records, and syncs it.
func (db *DB) copyTo(path string) error {
	dst, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType, NoSync: true})
	if err != nil {
		return err
	}
	defer dst.Close()
	err = db.view(func(src *bolt.Tx) error {
		return src.ForEach(func(name []byte, b *bolt.Bucket) error {
			return copyBucket(dst, name, b, packs(name))
		})
	})
	if err != nil {
		return err
	}
	// The new file holds no freed pages of the old one: nothing is left
	// for ScrubFree to write over.
	if err := dst.Update(func(tx *bolt.Tx) error {
		if m := tx.Bucket(bMeta); m != nil {
			return m.Delete(kScrubDue)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := dst.Sync(); err != nil {
		return fmt.Errorf("sync the new file: %w", err)
	}
	if err := dst.Close(); err != nil {
		return err
	}
	// bbolt's own sync covers its data; this makes sure the file's length
	// and metadata are on disk before the rename publishes it.
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// packs reports whether the records of a top-level bucket are packed.
func packs(name []byte) bool {
	return bytes.Equal(name, bTickets) || bytes.Equal(name, bEvents) || bytes.Equal(name, bAppts)
}

// copyBucket copies one top-level bucket in transactions of about
// compactTxBytes each; keys are copied in order, so pages fill completely.
func copyBucket(dst *bolt.DB, name []byte, src *bolt.Bucket, pack bool) error {
	c := src.Cursor()
	k, v := c.First()
	first := true
	for first || k != nil {
		err := dst.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists(name)
			if err != nil {
				return err
			}
			if first {
				if err := b.SetSequence(src.Sequence()); err != nil {
					return err
				}
				first = false
			}
			b.FillPercent = 1.0
			size := 0
			for ; k != nil && size < compactTxBytes; k, v = c.Next() {
				if v == nil {
					if err := copyNested(b, k, src.Bucket(k)); err != nil {
						return err
					}
					continue
				}
				if pack {
					v = repack(v)
				}
				if err := b.Put(k, v); err != nil {
					return err
				}
				size += len(k) + len(v)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("copy bucket %s: %w", name, err)
		}
	}
	return nil
}

// copyNested copies a bucket inside a bucket whole, in the transaction of
// its parent's keys around it.
func copyNested(parent *bolt.Bucket, name []byte, src *bolt.Bucket) error {
	b, err := parent.CreateBucket(name)
	if err != nil {
		return err
	}
	if err := b.SetSequence(src.Sequence()); err != nil {
		return err
	}
	b.FillPercent = 1.0
	return src.ForEach(func(k, v []byte) error {
		if v == nil {
			return copyNested(b, k, src.Bucket(k))
		}
		return b.Put(k, v)
	})
}

// repack packs a record still stored as plain JSON.
func repack(v []byte) []byte {
	if len(v) > 0 && v[0] == '{' {
		return pack(v)
	}
	return v
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
