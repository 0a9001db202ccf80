package printer

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"queuebox/printer/printertest"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in      string
		want    target
		wantErr string // part of the error; "" = valid
	}{
		{"none", target{kind: "none"}, ""},
		{"NONE", target{kind: "none"}, ""},
		{"", target{kind: "none"}, ""},
		{"tcp://192.168.1.50:9100", target{"tcp", "192.168.1.50:9100"}, ""},
		{"tcp://printer.lan", target{"tcp", "printer.lan:9100"}, ""},
		{"tcp://printer.lan/", target{"tcp", "printer.lan:9100"}, ""},
		{"TCP://[fe80::1]:9100", target{"tcp", "[fe80::1]:9100"}, ""},
		{"file:///dev/usb/lp0", target{"file", "/dev/usb/lp0"}, ""},
		{"file://localhost/dev/usb/lp1", target{"file", "/dev/usb/lp1"}, ""},
		{"http://192.168.1.50", target{}, `unsupported scheme "http"`},
		{"/dev/usb/lp0", target{}, "missing scheme"},
		{"lp0", target{}, "missing scheme"},
		{"tcp://", target{}, "missing host"},
		{"tcp://:9100", target{}, "missing host"},
		{"tcp://host:", target{}, "empty port"},
		{"tcp://host:0", target{}, "port must be"},
		{"tcp://host:70000", target{}, "port must be"},
		{"tcp://host:9100/x", target{}, "unexpected path"},
		{"tcp://host:9100?raw=1", target{}, "unexpected user, query"},
		{"tcp://u:p@host:9100", target{}, "unexpected user, query"},
		{"file://printer/dev/usb/lp0", target{}, "local device"},
		{"file:///", target{}, "missing device path"},
		{"file:relative", target{}, "not an absolute url"},
		{"tcp://host:9100 extra", target{}, "printer url"},
	}
	for _, tt := range tests {
		got, err := parseURL(tt.in)
		if tt.wantErr == "" {
			if err != nil || got != tt.want {
				t.Errorf("parseURL(%q): got %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			if perr := ParseURL(tt.in); perr != nil {
				t.Errorf("ParseURL(%q): got %v, want nil", tt.in, perr)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("parseURL(%q): got error %v, want one containing %q", tt.in, err, tt.wantErr)
			continue
		}
		if !strings.Contains(err.Error(), `"`+tt.in+`"`) {
			t.Errorf("parseURL(%q): error %q does not name the url", tt.in, err)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"none", "tcp://10.0.0.9:9100", "file:///dev/usb/lp0", "tcp://[::1]", "file://x/%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := ParseURL(s)
		tr, terr := NewTransport(s)
		if (err == nil) != (terr == nil || errors.Is(terr, ErrDisabled)) {
			t.Fatalf("ParseURL(%q) = %v but NewTransport = %v", s, err, terr)
		}
		if terr == nil && tr.String() == "" {
			t.Fatalf("NewTransport(%q): empty name", s)
		}
	})
}

func TestNewTransportNone(t *testing.T) {
	if _, err := NewTransport("none"); !errors.Is(err, ErrDisabled) {
		t.Errorf("NewTransport(none): got %v, want ErrDisabled", err)
	}
}

func TestDecodeStatus(t *testing.T) {
	tests := []struct {
		name                   string
		printer, offline, roll byte
		want                   Health
	}{
		{"all fine", 0x12, 0x12, 0x12, Health{State: StateOK}},
		{"near end", 0x12, 0x12, 0x1e, Health{State: StateOK, NearEnd: true}},
		{"paper out", 0x1a, 0x32, 0x72, Health{State: StatePaperOut}},
		{"paper sensor only", 0x12, 0x12, 0x72, Health{State: StatePaperOut}},
		{"paper out, near end too", 0x1a, 0x32, 0x7e, Health{State: StatePaperOut, NearEnd: true}},
		{"cover open", 0x1a, 0x16, 0x12, Health{State: StateCoverOpen}},
		{"cover open beats paper out", 0x1a, 0x36, 0x72, Health{State: StateCoverOpen}},
		{"offline, error", 0x1a, 0x52, 0x12, Health{State: StateOffline}},
		{"offline, no cause", 0x1a, 0x12, 0x12, Health{State: StateOffline}},
	}
	for _, tt := range tests {
		if got := decodeStatus(tt.printer, tt.offline, tt.roll); got != tt.want {
			t.Errorf("%s: decodeStatus(%#02x, %#02x, %#02x): got %+v, want %+v", tt.name, tt.printer, tt.offline, tt.roll, got, tt.want)
		}
	}
}

func TestValidStatusByte(t *testing.T) {
	tests := []struct {
		b    byte
		want bool
	}{{0x12, true}, {0x1a, true}, {0x72, true}, {0x00, false}, {0x13, false}, {0x92, false}, {0x02, false}, {'?', false}}
	for _, tt := range tests {
		if got := validStatusByte(tt.b); got != tt.want {
			t.Errorf("validStatusByte(%#02x): got %v, want %v", tt.b, got, tt.want)
		}
	}
}

func startFake(t testing.TB, m printertest.Mode) *printertest.Printer {
	t.Helper()
	p, err := printertest.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if err := p.SetMode(m); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTCPStatus(t *testing.T) {
	tests := []struct {
		mode    printertest.Mode
		want    Health
		wantErr error
	}{
		{printertest.Healthy, Health{State: StateOK}, nil},
		{printertest.NearEnd, Health{State: StateOK, NearEnd: true}, nil},
		{printertest.PaperOut, Health{State: StatePaperOut}, nil},
		{printertest.CoverOpen, Health{State: StateCoverOpen}, nil},
		{printertest.Silent, Health{}, ErrNoStatus},
		{printertest.Hang, Health{}, ErrNoStatus},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			t.Parallel()
			p := startFake(t, tt.mode)
			tr, err := NewTransport(p.URL())
			if err != nil {
				t.Fatal(err)
			}
			c, err := tr.Open(context.Background())
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer c.Close()
			got, err := c.Status(time.Now().Add(200 * time.Millisecond))
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("Status: got %+v, %v; want %+v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestTCPRefused(t *testing.T) {
	p := startFake(t, printertest.Refuse)
	tr, _ := NewTransport(p.URL())
	_, err := tr.Open(context.Background())
	if err == nil || !strings.Contains(err.Error(), p.URL()) {
		t.Errorf("Open on a refusing printer: got %v, want an error naming %s", err, p.URL())
	}
}

func TestPrintOnce(t *testing.T) {
	job, err := Encode(SampleTicket(), Options{Width: Width58mm})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode      printertest.Mode
		want      Health
		wantErr   bool
		wantPrint bool
	}{
		{printertest.Healthy, Health{State: StateOK}, false, true},
		{printertest.Silent, Health{State: StateUnknown}, false, true},
		{printertest.PaperOut, Health{State: StatePaperOut}, true, false},
		{printertest.Refuse, Health{State: StateOffline}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			t.Parallel()
			p := startFake(t, tt.mode)
			got, err := Print(context.Background(), p.URL(), job)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("Print: got %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
			if !tt.wantPrint {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			jobs, err := p.WaitJobs(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(jobs[0], job) {
				t.Errorf("printer got %d bytes, want the %d sent", len(jobs[0]), len(job))
			}
		})
	}
	if _, err := Print(context.Background(), "none", job); !errors.Is(err, ErrDisabled) {
		t.Errorf("Print to none: got %v, want ErrDisabled", err)
	}
}

func TestFileTransport(t *testing.T) {
	dir := t.TempDir()
	dev := filepath.Join(dir, "lp0")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tr, err := NewTransport("file://" + dev)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"first job\n", "second job\n"} {
		c, err := tr.Open(context.Background())
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if _, err := c.Status(time.Now().Add(time.Second)); !errors.Is(err, ErrNoStatus) {
			t.Errorf("Status on a device file: got %v, want ErrNoStatus", err)
		}
		if _, err := c.Write([]byte(part), time.Now().Add(time.Second)); err != nil {
			t.Fatalf("Write: %v", err)
		}
		c.Close()
	}
	got, _ := os.ReadFile(dev)
	if want := "first job\nsecond job\n"; string(got) != want {
		t.Errorf("device got %q, want %q", got, want)
	}

	missing := filepath.Join(dir, "lp9")
	tr, _ = NewTransport("file://" + missing)
	if _, err := tr.Open(context.Background()); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Open missing device: got %v, want an error naming %s", err, missing)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open created %s; a missing device must stay missing", missing)
	}
}
