package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"queuebox/server/live"
	"queuebox/server/store"
)

// wsOpen opens a live socket on the harness's listening server as c, from
// the loopback address from ("" for any).
func wsOpen(tb testing.TB, addr, query string, c caller, from string) (*websocket.Conn, *http.Response, error) {
	tb.Helper()
	hdr := http.Header{}
	if c.cookie != "" {
		hdr.Set("Cookie", sessionCookie+"="+c.cookie)
	}
	if c.bearer != "" {
		hdr.Set("Authorization", "Bearer "+c.bearer)
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	if from != "" {
		nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		d.NetDialContext = nd.DialContext
	}
	conn, resp, err := d.DialContext(context.Background(), "ws://"+addr+"/api/v1/live?"+query, hdr)
	if err == nil {
		tb.Cleanup(func() { conn.Close() })
	}
	return conn, resp, err
}

func mustOpen(tb testing.TB, addr, query string, c caller) *websocket.Conn {
	tb.Helper()
	conn, resp, err := wsOpen(tb, addr, query, c, "")
	if err != nil {
		st := 0
		if resp != nil {
			st = resp.StatusCode
		}
		tb.Fatalf("open %s as %s: %v (status %d)", query, c.name, err, st)
	}
	return conn
}

// closeCode reads from conn until it closes and returns the close code (0
// for a connection cut without one). The contract gives the box two
// seconds; the read waits that long.
func closeCode(conn *websocket.Conn) int {
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		_, _, err := conn.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return -1 // still open
		}
		return 0
	}
}

// stillOpen reports whether conn gets the next live event: the caller
// makes one happen.
func stillOpen(tb testing.TB, conn *websocket.Conn, event func()) bool {
	tb.Helper()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for { // the snapshot first
		var m struct{ Type string }
		if err := conn.ReadJSON(&m); err != nil {
			return false
		}
		if m.Type == live.TypeSnapshot {
			break
		}
	}
	event()
	for {
		var m struct {
			Seq  uint64
			Type string
		}
		if err := conn.ReadJSON(&m); err != nil {
			return false
		}
		if m.Seq > 0 {
			return true
		}
	}
}

// putUserDirect stores a user with hash, sparing a bcrypt per user.
func putUserDirect(tb testing.TB, h *harness, name, role string, hash []byte) {
	tb.Helper()
	if err := h.s.db.PutUser(store.User{Username: name, Role: role, Hash: hash, CreatedAt: h.clock.Now()}); err != nil {
		tb.Fatal(err)
	}
}

func TestLiveSocketsCloseWhenTheirRightsEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	addr := h.listen(t)
	hash, err := HashPassword("shared-test-pass")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct{ name, role string }{{"ann", "staff"}, {"bob", "staff"}, {"cat", "admin"}, {"dan", "staff"}, {"eve", "staff"}} {
		putUserDirect(t, h, u.name, u.role, hash)
	}

	t.Run("logout closes the session's sockets, not the user's others", func(t *testing.T) {
		a1, a2 := h.mintSession(t, "ann"), h.mintSession(t, "ann")
		s1 := mustOpen(t, addr, "topic=queue", a1)
		s1b := mustOpen(t, addr, "topic=display", a1)
		s2 := mustOpen(t, addr, "topic=queue", a2)
		h.do("DELETE", "/api/v1/session", a1, "").want(t, http.StatusNoContent)
		for _, c := range []*websocket.Conn{s1, s1b} {
			if code := closeCode(c); code != live.CloseEnded {
				t.Errorf("after logout the session's socket: close code %d, want %d", code, live.CloseEnded)
			}
		}
		if !stillOpen(t, s2, func() { h.issue(t, h.kiosk, "general") }) {
			t.Error("the user's other session lost its socket on logout")
		}
	})

	for _, tt := range []struct {
		user, body string
	}{
		{"bob", `{"disabled":true}`},
		{"cat", `{"role":"staff"}`},
		{"dan", `{"password":"brand-new-pass-1"}`},
	} {
		t.Run(tt.user+" "+tt.body, func(t *testing.T) {
			c1, c2 := h.mintSession(t, tt.user), h.mintSession(t, tt.user)
			socks := []*websocket.Conn{mustOpen(t, addr, "topic=queue", c1), mustOpen(t, addr, "topic=queue", c2), mustOpen(t, addr, "topic=display", c2)}
			h.do("PUT", "/api/v1/users/"+tt.user, h.admin, tt.body).want(t, http.StatusOK)
			for i, c := range socks {
				if code := closeCode(c); code != live.CloseEnded {
					t.Errorf("socket %d: close code %d, want %d", i, code, live.CloseEnded)
				}
			}
			// And they cannot come back.
			if _, resp, err := wsOpen(t, addr, "topic=queue", c1, ""); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("reopening after the change: err %v, want 401", err)
			}
		})
	}

	t.Run("revoking a device closes the sockets of its token", func(t *testing.T) {
		tv, id := h.newDevice(t, "display", "Lobby TV")
		other, _ := h.newDevice(t, "display", "Hall TV")
		s := mustOpen(t, addr, "topic=display", tv)
		keep := mustOpen(t, addr, "topic=display", other)
		h.do("DELETE", "/api/v1/devices/"+id, h.admin, "").want(t, http.StatusNoContent)
		if code := closeCode(s); code != live.CloseEnded {
			t.Errorf("revoked device's socket: close code %d, want %d", code, live.CloseEnded)
		}
		if !stillOpen(t, keep, func() { h.issue(t, h.kiosk, "cash") }) {
			t.Error("another device's socket closed too")
		}
	})

	t.Run("changing one's own password keeps this session's sockets", func(t *testing.T) {
		me := h.mintSession(t, "eve")
		elsewhere := h.mintSession(t, "eve")
		mine := mustOpen(t, addr, "topic=queue", me)
		theirs := mustOpen(t, addr, "topic=queue", elsewhere)
		h.do("PUT", "/api/v1/users/eve", me, `{"password":"eve-new-pass-1","current_password":"shared-test-pass"}`).want(t, http.StatusOK)
		if code := closeCode(theirs); code != live.CloseEnded {
			t.Errorf("the other session's socket: close code %d, want %d", code, live.CloseEnded)
		}
		if !stillOpen(t, mine, func() { h.issue(t, h.kiosk, "general") }) {
			t.Error("the session that changed the password lost its socket")
		}
	})
}

func TestLiveSocketsEndWithTheirSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	addr := h.listen(t)
	short := h.mintSession(t, "admin") // an hour long
	conn := mustOpen(t, addr, "topic=queue", short)
	keep := mustOpen(t, addr, "topic=queue", h.admin)
	h.clock.Advance(2 * time.Hour)
	h.s.endLapsedSockets() // what the hourly sweep does
	if code := closeCode(conn); code != live.CloseEnded {
		t.Errorf("socket of an expired session: close code %d, want %d", code, live.CloseEnded)
	}
	if !stillOpen(t, keep, func() { h.issue(t, h.kiosk, "general") }) {
		t.Error("a socket of a live session was closed by the sweep")
	}
}
