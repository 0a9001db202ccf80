package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"queuebox/server/store"
)

// TestDeviceLookupFollowsEveryPut: device lookups by token are answered
// from memory after the first, but whatever PutDevice saved — a revocation
// above all — holds for the very next lookup.
func TestDeviceLookupFollowsEveryPut(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer closeDB(t, db)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	k := store.Device{ID: "k1", Kind: "kiosk", Name: "Lobby kiosk", TokenHash: []byte("hash-1"), CreatedAt: t0}
	if _, err := db.DeviceByTokenHash(k.TokenHash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("before pairing: %v, want ErrNotFound", err)
	}
	if err := db.PutDevice(k); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // read from the file, then remembered
		d, err := db.DeviceByTokenHash(k.TokenHash)
		if err != nil || d.Name != "Lobby kiosk" || d.Revoked {
			t.Fatalf("lookup %d: %+v, %v; want the paired kiosk", i, d, err)
		}
		d.TokenHash[0] = 'X' // a caller's copy: the next lookup must not see it
	}
	k.Name = "Door kiosk"
	if err := db.PutDevice(k); err != nil {
		t.Fatal(err)
	}
	if d, err := db.DeviceByTokenHash(k.TokenHash); err != nil || d.Name != "Door kiosk" || string(d.TokenHash) != "hash-1" {
		t.Errorf("after renaming: %+v, %v; want Door kiosk with its hash", d, err)
	}
	k.Revoked = true
	if err := db.PutDevice(k); err != nil {
		t.Fatal(err)
	}
	if d, err := db.DeviceByTokenHash(k.TokenHash); err != nil || !d.Revoked {
		t.Errorf("after revoking: %+v, %v; want it revoked", d, err)
	}
}

// TestDeviceRevokedWhileLookedUp: lookups running while a device is revoked
// may see it either way, but none leaves the unrevoked device remembered.
func TestDeviceRevokedWhileLookedUp(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer closeDB(t, db)
	k := store.Device{ID: "k1", Kind: "kiosk", TokenHash: []byte("hash-1")}
	for round := range 20 {
		k.Revoked = false
		if err := db.PutDevice(k); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 50 {
					if _, err := db.DeviceByTokenHash(k.TokenHash); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		k.Revoked = true
		if err := db.PutDevice(k); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if d, err := db.DeviceByTokenHash(k.TokenHash); err != nil || !d.Revoked {
			t.Fatalf("round %d, after the lookups: %+v, %v; want it revoked", round, d, err)
		}
	}
}
