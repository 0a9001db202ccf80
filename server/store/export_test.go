package store

// SetUnlinkChunks makes UnlinkCustomers search scan records per read
// transaction and rewrite write records per write transaction, so a test
// of a few records goes through many of each; it returns the undo.
func SetUnlinkChunks(scan, write int) (restore func()) {
	oldScan, oldWrite := unlinkScan, unlinkChunk
	unlinkScan, unlinkChunk = scan, write
	return func() { unlinkScan, unlinkChunk = oldScan, oldWrite }
}
