package printertest

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"
)

func start(t *testing.T, m Mode) *Printer {
	t.Helper()
	p, err := Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if err := p.SetMode(m); err != nil {
		t.Fatal(err)
	}
	return p
}

// query sends DLE EOT 1, 2 and 4 and returns the answers it got in time.
func query(t *testing.T, c net.Conn) []byte {
	t.Helper()
	var got []byte
	for _, n := range []byte{1, 2, 4} {
		c.SetDeadline(time.Now().Add(100 * time.Millisecond))
		if _, err := c.Write([]byte{0x10, 0x04, n}); err != nil {
			t.Fatal(err)
		}
		var b [1]byte
		if _, err := io.ReadFull(c, b[:]); err != nil {
			return got
		}
		got = append(got, b[0])
	}
	return got
}

func TestModes(t *testing.T) {
	tests := []struct {
		mode      Mode
		answers   []byte
		wantPrint bool
	}{
		{Healthy, []byte{0x12, 0x12, 0x12}, true},
		{NearEnd, []byte{0x12, 0x12, 0x1e}, true},
		{PaperOut, []byte{0x1a, 0x32, 0x72}, false},
		{CoverOpen, []byte{0x1a, 0x16, 0x12}, false},
		{Silent, nil, true},
		{Hang, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			t.Parallel()
			p := start(t, tt.mode)
			c, err := net.Dial("tcp", p.Addr())
			if err != nil {
				t.Fatal(err)
			}
			if got := query(t, c); !bytes.Equal(got, tt.answers) {
				t.Errorf("answers: got % x, want % x", got, tt.answers)
			}
			job := []byte("\x1b@hello\n\x1dVB\x00")
			c.SetDeadline(time.Now().Add(time.Second))
			c.Write(job)
			c.Close()
			if !tt.wantPrint {
				// Show a later job does arrive, so the first was dropped
				// rather than still on its way.
				if err := p.SetMode(Healthy); err != nil {
					t.Fatal(err)
				}
				c, err := net.Dial("tcp", p.Addr())
				if err != nil {
					t.Fatal(err)
				}
				c.Write([]byte("marker\n"))
				c.Close()
				job = []byte("marker\n")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			jobs, err := p.WaitJobs(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(jobs) != 1 || !bytes.Equal(jobs[0], job) {
				t.Errorf("jobs: got %q, want [%q]", jobs, job)
			}
		})
	}
}

func TestRefuseAndBack(t *testing.T) {
	p := start(t, Refuse)
	if c, err := net.Dial("tcp", p.Addr()); err == nil {
		c.Close()
		t.Fatalf("Dial while refusing: got a connection, want refused")
	}
	if err := p.SetMode(Healthy); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatalf("Dial after coming back: %v", err)
	}
	defer c.Close()
	if got := query(t, c); !bytes.Equal(got, []byte{0x12, 0x12, 0x12}) {
		t.Errorf("answers: got % x", got)
	}
	if got := p.Accepts(); got != 1 {
		t.Errorf("Accepts: got %d, want 1", got)
	}
}

func TestStatusOnlyConnectionIsNoJob(t *testing.T) {
	p := start(t, Healthy)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	query(t, c)
	c.Close()
	c, err = net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("job\n"))
	c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	jobs, err := p.WaitJobs(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || string(jobs[0]) != "job\n" {
		t.Errorf("jobs: got %q, want [\"job\\n\"]", jobs)
	}
}

func TestCloseWithHungConnection(t *testing.T) {
	p, err := Start("")
	if err != nil {
		t.Fatal(err)
	}
	p.SetMode(Hang)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := p.WaitAccepts(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		p.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return while a connection hung")
	}
	if err := p.SetMode(Healthy); err == nil {
		t.Error("SetMode after Close: got nil, want an error")
	}
}

func TestParseMode(t *testing.T) {
	for m := Healthy; m <= Refuse; m++ {
		got, err := ParseMode(m.String())
		if err != nil || got != m {
			t.Errorf("ParseMode(%q): got %v, %v; want %v", m.String(), got, err, m)
		}
	}
	if _, err := ParseMode("jammed"); err == nil {
		t.Error(`ParseMode("jammed"): got nil error`)
	}
}
