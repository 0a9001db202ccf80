package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOrder(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "q.yaml")
	os.WriteFile(file, []byte("addr: \":7000\"\ndata: /from/file\nlog_level: warn\nprinter: {url: \"tcp://10.0.0.9:9100\"}\n"), 0o600)
	env := map[string]string{"QUEUEBOX_DATA": "/from/env", "QUEUEBOX_LOG_LEVEL": "error"}
	getenv := func(k string) string { return env[k] }
	c, err := Load([]string{"--config", file, "--log-level", "debug"}, getenv, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	// flags > env > file > defaults
	if c.LogLevel != "debug" || c.Data != "/from/env" || c.Addr != ":7000" || c.Printer.URL != "tcp://10.0.0.9:9100" {
		t.Errorf("got log_level %q data %q addr %q printer %q", c.LogLevel, c.Data, c.Addr, c.Printer.URL)
	}
	d, err := Load(nil, func(string) string { return "" }, os.Stderr)
	if err != nil || d.Addr != ":8080" || d.Data != "./data" || d.Printer.URL != "none" {
		t.Errorf("defaults: %+v %v", d, err)
	}
}

func TestBadConfigNamesTheKey(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"bogus: 1\n", "unknown key bogus"},
		{"branch: {nmae: x}\n", "unknown key nmae"},
		{"\"\": 5\n", `line 1: unknown key ""`},
		{"public_url: \"192.168.1.2\"\n", "public_url"},
		{"log_level: loud\n", "log_level"},
		{"printer: {width_mm: 60}\n", "printer.width_mm"},
		{"services: [{id: 5, prefix: [1]}]\n", "line 1"},
	}
	for _, tt := range tests {
		file := filepath.Join(t.TempDir(), "q.yaml")
		os.WriteFile(file, []byte(tt.yaml), 0o600)
		_, err := Load([]string{"--config", file}, func(string) string { return "" }, os.Stderr)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want it to mention %q", tt.yaml, err, tt.want)
		}
	}
}

func TestExampleConfigLoads(t *testing.T) {
	c, err := Load([]string{"--config", "../../configs/queuebox.yaml"}, func(string) string { return "" }, os.Stderr)
	if err != nil {
		t.Fatalf("the demo config does not load: %v", err)
	}
	if len(c.Services) < 3 || len(c.Counters) < 3 || c.Branch.Timezone != "Asia/Shanghai" {
		t.Errorf("demo config: %d services, %d counters, tz %q", len(c.Services), len(c.Counters), c.Branch.Timezone)
	}
}
