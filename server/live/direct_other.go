//go:build !unix

package live

import (
	"syscall"

	"github.com/gorilla/websocket"
)

// rawConn returns nil: off unix every message goes through the client's
// writer goroutine.
func rawConn(*websocket.Conn) syscall.RawConn { return nil }

func writeNow(syscall.RawConn, []byte) (int, error) { return 0, errFull }
