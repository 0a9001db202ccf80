package server

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"queuebox/server/store"
)

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLIUserCommands(t *testing.T) {
	dir := t.TempDir()
	if code, out, errs := runCLI(t, "s3cret-pass\n", "user", "add", "ann", "--role", "staff", "--data", dir); code != 0 {
		t.Fatalf("user add: %d %s %s", code, out, errs)
	}
	if code, _, errs := runCLI(t, "other-pass\n", "user", "add", "ann", "--role", "staff", "--data", dir); code == 0 || !strings.Contains(errs, "already exists") {
		t.Errorf("adding ann twice: %d %q", code, errs)
	}
	if code, _, errs := runCLI(t, "short\n", "user", "passwd", "ann", "--data", dir); code == 0 || !strings.Contains(errs, "at least 8") {
		t.Errorf("short password: %d %q", code, errs)
	}
	if code, _, errs := runCLI(t, "new-password-1\n", "user", "passwd", "ann", "--data", dir); code != 0 {
		t.Fatalf("passwd: %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "x\n", "user", "add", "bob", "--role", "boss", "--data", dir); code == 0 || !strings.Contains(errs, "--role") {
		t.Errorf("bad role: %d %q", code, errs)
	}
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.User("ann")
	if err != nil || u.Role != "staff" || bcrypt.CompareHashAndPassword(u.Hash, []byte("new-password-1")) != nil {
		t.Errorf("ann after passwd: %+v %v", u, err)
	}
	// While something holds the database (a running server), the commands refuse.
	code, _, errs := runCLI(t, "another-pass\n", "user", "add", "cid", "--role", "admin", "--data", dir)
	if code == 0 || !strings.Contains(errs, "server is running") {
		t.Errorf("user add while the database is held: %d %q", code, errs)
	}
	if code, _, errs := runCLI(t, "", "restore", filepath.Join(dir, store.FileName), "--data", dir); code == 0 || !strings.Contains(errs, "server is running") {
		t.Errorf("restore while the database is held: %d %q", code, errs)
	}
	db.Close()
}

func TestCLIVersionAndUsage(t *testing.T) {
	if code, out, _ := runCLI(t, "", "version"); code != 0 || !strings.HasPrefix(out, "queuebox ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, errs := runCLI(t, ""); code != 2 || !strings.Contains(errs, "queuebox serve") {
		t.Errorf("no command: %d %q", code, errs)
	}
	if code, _, errs := runCLI(t, "", "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errs)
	}
}

func TestServeRefusesABadConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bad.yaml")
	os.WriteFile(cfg, []byte("branch: {timezone: Asia/Shanghai}\nservices:\n  - {id: general, prefix: a1, name: General, avg_service_seconds: 300}\n"), 0o600)
	code, _, errs := runCLI(t, "", "serve", "--config", cfg, "--data", filepath.Join(dir, "data"), "--addr", "127.0.0.1:0")
	if code == 0 || !strings.Contains(errs, "services[0].prefix") {
		t.Errorf("bad prefix: %d %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Errorf("a refused config still created the data directory")
	}
	os.WriteFile(cfg, []byte("branch: {timezone: Mars/Base}\n"), 0o600)
	if code, _, errs := runCLI(t, "", "serve", "--config", cfg, "--data", filepath.Join(dir, "data"), "--addr", "127.0.0.1:0"); code == 0 || !strings.Contains(errs, "branch.timezone") {
		t.Errorf("bad timezone: %d %q", code, errs)
	}
}

// Every command answers --help with its usage and exit 0, a flag it does not
// know with exit 2 (a usage error), as scripts and ops people expect.
func TestCLIHelpAndBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"serve", "--help"}, {"compact", "--help"}, {"compact", "-h"},
		{"sim", "--help"}, {"sim", "gen", "--help"}, {"sim", "export", "--help"},
		{"user", "--help"}, {"user", "add", "--help"}, {"user", "passwd", "-h"},
		{"restore", "--help"}, {"print-test", "--help"}, {"fake-printer", "--help"},
	} {
		code, out, errs := runCLI(t, "", args...)
		if code != 0 || !strings.Contains(out+errs, "Usage") || !strings.Contains(out+errs, "queuebox "+args[0]) {
			t.Errorf("%v: exit %d, want 0 and the usage; got %q %q", args, code, out, errs)
		}
	}
	if _, out, errs := runCLI(t, "", "compact", "--help"); !strings.Contains(out+errs, "queuebox compact") || strings.Contains(out+errs, "queuebox serve") {
		t.Errorf("compact --help names another command: %q", out+errs)
	}
	for _, args := range [][]string{
		{"serve", "--bogus"}, {"compact", "--bogus"}, {"sim", "--bogus"}, {"sim", "export", "--bogus"},
		{"user", "add", "ann", "--bogus"}, {"user", "frob"}, {"restore", "x.db", "--bogus"}, {"restore"},
		{"print-test", "--bogus"}, {"fake-printer", "--bogus"},
		{"sim", "export", "--from", "2026-12-07", "--to", "2026-12-01", "--out", filepath.Join(dir, "t.json"), "--data", dir},
		{"sim", "gen", "--out", filepath.Join(dir, "g.json"), "--days", "0"},
		{"sim", "gen", "--out", filepath.Join(dir, "g.json"), "--days", "-3"},
		{"sim", "gen", "--out", filepath.Join(dir, "g.json"), "--load", "-1"},
		{"sim", "gen", "--out", filepath.Join(dir, "g.json"), "--days", "2", "--score-last", "5"},
	} {
		if code, _, errs := runCLI(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage); stderr %q", args, code, errs)
		}
	}
}

// A maintenance command pointed at a directory without a database says so
// and leaves no empty database behind (a mistyped --data must not look like
// a box with no history).
func TestCLIRefusesAMissingDatabase(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "typo")
	for _, args := range [][]string{
		{"compact", "--data", missing},
		{"sim", "export", "--from", "2026-12-01", "--to", "2026-12-07", "--out", filepath.Join(t.TempDir(), "t.json"), "--data", missing},
		{"user", "passwd", "ann", "--data", missing},
	} {
		code, _, errs := runCLI(t, "new-password-1\n", args...)
		if code == 0 || !strings.Contains(errs, "no database") {
			t.Errorf("%v: exit %d %q, want an error naming the missing database", args, code, errs)
		}
		if _, err := os.Stat(missing); !os.IsNotExist(err) {
			t.Fatalf("%v created %s", args, missing)
		}
	}
}

// A start that cannot serve (a certificate that cannot be read, a bad
// printer flag) stops before it makes a database, an admin and its one-time
// password, and says which setting is wrong without naming a config file
// that was not given.
func TestServeRefusesBadFlagsBeforeMakingADatabase(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", filepath.Join(dir, "none.pem"), "--tls-key", filepath.Join(dir, "none.key")}, "tls certificate"},
		{[]string{"--printer", "ftp://x"}, "printer url"},
	} {
		code, out, errs := runCLI(t, "", append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, tt.args...)...)
		if code == 0 || !strings.Contains(errs, tt.want) || strings.Contains(errs, "config :") {
			t.Errorf("%v: exit %d %q, want a refusal naming %q", tt.args, code, errs, tt.want)
		}
		if strings.Contains(out, "serving") || strings.Contains(out, "password") {
			t.Errorf("%v: printed %q before refusing", tt.args, out)
		}
		if _, err := os.Stat(data); !os.IsNotExist(err) {
			t.Fatalf("%v: the refused start made %s", tt.args, data)
		}
	}
}
