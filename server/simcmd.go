package server

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"queuebox/server/queue"
	"queuebox/server/sim"
)

// exitError carries a command's exit code other than 1.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

const simUsage = `Usage:
  queuebox sim --trace FILE --out DIR [--policy fifo]
      play a queuebox-trace/1 file through the engine; writes DIR/tickets.jsonl and DIR/summary.json
  queuebox sim gen --out FILE [--days 30] [--load 0.95] [--seed 1] [--score-last N] [--tiers]
      write generated branch days as a trace
  queuebox sim export --from DATE --to DATE --out FILE [--data DIR]
      write a trace of the box's own history
`

func simCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "gen":
			return simGenCmd(args[1:], stdout, stderr)
		case "export":
			return simExportCmd(args[1:], stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, simUsage) }
	trace := fs.String("trace", "", "trace file (queuebox-trace/1)")
	out := fs.String("out", "", "output directory")
	policy := fs.String("policy", "", `"fifo" plays every ticket alike (the fairness baseline)`)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	switch {
	case *trace == "":
		return &exitError{2, errors.New("sim: --trace is required")}
	case *out == "":
		return &exitError{2, errors.New("sim: --out is required")}
	case *policy != "" && *policy != "fifo":
		return &exitError{2, fmt.Errorf("sim: --policy: %q is not a policy (use fifo, or leave it out for the box's own)", *policy)}
	}
	f, err := os.Open(*trace)
	if err != nil {
		return &exitError{2, fmt.Errorf("sim: %w", err)}
	}
	tr, err := sim.Read(f)
	f.Close()
	if err != nil {
		return &exitError{2, fmt.Errorf("sim: bad trace: %w", err)}
	}
	fifo := *policy == "fifo"
	lines, err := sim.Run(tr, sim.Options{FIFO: fifo})
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	sum, err := sim.Summarize(tr, lines, fifo)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if err := sim.Write(*out, lines, sum); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	printSummary(stdout, sum)
	return nil
}

func printSummary(w io.Writer, s *sim.Summary) {
	fmt.Fprintf(w, "%s — policy %s, %d days, %d scored\n", s.Trace, s.Policy, s.Days, s.DaysScored)
	fmt.Fprintf(w, "%-14s %7s %9s %9s %8s %8s %8s %8s %10s %9s %8s\n", "", "tickets", "rmse s", "QL rmse", "bias s", "±5 min", "under5", "range", "width s", "wait p95", "appt10")
	row := func(name string, f *sim.Figures) {
		r := func(p *float64) string {
			if p == nil {
				return "-"
			}
			return fmt.Sprintf("%.2f", *p)
		}
		v := func(p *float64) string {
			if p == nil {
				return "-"
			}
			return fmt.Sprintf("%.0f", *p)
		}
		fmt.Fprintf(w, "%-14s %7d %9.0f %9.0f %8.0f %8.2f %8.2f %8s %10s %9s %8s\n", name, f.Tickets, f.RMSESeconds, f.QL.RMSESeconds,
			f.BiasSeconds, f.Within5MinShare, f.UnderBy5MinShare, r(f.RangeHitShare), v(f.MeanRangeWidth), v(f.WaitP95Seconds), r(f.OnTimeCalledShare))
	}
	row("all", s.Overall)
	for _, k := range sortedKeys(s.Services) {
		row("service "+k, s.Services[k])
	}
	for _, k := range sortedKeys(s.Tiers) {
		row("tier "+k, s.Tiers[k])
	}
	if c := s.MaxWaitCap; c != nil {
		fmt.Fprintf(w, "max-wait cap (%d min): %d of %d calls broke it\n", c.CapMinutes, c.Violations, c.Calls)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func simGenCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("queuebox sim gen", flag.ContinueOnError)
	out := fs.String("out", "", "trace file to write")
	days := fs.Int("days", 30, "days to generate")
	load := fs.Float64("load", 0.95, "offered load (1 = the counters' nominal capacity)")
	seed := fs.Uint64("seed", 1, "random seed")
	score := fs.Int("score-last", 0, "days scored at the end (default a third)")
	tiers := fs.Bool("tiers", false, "add tiers and known customers")
	size := fs.Int("size", 1, "copies of the six-desk floor (1: about 280 customers a day)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if *out == "" {
		return &exitError{2, errors.New("sim gen: --out is required")}
	}
	// Generate takes 0 for "the default"; on the command line a 0 or a
	// negative is a mistake to name, not to replace silently.
	switch {
	case *days < 1 || *days > 3660:
		return usageError("sim gen: --days must be from 1 to 3660, not %d", *days)
	case *load <= 0 || *load > 5:
		return usageError("sim gen: --load must be above 0 and at most 5 (1 = the counters' nominal capacity), not %g", *load)
	case *size < 1 || *size > 100:
		return usageError("sim gen: --size must be from 1 to 100, not %d", *size)
	case *score < 0 || *score > *days:
		return usageError("sim gen: --score-last must be from 0 (a third of the days) to --days, not %d", *score)
	}
	tr := sim.Generate(sim.GenOptions{Days: *days, Load: *load, Seed: *seed, ScoreLast: *score, Tiers: *tiers, Size: *size})
	raw, err := json.Marshal(tr)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, raw, 0o644); err != nil {
		return fmt.Errorf("sim gen: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %d days to %s\n", len(tr.Days), *out)
	return nil
}

func simExportCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("queuebox sim export", flag.ContinueOnError)
	from := fs.String("from", "", "first local date, YYYY-MM-DD")
	to := fs.String("to", "", "last local date, YYYY-MM-DD")
	out := fs.String("out", "", "trace file to write")
	data := fs.String("data", envOr("QUEUEBOX_DATA", "./data"), "data directory (env QUEUEBOX_DATA)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"from", *from}, {"to", *to}} {
		if _, err := time.Parse("2006-01-02", f.v); err != nil {
			return &exitError{2, fmt.Errorf("sim export: --%s must be a date YYYY-MM-DD", f.name)}
		}
	}
	if *from > *to {
		return &exitError{2, fmt.Errorf("sim export: --from %s is after --to %s", *from, *to)}
	}
	if *out == "" {
		return &exitError{2, errors.New("sim export: --out is required")}
	}
	db, err := openExisting(*data)
	if err != nil {
		return err
	}
	defer db.Close()
	snap, err := db.Load()
	if err != nil {
		return fmt.Errorf("sim export: %w", err)
	}
	h := sim.History{Settings: queue.DefaultSettings(), Services: snap.Services, Counters: snap.Counters, Tiers: snap.Tiers}
	if snap.Settings != nil {
		h.Settings = *snap.Settings
	}
	start, _ := time.Parse("2006-01-02", *from)
	if h.Tickets, err = db.TicketsSince(start.Add(-48 * time.Hour)); err != nil {
		return fmt.Errorf("sim export: %w", err)
	}
	if h.Appointments, err = db.AppointmentsFrom(start.Add(-48 * time.Hour)); err != nil {
		return fmt.Errorf("sim export: %w", err)
	}
	tr, err := sim.Export(h, *from, *to)
	if err != nil {
		return fmt.Errorf("sim export: %w", err)
	}
	raw, err := json.Marshal(tr)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, raw, 0o644); err != nil {
		return fmt.Errorf("sim export: %w", err)
	}
	n := 0
	for _, d := range tr.Days {
		n += len(d.Customers)
	}
	fmt.Fprintf(stdout, "wrote %d days, %d customers to %s\n", len(tr.Days), n, *out)
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
