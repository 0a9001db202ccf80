package store

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// User is a staff member or admin. Hash is a bcrypt hash, never the password.
type User struct {
	Username  string    `json:"username"`
	Role      string    `json:"role"`
	Hash      []byte    `json:"hash"`
	Disabled  bool      `json:"disabled,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Device is a paired kiosk or display. Only a hash of its token is kept.
type Device struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	Name       string    `json:"name"`
	TokenHash  []byte    `json:"token_hash"`
	CreatedAt  time.Time `json:"created_at"`
	Revoked    bool      `json:"revoked,omitempty"`
	PrinterURL string    `json:"printer_url,omitempty"`
}

// Session is a logged-in browser. It is stored under a hash of its cookie.
type Session struct {
	Username string    `json:"username"`
	Expires  time.Time `json:"expires"`
}

// PutUser creates or replaces a user.
func (db *DB) PutUser(u User) error {
	return db.update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bUsers), []byte(u.Username), u)
	})
}

// User finds a user by name.
func (db *DB) User(name string) (User, error) {
	var u User
	err := db.view(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bUsers).Get([]byte(name))
		if raw == nil {
			return ErrNotFound
		}
		return json.Unmarshal(raw, &u)
	})
	return u, err
}

// Users lists every user by name.
func (db *DB) Users() ([]User, error) {
	var out []User
	err := db.view(func(tx *bolt.Tx) error {
		return eachJSON(tx.Bucket(bUsers), func(u User) { out = append(out, u) })
	})
	return out, err
}

// PutDevice creates or replaces a device and indexes its token hash.
// Once it returns, DeviceByTokenHash answers with the device as put: a
// revocation holds for the very next request.
func (db *DB) PutDevice(d Device) error {
	defer db.devices.forget()
	return db.update(func(tx *bolt.Tx) error {
		if err := putJSON(tx.Bucket(bDevices), []byte(d.ID), d); err != nil {
			return err
		}
		if len(d.TokenHash) > 0 {
			return tx.Bucket(bDevToken).Put(d.TokenHash, []byte(d.ID))
		}
		return nil
	})
}

// deviceCache keeps the devices found by token hash: a kiosk's every
// request looks its token up, and devices change seldom. PutDevice, the
// only writer of devices, empties it once its commit is done; gen keeps a
// lookup that read the file before that commit from filling the cache in
// after it. Only devices found are kept, so bad tokens cannot grow it.
type deviceCache struct {
	mu     sync.Mutex
	gen    uint64
	byHash map[string]Device
}

func (c *deviceCache) get(h []byte) (Device, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.byHash[string(h)]
	return d, c.gen, ok
}

// put keeps d unless a device was put since gen was read.
func (c *deviceCache) put(h []byte, d Device, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.byHash == nil {
		c.byHash = map[string]Device{}
	}
	c.byHash[string(h)] = d
}

func (c *deviceCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.byHash = nil
}

// DeviceByTokenHash finds the device a token hash belongs to.
func (db *DB) DeviceByTokenHash(h []byte) (Device, error) {
	d, gen, ok := db.devices.get(h)
	if ok {
		d.TokenHash = bytes.Clone(d.TokenHash)
		return d, nil
	}
	err := db.view(func(tx *bolt.Tx) error {
		id := tx.Bucket(bDevToken).Get(h)
		if id == nil {
			return ErrNotFound
		}
		raw := tx.Bucket(bDevices).Get(id)
		if raw == nil {
			return ErrNotFound
		}
		return json.Unmarshal(raw, &d)
	})
	if err == nil {
		db.devices.put(h, d, gen)
		d.TokenHash = bytes.Clone(d.TokenHash)
	}
	return d, err
}

// Device finds a device by id.
func (db *DB) Device(id string) (Device, error) {
	var d Device
	err := db.view(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bDevices).Get([]byte(id))
		if raw == nil {
			return ErrNotFound
		}
		return json.Unmarshal(raw, &d)
	})
	return d, err
}

// Devices lists every device.
func (db *DB) Devices() ([]Device, error) {
	var out []Device
	err := db.view(func(tx *bolt.Tx) error {
		return eachJSON(tx.Bucket(bDevices), func(d Device) { out = append(out, d) })
	})
	return out, err
}

// PutSession stores a session under the hash of its cookie value.
func (db *DB) PutSession(hash []byte, s Session) error {
	return db.update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bSessions), hash, s)
	})
}

// Session finds a session by the hash of its cookie value.
func (db *DB) Session(hash []byte) (Session, error) {
	var s Session
	err := db.view(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bSessions).Get(hash)
		if raw == nil {
			return ErrNotFound
		}
		return json.Unmarshal(raw, &s)
	})
	return s, err
}

// DeleteSession removes a session.
func (db *DB) DeleteSession(hash []byte) error {
	return db.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bSessions).Delete(hash)
	})
}

// PruneSessions deletes sessions that expired before now.
func (db *DB) PruneSessions(now time.Time) (int, error) {
	n, err := db.deleteSessions(func(s Session) bool { return s.Expires.Before(now) })
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	return n, nil
}

// DeleteUserSessions ends every session of a user (disabled, demoted or with
// a new password).
func (db *DB) DeleteUserSessions(username string) error {
	_, err := db.deleteSessions(func(s Session) bool { return s.Username == username })
	return err
}

// DeleteUserSessionsExcept ends every session of a user but the one stored
// under keep (hex of its hash; "" keeps none): a user who changes their own
// password stays logged in where they did it.
func (db *DB) DeleteUserSessionsExcept(username, keep string) error {
	_, err := db.deleteSessionsKeyed(func(k []byte, s Session) bool {
		return s.Username == username && hex.EncodeToString(k) != keep
	})
	if err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	return nil
}

// deleteSessions deletes the sessions gone says so of; unreadable ones go too.
func (db *DB) deleteSessions(gone func(Session) bool) (int, error) {
	return db.deleteSessionsKeyed(func(_ []byte, s Session) bool { return gone(s) })
}

func (db *DB) deleteSessionsKeyed(gone func([]byte, Session) bool) (int, error) {
	n := 0
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSessions)
		var keys [][]byte
		if err := b.ForEach(func(k, v []byte) error {
			var s Session
			if json.Unmarshal(v, &s) != nil || gone(k, s) {
				keys = append(keys, append([]byte(nil), k...))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(keys)
		return nil
	})
	return n, err
}
