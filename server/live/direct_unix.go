//go:build unix

package live

import (
	"errors"
	"syscall"

	"github.com/gorilla/websocket"
)

// rawConn returns the socket under conn for writes that must not wait, or
// nil if it has none (a TLS connection): that client's messages always go
// through its writer goroutine.
func rawConn(conn *websocket.Conn) syscall.RawConn {
	sc, ok := conn.NetConn().(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// writeNow makes one write of b that never waits: it returns how many bytes
// the socket took (0 with errFull when its buffer has no room at all).
func writeNow(rc syscall.RawConn, b []byte) (int, error) {
	var (
		n    int
		werr error
	)
	err := rc.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), b)
			if werr != syscall.EINTR {
				return true // done or not, never wait here
			}
		}
	})
	if err != nil {
		return 0, err
	}
	if errors.Is(werr, syscall.EAGAIN) {
		return 0, errFull
	}
	return max(n, 0), werr
}
