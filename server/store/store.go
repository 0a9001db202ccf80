// Package store keeps queuebox's state in one bbolt file. Changes from the
// queue engine are committed by a single goroutine that groups whatever is
// waiting into one transaction: a lone request commits at once, and under
// load many requests share one fsync.
//
// A ticket issued writes at the end of three growing buckets (tickets,
// events, active): tickets and events are packed JSON (codec.go) keyed by
// 8-byte big-endian id and seq; the active bucket is the live set (live.go):
// the ids of the tickets the engine loads at start, each with its token
// until the ticket ends, when the token moves to tokens_new and later into
// the token index (FoldTokens), many at a time; beside each, the use of the
// idempotency key that issued it; and after them the day's numbers and the
// timekeeping. History
// past the retention period becomes daily totals (retention.go), and
// Compact gives the space back (compact.go).
package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"

	"queuebox/server/queue"
)

// FileName is the database file inside the data directory.
const FileName = "queuebox.db"

// Errors callers act on.
var (
	ErrLocked    = errors.New("the database is in use by another process (is a queuebox server running?)")
	ErrNewer     = errors.New("the database was written by a newer queuebox; upgrade this binary")
	ErrNotFound  = errors.New("not found")
	ErrExists    = errors.New("already exists")
	ErrClosed    = errors.New("the store is closed")
	ErrCorrupted = errors.New("the database file is damaged")
	// ErrWrite is a write the disk refused: full, read-only or failing.
	ErrWrite = errors.New("the database could not be written (is the disk full or read-only?)")
)

var (
	bMeta     = []byte("meta")
	bSettings = []byte("settings")
	bServices = []byte("services")
	bCounters = []byte("counters")
	bTickets  = []byte("tickets")
	bTokens   = []byte("tokens")
	bActive   = []byte("active")
	bNumbers  = []byte("numbers")
	bIdem     = []byte("idem")
	bEvents   = []byte("events")
	bUsers    = []byte("users")
	bDevices  = []byte("devices")
	bDevToken = []byte("device_tokens")
	bSessions = []byte("sessions")
	bAppts    = []byte("appointments")
	bApptLive = []byte("appointments_live")
	bPhones   = []byte("phones")
	bDays     = []byte("days")
	// bTokensNew holds the tokens of ended tickets not yet in bTokens,
	// keyed by ticket: see indexTicket.
	bTokensNew = []byte("tokens_new")
	bHooks     = []byte("webhooks")
	bHookLog   = []byte("webhook_attempts")

	kSchema   = []byte("schema_version")
	kSettings = []byte("branch")
	kRotation = []byte("rotation")
	kTime     = []byte("time")
	kTiers    = []byte("tiers")
)

// migrations upgrade the schema one version at a time. Append only: never
// edit or reorder a released step. The schema version is len(migrations).
var migrations = []func(tx *bolt.Tx) error{
	// 1: the initial layout.
	func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bSettings, bServices, bCounters, bTickets, bTokens, bActive, bNumbers, bIdem, bEvents, bUsers, bDevices, bDevToken, bSessions} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	},
	// 2: appointments, and the check-in window in settings written before it.
	func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bAppts, bApptLive, bPhones} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		b := tx.Bucket(bSettings)
		raw := b.Get(kSettings)
		if raw == nil {
			return nil
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("settings: %w", err)
		}
		if _, ok := m["checkin_early_minutes"]; !ok {
			m["checkin_early_minutes"] = 15
		}
		if _, ok := m["checkin_late_minutes"]; !ok {
			m["checkin_late_minutes"] = 10
		}
		return putJSON(b, kSettings, m)
	},
	// 3: tickets, events and appointments may be packed (see codec.go);
	// records written before stay plain JSON and read as before, and
	// compaction rewrites them packed. Daily aggregates of pruned history.
	func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bDays, bTokensNew} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	},
	// 4: webhooks and their delivery log.
	func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bHooks, bHookLog} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	},
	// 5: idempotency keys' uses are kept by ticket id, not by the key.
	func(tx *bolt.Tx) error {
		var uses []queue.IdemEntry
		if err := tx.Bucket(bIdem).ForEach(func(k, v []byte) error {
			var it queue.IdemEntry
			if err := json.Unmarshal(v, &it); err != nil {
				return fmt.Errorf("idempotency key %q: %w", k, err)
			}
			uses = append(uses, it)
			return nil
		}); err != nil {
			return err
		}
		if err := tx.DeleteBucket(bIdem); err != nil {
			return err
		}
		b, err := tx.CreateBucket(bIdem)
		if err != nil {
			return err
		}
		b.FillPercent = fillAppend
		for _, it := range uses {
			key, err := ticketKey(it.TicketID)
			if err != nil {
				return fmt.Errorf("idempotency key of ticket %q: %w", it.TicketID, err)
			}
			raw, err := encodeIdem(it)
			if err != nil {
				return fmt.Errorf("idempotency key of ticket %q: %w", it.TicketID, err)
			}
			if err := b.Put(key, raw); err != nil {
				return err
			}
		}
		return nil
	},
	// 6: customers, their purchases and tier history.
	migrateCustomers,
	// 7: the day's numbers and the idempotency keys' uses join the live
	// set, on the pages an issue writes anyway (see live.go).
	migrateLive,
	// 8: the report index notes up to which event it is folded (see
	// report.go).
	markReportFolded,
	// 9: the timekeeping joins the live set: a commit then writes no
	// bucket but those of its records.
	migrateTime,
}

// SchemaVersion is the schema this binary writes.
func SchemaVersion() uint64 { return uint64(len(migrations)) }

// DB is the queuebox database.
type DB struct {
	bolt *bolt.DB
	path string

	// committed is the seq of the last event known to be on disk.
	committed atomic.Uint64
	// commits counts the transactions of engine changes (see WriteStats).
	commits atomic.Int64
	// writeTxs counts write transactions, each a commit and its fsync.
	writeTxs atomic.Uint64

	// newTokens indexes the tokens not yet in bTokens (held in bActive and
	// bTokensNew) in memory, token → ticket key, so a lookup by token needs
	// no scan of them.
	tokMu     sync.RWMutex
	newTokens map[string][]byte

	// devices caches DeviceByTokenHash (see there).
	devices deviceCache

	// reportLag holds the events committed but not yet folded into the
	// report index, oldest first; only the committing goroutine touches it
	// (see foldDue). reportBehind is its length, for readers.
	reportLag    []queue.Event
	reportBehind atomic.Int64

	mu       sync.Mutex
	wake     *sync.Cond
	pending  []*pending
	failed   error
	closed   bool
	done     chan struct{}
	onCommit func([]queue.Event)
	observe  func(d time.Duration, changes int)
}

type pending struct {
	change *queue.Change
	enc    *encoded
	errc   chan error
	// fold asks the commit to bring the report index up to date.
	fold bool
}

// encoded holds the stored form of a change's history records, made by the
// caller of Apply so the one committing goroutine only writes bytes.
type encoded struct {
	tickets, events, appts [][]byte
}

func encodeChange(c *queue.Change) (*encoded, error) {
	e := &encoded{
		tickets: make([][]byte, len(c.Tickets)),
		events:  make([][]byte, len(c.Events)),
		appts:   make([][]byte, len(c.Appointments)),
	}
	var err error
	for i := range c.Tickets {
		if e.tickets[i], err = encodeRecord(&c.Tickets[i]); err != nil {
			return nil, err
		}
	}
	for i := range c.Events {
		if e.events[i], err = encodeRecord(&c.Events[i]); err != nil {
			return nil, err
		}
	}
	for i := range c.Appointments {
		if e.appts[i], err = encodeRecord(&c.Appointments[i]); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Options tune Open.
type Options struct {
	// LockTimeout is how long to wait for another process to release the file.
	LockTimeout time.Duration
	// MaxSize caps the file in bytes (0: no cap). Writes that would grow the
	// file past it fail as they would on a full disk, which is what tests of
	// a full disk need without filling a real one.
	MaxSize int
	// NoSync skips fsync on commit. Only the simulator uses it, on a
	// throw-away file: a live box always syncs, or a crash could lose tickets.
	NoSync bool
}

// Open opens (creating if needed) the database in dir, migrating it to the
// current schema. The directory is made private (0700) and the file 0600.
func Open(dir string, o Options) (db *DB, err error) {
	if o.LockTimeout == 0 {
		o.LockTimeout = 500 * time.Millisecond
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("make data directory private: %w", err)
	}
	path := filepath.Join(dir, FileName)
	// A damaged file can make bbolt panic deep in a read; turn that into an
	// error that says what to do, and let go of the file and its lock.
	var b *bolt.DB
	// A file cut short leaves pages past its end in bbolt's map, and reading
	// one is a fault that would kill the process instead of panicking.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if b != nil {
				b.Close()
			}
			db, err = nil, fmt.Errorf("%w: %v (%s). Restore a backup with: queuebox restore BACKUP_FILE --data %s", ErrCorrupted, r, path, dir)
		}
	}()
	b, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: o.LockTimeout, FreelistType: bolt.FreelistMapType, MaxSize: o.MaxSize,
		NoSync: o.NoSync, NoFreelistSync: o.NoSync})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s", ErrLocked, path)
	}
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
		// Not damage: a backup would not help, the owner or mode would.
		return nil, fmt.Errorf("open the database: %w; the user running queuebox must be able to write %s and the directory %s", err, path, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v (%s). Restore a backup with: queuebox restore BACKUP_FILE --data %s", ErrCorrupted, err, path, dir)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		b.Close()
		return nil, fmt.Errorf("make database private: %w", err)
	}
	if err := checkLength(b, path); err != nil {
		b.Close()
		return nil, fmt.Errorf("%w: %v (%s). Restore a backup with: queuebox restore BACKUP_FILE --data %s", ErrCorrupted, err, path, dir)
	}
	if err := migrate(b); err != nil {
		b.Close()
		return nil, err
	}
	if err := ensureReportIndex(b); err != nil {
		b.Close()
		return nil, fmt.Errorf("build the report index: %w", err)
	}
	db = &DB{bolt: b, path: path, done: make(chan struct{}), newTokens: map[string][]byte{}}
	db.wake = sync.NewCond(&db.mu)
	if err := b.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bActive, bTokensNew} {
			if err := tx.Bucket(name).ForEach(func(k, v []byte) error {
				// Only a ticket's key holds a token (see live.go).
				if len(k) == 8 && len(v) > 0 {
					db.newTokens[string(v)] = bytes.Clone(k)
				}
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Close()
		return nil, fmt.Errorf("read new tokens: %w", err)
	}
	go db.commitLoop()
	return db, nil
}

// checkLength refuses a file shorter than the pages its header says it has
// (an interrupted copy): every later read can then trust the map.
func checkLength(b *bolt.DB, path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	var want int64
	if err := b.View(func(tx *bolt.Tx) error { want = tx.Size(); return nil }); err != nil {
		return err
	}
	if info.Size() < want {
		return fmt.Errorf("the file is %d bytes but holds %d: it was cut short", info.Size(), want)
	}
	return nil
}

func migrate(b *bolt.DB) error {
	// Read first: a file already at this schema is not written at all, so a
	// start that then finds damage leaves the file as it found it.
	var v uint64
	if err := b.View(func(tx *bolt.Tx) error {
		if m := tx.Bucket(bMeta); m != nil {
			if raw := m.Get(kSchema); len(raw) == 8 {
				v = binary.BigEndian.Uint64(raw)
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if v > SchemaVersion() {
		return fmt.Errorf("%w (database schema %d, this binary knows up to %d)", ErrNewer, v, SchemaVersion())
	}
	if v == SchemaVersion() {
		return nil
	}
	if err := b.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bMeta)
		return err
	}); err != nil {
		return fmt.Errorf("create the meta bucket: %w", err)
	}
	for ; v < SchemaVersion(); v++ {
		step := migrations[v]
		next := v + 1
		if err := b.Update(func(tx *bolt.Tx) error {
			if err := step(tx); err != nil {
				return err
			}
			return tx.Bucket(bMeta).Put(kSchema, u64(next))
		}); err != nil {
			return fmt.Errorf("migrate schema to version %d: %w", next, err)
		}
	}
	return nil
}

// Version reads the schema version stored in the file.
func (db *DB) Version() (uint64, error) {
	var v uint64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if raw := tx.Bucket(bMeta).Get(kSchema); len(raw) == 8 {
			v = binary.BigEndian.Uint64(raw)
		}
		return nil
	})
	return v, err
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

// OnCommit sets a function called with the events of every commit, in seq
// order, from the committing goroutine. Set it before the first change.
func (db *DB) OnCommit(f func([]queue.Event)) {
	db.mu.Lock()
	db.onCommit = f
	db.mu.Unlock()
}

// ObserveCommits sets a function told how long each commit (with its fsync)
// took and how many changes it held, for the metrics.
func (db *DB) ObserveCommits(f func(d time.Duration, changes int)) {
	db.mu.Lock()
	db.observe = f
	db.mu.Unlock()
}

// Close finishes the commits already queued and closes the file.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil
	}
	db.closed = true
	db.wake.Signal()
	db.mu.Unlock()
	<-db.done
	return db.bolt.Close()
}

// Apply queues c for the next commit; see queue.Store.
func (db *DB) Apply(c *queue.Change) <-chan error {
	errc := make(chan error, 1)
	enc, err := encodeChange(c)
	if err != nil {
		errc <- fmt.Errorf("encode change: %w", err)
		return errc
	}
	return db.queue(&pending{change: c, enc: enc, errc: errc})
}

// queue hands p to the committing goroutine.
func (db *DB) queue(p *pending) <-chan error {
	db.mu.Lock()
	defer db.mu.Unlock()
	switch {
	case db.closed:
		p.errc <- ErrClosed
	case db.failed != nil:
		p.errc <- db.failed
	default:
		db.pending = append(db.pending, p)
		db.wake.Signal()
	}
	return p.errc
}

// Failed reports whether a commit failed since the last Reset.
func (db *DB) Failed() bool {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.failed != nil
}

// Reset accepts changes again after a failed commit.
func (db *DB) Reset() {
	db.mu.Lock()
	db.failed = nil
	db.mu.Unlock()
}

// commitLoop is the one writer of engine changes. It takes everything queued
// and commits it in one transaction, so the batch size follows the load with
// no timer: nobody waits for a batch to fill.
func (db *DB) commitLoop() {
	defer close(db.done)
	for {
		db.mu.Lock()
		for len(db.pending) == 0 && !db.closed {
			db.wake.Wait()
		}
		if len(db.pending) == 0 {
			db.mu.Unlock()
			// Not needed (Open folds what is left), but it keeps the
			// next start from reading the events back.
			db.foldRest()
			return
		}
		batch := db.pending
		db.pending = nil
		onCommit, observe := db.onCommit, db.observe
		db.mu.Unlock()

		began := time.Now()
		err := db.commit(batch)
		if observe != nil {
			observe(time.Since(began), len(batch))
		}
		if err != nil {
			// Later changes were built on top of the failed ones: refuse them
			// all until the engine has reloaded what is really on disk.
			db.mu.Lock()
			db.failed = fmt.Errorf("commit: %w", err)
			rest := db.pending
			db.pending = nil
			db.mu.Unlock()
			for _, p := range append(batch, rest...) {
				p.errc <- err
			}
			continue
		}
		db.commits.Add(1)
		var evs []queue.Event
		for _, p := range batch {
			evs = append(evs, p.change.Events...)
		}
		if len(evs) > 0 {
			db.committed.Store(evs[len(evs)-1].Seq)
		}
		// Publish before answering: once a caller hears "done", the live
		// push already has the event.
		if onCommit != nil && len(evs) > 0 {
			onCommit(evs)
		}
		for _, p := range batch {
			p.errc <- nil
		}
	}
}

// commit writes a batch in one transaction. A damaged page met on the way
// makes bbolt panic; that becomes a failed commit, not a dead server.
func (db *DB) commit(batch []*pending) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupted, r)
		}
	}()
	// The batch's events wait for the report index with those before them,
	// if the commit succeeds.
	n, lag, fold := 0, len(db.reportLag), false
	for _, p := range batch {
		n += len(p.change.Tickets)
		db.reportLag = append(db.reportLag, p.change.Events...)
		fold = fold || p.fold
	}
	fold = fold || len(db.reportLag) >= reportFoldEvents
	added := make(map[string][]byte, n) // sized once: a batch issues up to n tickets
	db.writeTxs.Add(1)
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		var last lastOfBatch
		for _, p := range batch {
			if p.enc == nil {
				enc, err := encodeChange(p.change)
				if err != nil {
					return err
				}
				p.enc = enc
			}
			if err := db.writeChange(tx, p.change, p.enc, added); err != nil {
				return err
			}
			last.add(p.change)
		}
		if fold {
			if err := foldReport(tx, db.reportLag); err != nil {
				return err
			}
		}
		return last.write(tx)
	})
	if err != nil {
		clear(db.reportLag[lag:])
		db.reportLag = db.reportLag[:lag]
		return err
	}
	if fold {
		clear(db.reportLag) // let go of the events
		db.reportLag = db.reportLag[:0]
	}
	db.reportBehind.Store(int64(len(db.reportLag)))
	if len(added) == 0 {
		return nil
	}
	db.tokMu.Lock()
	for tok, key := range added {
		db.newTokens[tok] = key
	}
	db.tokMu.Unlock()
	return nil
}

// ticketKeyByToken finds the key of a ticket by token, in either index.
func (db *DB) ticketKeyByToken(tx *bolt.Tx, token string) []byte {
	if key := tx.Bucket(bTokens).Get([]byte(token)); key != nil {
		return key
	}
	db.tokMu.RLock()
	defer db.tokMu.RUnlock()
	return db.newTokens[token]
}

// Fill factors of the history buckets: their keys only grow, so a page left
// half empty by a split would stay half empty for good. Events are never
// rewritten and fill pages completely; tickets and appointments keep a
// little room for the updates of their last days.
const (
	fillAppend  = 1.0
	fillHistory = 0.9
)

// indexTicket keeps the active set and the token indexes of a ticket
// written. The main token index is keyed by the random tokens, and a put
// there would rewrite a page picked at random for every ticket issued; so
// a new ticket's token rides as its value in the active set (written
// anyway, at its end), moves to the end of bTokensNew when the ticket
// ends, and is folded into the main index later with many others (see
// FoldTokens). New tokens are noted in added for the map in memory.
//
// A ticket the change issues (issued says so) is in no index yet: its
// token is new (random), so it joins the active set with it at once,
// without a look-up in either index.
func (db *DB) indexTicket(tx *bolt.Tx, active *bolt.Bucket, t *queue.Ticket, key []byte, issued bool, added map[string][]byte) error {
	if issued && t.Status.Active() && added[t.Token] == nil {
		added[t.Token] = key
		return active.Put(key, []byte(t.Token))
	}
	var tok []byte // the token, if it is in no index yet
	if added[t.Token] == nil && db.ticketKeyByToken(tx, t.Token) == nil {
		tok = []byte(t.Token)
		added[t.Token] = key
	}
	held, isActive := getKey(active, key)
	if t.Status.Active() {
		if isActive && tok == nil {
			return nil // already in the set, with its token if it had one
		}
		return active.Put(key, tok)
	}
	if len(held) > 0 {
		tok = bytes.Clone(held)
	}
	if tok != nil {
		tokensNew := tx.Bucket(bTokensNew)
		tokensNew.FillPercent = fillAppend
		if err := tokensNew.Put(key, tok); err != nil {
			return err
		}
	}
	if isActive {
		return active.Delete(key)
	}
	return nil
}

// issuedSet tells the tickets a change's events issue.
type issuedSet struct {
	evs []queue.Event
	ids map[string]bool // for a change of many events
}

// issuedIn is the set of tickets evs issue. Most changes have an event or
// two, looked through at once; a set is made for many.
func issuedIn(evs []queue.Event) issuedSet {
	if len(evs) <= 8 {
		return issuedSet{evs: evs}
	}
	s := issuedSet{ids: map[string]bool{}}
	for i := range evs {
		if evs[i].Type == queue.EventIssued && evs[i].Ticket != nil {
			s.ids[evs[i].Ticket.ID] = true
		}
	}
	return s
}

func (s issuedSet) has(id string) bool {
	if s.ids != nil {
		return s.ids[id]
	}
	for i := range s.evs {
		if s.evs[i].Type == queue.EventIssued && s.evs[i].Ticket != nil && s.evs[i].Ticket.ID == id {
			return true
		}
	}
	return false
}

// getKey reads a key that may hold an empty value, telling it apart from
// a missing one.
func getKey(b *bolt.Bucket, key []byte) (v []byte, ok bool) {
	k, v := b.Cursor().Seek(key)
	if !bytes.Equal(k, key) {
		return nil, false
	}
	return v, true
}

// writeChange writes one change.
func (db *DB) writeChange(tx *bolt.Tx, c *queue.Change, enc *encoded, added map[string][]byte) error {
	if c.Settings != nil {
		if err := putJSON(tx.Bucket(bSettings), kSettings, c.Settings); err != nil {
			return err
		}
	}
	if c.Rotation != nil {
		if err := putJSON(tx.Bucket(bSettings), kRotation, c.Rotation); err != nil {
			return err
		}
	}
	if c.Tiers != nil {
		if err := putJSON(tx.Bucket(bSettings), kTiers, c.Tiers); err != nil {
			return err
		}
	}
	for _, s := range c.Services {
		if err := putJSON(tx.Bucket(bServices), []byte(s.ID), s); err != nil {
			return err
		}
	}
	for _, id := range c.DeleteServices {
		if err := tx.Bucket(bServices).Delete([]byte(id)); err != nil {
			return err
		}
	}
	for _, ctr := range c.Counters {
		if err := putJSON(tx.Bucket(bCounters), []byte(ctr.ID), ctr); err != nil {
			return err
		}
	}
	for _, id := range c.DeleteCounters {
		if err := tx.Bucket(bCounters).Delete([]byte(id)); err != nil {
			return err
		}
	}
	// Buckets are opened only when the change writes to them: each open
	// looks its name up and makes a bucket, and a lone ticket's commit
	// would spend much of its work opening buckets it does not touch.
	if err := db.writeTickets(tx, c, enc, added); err != nil {
		return err
	}
	// The day's numbers are written once per commit (see lastOfBatch).
	if len(c.Idem) > 0 || len(c.DeleteIdem) > 0 {
		if err := writeIdem(tx.Bucket(bActive), c); err != nil {
			return err
		}
	}
	if len(c.Appointments) > 0 || len(c.ForgetAppointments) > 0 {
		if err := writeAppts(tx, c, enc); err != nil {
			return err
		}
	}
	if err := writePhones(tx, c); err != nil {
		return err
	}
	if len(c.Events) == 0 {
		return nil
	}
	events := tx.Bucket(bEvents)
	events.FillPercent = fillAppend
	var key [8]byte // bbolt copies a key it keeps
	for i := range c.Events {
		binary.BigEndian.PutUint64(key[:], c.Events[i].Seq)
		if err := events.Put(key[:], enc.events[i]); err != nil {
			return err
		}
	}
	return nil
}

// writeTickets writes a change's tickets and keeps their indexes.
func (db *DB) writeTickets(tx *bolt.Tx, c *queue.Change, enc *encoded, added map[string][]byte) error {
	if len(c.Tickets) == 0 {
		return nil
	}
	tickets, active := tx.Bucket(bTickets), tx.Bucket(bActive)
	tickets.FillPercent = fillHistory
	// New tickets join the active set at its end and leave it mostly from
	// the front: half-empty pages would only mean more pages per commit.
	active.FillPercent = fillAppend
	issued := issuedIn(c.Events)
	for i := range c.Tickets {
		t := &c.Tickets[i]
		key, err := ticketKey(t.ID)
		if err != nil {
			return err
		}
		if err := tickets.Put(key, enc.tickets[i]); err != nil {
			return err
		}
		if err := db.indexTicket(tx, active, t, key, issued.has(t.ID), added); err != nil {
			return err
		}
	}
	return nil
}

// writeAppts writes a change's appointments and keeps the set of live ones.
func writeAppts(tx *bolt.Tx, c *queue.Change, enc *encoded) error {
	appts, live := tx.Bucket(bAppts), tx.Bucket(bApptLive)
	appts.FillPercent = fillHistory
	for i := range c.Appointments {
		key, err := ticketKey(c.Appointments[i].ID)
		if err != nil {
			return err
		}
		if err := appts.Put(key, enc.appts[i]); err != nil {
			return err
		}
		if err := live.Put(key, nil); err != nil {
			return err
		}
	}
	for _, id := range c.ForgetAppointments {
		key, err := ticketKey(id)
		if err != nil {
			return err
		}
		if err := live.Delete(key); err != nil {
			return err
		}
	}
	return nil
}

// writePhones counts no-shows of phone numbers up and down.
func writePhones(tx *bolt.Tx, c *queue.Change) error {
	for _, p := range c.UndoNoShowPhones {
		var rec PhoneRecord
		if raw := tx.Bucket(bPhones).Get([]byte(p)); raw != nil {
			if err := json.Unmarshal(raw, &rec); err != nil {
				return err
			}
		}
		if rec.NoShows > 0 {
			rec.NoShows--
		}
		if err := putJSON(tx.Bucket(bPhones), []byte(p), rec); err != nil {
			return err
		}
	}
	for _, p := range c.NoShowPhones {
		var rec PhoneRecord
		if raw := tx.Bucket(bPhones).Get([]byte(p)); raw != nil {
			if err := json.Unmarshal(raw, &rec); err != nil {
				return err
			}
		}
		rec.NoShows++
		if err := putJSON(tx.Bucket(bPhones), []byte(p), rec); err != nil {
			return err
		}
	}
	return nil
}

// Load reads the live state; see queue.Store.
func (db *DB) Load() (snap *queue.Snapshot, err error) {
	snap = &queue.Snapshot{}
	err = db.view(func(tx *bolt.Tx) error {
		if raw := tx.Bucket(bSettings).Get(kSettings); raw != nil {
			var st queue.Settings
			if err := json.Unmarshal(raw, &st); err != nil {
				return fmt.Errorf("settings: %w", err)
			}
			snap.Settings = &st
		}
		if raw := tx.Bucket(bSettings).Get(kRotation); raw != nil {
			if err := json.Unmarshal(raw, &snap.Rotation); err != nil {
				return fmt.Errorf("rotation: %w", err)
			}
		}
		if raw := tx.Bucket(bSettings).Get(kTiers); raw != nil {
			if err := json.Unmarshal(raw, &snap.Tiers); err != nil {
				return fmt.Errorf("tiers: %w", err)
			}
		}
		if err := eachJSON(tx.Bucket(bServices), func(s queue.Service) { snap.Services = append(snap.Services, s) }); err != nil {
			return fmt.Errorf("services: %w", err)
		}
		if err := eachJSON(tx.Bucket(bCounters), func(c queue.Counter) { snap.Counters = append(snap.Counters, c) }); err != nil {
			return fmt.Errorf("counters: %w", err)
		}
		if err := loadLive(tx, snap); err != nil {
			return fmt.Errorf("live set: %w", err)
		}
		tickets := tx.Bucket(bTickets)
		if k, _ := tickets.Cursor().Last(); len(k) == 8 {
			snap.LastTicketID = binary.BigEndian.Uint64(k)
		}
		if k, v := tx.Bucket(bEvents).Cursor().Last(); len(k) == 8 {
			snap.LastSeq = binary.BigEndian.Uint64(k)
			var last struct {
				At time.Time `json:"at"`
			}
			if err := decodeRecord(v, &last); err != nil {
				return fmt.Errorf("event %d: %w", snap.LastSeq, err)
			}
			snap.LastAt = last.At
		}
		appts := tx.Bucket(bAppts)
		if err := tx.Bucket(bApptLive).ForEach(func(k, _ []byte) error {
			var a queue.Appointment
			if err := getRecord(appts, k, "appointment", &a); err != nil {
				return err
			}
			snap.Appointments = append(snap.Appointments, a)
			return nil
		}); err != nil {
			return err
		}
		if k, _ := appts.Cursor().Last(); len(k) == 8 {
			snap.LastApptID = binary.BigEndian.Uint64(k)
		}
		return recentCalls(tx, snap)
	})
	if err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	db.committed.Store(snap.LastSeq)
	return snap, nil
}

// WriteTxs is how many write transactions the store has begun since it
// opened: the commits of engine changes and every other update, each one
// commit with its fsync.
func (db *DB) WriteTxs() uint64 { return db.writeTxs.Load() }

// CommittedSeq is the seq of the last event on disk (as of the last Load or
// commit). A read of the store started after it reflects every change up to
// that seq, while the engine's memory may already be further on.
func (db *DB) CommittedSeq() uint64 { return db.committed.Load() }

// recentCalls finds the latest calls for the lobby display, looking back a
// bounded number of events so start-up stays fast with a year of history.
func recentCalls(tx *bolt.Tx, snap *queue.Snapshot) error {
	const lookBack = 5000
	c := tx.Bucket(bEvents).Cursor()
	var calls []queue.Event
	n := 0
	for k, v := c.Last(); k != nil && n < lookBack && len(calls) < queue.RecentCallsKept; k, v = c.Prev() {
		n++
		js, err := unpack(v)
		if err != nil {
			return fmt.Errorf("event %d: %w", binary.BigEndian.Uint64(k), err)
		}
		if !bytes.Contains(js, []byte(`"type":"called"`)) {
			continue
		}
		var ev queue.Event
		if err := json.Unmarshal(js, &ev); err != nil {
			return fmt.Errorf("event %d: %w", binary.BigEndian.Uint64(k), err)
		}
		calls = append(calls, ev)
	}
	for i := len(calls) - 1; i >= 0; i-- {
		snap.RecentCalls = append(snap.RecentCalls, calls[i])
	}
	return nil
}

// update runs a write transaction outside the commit loop (users, devices,
// sessions). The closures only put well-formed keys, so a failure is the
// disk's, and says so; a damaged page met on the way is an error too, not a
// crash.
func (db *DB) update(f func(tx *bolt.Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupted, r)
		}
	}()
	db.writeTxs.Add(1)
	if err := db.bolt.Update(f); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	return nil
}

// view runs a read transaction and turns a panic from a damaged page into an error.
func (db *DB) view(f func(tx *bolt.Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupted, r)
		}
	}()
	return db.bolt.View(f)
}

// Ticket finds any ticket by id.
func (db *DB) Ticket(id string) (queue.Ticket, error) {
	var t queue.Ticket
	key, err := ticketKey(id)
	if err != nil {
		return t, queue.ErrTicketNotFound
	}
	err = db.view(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bTickets).Get(key)
		if raw == nil {
			return queue.ErrTicketNotFound
		}
		return decodeRecord(raw, &t)
	})
	return t, err
}

// TicketByToken finds any ticket by its status token.
func (db *DB) TicketByToken(token string) (queue.Ticket, error) {
	var t queue.Ticket
	err := db.view(func(tx *bolt.Tx) error {
		key := db.ticketKeyByToken(tx, token)
		if key == nil {
			return queue.ErrTicketNotFound
		}
		raw := tx.Bucket(bTickets).Get(key)
		if raw == nil {
			return queue.ErrTicketNotFound
		}
		return decodeRecord(raw, &t)
	})
	return t, err
}

// PhoneRecord is what is kept against a phone number.
type PhoneRecord struct {
	NoShows int `json:"no_shows"`
}

// Phone returns the record of a phone number (zero if none).
func (db *DB) Phone(phone string) (PhoneRecord, error) {
	var rec PhoneRecord
	err := db.view(func(tx *bolt.Tx) error {
		if raw := tx.Bucket(bPhones).Get([]byte(phone)); raw != nil {
			return json.Unmarshal(raw, &rec)
		}
		return nil
	})
	return rec, err
}

// Events returns up to limit events with seq > since, oldest first.
func (db *DB) Events(since uint64, limit int) ([]queue.Event, error) {
	var out []queue.Event
	err := db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bEvents).Cursor()
		for k, v := c.Seek(u64(since + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			var ev queue.Event
			if err := decodeRecord(v, &ev); err != nil {
				return fmt.Errorf("event %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, ev)
		}
		return nil
	})
	return out, err
}

// WriteBackup streams a consistent copy of the database to w while it serves.
func (db *DB) WriteBackup(w io.Writer) (int64, error) {
	var n int64
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// WriteStats is what the database wrote since it was opened: the pages of
// every write transaction (each commit also rewrites one meta page, not
// counted) and the commits of engine changes. Unlike bytes timed or counted
// at the disk, it does not depend on what else the machine is doing.
type WriteStats struct {
	Pages   int64
	Bytes   int64
	Commits int64
}

// WriteStats reads the counts so far.
func (db *DB) WriteStats() WriteStats {
	tx := db.bolt.Stats().TxStats
	return WriteStats{Pages: tx.GetPageCount(), Bytes: tx.GetPageAlloc(), Commits: db.commits.Load()}
}

// Size is the size of the database file in bytes.
func (db *DB) Size() int64 {
	var n int64
	_ = db.bolt.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n
}

// getRecord decodes into v the history record of b at key k (an 8-byte
// id), which must be there: what names it in the error.
func getRecord(b *bolt.Bucket, k []byte, what string, v any) error {
	raw := b.Get(k)
	if raw == nil {
		return fmt.Errorf("%s %d is missing", what, binary.BigEndian.Uint64(k))
	}
	if err := decodeRecord(raw, v); err != nil {
		return fmt.Errorf("%s %d: %w", what, binary.BigEndian.Uint64(k), err)
	}
	return nil
}

func ticketKey(id string) ([]byte, error) {
	n, err := ticketID(id)
	if err != nil {
		return nil, err
	}
	return u64(n), nil
}

// ticketID is the number of a ticket's (or appointment's) id.
func ticketID(id string) (uint64, error) {
	var n uint64
	if id == "" || len(id) > 20 {
		return 0, fmt.Errorf("bad ticket id %q", id)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return 0, fmt.Errorf("bad ticket id %q", id)
		}
		n = n*10 + uint64(id[i]-'0')
	}
	return n, nil
}

func u64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

func eachJSON[T any](b *bolt.Bucket, f func(T)) error {
	return b.ForEach(func(k, v []byte) error {
		var x T
		if err := decodeRecord(v, &x); err != nil {
			return fmt.Errorf("%q: %w", k, err)
		}
		f(x)
		return nil
	})
}

// TicketsOfDate lists the tickets of a business date, oldest first, at most
// limit, optionally only those in one status. Ids grow with issue and the
// box's business date never goes back, so the scan walks back from the
// newest ticket and stops at the first of an earlier date.
func (db *DB) TicketsOfDate(date string, status queue.Status, limit int) ([]queue.Ticket, error) {
	var out []queue.Ticket
	err := db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bTickets).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var t queue.Ticket
			if err := decodeRecord(v, &t); err != nil {
				return fmt.Errorf("ticket %d: %w", binary.BigEndian.Uint64(k), err)
			}
			if t.Date < date {
				break
			}
			if t.Date == date && (status == "" || t.Status == status) {
				out = append(out, t)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
