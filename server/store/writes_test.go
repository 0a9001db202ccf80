package store

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"reflect"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"queuebox/server/queue"
	"queuebox/server/queue/queuetest"
)

// recorder is a store that keeps the engine's changes for a test to commit
// as it likes.
type recorder struct{ changes []*queue.Change }

func (r *recorder) Load() (*queue.Snapshot, error) { return &queue.Snapshot{}, nil }
func (r *recorder) Apply(c *queue.Change) <-chan error {
	r.changes = append(r.changes, c)
	done := make(chan error, 1)
	done <- nil
	return done
}
func (r *recorder) Failed() bool { return false }
func (r *recorder) Reset()       {}
func (r *recorder) Ticket(string) (queue.Ticket, error) {
	return queue.Ticket{}, queue.ErrTicketNotFound
}
func (r *recorder) TicketByToken(string) (queue.Ticket, error) {
	return queue.Ticket{}, queue.ErrTicketNotFound
}

// issueChanges has the real engine issue n tickets as kiosks do (each with
// a random idempotency key, two seconds apart on one business day) and
// returns its changes, the branch's set-up first.
func issueChanges(t testing.TB, n int) []*queue.Change {
	t.Helper()
	rec := &recorder{}
	clock := queuetest.NewClock(time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC))
	e, err := queue.New(rec, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := queue.DefaultSettings()
	st.BranchName, st.Timezone, st.Hours = "Test", "Asia/Shanghai", map[string]string{}
	for _, d := range queue.Days {
		st.Hours[d] = "00:00-24:00"
	}
	if err := e.Seed(st, []queue.Service{{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300}},
		[]queue.Counter{{ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general"}}}); err != nil {
		t.Fatal(err)
	}
	for range n {
		clock.Advance(2 * time.Second)
		key := make([]byte, 16)
		rand.Read(key)
		if _, _, err := e.Issue(queue.IssueRequest{ServiceID: "general", Source: "device:k1", IdemKey: hex.EncodeToString(key)}); err != nil {
			t.Fatal(err)
		}
	}
	return rec.changes
}

// TestIssueWritesFewPages holds what a ticket's commit writes, in pages
// as bbolt counts them (not timed, not the disk's count): a lone ticket's
// commit stays within a fixed number of pages, does not grow as the day's
// tickets add up (a per-day value rewritten with every ticket, or a bucket
// keyed at random, would), and tickets committed together share pages.
func TestIssueWritesFewPages(t *testing.T) {
	db, err := Open(t.TempDir(), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	changes := issueChanges(t, 3000)
	commit := func(cs []*queue.Change) {
		t.Helper()
		batch := make([]*pending, len(cs))
		for i, c := range cs {
			batch[i] = &pending{change: c}
		}
		if err := db.commit(batch); err != nil {
			t.Fatal(err)
		}
	}
	inBatches := func(cs []*queue.Change, size int) {
		for len(cs) > 0 {
			n := min(size, len(cs))
			commit(cs[:n])
			cs = cs[n:]
		}
	}
	// pages commits cs in commits of size and returns the pages written
	// per ticket.
	pages := func(cs []*queue.Change, size int) float64 {
		before := db.WriteStats().Pages
		inBatches(cs, size)
		return float64(db.WriteStats().Pages-before) / float64(len(cs))
	}

	const seed = 3 // the set-up's changes come before the first ticket
	inBatches(changes[:seed+200], 64)
	early := pages(changes[seed+200:seed+300], 1)
	inBatches(changes[seed+300:seed+2200], 64)
	late := pages(changes[seed+2200:seed+2300], 1)
	together := pages(changes[seed+2300:seed+2940], 64)
	t.Logf("pages per ticket: alone %.1f after 200 tickets, %.1f after 2,200; %.2f in commits of 64", early, late, together)

	// A lone ticket writes a leaf and the branch above it in each of the
	// three buckets an issue touches (tickets, events, and the live set,
	// which holds its token, its idempotency key and the day's number), the
	// root (which holds the timekeeping, in the small meta bucket) and the
	// free list; the report index is folded later, with hundreds of others.
	const alone = 8
	if early > alone || late > alone {
		t.Errorf("a lone ticket's commit writes %.1f pages after 200 tickets and %.1f after 2,200, want at most %d", early, late, alone)
	}
	if late > early+1 {
		t.Errorf("a lone ticket's commit grew from %.1f to %.1f pages over the day: something is rewritten whole with every ticket", early, late)
	}
	// Together, tickets fill those pages: about 1.3 KB of records each.
	if together > 0.4 {
		t.Errorf("in commits of 64, a ticket costs %.2f pages, want at most 0.4", together)
	}
}

// TestIssuedTicketsIndexedAtOnce: a ticket issued joins the token index
// and the report index without either being read first; every ticket is
// found by its token, before and after the store reopens (also those a
// near-turn mark writes twice in their change), and the report records
// folded from the commits are those a rebuild from the events makes.
func TestIssuedTicketsIndexedAtOnce(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { db.Close() }()
	changes := issueChanges(t, 40)
	twice := 0
	for _, c := range changes {
		seen := map[string]bool{}
		for _, tk := range c.Tickets {
			if seen[tk.ID] {
				twice++
			}
			seen[tk.ID] = true
		}
	}
	if twice == 0 {
		t.Fatal("no change wrote a ticket twice: the test misses the near-turn case")
	}
	// In commits of several changes, as under load.
	for len(changes) > 0 {
		n := min(7, len(changes))
		batch := make([]*pending, n)
		for i, c := range changes[:n] {
			batch[i] = &pending{change: c}
		}
		if err := db.commit(batch); err != nil {
			t.Fatal(err)
		}
		for _, c := range changes[:n] {
			for _, tk := range c.Tickets {
				if got, err := db.TicketByToken(tk.Token); err != nil || got.ID != tk.ID {
					t.Fatalf("ticket %s by its token: %s, %v", tk.ID, got.ID, err)
				}
			}
		}
		changes = changes[n:]
	}
	const day = "2026-03-04"
	written, err := db.ReportRecords(day, day)
	if err != nil || len(written) != 40 {
		t.Fatalf("%d report records (%v), want 40", len(written), err)
	}
	if err := db.update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bReport); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bReport); err != nil {
			return err
		}
		return rebuildReport(tx)
	}); err != nil {
		t.Fatal(err)
	}
	rebuilt, err := db.ReportRecords(day, day)
	if err != nil || !reflect.DeepEqual(rebuilt, written) {
		t.Errorf("report records rebuilt from the events:\n%+v\nwritten with the commits:\n%+v (%v)", rebuilt, written, err)
	}

	db.Close()
	if db, err = Open(dir, Options{NoSync: true}); err != nil {
		t.Fatal(err)
	}
	for _, r := range written {
		tk, err := db.Ticket(strconv.FormatUint(r.ID, 10))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := db.TicketByToken(tk.Token); err != nil || got.ID != tk.ID {
			t.Errorf("after reopening, ticket %s by its token: %s, %v", tk.ID, got.ID, err)
		}
	}
}

// BenchmarkCommitIssued commits kiosks' issued tickets one per commit (a
// lone kiosk) and 64 per commit (as the store groups them under load), and
// reports bbolt's pages per ticket beside the CPU and allocations: what
// the durable layout costs a ticket, without the engine or HTTP in front.
// Run it with -benchtime 45x or less (the tickets are made beforehand).
func BenchmarkCommitIssued(b *testing.B) {
	changes := issueChanges(b, 6400)
	for _, per := range []int{1, 64} {
		b.Run(fmt.Sprintf("per=%d", per), func(b *testing.B) { benchCommits(b, changes, per) })
	}
}

func benchCommits(b *testing.B, changes []*queue.Change, per int) {
	const seed = 3
	db, err := Open(b.TempDir(), Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	// Encoded beforehand, as Apply does in the caller's goroutine: what is
	// timed is the one committing goroutine's work.
	batches := func(cs []*queue.Change) []*pending {
		batch := make([]*pending, len(cs))
		for i, c := range cs {
			enc, err := encodeChange(c)
			if err != nil {
				b.Fatal(err)
			}
			batch[i] = &pending{change: c, enc: enc}
		}
		return batch
	}
	if err := db.commit(batches(changes[:seed])); err != nil {
		b.Fatal(err)
	}
	changes = changes[seed:]
	// A day under way: the buckets' trees are as deep as a day makes them.
	warm := min(3200, len(changes)/2)
	for i := 0; i < warm; i += 64 {
		if err := db.commit(batches(changes[i:min(i+64, warm)])); err != nil {
			b.Fatal(err)
		}
	}
	changes = changes[warm:]
	var todo [][]*pending
	for len(changes) >= per && len(todo) < 3000 {
		todo = append(todo, batches(changes[:per]))
		changes = changes[per:]
	}
	if b.N > len(todo) {
		b.Fatalf("%d commits wanted, %d made: run with -benchtime %dx or less", b.N, len(todo), len(todo))
	}
	b.ReportAllocs()
	b.ResetTimer()
	before, cpu := db.WriteStats().Pages, cpuTime()
	for i := 0; i < b.N; i++ {
		if err := db.commit(todo[i]); err != nil {
			b.Fatal(err)
		}
	}
	cpu = cpuTime() - cpu
	done := per * b.N
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(done), "cpu-ns/ticket")
	b.ReportMetric(float64(db.WriteStats().Pages-before)/float64(done), "pages/ticket")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(done), "ns/ticket")
}
