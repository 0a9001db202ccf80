package live

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// ownerRig mounts ServeAs with the owner taken from the query.
func ownerRig(t *testing.T, o Options) (*Hub, func(query string) (*websocket.Conn, *http.Response, error)) {
	t.Helper()
	o.Logger = slog.New(slog.DiscardHandler)
	hub := New(&fakeEngine{tokens: map[string]bool{}}, o)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		q := req.URL.Query()
		hub.ServeAs(w, req, Sub{Topic: "display"}, nil, Owner{Addr: q.Get("addr"), Session: q.Get("session"), User: q.Get("user"), Device: q.Get("device")})
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(hub.Close)
	dial := func(query string) (*websocket.Conn, *http.Response, error) {
		c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/?"+query, nil)
		if err == nil {
			t.Cleanup(func() { c.Close() })
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, _, err := c.ReadMessage(); err != nil { // the snapshot: attached
				t.Fatalf("%s: snapshot: %v", query, err)
			}
		}
		return c, resp, err
	}
	return hub, dial
}

func closedWith(c *websocket.Conn) int {
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		var ce *websocket.CloseError
		switch {
		case err == nil:
			continue
		case errors.As(err, &ce):
			return ce.Code
		}
		return 0
	}
}

func TestDisconnectClosesOnlyTheOwnersSockets(t *testing.T) {
	hub, dial := ownerRig(t, Options{})
	ann1, _, _ := dial("user=ann&session=s1")
	ann2, _, _ := dial("user=ann&session=s2")
	tv, _, _ := dial("device=d1")
	if n := hub.Disconnect(func(o Owner) bool { return o.Session == "s1" }, "logged out"); n != 1 {
		t.Errorf("Disconnect(session s1) closed %d sockets, want 1", n)
	}
	if code := closedWith(ann1); code != CloseEnded {
		t.Errorf("session s1's socket: close code %d, want %d", code, CloseEnded)
	}
	if n := hub.Disconnect(func(o Owner) bool { return o.Device == "d1" }, "revoked"); n != 1 {
		t.Errorf("Disconnect(device d1) closed %d sockets, want 1", n)
	}
	if code := closedWith(tv); code != CloseEnded {
		t.Errorf("device's socket: close code %d, want %d", code, CloseEnded)
	}
	deadline := time.Now().Add(5 * time.Second)
	for hub.Clients() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := hub.Clients(); n != 1 {
		t.Errorf("%d clients left, want ann's other session only", n)
	}
	_ = ann2
}

func TestSocketsPerAddressAreCapped(t *testing.T) {
	hub, dial := ownerRig(t, Options{MaxPerAddr: 2})
	var held []*websocket.Conn
	for range 2 {
		c, _, err := dial("addr=10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	if _, resp, err := dial("addr=10.0.0.1"); err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("third socket of one address: err %v, want 429", err)
	}
	if _, _, err := dial("addr=10.0.0.2"); err != nil {
		t.Errorf("another address: %v", err)
	}
	if _, _, err := dial(""); err != nil { // not counted
		t.Errorf("an uncounted socket: %v", err)
	}
	// A socket gone gives its place back.
	held[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, _, err := dial("addr=10.0.0.1")
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the place of a closed socket never came back: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = hub
}
