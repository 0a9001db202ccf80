//go:build unix

package live

import (
	"errors"
	"net"
	"syscall"
)

// direct writes to a socket without ever waiting. Its write function is
// made once per socket: a closure made for each write was a heap
// allocation per phone per call. Only the holder of the client's wmu uses
// it.
type direct struct {
	rc  syscall.RawConn
	fn  func(fd uintptr) bool // d.write, bound once
	b   []byte                // what the write in progress writes
	n   int
	err error
}

// newDirect returns the direct writer of nc's socket, or nil if it has
// none (a TLS connection): that client's messages always go through its
// writer goroutine.
func newDirect(nc net.Conn) *direct {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	d := &direct{rc: rc}
	d.fn = d.write
	return d
}

func (d *direct) write(fd uintptr) bool {
	for {
		d.n, d.err = syscall.Write(int(fd), d.b)
		if d.err != syscall.EINTR {
			return true // done or not, never wait here
		}
	}
}

// now makes one write of b that never waits: it returns how many bytes the
// socket took (0 with errFull when its buffer has no room at all).
func (d *direct) now(b []byte) (int, error) {
	d.b, d.n, d.err = b, 0, nil
	err := d.rc.Write(d.fn)
	n, werr := d.n, d.err
	d.b, d.err = nil, nil // the frame is the fan-out's to reuse
	if err != nil {
		return 0, err
	}
	if errors.Is(werr, syscall.EAGAIN) {
		return 0, errFull
	}
	return max(n, 0), werr
}
