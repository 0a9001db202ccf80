package server

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"queuebox/printer"
	"queuebox/printer/printertest"
	"queuebox/server/access"
	"queuebox/server/config"
	"queuebox/server/store"
)

const usage = `queuebox — queue numbers and appointments for one branch

Usage:
  queuebox serve [flags]                  run the box
  queuebox version                        print the version
  queuebox user add NAME --role ROLE      add a user (staff or admin); password on stdin
  queuebox user passwd NAME               set a user's password; password on stdin
  queuebox restore FILE                   put a backup back (the server must be stopped)
  queuebox compact [serve flags]          turn days past retention_days into daily totals and
                                          shrink the database file (the server must be stopped)
  queuebox print-test --printer URL       print a sample ticket (--width 58|80, --lang zh|en, --native-qr)
  queuebox fake-printer [--addr HOST:PORT] [--mode healthy|paper_out|…]
                                          a pretend network printer, to try printing without one
  queuebox sim --trace FILE --out DIR [--policy fifo]
                                          play a day trace through the engine and score the wait estimate
  queuebox sim gen|export ...             make a trace (generated days, or the box's own history)
  queuebox demo --config FILE --data DIR [--days 28] [--seed 1]
                                          make a NEW box with four weeks of made-up past days,
                                          to try the reports (refuses a directory with a database)

Every command takes --data DIR (env QUEUEBOX_DATA, default ./data).

serve flags:
`

// Main runs the command line and returns the exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage+config.Usage())
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "queuebox %s (schema %d)\n", Version, store.SchemaVersion())
	case "user":
		err = userCmd(args[1:], stdin, stdout, stderr)
	case "restore":
		err = restoreCmd(args[1:], stdout, stderr)
	case "compact":
		err = compactCmd(args[1:], stdout, stderr)
	case "print-test":
		err = printTestCmd(ctx, args[1:], stdout, stderr)
	case "fake-printer":
		err = fakePrinterCmd(ctx, args[1:], stdout, stderr)
	case "sim":
		err = simCmd(args[1:], stdout, stderr)
	case "demo":
		err = demoCmd(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage+config.Usage())
	default:
		fmt.Fprintf(stderr, "queuebox: unknown command %q\n\n%s%s", args[0], usage, config.Usage())
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0 // the usage was asked for and printed
		}
		fmt.Fprintf(stderr, "queuebox: %v\n", err)
		var ee *exitError
		var ue *config.UsageError
		switch {
		case errors.As(err, &ee):
			return ee.code
		case errors.As(err, &ue):
			return 2
		}
		return 1
	}
	return 0
}

// parseFlags parses a command's flags: --help is flag.ErrHelp (exit 0, the
// usage printed), anything the flags cannot read a usage error (exit 2).
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	err := fs.Parse(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &exitError{2, err}
}

// usageError is a command line the command cannot use (exit 2).
func usageError(format string, a ...any) error {
	return &exitError{2, fmt.Errorf(format, a...)}
}

// openExisting is openOffline for the commands that work on a box's data
// (compact, sim export, user passwd): a directory without a database is a
// mistyped --data, not an empty box, and no database is made there.
func openExisting(dir string) (*store.DB, error) {
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err != nil {
		return nil, fmt.Errorf("no database in %s (%s missing): is --data (or QUEUEBOX_DATA) right?", dir, store.FileName)
	}
	return openOffline(dir)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	s, err := New(cfg, log, Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	scheme := "http"
	if cfg.TLS.Cert != "" {
		scheme = "https"
	}
	if s.publicURL == "" {
		s.publicURL = guessPublicURL(ln.Addr(), scheme == "https")
	}
	local := scheme + "://" + ln.Addr().String()
	if ta, ok := ln.Addr().(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		local = fmt.Sprintf("%s://localhost:%d", scheme, ta.Port)
	}
	fmt.Fprintf(stdout, "queuebox %s serving %q with data in %s\n", Version, s.engine.Settings().BranchName, cfg.Data)
	for _, n := range s.Notices {
		fmt.Fprintf(stdout, "  ! %s\n", n)
	}
	fmt.Fprintf(stdout, "  kiosk    %s/kiosk/   (pair a kiosk in the admin page, Devices)\n", local)
	fmt.Fprintf(stdout, "  display  %s/display/\n", local)
	fmt.Fprintf(stdout, "  console  %s/console/\n", local)
	fmt.Fprintf(stdout, "  admin    %s/admin/\n", local)
	fmt.Fprintf(stdout, "  booking  %s/book/\n", local)
	fmt.Fprintf(stdout, "  phones reach the box at %s\n", s.publicURL)
	return s.Serve(ctx, ln)
}

// openOffline opens the database for a maintenance command, refusing when a
// server holds it.
func openOffline(dir string) (*store.DB, error) {
	db, err := store.Open(dir, store.Options{LockTimeout: 300 * time.Millisecond})
	if errors.Is(err, store.ErrLocked) {
		return nil, fmt.Errorf("refusing: a queuebox server is running on %s and holds the database; stop it first, or use the admin page", dir)
	}
	return db, err
}

func readPassword(stdin io.Reader) (string, error) {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("no password on standard input (e.g. echo 'secret-pass' | queuebox user add NAME --role staff)")
	}
	return pw, nil
}

const userUsage = `Usage:
  queuebox user add NAME --role staff|admin [--data DIR]   add a user; the password is read from stdin
  queuebox user passwd NAME [--data DIR]                   set a user's password, read from stdin
`

func userCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fmt.Fprint(stderr, userUsage)
			return flag.ErrHelp
		}
	}
	if len(args) < 2 || (args[0] != "add" && args[0] != "passwd") || strings.HasPrefix(args[1], "-") {
		return usageError("usage: queuebox user add NAME --role staff|admin  |  queuebox user passwd NAME (password on stdin)")
	}
	sub, name := args[0], args[1]
	fs := flag.NewFlagSet("queuebox user "+sub, flag.ContinueOnError)
	def := os.Getenv("QUEUEBOX_DATA")
	if def == "" {
		def = "./data"
	}
	data := fs.String("data", def, "data directory (env QUEUEBOX_DATA)")
	role := fs.String("role", "", "staff or admin")
	if err := parseFlags(fs, args[2:], stderr); err != nil {
		return err
	}
	if access.CheckUsername(name) != nil {
		return usageError("user name %q: use 1–32 characters of a-z, 0-9, '.', '_' and '-'", name)
	}
	open := openExisting // passwd needs the box's database
	if sub == "add" {
		if _, err := access.ParseRole(*role); err != nil {
			return usageError("--role must be staff or admin")
		}
		open = openOffline // the first admin may be added before the first start
	}
	db, err := open(*data)
	if err != nil {
		return err
	}
	defer db.Close()
	existing, err := db.User(name)
	switch {
	case sub == "add" && err == nil:
		return fmt.Errorf("user %q already exists; use queuebox user passwd %s", name, name)
	case sub == "passwd" && errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("no user %q", name)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return err
	}
	pw, err := readPassword(stdin)
	if err != nil {
		return err
	}
	hash, err := HashPassword(pw)
	if err != nil {
		return err
	}
	if sub == "add" {
		existing = store.User{Username: name, Role: *role, CreatedAt: time.Now()}
	}
	existing.Hash = hash
	if err := db.PutUser(existing); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %s (%s) saved\n", name, existing.Role)
	return nil
}

// restoreCmd replaces the database with a backup after checking the backup
// opens and is not newer than this binary. The old file is kept beside it.
func restoreCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("queuebox restore", flag.ContinueOnError)
	def := os.Getenv("QUEUEBOX_DATA")
	if def == "" {
		def = "./data"
	}
	data := fs.String("data", def, "data directory (env QUEUEBOX_DATA)")
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" {
		return usageError("usage: queuebox restore BACKUP_FILE [--data DIR]")
	}
	// Check the backup in a scratch directory: it must open and migrate.
	tmp, err := os.MkdirTemp("", "queuebox-restore-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := copyFile(file, filepath.Join(tmp, store.FileName)); err != nil {
		return fmt.Errorf("read backup: %w", err)
	}
	check, err := store.Open(tmp, store.Options{})
	if err != nil {
		return fmt.Errorf("backup %s is not usable: %w", file, err)
	}
	if _, err := check.Load(); err != nil {
		check.Close()
		return fmt.Errorf("backup %s is not usable: %w", file, err)
	}
	check.Close()

	// Holding the live database's lock proves no server runs while we swap.
	cur, err := openOffline(*data)
	if err != nil {
		return err
	}
	target := cur.Path()
	cur.Close()
	if _, err := os.Stat(target); err == nil {
		old := target + ".before-restore-" + time.Now().Format("20060102-150405")
		if err := os.Rename(target, old); err != nil {
			return fmt.Errorf("keep the current database: %w", err)
		}
		fmt.Fprintf(stdout, "kept the previous database as %s\n", old)
	}
	if err := copyFile(filepath.Join(tmp, store.FileName), target); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "restored %s into %s\n", file, target)
	return nil
}

// copyFile copies src to dst (0600) and syncs it to disk.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func printTestCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("queuebox print-test", flag.ContinueOnError)
	url := fs.String("printer", os.Getenv("QUEUEBOX_PRINTER"), "printer URL: tcp://HOST:9100 or file:///dev/usb/lp0 (env QUEUEBOX_PRINTER)")
	width := fs.Int("width", 80, "paper width in mm: 58 or 80")
	lang := fs.String("lang", "", "zh, en or empty for both")
	native := fs.Bool("native-qr", false, "use the printer's own QR command")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *url == "" || *url == "none" {
		return errors.New("--printer URL is required, e.g. --printer tcp://192.168.1.50:9100")
	}
	o := printer.Options{Width: printer.Width80mm, Lang: *lang, NativeQR: *native}
	if *width == 58 {
		o.Width = printer.Width58mm
	} else if *width != 80 {
		return errors.New("--width must be 58 or 80")
	}
	job, err := printer.Encode(printer.SampleTicket(), o)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	h, err := printer.Print(ctx, *url, job)
	if err != nil {
		return fmt.Errorf("print on %s: %w", *url, err)
	}
	fmt.Fprintf(stdout, "sample ticket sent to %s (%d bytes); printer state: %s\n", *url, len(job), h.State)
	return nil
}

// fakePrinterCmd runs the fake printer of the tests as a command, so the
// printing path can be tried on a box without a printer.
func fakePrinterCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("queuebox fake-printer", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9100", "address to listen on")
	mode := fs.String("mode", "healthy", "healthy, near_end, paper_out, cover_open, silent, hang or refuse")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	m, err := printertest.ParseMode(*mode)
	if err != nil {
		return err
	}
	p, err := printertest.Start(*addr)
	if err != nil {
		return err
	}
	defer p.Close()
	if err := p.SetMode(m); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fake printer at %s (mode %s); start queuebox with --printer %s\n", p.Addr(), m, p.URL())
	fmt.Fprintln(stdout, "type a mode name and Enter to switch (healthy, paper_out, cover_open, hang, refuse); Ctrl-C stops")
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			lines <- strings.TrimSpace(sc.Text())
		}
		close(lines)
	}()
	printed := 0
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case l, ok := <-lines:
			if !ok {
				lines = nil
				continue
			}
			if m, err := printertest.ParseMode(l); err != nil {
				fmt.Fprintln(stdout, err)
			} else if err := p.SetMode(m); err != nil {
				fmt.Fprintln(stdout, err)
			} else {
				fmt.Fprintf(stdout, "mode: %s\n", m)
			}
		case <-tick.C:
			if n := len(p.Jobs()); n > printed {
				fmt.Fprintf(stdout, "printed %d ticket(s)\n", n-printed)
				printed = n
			}
		}
	}
}
