package store_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"queuebox/server/queue"
	"queuebox/server/store"
)

// Times are UTC so that a JSON round trip gives back values reflect.DeepEqual
// accepts (same location pointer, no monotonic reading).
var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func at(min int) *time.Time {
	x := t0.Add(time.Duration(min) * time.Minute)
	return &x
}

func openDB(t *testing.T, dir string) *store.DB {
	t.Helper()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func closeDB(t *testing.T, db *store.DB) {
	t.Helper()
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func apply(t *testing.T, db *store.DB, c *queue.Change) {
	t.Helper()
	if err := <-db.Apply(c); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func ticket(id, number string, st queue.Status) queue.Ticket {
	return queue.Ticket{
		ID: id, Number: number, ServiceID: "general", Status: st,
		Token: "tok-" + id, Date: "2026-03-02", IssuedAt: t0, Source: "device:k1",
	}
}

// issued is a Change as the engine makes it for one new ticket: ticket,
// number and event together.
func issued(id uint64) *queue.Change {
	tk := ticket(strconv.FormatUint(id, 10), fmt.Sprintf("A%03d", id), queue.StatusWaiting)
	return &queue.Change{
		Tickets: []queue.Ticket{tk},
		Numbers: []queue.DayNumber{{Prefix: "A", Date: tk.Date, Last: int(id)}},
		Events:  []queue.Event{{Seq: id, Type: queue.EventIssued, At: t0, Ticket: &tk}},
	}
}

func seqs(evs []queue.Event) []uint64 {
	out := make([]uint64, len(evs))
	for i, ev := range evs {
		out[i] = ev.Seq
	}
	return out
}

func span(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func TestStoreReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)

	settings := queue.Settings{
		BranchName: "North 北区", Timezone: "Asia/Shanghai",
		Hours:          map[string]string{"mon": "09:00-12:00,13:00-17:00", "sun": ""},
		MaxWaitMinutes: 20,
	}
	general := queue.Service{ID: "general", Prefix: "A", Name: "General", Names: map[string]string{"zh": "综合业务"}, AvgServiceSeconds: 300, Position: 1}
	cash := queue.Service{ID: "cash", Prefix: "B", Name: "Cash", AvgServiceSeconds: 180, Position: 2}
	advice := queue.Service{ID: "advice", Prefix: "P", Name: "Advice", AvgServiceSeconds: 900, SlotMinutes: 15, SlotCapacity: 2, Position: 3}
	c1 := queue.Counter{ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general", "cash"}}
	c2 := queue.Counter{ID: "c2", Name: "Counter 2", ServiceIDs: []string{"cash"}, Paused: true}
	gone := queue.Counter{ID: "c9", Name: "Old desk", ServiceIDs: []string{}}

	// Ids 2, 9 and 10 stay active: 10 sorts before 9 as text, so the order
	// of Snapshot.Active shows whether keys are numeric.
	t2 := ticket("2", "A001", queue.StatusWaiting)
	t3 := ticket("3", "B001", queue.StatusWaiting)
	t3.ServiceID = "cash"
	t9 := ticket("9", "A002", queue.StatusWaiting)
	t9.Priority = 2
	t10 := ticket("10", "A003", queue.StatusWaiting)
	t11 := ticket("11", "A004", queue.StatusWaiting)

	apply(t, db, &queue.Change{
		Settings: &settings,
		Services: []queue.Service{general, cash, advice},
		Counters: []queue.Counter{c1, c2, gone},
		Tickets:  []queue.Ticket{t2, t3, t9, t10, t11},
		Numbers:  []queue.DayNumber{{Prefix: "A", Date: "2026-03-02", Last: 4}, {Prefix: "B", Date: "2026-03-02", Last: 1}},
		Idem: []queue.IdemEntry{
			{Key: "device:k1\x00tap-1", TicketID: "2", At: t0},
			{Key: "device:k1\x00tap-2", TicketID: "9", At: t0.Add(time.Minute)},
		},
		Events: []queue.Event{
			{Seq: 1, Type: queue.EventSettings, At: t0, Actor: "config"},
			{Seq: 2, Type: queue.EventIssued, At: t0, Actor: "device:k1", Ticket: &t2},
		},
	})

	// Later changes finish, call and cancel tickets and delete things, so the
	// active index and the deletions are exercised too.
	t3.Status, t3.CalledAt, t3.StartedAt, t3.EndedAt = queue.StatusDone, at(1), at(2), at(9)
	t3.CounterID, t3.CallReason = "c1", "longest_wait"
	t10.Status, t10.CalledAt, t10.CounterID, t10.Recalls = queue.StatusCalled, at(10), "c1", 1
	t10.Transfers = []string{"cash"}
	t11.Status, t11.EndedAt = queue.StatusCancelled, at(11)
	apply(t, db, &queue.Change{
		Counters:       []queue.Counter{c1},
		DeleteServices: []string{"advice"},
		DeleteCounters: []string{"c9"},
		Tickets:        []queue.Ticket{t3, t10},
		DeleteIdem:     []queue.IdemEntry{{Key: "device:k1\x00tap-1", TicketID: "2", At: t0}},
		Events: []queue.Event{
			{Seq: 3, Type: queue.EventFinished, At: *at(9), Ticket: &t3, Counter: &c1},
			{Seq: 4, Type: queue.EventCalled, At: *at(10), Ticket: &t10, Counter: &c1, Recall: true},
		},
	})
	// Seqs past 255 cross a byte boundary of the 8-byte keys.
	var many []queue.Event
	for s := uint64(5); s <= 300; s++ {
		many = append(many, queue.Event{Seq: s, Type: queue.EventCancelled, At: *at(11), Actor: "customer", Ticket: &t11})
	}
	apply(t, db, &queue.Change{Tickets: []queue.Ticket{t11}, Events: many})

	users := []store.User{
		{Username: "admin", Role: "admin", Hash: []byte("$2a$10$hash-of-admin"), CreatedAt: t0},
		{Username: "zhang.wei", Role: "staff", Hash: []byte("$2a$10$hash-of-zhang"), CreatedAt: t0, Disabled: true},
	}
	for _, u := range users {
		if err := db.PutUser(u); err != nil {
			t.Fatalf("PutUser(%s): %v", u.Username, err)
		}
	}
	kiosk := store.Device{ID: "k1", Kind: "kiosk", Name: "Lobby kiosk", TokenHash: []byte("hash-of-kiosk-token"), CreatedAt: t0, PrinterURL: "tcp://10.0.0.9:9100"}
	display := store.Device{ID: "d1", Kind: "display", Name: "Lobby TV", TokenHash: []byte("hash-of-display-token"), CreatedAt: t0, Revoked: true}
	for _, d := range []store.Device{kiosk, display} {
		if err := db.PutDevice(d); err != nil {
			t.Fatalf("PutDevice(%s): %v", d.ID, err)
		}
	}
	sess := store.Session{Username: "admin", Expires: t0.Add(12 * time.Hour)}
	if err := db.PutSession([]byte("cookie-hash"), sess); err != nil {
		t.Fatalf("PutSession: %v", err)
	}
	closeDB(t, db)

	db = openDB(t, dir)
	snap, err := db.Load()
	if err != nil {
		t.Fatalf("Load after reopen: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Settings", snap.Settings, &settings},
		{"Services", snap.Services, []queue.Service{cash, general}},
		{"Counters", snap.Counters, []queue.Counter{c1, c2}},
		{"Active", snap.Active, []queue.Ticket{t2, t9, t10}},
		{"Numbers", snap.Numbers, []queue.DayNumber{{Prefix: "A", Date: "2026-03-02", Last: 4}, {Prefix: "B", Date: "2026-03-02", Last: 1}}},
		{"Idem", snap.Idem, []queue.IdemEntry{{Key: "device:k1\x00tap-2", TicketID: "9", At: t0.Add(time.Minute)}}},
		{"LastSeq", snap.LastSeq, uint64(300)},
		{"LastTicketID", snap.LastTicketID, uint64(11)},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("Snapshot.%s after reopen:\n got %s\nwant %s", c.name, dump(c.got), dump(c.want))
		}
	}

	for _, want := range []queue.Ticket{t2, t3, t9, t10, t11} {
		got, err := db.Ticket(want.ID)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Ticket(%s) = %s, %v; want %s", want.ID, dump(got), err, dump(want))
		}
		got, err = db.TicketByToken(want.Token)
		if err != nil || got.ID != want.ID {
			t.Errorf("TicketByToken(%s) = id %q, %v; want id %q", want.Token, got.ID, err, want.ID)
		}
	}
	for _, id := range []string{"1", "12", "not-a-number", ""} {
		if _, err := db.Ticket(id); !errors.Is(err, queue.ErrTicketNotFound) {
			t.Errorf("Ticket(%q) error = %v, want ErrTicketNotFound", id, err)
		}
	}
	if _, err := db.TicketByToken("no-such-token"); !errors.Is(err, queue.ErrTicketNotFound) {
		t.Errorf("TicketByToken(unknown) error = %v, want ErrTicketNotFound", err)
	}

	evs, err := db.Events(0, 1000)
	if err != nil {
		t.Fatalf("Events(0, 1000): %v", err)
	}
	if got, want := seqs(evs), span(1, 300); !slices.Equal(got, want) {
		t.Errorf("Events(0, 1000) seqs = %v, want 1..300 in order", got)
	}
	if len(evs) >= 4 && !reflect.DeepEqual(evs[3], queue.Event{Seq: 4, Type: queue.EventCalled, At: *at(10), Ticket: &t10, Counter: &c1, Recall: true}) {
		t.Errorf("event 4 after reopen = %s", dump(evs[3]))
	}
	evs, err = db.Events(254, 4)
	if got, want := seqs(evs), span(255, 258); err != nil || !slices.Equal(got, want) {
		t.Errorf("Events(254, 4) seqs = %v, %v; want %v", got, err, want)
	}

	gotUsers, err := db.Users()
	if err != nil || !reflect.DeepEqual(gotUsers, users) {
		t.Errorf("Users() after reopen = %s, %v; want %s", dump(gotUsers), err, dump(users))
	}
	if u, err := db.User("zhang.wei"); err != nil || !reflect.DeepEqual(u, users[1]) {
		t.Errorf("User(zhang.wei) = %s, %v; want %s", dump(u), err, dump(users[1]))
	}
	if _, err := db.User("nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("User(nobody) error = %v, want ErrNotFound", err)
	}
	if d, err := db.DeviceByTokenHash(kiosk.TokenHash); err != nil || !reflect.DeepEqual(d, kiosk) {
		t.Errorf("DeviceByTokenHash(kiosk) = %s, %v; want %s", dump(d), err, dump(kiosk))
	}
	if d, err := db.Device("d1"); err != nil || !reflect.DeepEqual(d, display) {
		t.Errorf("Device(d1) = %s, %v; want %s", dump(d), err, dump(display))
	}
	if ds, err := db.Devices(); err != nil || !reflect.DeepEqual(ds, []store.Device{display, kiosk}) {
		t.Errorf("Devices() = %s, %v; want [d1 k1]", dump(ds), err)
	}
	if s, err := db.Session([]byte("cookie-hash")); err != nil || !reflect.DeepEqual(s, sess) {
		t.Errorf("Session(cookie-hash) = %s, %v; want %s", dump(s), err, dump(sess))
	}
	if v, err := db.Version(); err != nil || v != store.SchemaVersion() {
		t.Errorf("Version() = %d, %v; want %d", v, err, store.SchemaVersion())
	}
}

func dump(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}

// rawBolt opens the database file with bbolt alone. The short timeout makes a
// lock that Open forgot to release show up as an error instead of a hang.
func rawBolt(t *testing.T, dir string) *bolt.DB {
	t.Helper()
	b, err := bolt.Open(filepath.Join(dir, store.FileName), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("bbolt.Open: %v", err)
	}
	return b
}

func bucketNames(t *testing.T, dir string) []string {
	t.Helper()
	b := rawBolt(t, dir)
	defer b.Close()
	var names []string
	if err := b.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names = append(names, string(name))
			return nil
		})
	}); err != nil {
		t.Fatalf("list buckets: %v", err)
	}
	return names
}

func u64(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

func TestStoreMigratesFromVersionZero(t *testing.T) {
	// A database made by this binary is the reference layout.
	fresh := t.TempDir()
	closeDB(t, openDB(t, fresh))
	wantBuckets := bucketNames(t, fresh)

	old := ticket("5", "A005", queue.StatusWaiting)
	oldJSON, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		seed   func(tx *bolt.Tx) error
		active []queue.Ticket
	}{
		{"no meta bucket", func(tx *bolt.Tx) error { return nil }, nil},
		{"meta without schema_version", func(tx *bolt.Tx) error {
			_, err := tx.CreateBucket([]byte("meta"))
			return err
		}, nil},
		{"some buckets already hold data", func(tx *bolt.Tx) error {
			if _, err := tx.CreateBucket([]byte("meta")); err != nil {
				return err
			}
			tickets, err := tx.CreateBucket([]byte("tickets"))
			if err != nil {
				return err
			}
			active, err := tx.CreateBucket([]byte("active"))
			if err != nil {
				return err
			}
			if err := tickets.Put(u64(5), oldJSON); err != nil {
				return err
			}
			return active.Put(u64(5), nil)
		}, []queue.Ticket{old}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			b := rawBolt(t, dir)
			if err := b.Update(tt.seed); err != nil {
				t.Fatalf("seed version 0 file: %v", err)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}

			db := openDB(t, dir)
			if v, err := db.Version(); err != nil || v != store.SchemaVersion() {
				t.Errorf("Version() after migration = %d, %v; want %d", v, err, store.SchemaVersion())
			}
			snap, err := db.Load()
			if err != nil {
				t.Fatalf("Load after migration: %v", err)
			}
			if !reflect.DeepEqual(snap.Active, tt.active) {
				t.Errorf("Active after migration = %s, want %s", dump(snap.Active), dump(tt.active))
			}
			// Every read path touches its bucket; a missing one would surface
			// as a recovered panic (ErrCorrupted) rather than "not found".
			if _, err := db.Users(); err != nil {
				t.Errorf("Users(): %v", err)
			}
			if _, err := db.Devices(); err != nil {
				t.Errorf("Devices(): %v", err)
			}
			if _, err := db.DeviceByTokenHash([]byte("x")); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("DeviceByTokenHash(x) error = %v, want ErrNotFound", err)
			}
			if _, err := db.Session([]byte("x")); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Session(x) error = %v, want ErrNotFound", err)
			}
			if _, err := db.TicketByToken("x"); !errors.Is(err, queue.ErrTicketNotFound) {
				t.Errorf("TicketByToken(x) error = %v, want ErrTicketNotFound", err)
			}
			if _, err := db.Events(0, 10); err != nil {
				t.Errorf("Events(0, 10): %v", err)
			}
			// And every write path.
			st := queue.DefaultSettings()
			apply(t, db, &queue.Change{
				Settings: &st,
				Services: []queue.Service{{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 60}},
				Counters: []queue.Counter{{ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general"}}},
				Tickets:  []queue.Ticket{ticket("6", "A006", queue.StatusWaiting)},
				Numbers:  []queue.DayNumber{{Prefix: "A", Date: "2026-03-02", Last: 6}},
				Idem:     []queue.IdemEntry{{Key: "k", TicketID: "6", At: t0}},
				Events:   []queue.Event{{Seq: 1, Type: queue.EventIssued, At: t0}},
			})
			if err := db.PutUser(store.User{Username: "admin", Role: "admin", CreatedAt: t0}); err != nil {
				t.Errorf("PutUser: %v", err)
			}
			if err := db.PutDevice(store.Device{ID: "k1", Kind: "kiosk", TokenHash: []byte("h"), CreatedAt: t0}); err != nil {
				t.Errorf("PutDevice: %v", err)
			}
			if err := db.PutSession([]byte("s"), store.Session{Username: "admin", Expires: t0}); err != nil {
				t.Errorf("PutSession: %v", err)
			}
			closeDB(t, db)

			if got := bucketNames(t, dir); !slices.Equal(got, wantBuckets) {
				t.Errorf("buckets after migration = %v, want %v", got, wantBuckets)
			}
			// Migrating is done once: a second open finds the current version.
			db = openDB(t, dir)
			if v, err := db.Version(); err != nil || v != store.SchemaVersion() {
				t.Errorf("Version() on second open = %d, %v; want %d", v, err, store.SchemaVersion())
			}
			if snap, err := db.Load(); err != nil || len(snap.Active) != len(tt.active)+1 {
				t.Errorf("Load on second open = %d active, %v; want %d", len(snap.Active), err, len(tt.active)+1)
			}
		})
	}
}

func TestStoreRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	newer := store.SchemaVersion() + 1
	b := rawBolt(t, dir)
	if err := b.Update(func(tx *bolt.Tx) error {
		m, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		return m.Put([]byte("schema_version"), u64(newer))
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := store.Open(dir, store.Options{})
	if err == nil {
		db.Close()
		t.Fatalf("Open of a schema %d database succeeded, want ErrNewer", newer)
	}
	if !errors.Is(err, store.ErrNewer) {
		t.Fatalf("Open error = %v, want ErrNewer", err)
	}
	// The refusal must leave the file as the newer binary wrote it, and unlocked.
	b = rawBolt(t, dir)
	defer b.Close()
	var got []byte
	if err := b.View(func(tx *bolt.Tx) error {
		got = bytes.Clone(tx.Bucket([]byte("meta")).Get([]byte("schema_version")))
		if n := tx.Bucket([]byte("tickets")); n != nil {
			return errors.New("Open created buckets in a newer database")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, u64(newer)) {
		t.Errorf("schema_version after refusal = %x, want %x", got, u64(newer))
	}
}

func TestStoreLocked(t *testing.T) {
	dir := t.TempDir()
	first := openDB(t, dir)

	second, err := store.Open(dir, store.Options{LockTimeout: 50 * time.Millisecond})
	if err == nil {
		second.Close()
		t.Fatal("second Open while the first is open succeeded, want ErrLocked")
	}
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second Open error = %v, want ErrLocked", err)
	}

	closeDB(t, first)
	again, err := store.Open(dir, store.Options{LockTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open after the first closed: %v", err)
	}
	closeDB(t, again)
}

func TestStoreDamagedFile(t *testing.T) {
	pageSize := os.Getpagesize()
	rnd := rand.New(rand.NewPCG(1, 2))
	randomBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.UintN(256))
		}
		return b
	}
	// validFile makes a real database with some content and returns its bytes
	// and the page of its root bucket, which Open reads to migrate.
	validFile := func(t *testing.T) (raw []byte, rootPage int) {
		dir := t.TempDir()
		db := openDB(t, dir)
		for id := uint64(1); id <= 50; id++ {
			apply(t, db, issued(id))
		}
		closeDB(t, db)
		b := rawBolt(t, dir)
		if err := b.View(func(tx *bolt.Tx) error {
			rootPage = int(tx.Cursor().Bucket().Root())
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join(dir, store.FileName))
		if err != nil {
			t.Fatal(err)
		}
		return raw, rootPage
	}
	tests := []struct {
		name string
		file func(t *testing.T) []byte
	}{
		{"random bytes", func(t *testing.T) []byte { return randomBytes(16 * pageSize) }},
		{"random bytes shorter than a page", func(t *testing.T) []byte { return randomBytes(100) }},
		{"header pages overwritten", func(t *testing.T) []byte {
			raw, _ := validFile(t)
			copy(raw, randomBytes(2*pageSize))
			return raw
		}},
		{"header pages zeroed", func(t *testing.T) []byte {
			raw, _ := validFile(t)
			clear(raw[:2*pageSize])
			return raw
		}},
		// bbolt opens this file and then panics while migrate reads it.
		{"root bucket page overwritten", func(t *testing.T) []byte {
			raw, root := validFile(t)
			copy(raw[root*pageSize:], randomBytes(pageSize))
			return raw
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, store.FileName)
			damaged := tt.file(t)
			if err := os.WriteFile(path, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			// Twice: the first failure must not leave the file locked.
			for attempt := 1; attempt <= 2; attempt++ {
				db, err := store.Open(dir, store.Options{LockTimeout: 100 * time.Millisecond})
				if err == nil {
					db.Close()
					t.Fatalf("Open #%d of a damaged file succeeded, want ErrCorrupted", attempt)
				}
				if !errors.Is(err, store.ErrCorrupted) {
					t.Fatalf("Open #%d error = %v, want ErrCorrupted", attempt, err)
				}
				if !strings.Contains(err.Error(), "queuebox restore") {
					t.Errorf("Open #%d error = %q, want it to name \"queuebox restore\"", attempt, err)
				}
			}
			// The damaged file is the best hope of recovering data: leave it be.
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, damaged) {
				t.Errorf("Open changed the damaged file (%d bytes before, %d after)", len(damaged), len(got))
			}
		})
	}
}

func TestStorePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix permission bits do not apply on windows")
	}
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string)
	}{
		{"new directory", func(t *testing.T, dir string) {}},
		{"directory existed as 0755", func(t *testing.T, dir string) {
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, 0o755); err != nil { // past the umask
				t.Fatal(err)
			}
		}},
		{"database file existed as 0644", func(t *testing.T, dir string) {
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			closeDB(t, openDB(t, dir))
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(filepath.Join(dir, store.FileName), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			tt.prepare(t, dir)
			db := openDB(t, dir)
			for _, c := range []struct {
				path string
				want os.FileMode
			}{{dir, 0o700}, {db.Path(), 0o600}} {
				fi, err := os.Stat(c.path)
				if err != nil {
					t.Fatal(err)
				}
				if got := fi.Mode().Perm(); got != c.want {
					t.Errorf("mode of %s = %v, want %v", c.path, got, c.want)
				}
			}
		})
	}
}

func TestStoreGroupCommit(t *testing.T) {
	const n = 200
	dir := t.TempDir()
	db := openDB(t, dir)

	var (
		commitMu  sync.Mutex
		committed []uint64
		commits   int
	)
	db.OnCommit(func(evs []queue.Event) {
		commitMu.Lock()
		defer commitMu.Unlock()
		commits++
		committed = append(committed, seqs(evs)...)
	})

	// Apply is called under applyMu, so the order of Apply is the order of
	// seq, and the commit order can be checked against it.
	var (
		applyMu sync.Mutex
		next    uint64
		wg      sync.WaitGroup
		errs    = make([]error, n)
	)
	for range n {
		wg.Go(func() {
			applyMu.Lock()
			next++
			seq := next
			errc := db.Apply(issued(seq))
			applyMu.Unlock()
			errs[seq-1] = <-errc
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Apply #%d yielded %v, want nil", i+1, err)
		}
	}
	// Close waits for the commit goroutine, so every OnCommit call is done.
	closeDB(t, db)
	commitMu.Lock()
	if want := span(1, n); !slices.Equal(committed, want) {
		t.Errorf("OnCommit saw seqs %v, want 1..%d once each in Apply order", committed, n)
	}
	t.Logf("%d changes in %d commits", n, commits)
	commitMu.Unlock()

	db = openDB(t, dir)
	snap, err := db.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Active) != n || snap.LastSeq != n || snap.LastTicketID != n {
		t.Errorf("after reopen: %d active, last seq %d, last ticket %d; want %d of each", len(snap.Active), snap.LastSeq, snap.LastTicketID, n)
	}
}

func TestStoreFailedCommit(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)

	// OnCommit runs on the commit goroutine: holding it there keeps the next
	// changes queued, so they are known to form one batch.
	entered, release := make(chan struct{}), make(chan struct{})
	var (
		mu   sync.Mutex
		seen []uint64
	)
	db.OnCommit(func(evs []queue.Event) {
		mu.Lock()
		seen = append(seen, seqs(evs)...)
		mu.Unlock()
		if evs[0].Seq == 1 {
			close(entered)
			<-release
		}
	})

	first := db.Apply(issued(1))
	<-entered
	bad := issued(3)
	bad.Tickets[0].ID = "not-a-number"
	batch := []<-chan error{db.Apply(issued(2)), db.Apply(bad), db.Apply(issued(4))}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("Apply of the first change: %v", err)
	}
	for i, errc := range batch {
		err := <-errc
		if err == nil || !strings.Contains(err.Error(), "not-a-number") {
			t.Errorf("change %d of the failed batch yielded %v, want the bad ticket id error", i+2, err)
		}
	}
	if !db.Failed() {
		t.Fatal("Failed() = false after a failed commit, want true")
	}
	select {
	case err := <-db.Apply(issued(5)):
		if err == nil {
			t.Error("Apply while failed yielded nil, want an error")
		}
	default:
		t.Error("Apply while failed queued the change, want an immediate error")
	}
	if !db.Failed() {
		t.Error("Failed() = false before Reset, want true")
	}

	db.Reset()
	if db.Failed() {
		t.Error("Failed() = true after Reset, want false")
	}
	// As the engine does after reloading: numbering resumes from the disk.
	retry := issued(2)
	retry.Tickets[0].Number = "A902"
	retry.Events[0].Ticket.Number = "A902"
	apply(t, db, retry)
	closeDB(t, db)

	mu.Lock()
	if want := []uint64{1, 2}; !slices.Equal(seen, want) {
		t.Errorf("OnCommit saw seqs %v, want %v", seen, want)
	}
	mu.Unlock()

	db = openDB(t, dir)
	snap, err := db.Load()
	if err != nil {
		t.Fatal(err)
	}
	var active []string
	for _, tk := range snap.Active {
		active = append(active, tk.ID+":"+tk.Number)
	}
	if want := []string{"1:A001", "2:A902"}; !slices.Equal(active, want) {
		t.Errorf("active tickets on disk = %v, want %v", active, want)
	}
	if _, err := db.Ticket("4"); !errors.Is(err, queue.ErrTicketNotFound) {
		t.Errorf("Ticket(4) of the failed batch: error %v, want ErrTicketNotFound", err)
	}
	if _, err := db.TicketByToken("tok-4"); !errors.Is(err, queue.ErrTicketNotFound) {
		t.Errorf("TicketByToken(tok-4) of the failed batch: error %v, want ErrTicketNotFound", err)
	}
	evs, err := db.Events(0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := seqs(evs), []uint64{1, 2}; !slices.Equal(got, want) || evs[1].Ticket.Number != "A902" {
		t.Errorf("events on disk = %s, want seqs %v with seq 2 from the retry", dump(evs), want)
	}
	if want := []queue.DayNumber{{Prefix: "A", Date: "2026-03-02", Last: 2}}; !reflect.DeepEqual(snap.Numbers, want) {
		t.Errorf("numbers on disk = %v, want %v", snap.Numbers, want)
	}
}

func TestStoreBackupWhileWriting(t *testing.T) {
	const seeded = 20
	db := openDB(t, t.TempDir())
	for id := uint64(1); id <= seeded; id++ {
		apply(t, db, issued(id))
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for id := uint64(seeded + 1); ; id++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := <-db.Apply(issued(id)); err != nil {
				t.Errorf("Apply(%d) during backup: %v", id, err)
				return
			}
		}
	})

	var backups []string
	for i := range 5 {
		var buf bytes.Buffer
		n, err := db.WriteBackup(&buf)
		if err != nil {
			t.Fatalf("WriteBackup #%d: %v", i, err)
		}
		if n != int64(buf.Len()) {
			t.Errorf("WriteBackup #%d reported %d bytes, wrote %d", i, n, buf.Len())
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, store.FileName), buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		backups = append(backups, dir)
	}
	close(stop)
	wg.Wait()

	for i, dir := range backups {
		bk := openDB(t, dir)
		snap, err := bk.Load()
		if err != nil {
			t.Fatalf("Load of backup #%d: %v", i, err)
		}
		// Each change writes ticket N with event N, so a consistent copy has
		// as many active tickets as its last id and its last seq.
		n := uint64(len(snap.Active))
		if n < seeded || snap.LastTicketID != n || snap.LastSeq != n {
			t.Errorf("backup #%d: %d active, last ticket %d, last seq %d; want equal and at least %d", i, n, snap.LastTicketID, snap.LastSeq, seeded)
		}
		if v, err := bk.Version(); err != nil || v != store.SchemaVersion() {
			t.Errorf("backup #%d Version() = %d, %v; want %d", i, v, err, store.SchemaVersion())
		}
		closeDB(t, bk)
	}
}

func TestStoreDamagedDataPage(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	for id := uint64(1); id <= 50; id++ {
		apply(t, db, issued(id))
	}
	closeDB(t, db)

	// The header pages are fine, so Open cannot notice; the first read of the
	// tickets bucket must report the damage instead of crashing the box.
	b := rawBolt(t, dir)
	var root uint64
	if err := b.View(func(tx *bolt.Tx) error {
		root = uint64(tx.Bucket([]byte("tickets")).Root())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if root == 0 {
		t.Fatal("the tickets bucket is inline; the test needs it on its own page")
	}
	path := filepath.Join(dir, store.FileName)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pageSize := os.Getpagesize()
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := int(root) * pageSize; i < int(root+1)*pageSize; i++ {
		raw[i] = byte(rnd.UintN(256))
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}

	db, err = store.Open(dir, store.Options{})
	if err != nil {
		if !errors.Is(err, store.ErrCorrupted) {
			t.Fatalf("Open error = %v, want nil or ErrCorrupted", err)
		}
		return
	}
	defer db.Close()
	if _, err := db.Load(); !errors.Is(err, store.ErrCorrupted) {
		t.Errorf("Load error = %v, want ErrCorrupted", err)
	}
	if _, err := db.Ticket("7"); !errors.Is(err, store.ErrCorrupted) {
		t.Errorf("Ticket(7) error = %v, want ErrCorrupted", err)
	}
}
