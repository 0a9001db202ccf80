package server

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"queuebox/server/access"
	"queuebox/server/live"
)

// offlineAlertAfter is how long a kiosk or lobby display may be away during
// opening hours before staff are alerted.
const offlineAlertAfter = time.Minute

// presence tracks which paired devices are connected. A kiosk or display
// page sends {"type":"hello","device":TOKEN} on its live connection when it
// connects, and {"type":"heartbeat"} now and then; the device counts as
// online while such a connection is open, and was last seen when the last
// one closed. The hub drops a connection that stops answering its pings
// within a minute, so a dead device shows up as offline by itself.
type presence struct {
	mu      sync.Mutex
	clients map[uint64]string // live client id → device id
	devices map[string]*seen
	started time.Time // devices not seen since count as offline from then
}

type seen struct {
	conns int
	last  time.Time
}

func newPresence(now time.Time) *presence {
	return &presence{clients: map[uint64]string{}, devices: map[string]*seen{}, started: now}
}

// deviceMessage handles what a live client sends: a device's hello binds
// the connection to the device, a heartbeat refreshes its last-seen time.
// Anything else is ignored.
func (s *Server) deviceMessage(id uint64, _ live.Sub, data []byte) {
	var m struct {
		Type   string `json:"type"`
		Device string `json:"device"`
	}
	if json.Unmarshal(data, &m) != nil {
		return
	}
	now := s.clock.Now()
	p := s.presence
	switch m.Type {
	case "hello":
		if m.Device == "" {
			return
		}
		d, err := s.db.DeviceByTokenHash(hashToken(m.Device))
		if err != nil || d.Revoked {
			return
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if _, bound := p.clients[id]; bound {
			return
		}
		p.clients[id] = d.ID
		sn := p.devices[d.ID]
		if sn == nil {
			sn = &seen{}
			p.devices[d.ID] = sn
		}
		sn.conns++
		sn.last = now
	case "heartbeat":
		p.mu.Lock()
		defer p.mu.Unlock()
		if dev, ok := p.clients[id]; ok {
			p.devices[dev].last = now
		}
	}
}

// deviceLeave notes that a live client went away.
func (s *Server) deviceLeave(id uint64, _ live.Sub) {
	p := s.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	dev, ok := p.clients[id]
	if !ok {
		return
	}
	delete(p.clients, id)
	sn := p.devices[dev]
	sn.conns--
	sn.last = s.clock.Now()
}

// deviceHealth is one device as the health list shows it.
type deviceHealth struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Online bool   `json:"online"`
	// LastSeen is nil for a device not seen since the box started.
	LastSeen *time.Time `json:"last_seen"`
	// OfflineSeconds counts from LastSeen, or from the box's start.
	OfflineSeconds int `json:"offline_seconds"`
	// Alert: a kiosk or display away for over a minute while the branch is open.
	Alert bool `json:"alert"`
}

func (s *Server) devicesHealth() ([]deviceHealth, error) {
	ds, err := s.db.Devices()
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	open := s.engine.OpenNow()
	p := s.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	out := []deviceHealth{}
	for _, d := range ds {
		if d.Revoked {
			continue
		}
		h := deviceHealth{ID: d.ID, Kind: d.Kind, Name: d.Name}
		// Never seen: away since the box started, or since the device was
		// created if that is later (a pairing link made a minute ago is
		// not five minutes offline).
		from := p.started
		if d.CreatedAt.After(from) {
			from = d.CreatedAt
		}
		if sn := p.devices[d.ID]; sn != nil {
			h.Online = sn.conns > 0
			last := sn.last
			h.LastSeen, from = &last, last
		}
		if h.Online {
			h.LastSeen = &now
		} else {
			h.OfflineSeconds = int(max(0, now.Sub(from)) / time.Second)
			h.Alert = open && now.Sub(from) > offlineAlertAfter && access.DeviceKind(d.Kind).Watched()
		}
		out = append(out, h)
	}
	return out, nil
}

// getDevicesHealth lists paired devices with online state and alerts, for the
// admin's device list and the console's alert.
func (s *Server) getDevicesHealth(c echo.Context) error {
	list, err := s.devicesHealth()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list)
}
