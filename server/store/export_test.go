package store

import bolt "go.etcd.io/bbolt"

// SetUnlinkChunks makes UnlinkCustomers search scan records per read
// transaction and rewrite write records per write transaction, so a test
// of a few records goes through many of each; it returns the undo.
func SetUnlinkChunks(scan, write int) (restore func()) {
	oldScan, oldWrite := unlinkScan, unlinkChunk
	unlinkScan, unlinkChunk = scan, write
	return func() { unlinkScan, unlinkChunk = oldScan, oldWrite }
}

// LeanEvents counts the stored events, and those ModelEvents reads without
// handing them to encoding/json.
func LeanEvents(db *DB) (lean, all int, err error) {
	r := leanReader{names: map[string]string{}}
	err = db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bEvents).ForEach(func(_, v []byte) error {
			js, err := unpack(v)
			if err != nil {
				return err
			}
			all++
			if _, ok := r.lean(js); ok {
				lean++
			}
			return nil
		})
	})
	return lean, all, err
}
