//go:build unix

package live

import (
	"io"
	"net"
	"testing"
)

// TestDirectWriteAllocatesNothing: the fan-out writes each phone's message
// itself, a thousand writes and more per call; a write must not cost a
// heap allocation (a closure made per write did), and the socket gets the
// bytes as they are.
func TestDirectWriteAllocatesNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	nc, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	defer nc.Close()
	d := newDirect(nc)
	if d == nil {
		t.Fatal("a TCP socket has no direct writer")
	}

	frame := []byte("\x81\x05hello")
	const runs = 200
	// The peer reads into a buffer made beforehand: the count of
	// allocations is the whole process's, so the reader must make none.
	got := make(chan []byte, 1)
	buf := make([]byte, len(frame)*(runs+1))
	go func() {
		n, _ := io.ReadFull(peer, buf)
		got <- buf[:n]
	}()
	var short int
	allocs := testing.AllocsPerRun(runs, func() {
		if n, err := d.now(frame); n != len(frame) || err != nil {
			short++
		}
	})
	if short > 0 {
		t.Fatalf("%d of %d writes were not taken whole by an idle socket", short, runs+1)
	}
	if allocs != 0 {
		t.Errorf("a direct write allocates %.1f times, want none", allocs)
	}
	b := <-got
	for i := 0; i+len(frame) <= len(b); i += len(frame) {
		if string(b[i:i+len(frame)]) != string(frame) {
			t.Fatalf("the peer read %q at byte %d, want the frame %q", b[i:i+len(frame)], i, frame)
		}
	}
	if len(b) != len(frame)*(runs+1) {
		t.Errorf("the peer read %d bytes, want %d", len(b), len(frame)*(runs+1))
	}
}
