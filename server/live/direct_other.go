//go:build !unix

package live

import "net"

// direct is never made off unix: every message goes through the client's
// writer goroutine.
type direct struct{}

func newDirect(net.Conn) *direct { return nil }

func (*direct) now([]byte) (int, error) { return 0, errFull }
