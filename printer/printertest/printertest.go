// Package printertest runs a fake ESC/POS network printer, for tests and for
// trying queuebox without hardware.
//
// The fake listens like a real printer on port 9100 would, answers the
// DLE EOT status requests a job starts with, and keeps the bytes of every job
// it "prints" (one job per connection). Its [Mode] makes it misbehave the
// ways real printers do: out of paper, cover open, hung, switched off.
package printertest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"
)

// Mode is how the fake printer behaves towards new connections.
type Mode int

const (
	// Healthy answers status requests and prints every job.
	Healthy Mode = iota
	// NearEnd prints, but reports that the paper roll is nearly used up.
	NearEnd
	// PaperOut reports paper out; whatever is sent anyway is discarded.
	PaperOut
	// CoverOpen reports the cover open; whatever is sent anyway is discarded.
	CoverOpen
	// Silent prints every job but never answers status requests, like the
	// many printers that do not implement them.
	Silent
	// Hang accepts connections and never reads from them, like a printer
	// whose firmware has locked up.
	Hang
	// Refuse closes the listening socket, so connections are refused, like
	// a printer that is switched off.
	Refuse
)

var modeNames = [...]string{"healthy", "near_end", "paper_out", "cover_open", "silent", "hang", "refuse"}

func (m Mode) String() string {
	if m >= 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode reads a mode by its String name, for command-line flags.
func ParseMode(s string) (Mode, error) {
	for i, n := range modeNames {
		if n == s {
			return Mode(i), nil
		}
	}
	return 0, fmt.Errorf("printer mode %q: want one of %v", s, modeNames)
}

// Answers to DLE EOT 1, 2 and 4: bits 1 and 4 are always set.
const (
	stOK         = 0x12
	stOffline    = 0x12 | 0x08 // n=1: offline
	stCoverOpen  = 0x12 | 0x04 // n=2: cover open
	stPaperStop  = 0x12 | 0x20 // n=2: stopped for paper end
	stNearEnd    = 0x12 | 0x0c // n=4: paper near end
	stPaperEnded = 0x12 | 0x60 // n=4: paper end
)

// idleTimeout ends connections a client left open, so a careless test
// cannot keep the fake's goroutines alive for ever.
const idleTimeout = 30 * time.Second

// Printer is a fake network printer. Its methods may be called from any
// goroutine.
type Printer struct {
	addr string

	mu      sync.Mutex
	mode    Mode
	ln      net.Listener // nil while refusing
	conns   map[net.Conn]struct{}
	hung    map[net.Conn]struct{} // connections held without reading
	jobs    []job                 // in the order their connections were accepted
	accepts int
	changed chan struct{} // closed and replaced on every event
	closed  bool

	wg sync.WaitGroup
}

type job struct {
	conn int // accept sequence number of the job's connection
	data []byte
}

// Start listens on addr ("" means 127.0.0.1:0, a free loopback port) in
// Healthy mode.
func Start(addr string) (*Printer, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fake printer: %w", err)
	}
	p := &Printer{
		addr:    ln.Addr().String(),
		conns:   make(map[net.Conn]struct{}),
		hung:    make(map[net.Conn]struct{}),
		changed: make(chan struct{}),
	}
	p.serve(ln)
	return p, nil
}

// Addr is the host:port the printer listens on, also while it refuses.
func (p *Printer) Addr() string { return p.addr }

// URL is the printer URL for queuebox's printer.url setting.
func (p *Printer) URL() string { return "tcp://" + p.addr }

// Mode reports the current mode.
func (p *Printer) Mode() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// SetMode changes how the printer treats new connections. Leaving Hang
// drops the connections it was holding; leaving Refuse listens again on the
// same address, which fails only if another program took the port meanwhile.
func (p *Printer) SetMode(m Mode) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("fake printer: closed")
	}
	old := p.mode
	p.mode = m
	if old == Hang && m != Hang {
		for c := range p.hung {
			c.Close()
			delete(p.hung, c)
		}
	}
	switch {
	case m == Refuse && p.ln != nil:
		p.ln.Close()
		p.ln = nil
	case m != Refuse && p.ln == nil:
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			p.mode = Refuse
			return fmt.Errorf("fake printer: listen again: %w", err)
		}
		p.serveLocked(ln)
	}
	p.broadcastLocked()
	return nil
}

// Jobs returns a copy of the bytes of every job printed so far, oldest first.
func (p *Printer) Jobs() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([][]byte, len(p.jobs))
	for i, j := range p.jobs {
		out[i] = bytes.Clone(j.data)
	}
	return out
}

// Accepts reports how many connections the printer has accepted.
func (p *Printer) Accepts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepts
}

// WaitJobs waits until at least n jobs were printed, and returns them.
func (p *Printer) WaitJobs(ctx context.Context, n int) ([][]byte, error) {
	if err := p.waitFor(ctx, func() bool { return len(p.jobs) >= n }); err != nil {
		return p.Jobs(), fmt.Errorf("fake printer: waiting for %d jobs: %w", n, err)
	}
	return p.Jobs(), nil
}

// WaitAccepts waits until at least n connections were accepted.
func (p *Printer) WaitAccepts(ctx context.Context, n int) error {
	if err := p.waitFor(ctx, func() bool { return p.accepts >= n }); err != nil {
		return fmt.Errorf("fake printer: waiting for %d connections: %w", n, err)
	}
	return nil
}

// waitFor waits until cond, called with p.mu held, is true.
func (p *Printer) waitFor(ctx context.Context, cond func() bool) error {
	for {
		p.mu.Lock()
		ok, ch := cond(), p.changed
		p.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// Close stops the printer and waits for its goroutines.
func (p *Printer) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.broadcastLocked()
	p.mu.Unlock()
	p.wg.Wait()
	return nil
}

func (p *Printer) broadcastLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *Printer) serve(ln net.Listener) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.serveLocked(ln)
}

func (p *Printer) serveLocked(ln net.Listener) {
	p.ln = ln
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // listener closed by SetMode(Refuse) or Close
			}
			p.mu.Lock()
			if p.closed {
				p.mu.Unlock()
				c.Close()
				return
			}
			mode := p.mode
			p.conns[c] = struct{}{}
			if mode == Hang {
				p.hung[c] = struct{}{}
			}
			p.accepts++
			seq := p.accepts
			p.broadcastLocked()
			p.wg.Add(1)
			p.mu.Unlock()
			go func() {
				defer p.wg.Done()
				p.handle(c, mode, seq)
				p.mu.Lock()
				delete(p.conns, c)
				delete(p.hung, c)
				p.mu.Unlock()
				c.Close()
			}()
		}
	}()
}

// handle serves one connection: status requests first, then the job. Real
// printers also answer status requests in the middle of a job, but queuebox
// only asks before sending one, and treating everything after the first
// other byte as data keeps raster images (which may contain 10 04 by
// chance) intact.
func (p *Printer) handle(c net.Conn, mode Mode, seq int) {
	if mode == Hang {
		p.hold(c)
		return
	}

	r := bufio.NewReader(c)
	for {
		c.SetReadDeadline(time.Now().Add(idleTimeout))
		head, err := r.Peek(3)
		if err != nil || head[0] != 0x10 || head[1] != 0x04 {
			break
		}
		n := head[2]
		r.Discard(3)
		if ans, ok := p.answer(mode, n); ok {
			c.SetWriteDeadline(time.Now().Add(idleTimeout))
			if _, err := c.Write([]byte{ans}); err != nil {
				return
			}
		}
	}
	c.SetReadDeadline(time.Now().Add(idleTimeout))
	data, _ := io.ReadAll(r)
	if len(data) == 0 || mode == PaperOut || mode == CoverOpen {
		return
	}
	p.mu.Lock()
	// A client that sends jobs one after another may see the later one
	// finish reading first; the paper order is the connection order.
	i := len(p.jobs)
	for i > 0 && p.jobs[i-1].conn > seq {
		i--
	}
	p.jobs = slices.Insert(p.jobs, i, job{conn: seq, data: data})
	p.broadcastLocked()
	p.mu.Unlock()
}

// hold keeps a Hang connection open without reading from it, until the mode
// changes, the printer closes, or the client gives up long after.
func (p *Printer) hold(c net.Conn) {
	idle := time.NewTimer(idleTimeout)
	defer idle.Stop()
	for {
		p.mu.Lock()
		_, still := p.hung[c]
		done, ch := p.closed, p.changed
		p.mu.Unlock()
		if !still || done {
			return
		}
		select {
		case <-ch:
		case <-idle.C:
			return
		}
	}
}

// answer is the reply to DLE EOT n in the given mode.
func (p *Printer) answer(mode Mode, n byte) (byte, bool) {
	if mode == Silent {
		return 0, false
	}
	switch n {
	case 1:
		if mode == PaperOut || mode == CoverOpen {
			return stOffline, true
		}
	case 2:
		switch mode {
		case PaperOut:
			return stPaperStop, true
		case CoverOpen:
			return stCoverOpen, true
		}
	case 4:
		switch mode {
		case NearEnd:
			return stNearEnd, true
		case PaperOut:
			return stPaperEnded, true
		}
	}
	return stOK, true
}
