package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultPort is the raw printing port of network receipt printers.
const DefaultPort = "9100"

// ErrDisabled is returned by [NewTransport] for the URL "none": printing is
// switched off, which is a setting rather than a fault.
var ErrDisabled = errors.New("printing disabled")

// ErrNoStatus means the printer did not answer a status request in time.
// Many printers never answer one, so it is not a failure in itself.
var ErrNoStatus = errors.New("printer did not answer status request")

// Health is what the printer said about itself.
type Health struct {
	State   State
	NearEnd bool // paper roll nearly used up
}

// Transport reaches one printer. It holds no connection between jobs: a
// printer that was switched off and on again, or a USB cable that was
// replugged, works again on the next job without anybody restarting us.
type Transport interface {
	// Open connects for one job; ctx bounds the connecting only.
	Open(ctx context.Context) (Conn, error)
	// String names the printer in logs and errors.
	String() string
}

// Conn is one job's connection to the printer.
type Conn interface {
	// Status asks the printer how it is (DLE EOT). It returns ErrNoStatus
	// when the printer does not answer before deadline.
	Status(deadline time.Time) (Health, error)
	// Write sends job bytes, giving up at deadline. On failure,
	// mayHavePrinted tells whether any of p can have reached the printer:
	// sending the job again then risks a second ticket.
	Write(p []byte, deadline time.Time) (mayHavePrinted bool, err error)
	Close() error
}

type target struct {
	kind string // "tcp", "file" or "none"
	addr string // host:port or device path
}

// ParseURL checks a printer URL: tcp://HOST[:PORT] (port 9100 when left
// out), file:///path/to/device, or none. An empty string counts as none.
func ParseURL(s string) error {
	_, err := parseURL(s)
	return err
}

func parseURL(s string) (target, error) {
	bad := func(why string) (target, error) {
		return target{}, fmt.Errorf("printer url %q: %s (want tcp://HOST:PORT, file:///dev/usb/lp0 or none)", s, why)
	}
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "none") {
		return target{kind: "none"}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return bad("not a url")
	}
	if u.Opaque != "" {
		return bad("not an absolute url")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return bad("unexpected user, query or fragment")
	}
	switch strings.ToLower(u.Scheme) {
	case "tcp":
		if u.Path != "" && u.Path != "/" {
			return bad("unexpected path")
		}
		host, port := u.Hostname(), u.Port()
		if host == "" {
			return bad("missing host")
		}
		if port == "" {
			if strings.HasSuffix(u.Host, ":") {
				return bad("empty port")
			}
			port = DefaultPort
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return bad("port must be 1-65535")
		}
		return target{kind: "tcp", addr: net.JoinHostPort(host, port)}, nil
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return bad("file urls name a local device: file:///dev/usb/lp0")
		}
		if !strings.HasPrefix(u.Path, "/") || u.Path == "/" || strings.HasSuffix(u.Path, "/") {
			return bad("missing device path")
		}
		return target{kind: "file", addr: u.Path}, nil
	case "":
		return bad("missing scheme")
	default:
		return bad(fmt.Sprintf("unsupported scheme %q", u.Scheme))
	}
}

// NewTransport returns the transport for a printer URL (see [ParseURL]). It
// does not connect. For "none" it returns ErrDisabled.
func NewTransport(rawURL string) (Transport, error) {
	t, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case "tcp":
		return &tcpTransport{addr: t.addr}, nil
	case "file":
		return &fileTransport{path: t.addr}, nil
	default:
		return nil, ErrDisabled
	}
}

type tcpTransport struct {
	addr string
}

func (t *tcpTransport) String() string { return "tcp://" + t.addr }

func (t *tcpTransport) Open(ctx context.Context) (Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", t, err)
	}
	return &tcpConn{c: c, name: t.String()}, nil
}

type tcpConn struct {
	c    net.Conn
	name string
}

// Status asks for the printer status (n=1), the offline cause (n=2) and the
// paper sensor (n=4), one at a time: a printer that does not answer the first
// will not answer the others, and waiting for all three would triple the
// delay before printing on such models.
func (c *tcpConn) Status(deadline time.Time) (Health, error) {
	var got [3]byte
	for i, n := range []byte{1, 2, 4} {
		if err := c.c.SetDeadline(deadline); err != nil {
			return Health{}, fmt.Errorf("status %s: %w", c.name, err)
		}
		if _, err := c.c.Write([]byte{0x10, 0x04, n}); err != nil {
			return Health{}, fmt.Errorf("status %s: %w", c.name, err)
		}
		var b [1]byte
		if _, err := io.ReadFull(c.c, b[:]); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				if i == 0 {
					return Health{}, ErrNoStatus
				}
				return Health{}, fmt.Errorf("status %s: answer %d of 3 missing: %w", c.name, i+1, ErrNoStatus)
			}
			return Health{}, fmt.Errorf("status %s: %w", c.name, err)
		}
		if !validStatusByte(b[0]) {
			return Health{}, fmt.Errorf("status %s: unexpected answer %#02x: %w", c.name, b[0], ErrNoStatus)
		}
		got[i] = b[0]
	}
	return decodeStatus(got[0], got[1], got[2]), nil
}

func (c *tcpConn) Write(p []byte, deadline time.Time) (bool, error) {
	if err := c.c.SetDeadline(deadline); err != nil {
		return false, fmt.Errorf("write %s: %w", c.name, err)
	}
	n, err := c.c.Write(p)
	if err != nil {
		return n > 0, fmt.Errorf("write %s: %w", c.name, err)
	}
	return true, nil
}

func (c *tcpConn) Close() error { return c.c.Close() }

// validStatusByte checks the bits that every DLE EOT answer has fixed
// (bit 1 and 4 set, bit 0 and 7 clear), so that stray bytes, such as
// automatic status messages, are not taken for an answer.
func validStatusByte(b byte) bool { return b&0x93 == 0x12 }

// decodeStatus reads the answers to DLE EOT 1 (printer), 2 (offline cause)
// and 4 (roll paper sensor).
func decodeStatus(printer, offline, paper byte) Health {
	h := Health{State: StateOK, NearEnd: paper&0x0c != 0}
	switch {
	case offline&0x04 != 0:
		h.State = StateCoverOpen
	case offline&0x20 != 0 || paper&0x60 != 0:
		h.State = StatePaperOut
	case printer&0x08 != 0 || offline&0x40 != 0:
		h.State = StateOffline
	}
	return h
}

// fileTransport writes to a printer device such as /dev/usb/lp0. The device
// is opened per job, so a printer that was unplugged and plugged back in
// (getting a fresh device node) is picked up again.
type fileTransport struct {
	path string
	// stuck is set while a write that ran past its deadline is still blocked
	// in the kernel; device files cannot be interrupted, so the next job
	// waits for it instead of piling a second blocked write on top.
	stuck atomic.Bool
}

func (t *fileTransport) String() string { return "file://" + t.path }

func (t *fileTransport) Open(ctx context.Context) (Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open %s: %w", t, err)
	}
	if t.stuck.Load() {
		return nil, fmt.Errorf("open %s: previous job still blocked in the device", t)
	}
	// No O_CREATE: a missing device means the printer is unplugged, and
	// creating a regular file in its place would swallow every ticket.
	f, err := os.OpenFile(t.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", t, err)
	}
	return &fileConn{f: f, t: t}, nil
}

type fileConn struct {
	f *os.File
	t *fileTransport
}

// Status is not available through a plain device file.
func (c *fileConn) Status(time.Time) (Health, error) { return Health{}, ErrNoStatus }

func (c *fileConn) Write(p []byte, deadline time.Time) (bool, error) {
	if err := c.f.SetWriteDeadline(deadline); err == nil {
		n, err := c.f.Write(p)
		if err != nil {
			return n > 0, fmt.Errorf("write %s: %w", c.t, err)
		}
		return true, nil
	}
	// Character devices usually do not support deadlines; write from a
	// helper goroutine so that the queue can give up on a hung printer. The
	// helper ends when the kernel returns from the write; until then the
	// transport refuses new jobs (see stuck). Closing the file meanwhile is
	// safe: the runtime defers the real close until the write returns.
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	c.t.stuck.Store(true)
	go func() {
		n, err := c.f.Write(p)
		c.t.stuck.Store(false)
		done <- result{n, err}
	}()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case r := <-done:
		if r.err != nil {
			return r.n > 0, fmt.Errorf("write %s: %w", c.t, r.err)
		}
		return true, nil
	case <-timer.C:
		// We cannot tell how much the device took before it stalled.
		return true, fmt.Errorf("write %s: %w", c.t, os.ErrDeadlineExceeded)
	}
}

func (c *fileConn) Close() error { return c.f.Close() }
