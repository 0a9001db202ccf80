// Command benchtool measures queuebox on this machine and prints one table:
// durable ticket issue, call → status page push latency and memory per
// connection, and start-up and reads with a year of history. Each figure is
// set against a bare handler doing the same work in the same run (or, for
// the history figures, the same server without history), so the table says
// how close the box comes to what the machine allows.
//
// The server under test is the real one, run by its own command line in a
// child process (this binary re-executed), so its memory is measured apart
// from the load generator's. Every figure is bounded in requests and time,
// and the tool talks to 127.0.0.1 only.
//
//	go run ./server/benchtool            # the full run (make bench)
//	go run ./server/benchtool -quick     # a smoke run of a few seconds
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(childMain(mode, os.Args[1:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the sizes of one run.
type options struct {
	out          string
	issueClients []int
	issueTime    time.Duration // measured time per target and client count
	issueMax     int           // requests per target and client count
	fanout       []int
	calls        int
	history      int
	active       int // tickets still waiting when the history ends
	restarts     int
	reads        int
	// reportTickets is the year of tickets the reports are timed over.
	reportTickets int
	reportReads   int
	profile       string
	timeout       time.Duration
	quiet         bool
	only          map[string]bool // sections to run; nil for all
}

// quickValues replace the defaults of flags not given with -quick.
var quickValues = map[string]string{
	"issue-time":     "400ms",
	"fanout":         "50,200",
	"calls":          "8",
	"history":        "20000",
	"restarts":       "1",
	"reads":          "200",
	"report-tickets": "20000",
	"report-reads":   "2",
	"timeout":        "3m",
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("benchtool", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	quick := fs.Bool("quick", false, "a smoke run of a few seconds (smaller sizes for every flag not given)")
	fs.StringVar(&o.out, "out", filepath.Join("bench", "out"), "directory for the JSON report (\"\" for none)")
	clients := fs.String("issue-clients", "1,16,64", "concurrent clients of the issue figures")
	fs.DurationVar(&o.issueTime, "issue-time", 3*time.Second, "measured time per handler and client count")
	fs.IntVar(&o.issueMax, "issue-max", 60000, "at most this many requests per handler and client count")
	fanout := fs.String("fanout", "100,1000,5000", "status-page websocket clients of the call → display figures")
	fs.IntVar(&o.calls, "calls", 120, "calls measured per fan-out size (the p99 over every phone of every call: with fewer, one slow call decides it)")
	fs.IntVar(&o.history, "history", 1000000, "historical tickets written before the start-up figures")
	fs.IntVar(&o.active, "active", 30, "tickets waiting when the history ends")
	fs.IntVar(&o.restarts, "restarts", 3, "restarts timed per start-up figure (the median is reported)")
	fs.IntVar(&o.reads, "reads", 1000, "requests per read-latency figure")
	fs.IntVar(&o.reportTickets, "report-tickets", 250000, "tickets of the generated year the reports are timed over")
	fs.IntVar(&o.reportReads, "report-reads", 5, "requests per report figure (the median is reported)")
	fs.StringVar(&o.profile, "profile", "", "write CPU profiles of the server processes into this directory")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up after this long")
	fs.BoolVar(&o.quiet, "q", false, "print only the table")
	only := fs.String("only", "", "run only these sections (issue, webhooks, fanout, history, reports), comma separated")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *quick {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		for name, v := range quickValues {
			if !given[name] {
				if err := fs.Set(name, v); err != nil {
					return nil, err
				}
			}
		}
	}
	var err error
	if o.issueClients, err = intList("issue-clients", *clients); err != nil {
		return nil, err
	}
	if o.fanout, err = intList("fanout", *fanout); err != nil {
		return nil, err
	}
	if *only != "" {
		o.only = map[string]bool{}
		for _, name := range strings.Split(*only, ",") {
			name = strings.TrimSpace(name)
			if !slices.Contains(sectionNames, name) {
				return nil, fmt.Errorf("-only: %q is not one of %s", name, strings.Join(sectionNames, ", "))
			}
			o.only[name] = true
		}
	}
	switch {
	case o.issueTime <= 0 || o.issueMax < 1:
		return nil, errors.New("-issue-time and -issue-max must be positive")
	case o.calls < 1 || o.reads < 1 || o.restarts < 1 || o.reportReads < 1 || o.reportTickets < 1:
		return nil, errors.New("-calls, -reads, -restarts, -report-reads and -report-tickets must be at least 1")
	case o.history < 1 || o.active < 1:
		return nil, errors.New("-history and -active must be at least 1")
	}
	return o, nil
}

func intList(name, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-%s: %q is not a list of positive numbers", name, s)
		}
		if len(out) > 0 && n <= out[len(out)-1] {
			return nil, fmt.Errorf("-%s: %q must be in increasing order", name, s)
		}
		out = append(out, n)
	}
	return out, nil
}

// run measures, prints the table and writes the report. It returns 1 when a
// figure could not be measured; a missed aim is a result, not a failure.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "benchtool: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	progress := io.Writer(stderr)
	if o.quiet {
		progress = io.Discard
	}
	b, err := newBench(o, progress)
	if err != nil {
		fmt.Fprintf(stderr, "benchtool: %v\n", err)
		return 1
	}
	defer b.cleanup()
	rep := b.measure(ctx)

	printTable(stdout, rep)
	if o.out != "" {
		path, err := writeReport(o.out, rep)
		if err != nil {
			fmt.Fprintf(stderr, "benchtool: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "\nreport: %s\n", path)
	}
	if n := rep.missing(); n > 0 {
		fmt.Fprintf(stderr, "benchtool: %d figure(s) could not be measured\n", n)
		return 1
	}
	return 0
}

// sectionNames are the parts of a run, in the order they run.
var sectionNames = []string{"issue", "webhooks", "fanout", "history", "reports"}

// bench holds what a run shares: its options, scratch directory and report.
type bench struct {
	o        *options
	log      io.Writer
	exe      string
	tmp      string
	rep      *report
	children []*child
}

func newBench(o *options, log io.Writer) (*bench, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	tmp, err := os.MkdirTemp("", "queuebox-bench-")
	if err != nil {
		return nil, err
	}
	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			os.RemoveAll(tmp)
			return nil, err
		}
	}
	return &bench{o: o, log: log, exe: exe, tmp: tmp}, nil
}

// cleanup stops any child a failed section left running and removes the
// scratch directory (a year of history is gigabytes).
func (b *bench) cleanup() {
	for _, c := range b.children {
		c.stop()
	}
	os.RemoveAll(b.tmp)
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "bench: "+format+"\n", args...)
}

func (b *bench) measure(ctx context.Context) *report {
	b.rep = newReport(b.o)
	start := time.Now()
	sections := map[string]func(context.Context) error{
		"issue": b.issue, "webhooks": b.webhookSection, "fanout": b.fanoutSection, "history": b.historySection, "reports": b.reportsSection,
	}
	for _, name := range sectionNames {
		if b.o.only != nil && !b.o.only[name] {
			continue // its figures are not in the report
		}
		if err := ctx.Err(); err != nil {
			b.rep.failSection(name, err)
			continue
		}
		settle()
		t := time.Now()
		if err := sections[name](ctx); err != nil {
			b.logf("%s: %v", name, err)
			b.rep.failSection(name, err)
		}
		b.logf("%s done in %s", name, time.Since(t).Round(time.Millisecond))
	}
	b.rep.finish(time.Since(start))
	return b.rep
}

// dir makes a fresh directory in the run's scratch space.
func (b *bench) dir(name string) (string, error) {
	return os.MkdirTemp(b.tmp, name+"-")
}

// dataDir makes a fresh data directory whose database has the admin.
func (b *bench) dataDir(name string) (string, error) {
	dir, err := b.dir(name)
	if err != nil {
		return "", err
	}
	return dir, seedAdmin(dir)
}

func hostInfo() map[string]any {
	return map[string]any{
		"go":   runtime.Version(),
		"os":   runtime.GOOS + "/" + runtime.GOARCH,
		"cpus": runtime.NumCPU(),
	}
}
