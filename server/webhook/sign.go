// Package webhook delivers the branch's events to outside receivers (a till,
// a CRM, an SMS gateway) following Standard Webhooks 1.0: each message is a
// POST of {"type","timestamp","data"} with the headers webhook-id,
// webhook-timestamp and webhook-signature ("v1," + base64 HMAC-SHA256 of
// id.timestamp.body, keyed with the secret's base64 part).
//
// The outbox is the store's event log: each webhook keeps a cursor, the seq
// of the last event it is done with, and one goroutine per webhook sends the
// events after it, one at a time and in order, retrying a failed one with
// growing backoff until the receiver takes it. A receiver that is slow or
// down only holds up its own goroutine; a restart carries on from the cursor.
// Delivery is at least once: a message may come twice (after a crash between
// the receiver's answer and the cursor's save), always with the same
// webhook-id, which receivers use to drop the repeat.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts every secret.
const SecretPrefix = "whsec_"

// secretBytes is the size of a new secret's key (the spec asks for 24 to 64).
const secretBytes = 32

// NewSecret returns a fresh secret: "whsec_" and base64 of 32 random bytes.
func NewSecret() string {
	b := make([]byte, secretBytes)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// ErrBadSecret is a secret that is not "whsec_" and base64.
var ErrBadSecret = errors.New("the secret must be whsec_ followed by base64")

// Sign returns the webhook-signature header for one message.
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil || !strings.HasPrefix(secret, SecretPrefix) || len(key) == 0 {
		return "", ErrBadSecret
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID + "." + strconv.FormatInt(ts.Unix(), 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}
