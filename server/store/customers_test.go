package store_test

import (
	"errors"
	"testing"
	"time"

	"queuebox/server/store"
)

func TestCustomersPurchasesAndErasure(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	c := store.Customer{ID: "cu1", Phone: "+8613800138000", Name: "Li Lei", Tier: "standard", FirstSeen: now, LastSeen: now}
	if _, err := db.CreateCustomer(c); err != nil {
		t.Fatal(err)
	}
	if id, err := db.CreateCustomer(store.Customer{ID: "cu2", Phone: c.Phone}); !errors.Is(err, store.ErrPhoneTaken) || id != "cu1" {
		t.Fatalf("second customer with the phone: %q, %v; want ErrPhoneTaken with cu1", id, err)
	}
	retier := func(c *store.Customer, ps []store.Purchase) (*store.TierChange, error) {
		c.Tier = "gold"
		return &store.TierChange{At: now, From: "standard", To: "gold", Reason: "spent"}, nil
	}
	p := store.Purchase{Amount: 5230000, At: now, Ref: "till-1"}
	for i, want := range []bool{true, false} {
		added, got, err := db.AddPurchase("cu1", p, retier)
		if err != nil || added != want || got.Spend != 5230000 {
			t.Fatalf("purchase #%d: added=%v spend=%d err=%v; want added=%v spend 5230000", i+1, added, got.Spend, err, want)
		}
	}
	db.Close()
	db = openDB(t, dir)
	got, err := db.CustomerByPhone("+8613800138000")
	if err != nil || got.Tier != "gold" || got.Name != "Li Lei" {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	if h, _ := db.TierHistory("cu1"); len(h) != 1 || h[0].To != "gold" {
		t.Errorf("tier history = %+v, want one change to gold", h)
	}
	if _, err := db.EraseCustomer("cu1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Customer("cu1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("erased customer still found: %v", err)
	}
	if ps, _ := db.Purchases("cu1"); len(ps) != 0 {
		t.Errorf("purchases left: %v", ps)
	}
	if n, _ := db.ErasedCustomers(); n != 1 {
		t.Errorf("erased count = %d, want 1", n)
	}
}
