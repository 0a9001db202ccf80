package live

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestStalledPhoneGetsEveryMessageWhole: the fan-out writes a phone's
// message itself when the socket takes it at once. A phone that stops
// reading fills its socket: the fan-out's writes then find it full, or take
// part of a frame only, and the writer goroutine finishes what they could
// not. Once the phone reads again it gets every message, whole and in
// order, each after its snapshot, and the other phones were never held up.
func TestStalledPhoneGetsEveryMessageWhole(t *testing.T) {
	var pages *pageRenderer
	r := newRigWith(t, Options{SendQueue: 1000}, func(l net.Listener) net.Listener { return smallBuffers{l} },
		func(e *fakeEngine) Renderer {
			pages = &pageRenderer{fakeEngine: e, pages: map[string]string{"A": "", "B": ""}}
			return pages
		})
	n := r.hub.Clients()
	stalled := r.dialWith(websocket.DefaultDialer, "topic=status&key=A")
	waitFor(t, "stalled phone", func() bool { return r.hub.Clients() == n+1 })
	other := collect(r.connect("topic=status&key=B"))
	if got := brief(t, other.next(t)); got != "0 snapshot" {
		t.Fatalf("other phone: got %q, want its snapshot", got)
	}

	// Pages of uneven sizes, some larger than the socket's buffer, so
	// that the frames fall across its room at any byte.
	page := func(seq int) string { return fmt.Sprintf("%d:%s", seq, strings.Repeat("x", 200+seq*7919%(200<<10))) }
	partials := partialWrites.Load()
	const events = 24
	for i := 1; i <= events; i++ {
		pages.set("A", page(i))
		pages.set("B", page(i))
		r.publish("x", "")
		// The other phone reads along: the stalled one holds nobody up.
		if got := parse(t, other.next(t)).Seq; got != uint64(i) {
			t.Fatalf("other phone: got seq %d, want %d", got, i)
		}
	}

	stalled.SetReadDeadline(time.Now().Add(10 * time.Second))
	var m struct {
		Seq  uint64 `json:"seq"`
		Type string `json:"type"`
		Data string `json:"data"`
	}
	if err := stalled.ReadJSON(&m); err != nil || m.Type != TypeSnapshot {
		t.Fatalf("stalled phone: first message %+v (%v), want its snapshot", m, err)
	}
	for i := 1; i <= events; i++ {
		if err := stalled.ReadJSON(&m); err != nil {
			t.Fatalf("stalled phone, message %d: %v", i, err)
		}
		if m.Seq != uint64(i) || m.Type != "status" || m.Data != page(i) {
			t.Fatalf("stalled phone: message %d is seq %d %s with %d bytes of page, want seq %d with %d",
				i, m.Seq, m.Type, len(m.Data), i, len(page(i)))
		}
	}
	if partialWrites.Load() == partials {
		t.Errorf("no frame was taken in part by the stalled socket: the test did not reach the case it is for")
	}
}
