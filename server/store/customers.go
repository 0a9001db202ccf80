package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"queuebox/server/queue"
)

// Customer buckets. Personal data (phone, name) lives only in bCustomers
// and its phone index: erasing a customer deletes both, and nothing else
// in the file names the person.
var (
	bCustomers     = []byte("customers")       // id → Customer
	bCustPhones    = []byte("customer_phones") // E.164 phone → id
	bPurchases     = []byte("purchases")       // id \x00 ref → Purchase
	bTierHistory   = []byte("tier_history")    // id \x00 seq → TierChange
	bCustomerStats = []byte("customer_stats")  // counts kept after erasure

	kErased = []byte("erased")
)

// migrateCustomers makes the customers' buckets (schema 6).
func migrateCustomers(tx *bolt.Tx) error {
	for _, b := range [][]byte{bCustomers, bCustPhones, bPurchases, bTierHistory, bCustomerStats} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// Customer is a known customer of the branch.
type Customer struct {
	ID             string      `json:"id"`
	Phone          string      `json:"phone"` // E.164
	Name           string      `json:"name,omitempty"`
	Tier           string      `json:"tier"`
	TierReason     string      `json:"tier_reason"`
	TierOverride   string      `json:"tier_override,omitempty"`
	OverrideReason string      `json:"override_reason,omitempty"`
	Visits         []time.Time `json:"visits,omitempty"` // recent, for the tier rules
	VisitCount     int         `json:"visit_count"`
	NoShows        []time.Time `json:"no_shows,omitempty"`
	ForgivenAt     time.Time   `json:"forgiven_at,omitzero"`
	Spend          int64       `json:"spend"` // cents, all time
	FirstSeen      time.Time   `json:"first_seen"`
	LastSeen       time.Time   `json:"last_seen"`
	// DayDate and DayTickets count the tickets of one business day, for the
	// per-phone cap.
	DayDate    string `json:"day_date,omitempty"`
	DayTickets int    `json:"day_tickets,omitempty"`
}

// Purchase is one sale; Amount is in cents.
type Purchase struct {
	Amount int64     `json:"amount"`
	At     time.Time `json:"at"`
	Ref    string    `json:"ref"`
}

// TierChange is one step of a customer's tier history.
type TierChange struct {
	At     time.Time `json:"at"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
}

// ErrPhoneTaken is a second customer with a phone number already known.
var ErrPhoneTaken = errors.New("a customer with that phone number exists")

// CreateCustomer stores a new customer; ErrPhoneTaken (with the existing
// id) when the phone is known.
func (db *DB) CreateCustomer(c Customer) (existing string, err error) {
	err = db.update(func(tx *bolt.Tx) error {
		if id := tx.Bucket(bCustPhones).Get([]byte(c.Phone)); id != nil {
			existing = string(id)
			return ErrPhoneTaken
		}
		if err := putJSON(tx.Bucket(bCustomers), []byte(c.ID), c); err != nil {
			return err
		}
		return tx.Bucket(bCustPhones).Put([]byte(c.Phone), []byte(c.ID))
	})
	if errors.Is(err, ErrPhoneTaken) {
		return existing, ErrPhoneTaken
	}
	return "", err
}

// Customer finds a customer by id.
func (db *DB) Customer(id string) (Customer, error) {
	var c Customer
	err := db.view(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bCustomers).Get([]byte(id))
		if raw == nil {
			return ErrNotFound
		}
		return json.Unmarshal(raw, &c)
	})
	return c, err
}

// CustomerByPhone finds a customer by E.164 phone.
func (db *DB) CustomerByPhone(phone string) (Customer, error) {
	var c Customer
	err := db.view(func(tx *bolt.Tx) error {
		id := tx.Bucket(bCustPhones).Get([]byte(phone))
		if id == nil {
			return ErrNotFound
		}
		raw := tx.Bucket(bCustomers).Get(id)
		if raw == nil {
			return ErrNotFound
		}
		return json.Unmarshal(raw, &c)
	})
	return c, err
}

// EachCustomer calls f for every customer, by id.
func (db *DB) EachCustomer(f func(Customer) error) error {
	return db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bCustomers).ForEach(func(_, v []byte) error {
			var c Customer
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			return f(c)
		})
	})
}

// UpdateCustomer reads a customer and its purchases, lets f change the
// customer (and add purchases), and writes it back in one transaction. f
// returns the tier change to record, if any.
func (db *DB) UpdateCustomer(id string, f func(c *Customer, purchases []Purchase) (*TierChange, error)) (Customer, error) {
	return db.updateCustomer(id, nil, f)
}

func (db *DB) updateCustomer(id string, add *Purchase, f func(c *Customer, purchases []Purchase) (*TierChange, error)) (Customer, error) {
	var c Customer
	err := db.update(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bCustomers).Get([]byte(id))
		if raw == nil {
			return ErrNotFound
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return fmt.Errorf("customer %s: %w", id, err)
		}
		ps, err := purchasesOf(tx, id)
		if err != nil {
			return err
		}
		if add != nil {
			for _, old := range ps {
				if old.Ref == add.Ref {
					return errDuplicate
				}
			}
			if err := putJSON(tx.Bucket(bPurchases), custKey(id, []byte(add.Ref)), add); err != nil {
				return err
			}
			c.Spend += add.Amount
			ps = append(ps, *add)
		}
		ch, err := f(&c, ps)
		if err != nil {
			return err
		}
		if err := putJSON(tx.Bucket(bCustomers), []byte(id), c); err != nil {
			return err
		}
		if ch != nil {
			return addTierChange(tx, id, *ch)
		}
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return c, ErrNotFound
	}
	if errors.Is(err, errDuplicate) {
		return c, errDuplicate
	}
	var fe *funcError
	if errors.As(err, &fe) {
		return c, fe.err
	}
	return c, err
}

// funcError carries an error of a caller's closure through update's wrapping.
type funcError struct{ err error }

func (e *funcError) Error() string { return e.err.Error() }

// Refuse wraps an error of an UpdateCustomer closure so the caller gets it
// back as it was (a rule refused the change, not the disk).
func Refuse(err error) error { return &funcError{err} }

func custKey(id string, rest []byte) []byte {
	return append(append([]byte(id), 0), rest...)
}

func purchasesOf(tx *bolt.Tx, id string) ([]Purchase, error) {
	var out []Purchase
	prefix := custKey(id, nil)
	c := tx.Bucket(bPurchases).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var p Purchase
		if err := json.Unmarshal(v, &p); err != nil {
			return nil, fmt.Errorf("purchase %q: %w", k, err)
		}
		out = append(out, p)
	}
	return out, nil
}

var errDuplicate = errors.New("a purchase with that ref exists")

// AddPurchase records p for customer id, then lets f re-tier the customer,
// in one transaction. added is false (and nothing changes) when a purchase
// with p's ref exists: the same ref again is the same purchase.
func (db *DB) AddPurchase(id string, p Purchase, f func(c *Customer, purchases []Purchase) (*TierChange, error)) (added bool, c Customer, err error) {
	c, err = db.updateCustomer(id, &p, f)
	if errors.Is(err, errDuplicate) {
		c, err = db.Customer(id)
		return false, c, err
	}
	return err == nil, c, err
}

// Purchases lists a customer's purchases by ref.
func (db *DB) Purchases(id string) ([]Purchase, error) {
	var out []Purchase
	err := db.view(func(tx *bolt.Tx) error {
		var err error
		out, err = purchasesOf(tx, id)
		return err
	})
	return out, err
}

func addTierChange(tx *bolt.Tx, id string, ch TierChange) error {
	b := tx.Bucket(bTierHistory)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return putJSON(b, custKey(id, k[:]), ch)
}

// TierHistory lists a customer's tier changes, oldest first.
func (db *DB) TierHistory(id string) ([]TierChange, error) {
	var out []TierChange
	err := db.view(func(tx *bolt.Tx) error {
		prefix := custKey(id, nil)
		c := tx.Bucket(bTierHistory).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var ch TierChange
			if err := json.Unmarshal(v, &ch); err != nil {
				return err
			}
			out = append(out, ch)
		}
		return nil
	})
	return out, err
}

// AppointmentsOfPhone are the bookings made with phone (E.164), oldest
// first as stored: what a customer's data export lists beside the record.
func (db *DB) AppointmentsOfPhone(phone string) ([]queue.Appointment, error) {
	var out []queue.Appointment
	err := db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bAppts).ForEach(func(_, v []byte) error {
			var a queue.Appointment
			if err := decodeRecord(v, &a); err != nil {
				return err
			}
			if a.Phone == phone {
				out = append(out, a)
			}
			return nil
		})
	})
	return out, err
}

// EraseCustomer deletes a customer with everything that names them: the
// record, the phone index, purchases, tier history, the phone's no-show
// record, and the name and phone on their appointments. Their tickets,
// events and appointments still hold the opaque id: it marks the customer
// for UnlinkCustomers, which takes it out (see erase.go). It returns the
// appointments it scrubbed.
func (db *DB) EraseCustomer(id string) (scrubbed []queue.Appointment, err error) {
	err = db.update(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bCustomers).Get([]byte(id))
		if raw == nil {
			return ErrNotFound
		}
		var c Customer
		if err := json.Unmarshal(raw, &c); err != nil {
			return err
		}
		if err := tx.Bucket(bCustomers).Delete([]byte(id)); err != nil {
			return err
		}
		if err := tx.Bucket(bCustPhones).Delete([]byte(c.Phone)); err != nil {
			return err
		}
		// The freed pages still hold the customer's bytes until ScrubFree.
		if err := markScrubDue(tx, time.Now()); err != nil {
			return err
		}
		if err := tx.Bucket(bPhones).Delete([]byte(c.Phone)); err != nil {
			return err
		}
		// Their tickets and events still carry the id until UnlinkCustomers.
		if err := markUnlink(tx, id); err != nil {
			return err
		}
		for _, b := range [][]byte{bPurchases, bTierHistory} {
			if err := deletePrefix(tx.Bucket(b), custKey(id, nil)); err != nil {
				return err
			}
		}
		appts := tx.Bucket(bAppts)
		if err := appts.ForEach(func(k, v []byte) error {
			var a queue.Appointment
			if err := decodeRecord(v, &a); err != nil {
				return err
			}
			if a.Phone != c.Phone {
				return nil
			}
			a.Name, a.Phone = "", ""
			scrubbed = append(scrubbed, a)
			return putJSON(appts, append([]byte(nil), k...), a)
		}); err != nil {
			return err
		}
		st := tx.Bucket(bCustomerStats)
		var n uint64
		if raw := st.Get(kErased); len(raw) == 8 {
			n = binary.BigEndian.Uint64(raw)
		}
		return st.Put(kErased, u64(n+1))
	})
	if errors.Is(err, ErrNotFound) {
		return nil, ErrNotFound
	}
	return scrubbed, err
}

func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	var keys [][]byte
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// ErasedCustomers counts the customers erased so far.
func (db *DB) ErasedCustomers() (uint64, error) {
	var n uint64
	err := db.view(func(tx *bolt.Tx) error {
		if raw := tx.Bucket(bCustomerStats).Get(kErased); len(raw) == 8 {
			n = binary.BigEndian.Uint64(raw)
		}
		return nil
	})
	return n, err
}

// UpdateEachCustomer applies f to every customer in one transaction (the
// nightly re-tiering: one fsync for the whole branch, not one per customer).
func (db *DB) UpdateEachCustomer(f func(c *Customer, purchases []Purchase) (*TierChange, error)) error {
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bCustomers)
		var ids [][]byte
		if err := b.ForEach(func(k, _ []byte) error {
			ids = append(ids, append([]byte(nil), k...))
			return nil
		}); err != nil {
			return err
		}
		for _, id := range ids {
			var c Customer
			if err := json.Unmarshal(b.Get(id), &c); err != nil {
				return fmt.Errorf("customer %s: %w", id, err)
			}
			ps, err := purchasesOf(tx, string(id))
			if err != nil {
				return err
			}
			ch, err := f(&c, ps)
			if err != nil {
				return err
			}
			if err := putJSON(b, id, c); err != nil {
				return err
			}
			if ch != nil {
				if err := addTierChange(tx, string(id), *ch); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
