package webhook

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestSignPublishedVector(t *testing.T) {
	// The example of the Standard Webhooks spec and its reference libraries.
	got, err := Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; err != nil || got != want {
		t.Errorf("Sign = %q, %v; want %q", got, err, want)
	}
}

func TestSignRefusesBadSecret(t *testing.T) {
	for _, secret := range []string{"", "whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!"} {
		if _, err := Sign(secret, "msg_1", time.Unix(1, 0), nil); err == nil {
			t.Errorf("Sign with secret %q: want an error", secret)
		}
	}
}

func TestNewSecret(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, SecretPrefix))
	if !strings.HasPrefix(a, SecretPrefix) || err != nil || len(key) < 24 {
		t.Errorf("NewSecret = %q: want whsec_ and base64 of at least 24 bytes", a)
	}
	if a == b {
		t.Error("two secrets are equal")
	}
}
