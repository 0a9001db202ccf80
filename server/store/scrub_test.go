package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fileHas reports whether the database file holds b anywhere, free pages
// included.
func fileHas(t *testing.T, dir string, b []byte) bool {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "queuebox.db"))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(raw, b)
}

// eraseOne makes customers whose records were rewritten many times (each
// rewrite leaves an old copy in a freed page), erases the one with phone,
// and returns the open database.
func eraseOne(t *testing.T, dir, phone, name string) *DB {
	t.Helper()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for i := 0; i < 40; i++ {
		c := Customer{ID: fmt.Sprintf("cu%03d", i), Phone: fmt.Sprintf("+86139%08d", i), Tier: "standard"}
		if i == 7 {
			c.Phone, c.Name, id = phone, name, c.ID
		}
		if _, err := db.CreateCustomer(c); err != nil {
			t.Fatal(err)
		}
	}
	for v := 0; v < 30; v++ {
		if _, err := db.UpdateCustomer(id, func(c *Customer, _ []Purchase) (*TierChange, error) {
			c.VisitCount++
			c.Visits = append(c.Visits, time.Date(2026, 3, 1, 9, v, 0, 0, time.UTC))
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.AddPurchase(id, Purchase{Ref: fmt.Sprintf("r%d", v), Amount: 100}, func(*Customer, []Purchase) (*TierChange, error) { return nil, nil }); err != nil {
			t.Fatal(err)
		}
	}
	if !fileHas(t, dir, []byte(phone)) || !fileHas(t, dir, []byte(name)) {
		t.Fatal("the customer is not in the file before erasure: the test would prove nothing")
	}
	if _, err := db.EraseCustomer(id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Customer(id); err != ErrNotFound {
		t.Fatalf("erased customer: got %v, want ErrNotFound", err)
	}
	return db
}

// TestScrubFreeWritesOverErasedBytes: erasure deletes the records, bbolt
// keeps their bytes in freed pages, and ScrubFree (the nightly run) leaves
// none of them in the file; the other customers are untouched.
func TestScrubFreeWritesOverErasedBytes(t *testing.T) {
	dir := t.TempDir()
	phone, name := "+8613800138000", "Zhang Wei"
	db := eraseOne(t, dir, phone, name)
	due, _, err := db.ScrubDue()
	if err != nil || !due {
		t.Fatalf("after erasure: scrub due = %v, %v; want true", due, err)
	}
	// bbolt keeps them in freed pages: this is what the scrub is for.
	t.Logf("before the scrub the file holds the phone: %v", fileHas(t, dir, []byte(phone)))
	res, err := db.ScrubFree()
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages == 0 {
		t.Errorf("ScrubFree wrote no pages")
	}
	t.Logf("scrub: %d pages, file grew %d bytes", res.Pages, res.Grown)
	if due, _, _ := db.ScrubDue(); due {
		t.Error("scrub still due after ScrubFree")
	}
	for _, b := range [][]byte{[]byte(phone), []byte("13800138000"), []byte(name)} {
		if fileHas(t, dir, b) {
			t.Errorf("the database file still holds %q after erasure and scrub", b)
		}
	}
	if c, err := db.Customer("cu008"); err != nil || c.Phone != "+8613900000008" {
		t.Errorf("another customer after the scrub: %+v, %v", c, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// The scrubbed file opens and reads whole.
	db, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	if err := db.EachCustomer(func(Customer) error { n++; return nil }); err != nil || n != 39 {
		t.Errorf("after reopening: %d customers, %v; want 39", n, err)
	}
}

// TestScrubFreeAgainWithAReader: a reader open as the scrub begins may
// hold freed pages, so the mark stays for the next night; without one it
// goes.
func TestScrubFreeAgainWithAReader(t *testing.T) {
	dir := t.TempDir()
	db := eraseOne(t, dir, "+8613800138002", "Wang Fang")
	defer db.Close()
	tx, err := db.bolt.Begin(false)
	if err != nil {
		t.Fatal(err)
	}
	// The filler may grow the file, and bbolt remaps it only once no
	// reader is open: the scrub runs beside the reader, which closes once
	// the scrub has begun writing (as the server's short reads do).
	written := func() int64 { st := db.bolt.Stats(); return st.TxStats.GetWrite() }
	writes := written()
	var res ScrubResult
	done := make(chan error, 1)
	go func() {
		var err error
		res, err = db.ScrubFree()
		done <- err
	}()
	for i := 0; i < 200 && written() == writes; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	_ = tx.Rollback()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if due, _, _ := db.ScrubDue(); !res.Again || !due {
		t.Errorf("scrub with a reader open: again = %v, due = %v; want both true", res.Again, due)
	}
	if res, err = db.ScrubFree(); err != nil || res.Again {
		t.Fatalf("second scrub: %+v, %v", res, err)
	}
	if due, _, _ := db.ScrubDue(); due {
		t.Error("scrub still due after a scrub with no reader")
	}
	if fileHas(t, dir, []byte("13800138002")) || fileHas(t, dir, []byte("Wang Fang")) {
		t.Error("the file still holds the erased customer")
	}
}

// TestCompactClearsScrubDue: queuebox compact rewrites the file with live
// data only, so the erased bytes are gone and no scrub is left to do.
func TestCompactClearsScrubDue(t *testing.T) {
	dir := t.TempDir()
	phone, name := "+8613800138001", "Li Lei"
	db := eraseOne(t, dir, phone, name)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Compact(dir, Options{}, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if fileHas(t, dir, []byte(phone)) || fileHas(t, dir, []byte(name)) {
		t.Error("the compacted file still holds the erased customer")
	}
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if due, _, err := db.ScrubDue(); err != nil || due {
		t.Errorf("after compaction: scrub due = %v, %v; want false", due, err)
	}
}
