package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

type apiHealth struct {
	ID             string     `json:"id"`
	Kind           string     `json:"kind"`
	Online         bool       `json:"online"`
	LastSeen       *time.Time `json:"last_seen"`
	OfflineSeconds int        `json:"offline_seconds"`
	Alert          bool       `json:"alert"`
}

func (h *harness) health(t *testing.T) map[string]apiHealth {
	t.Helper()
	var list []apiHealth
	h.do("GET", "/api/v1/devices/health", h.admin, "").want(t, http.StatusOK).decode(t, &list)
	out := map[string]apiHealth{}
	for _, d := range list {
		out[d.ID] = d
	}
	return out
}

// deviceSocket opens a live connection on topic and says hello with token.
func deviceSocket(t *testing.T, base, topic, token string) *websocket.Conn {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/api/v1/live?topic="+topic, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", topic, err)
	}
	resp.Body.Close()
	t.Cleanup(func() { conn.Close() })
	if _, _, err := conn.ReadMessage(); err != nil { // the snapshot
		t.Fatal(err)
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","device":"`+token+`"}`)); err != nil {
		t.Fatal(err)
	}
	return conn
}

func TestDeviceHealth(t *testing.T) {
	h := newHarness(t)
	kiosk := h.kiosk // paired by the harness; its id is found by elimination below
	lobby, lobbyID := h.newDevice(t, "display", "Lobby TV")
	_, spareID := h.newDevice(t, "kiosk", "Spare kiosk")
	_, goneID := h.newDevice(t, "kiosk", "Old kiosk")
	h.do("DELETE", "/api/v1/devices/"+goneID, h.admin, "").want(t, http.StatusNoContent)
	srv := httptest.NewServer(h.s.Handler())
	t.Cleanup(srv.Close)

	all := h.health(t)
	if _, ok := all[goneID]; ok {
		t.Error("a revoked device is listed")
	}
	for id, d := range all {
		if d.Online || d.LastSeen != nil || d.Alert {
			t.Errorf("%s at start: got %+v, want offline, never seen, no alert yet", id, d)
		}
	}
	var harnessKiosk string
	for id := range all {
		if id != lobbyID && id != spareID {
			harnessKiosk = id
		}
	}

	k := deviceSocket(t, srv.URL, "device", kiosk.bearer)
	deviceSocket(t, srv.URL, "display", lobby.bearer)
	// A stranger's hello changes nothing.
	deviceSocket(t, srv.URL, "device", "not-a-device-token")
	eventually(t, "kiosk and display online", func() error {
		all := h.health(t)
		if !all[harnessKiosk].Online || !all[lobbyID].Online || all[spareID].Online {
			return fmt.Errorf("got %+v", all)
		}
		return nil
	})

	h.clock.Advance(5 * time.Minute)
	all = h.health(t)
	if d := all[lobbyID]; !d.Online || d.Alert || d.LastSeen == nil || !d.LastSeen.Equal(h.clock.Now()) {
		t.Errorf("display after 5 min online: got %+v, want online, seen now, no alert", d)
	}
	// Never seen since the box started five minutes ago: alert.
	if d := all[spareID]; d.Online || !d.Alert || d.OfflineSeconds != 300 {
		t.Errorf("never-seen kiosk: got %+v, want an alert after 300 s", d)
	}

	left := h.clock.Now()
	k.Close()
	eventually(t, "kiosk offline", func() error {
		if d := h.health(t)[harnessKiosk]; d.Online {
			return fmt.Errorf("got %+v", d)
		}
		return nil
	})
	h.clock.Advance(59 * time.Second)
	if d := h.health(t)[harnessKiosk]; d.Alert || d.OfflineSeconds != 59 || d.LastSeen == nil || !d.LastSeen.Equal(left) {
		t.Errorf("kiosk gone 59 s: got %+v, want no alert yet, last seen at %v", d, left)
	}
	h.clock.Advance(2 * time.Second)
	if d := h.health(t)[harnessKiosk]; !d.Alert || d.OfflineSeconds != 61 {
		t.Errorf("kiosk gone 61 s: got %+v, want an alert", d)
	}
	if d := h.health(t)[lobbyID]; d.Alert {
		t.Errorf("connected display: got %+v, want no alert", d)
	}

	// Outside opening hours nobody is alerted.
	closed := `{"hours":{"mon":"","tue":"","wed":"","thu":"","fri":"","sat":"","sun":""}}`
	h.do("PUT", "/api/v1/settings", h.admin, closed).want(t, http.StatusOK)
	for id, d := range h.health(t) {
		if d.Alert {
			t.Errorf("%s while closed: got %+v, want no alert", id, d)
		}
	}
	// Staff may read it (the console shows the alert); a kiosk may not.
	if r := h.do("GET", "/api/v1/devices/health", h.kiosk, ""); r.status != http.StatusForbidden {
		t.Errorf("kiosk reads device health: got %v, want 403", r)
	}
}

// TestNewDeviceAwayFromItsCreation: a device paired after the box started
// and not connected yet counts as away from its creation, not from the
// box's start: a pairing link made now is not minutes offline.
func TestNewDeviceAwayFromItsCreation(t *testing.T) {
	h := newHarness(t)
	h.clock.Advance(5 * time.Minute)
	_, id := h.newDevice(t, "display", "Lobby TV")
	h.clock.Advance(10 * time.Second)
	if d := h.health(t)[id]; d.Alert || d.OfflineSeconds != 10 {
		t.Errorf("display made 10 s ago: got %+v, want 10 s away and no alert", d)
	}
	h.clock.Advance(time.Minute)
	if d := h.health(t)[id]; !d.Alert || d.OfflineSeconds != 70 {
		t.Errorf("display made 70 s ago, never connected: got %+v, want an alert after 70 s", d)
	}
}

// TestTillHasNoPairingLink: a kiosk or display gets a link to open once; a
// till has no page on the box (a /pos/ link led nowhere): its token is its key.
func TestTillHasNoPairingLink(t *testing.T) {
	h := newHarness(t)
	for kind, page := range map[string]string{"kiosk": "/kiosk/?device=", "display": "/display/?device=", "pos": ""} {
		var d struct {
			Token      string `json:"token"`
			PairingURL string `json:"pairing_url"`
		}
		h.do("POST", "/api/v1/devices", h.admin, `{"kind":"`+kind+`","name":"`+kind+` 1"}`).want(t, http.StatusCreated).decode(t, &d)
		if d.Token == "" || (page == "") != (d.PairingURL == "") || (page != "" && !strings.Contains(d.PairingURL, page+d.Token)) {
			t.Errorf("%s: token %q, pairing_url %q, want a link to %s only for a device with a page", kind, d.Token, d.PairingURL, page)
		}
	}
}
