package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for the benchtool binary when the
// run re-executes itself as a server.
func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(childMain(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// TestRunTiny runs every section with tiny sizes and checks that the report
// names every figure with a value. The values themselves are timings, which
// belong to make bench, not to a pass/fail test.
func TestRunTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("starts several servers")
	}
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{
		"-issue-clients", "1,4", "-issue-time", "100ms", "-issue-max", "100",
		"-fanout", "2,5", "-calls", "2",
		"-history", "400", "-active", "3", "-restarts", "1", "-reads", "5",
		"-report-tickets", "400", "-report-reads", "1",
		"-out", out, "-q",
	}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("run = %d, want 0\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	if !strings.Contains(stdout.String(), "load average before") {
		t.Errorf("the table does not give the load average:\n%s", &stdout)
	}

	rep := readReport(t, out)
	if len(rep.LoadAvg) != 2 {
		t.Errorf("loadavg = %q, want before and after", rep.LoadAvg)
	}
	// CPU time comes in 10 ms ticks, which runs this small may not reach:
	// those figures need a value only.
	cpuFigures := map[string]bool{"webhooks_issue_cpu": true, "webhooks_delivery_cpu": true}
	got := map[string]bool{}
	for _, f := range rep.Figures {
		got[f.ID] = true
		if cpuFigures[f.ID] && f.Value != nil {
			continue
		}
		if f.Value == nil || f.Baseline == nil || f.Ratio == nil {
			t.Errorf("figure %s: value %v, baseline %v, ratio %v (error %q), want all three", f.ID, f.Value, f.Baseline, f.Ratio, f.Error)
		}
	}
	want := []string{
		"issue_rate_c1", "issue_p50_c1", "issue_p99_c1", "issue_cpu_c1", "issue_allocs_c1",
		"issue_rate_c4", "issue_p50_c4", "issue_p99_c4", "issue_cpu_c4", "issue_allocs_c4",
		"webhooks_issue_rate", "webhooks_issue_cpu", "webhooks_delivery_cpu",
		"fanout_p50_n2", "fanout_p99_n2", "fanout_cpu_n2", "mem_per_conn_n2", "fanout_p50_n5", "fanout_p99_n5", "fanout_cpu_n5", "mem_per_conn_n5",
		"startup", "bytes_per_ticket", "queue_p50", "queue_p99", "status_past_p50", "status_past_p99", "status_live_p50", "status_live_p99",
		"report_summary", "report_csv", "report_chart", "report_today", "report_today_live",
	}
	for _, id := range want {
		if !got[id] {
			t.Errorf("the report has no figure %s", id)
		}
	}
	if len(rep.Figures) != len(want) {
		t.Errorf("the report has %d figures, want %d", len(rep.Figures), len(want))
	}
}

// benchReport is what the tests read of a run's JSON report.
type benchReport struct {
	LoadAvg []string `json:"loadavg"`
	Figures []struct {
		ID       string   `json:"id"`
		Section  string   `json:"section"`
		Value    *float64 `json:"value"`
		Baseline *float64 `json:"baseline"`
		Ratio    *float64 `json:"ratio"`
		Error    string   `json:"error"`
	} `json:"figures"`
}

// readReport reads the one report a run wrote into out.
func readReport(t *testing.T, out string) benchReport {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(out, "bench-*.json"))
	if len(files) != 1 {
		t.Fatalf("reports in %s: %v, want one", out, files)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var rep benchReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	return rep
}

// TestRunOnlySection runs one section: the sections left out are not in
// the report, and a run whose own figures were all measured succeeds.
func TestRunOnlySection(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers")
	}
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"-only", "issue", "-issue-clients", "1,4", "-issue-time", "100ms", "-issue-max", "50", "-out", out, "-q"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("run -only issue = %d, want 0\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	rep := readReport(t, out)
	if len(rep.Figures) != 10 {
		t.Errorf("the report has %d figures, want the issue section's 10", len(rep.Figures))
	}
	for _, f := range rep.Figures {
		if f.Section != "issue" || f.Value == nil {
			t.Errorf("figure %s of section %s (value %v): want only the issue section's, measured", f.ID, f.Section, f.Value)
		}
	}
	if strings.Contains(stdout.String(), "skipped") {
		t.Errorf("the table lists the sections left out:\n%s", &stdout)
	}
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"-quick"}, true},
		{[]string{"-quick", "-history", "50"}, true},
		{[]string{"-fanout", "100,10"}, false},
		{[]string{"-issue-clients", "0"}, false},
		{[]string{"-only", "issue,nothing"}, false},
		{[]string{"extra"}, false},
	} {
		_, err := parseFlags(tc.args, &bytes.Buffer{})
		if got := err == nil; got != tc.ok {
			t.Errorf("parseFlags(%q): err = %v, want ok = %v", tc.args, err, tc.ok)
		}
	}
	o, err := parseFlags([]string{"-quick", "-history", "50"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if o.history != 50 || o.calls != 8 {
		t.Errorf("-quick -history 50: history %d, calls %d; want 50 (given) and 8 (quick)", o.history, o.calls)
	}
}
