package store

import (
	"bytes"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Webhook is a receiver of the branch's events. Its outbox is the event log
// itself: Cursor is the seq of the last event it has been sent (or passed
// over), so what it still has to get survives any restart.
type Webhook struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Secret    string    `json:"secret"`
	CreatedAt time.Time `json:"created_at"`
	Cursor    uint64    `json:"cursor"`
}

// WebhookAttempt is one try at delivering one message.
type WebhookAttempt struct {
	At        time.Time `json:"at"`
	MessageID string    `json:"message_id"`
	Type      string    `json:"type"`
	Seq       uint64    `json:"seq,omitempty"`
	Attempt   int       `json:"attempt"`
	Status    int       `json:"status,omitempty"` // HTTP status, 0 if none came
	Error     string    `json:"error,omitempty"`
	OK        bool      `json:"ok"`
	Millis    int64     `json:"ms"`
}

// PutWebhook creates or replaces a webhook.
func (db *DB) PutWebhook(w Webhook) error {
	return db.update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bHooks), []byte(w.ID), w)
	})
}

// AddWebhook creates w unless a webhook for the same URL (as same judges
// two URLs) is there already: then it returns that one and ErrExists. The
// check and the write are one transaction, so two adds of one URL at once
// make one webhook.
func (db *DB) AddWebhook(w Webhook, same func(a, b string) bool) (Webhook, error) {
	var found Webhook
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bHooks)
		dup := false
		if err := eachJSON(b, func(o Webhook) {
			if !dup && same(o.URL, w.URL) {
				found, dup = o, true
			}
		}); err != nil {
			return err
		}
		if dup {
			return ErrExists
		}
		return putJSON(b, []byte(w.ID), w)
	})
	return found, err
}

// Webhooks lists every webhook by id.
func (db *DB) Webhooks() ([]Webhook, error) {
	var out []Webhook
	err := db.view(func(tx *bolt.Tx) error {
		return eachJSON(tx.Bucket(bHooks), func(w Webhook) { out = append(out, w) })
	})
	return out, err
}

// Webhook finds a webhook by id.
func (db *DB) Webhook(id string) (Webhook, error) {
	var w Webhook
	err := db.view(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bHooks).Get([]byte(id))
		if raw == nil {
			return ErrNotFound
		}
		return json.Unmarshal(raw, &w)
	})
	return w, err
}

// DeleteWebhook removes a webhook and its delivery log.
func (db *DB) DeleteWebhook(id string) error {
	return db.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bHooks).Get([]byte(id)) == nil {
			return ErrNotFound
		}
		if err := tx.Bucket(bHooks).Delete([]byte(id)); err != nil {
			return err
		}
		return deletePrefix(tx.Bucket(bHookLog), hookLogPrefix(id))
	})
}

// SaveWebhookProgress records that the webhook is done with every event up
// to cursor (it only moves forward) and appends attempts to its delivery
// log, keeping the last keep, in one transaction.
func (db *DB) SaveWebhookProgress(id string, cursor uint64, attempts []WebhookAttempt, keep int) error {
	return db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bHooks)
		raw := b.Get([]byte(id))
		if raw == nil {
			return nil // deleted meanwhile: nothing to record against
		}
		var w Webhook
		if err := json.Unmarshal(raw, &w); err != nil {
			return err
		}
		if cursor > w.Cursor {
			w.Cursor = cursor
			if err := putJSON(b, []byte(id), w); err != nil {
				return err
			}
		}
		if len(attempts) == 0 {
			return nil
		}
		log := tx.Bucket(bHookLog)
		prefix := hookLogPrefix(id)
		for _, a := range attempts {
			n, err := log.NextSequence()
			if err != nil {
				return err
			}
			if err := putJSON(log, append(bytes.Clone(prefix), u64(n)...), a); err != nil {
				return err
			}
		}
		keys := prefixKeys(log, prefix)
		for i := 0; i < len(keys)-keep; i++ {
			if err := log.Delete(keys[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// WebhookAttempts returns a webhook's delivery log, newest first.
func (db *DB) WebhookAttempts(id string) ([]WebhookAttempt, error) {
	var out []WebhookAttempt
	prefix := hookLogPrefix(id)
	err := db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bHookLog).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var a WebhookAttempt
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

// hookLogPrefix keys a webhook's log entries: its id, a zero byte (ids never
// hold one), then a sequence.
func hookLogPrefix(id string) []byte { return append([]byte(id), 0) }

// prefixKeys copies out the keys that start with prefix, in order.
func prefixKeys(b *bolt.Bucket, prefix []byte) [][]byte {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	return keys
}
