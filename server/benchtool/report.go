package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// figure is one row of the table. Value and Baseline are nil until
// measured; Ratio is Value/Baseline.
type figure struct {
	ID         string   `json:"id"`
	Section    string   `json:"section"`
	Label      string   `json:"label"`
	Unit       string   `json:"unit"`
	Value      *float64 `json:"value"`
	Baseline   *float64 `json:"baseline"`
	BaselineOf string   `json:"baseline_of,omitempty"`
	Ratio      *float64 `json:"ratio"`
	Aims       []*aim   `json:"aims,omitempty"`
	Pass       *bool    `json:"pass,omitempty"`
	Error      string   `json:"error,omitempty"`
}

// aim is a target a figure is held to: its value or its ratio to the
// baseline, at most or at least a limit.
type aim struct {
	Of    string  `json:"of"` // "value" or "ratio"
	Op    string  `json:"op"` // "<=" or ">="
	Limit float64 `json:"limit"`
	Text  string  `json:"text"`
	Pass  *bool   `json:"pass"`
}

type report struct {
	mu       sync.Mutex
	Started  time.Time      `json:"started"`
	Seconds  float64        `json:"seconds"`
	Host     map[string]any `json:"host"`
	LoadAvg  []string       `json:"loadavg"` // before and after the run
	Options  map[string]any `json:"options"`
	Figures  []*figure      `json:"figures"`
	Details  map[string]any `json:"details"`
	byID     map[string]*figure
	sections map[string][]*figure
}

// newReport declares every figure the options ask for, so that the report
// names each one even when its section fails.
func newReport(o *options) *report {
	r := &report{
		Started: time.Now(), Host: hostInfo(), LoadAvg: []string{loadAvg()},
		Options: map[string]any{
			"issue_clients": o.issueClients, "issue_time": o.issueTime.String(), "issue_max": o.issueMax,
			"fanout": o.fanout, "calls": o.calls, "history": o.history, "active": o.active,
			"restarts": o.restarts, "reads": o.reads, "report_tickets": o.reportTickets, "report_reads": o.reportReads,
		},
		Details: map[string]any{}, byID: map[string]*figure{}, sections: map[string][]*figure{},
	}
	maxC := o.issueClients[len(o.issueClients)-1]
	for _, c := range o.issueClients {
		who := fmt.Sprintf("%d clients", c)
		if c == 1 {
			who = "1 client"
		}
		f := r.add("issue", fmt.Sprintf("issue_rate_c%d", c), "issue, tickets/s, "+who, "/s")
		if c == maxC {
			f.aim("ratio", ">=", 0.9, "≥0.9× bare")
		}
		f = r.add("issue", fmt.Sprintf("issue_p50_c%d", c), "issue p50, "+who, "ms")
		if c == 1 {
			f.aim("value", "<=", 1.5, "≤1.5 ms")
		}
		r.add("issue", fmt.Sprintf("issue_p99_c%d", c), "issue p99, "+who, "ms")
		r.add("issue", fmt.Sprintf("issue_cpu_c%d", c), "issue, CPU per ticket, "+who, "µs")
		r.add("issue", fmt.Sprintf("issue_allocs_c%d", c), "issue, allocations per ticket, "+who, "allocs")
	}
	f := r.add("webhooks", "webhooks_issue_rate", fmt.Sprintf("issue with 3 webhooks (1 dead), %d clients", maxC), "/s")
	f.aim("ratio", ">=", 0.95, "≥0.95× no webhooks")
	r.add("webhooks", "webhooks_issue_cpu", fmt.Sprintf("server CPU per ticket issued, 3 webhooks, %d clients", maxC), "ms")
	r.add("webhooks", "webhooks_delivery_cpu", "server CPU per ticket delivering to 3 webhooks after the load", "ms")
	maxN := o.fanout[len(o.fanout)-1]
	for _, n := range o.fanout {
		r.add("fanout", fmt.Sprintf("fanout_p50_n%d", n), fmt.Sprintf("call → status page p50, %d phones", n), "ms")
		f := r.add("fanout", fmt.Sprintf("fanout_p99_n%d", n), fmt.Sprintf("call → status page p99, %d phones", n), "ms")
		switch {
		case n >= 5000:
			f.aim("ratio", "<=", 1.5, "≤1.5× bare")
		case n >= 1000:
			f.aim("ratio", "<=", 1.3, "≤1.3× bare")
		}
		r.add("fanout", fmt.Sprintf("fanout_cpu_n%d", n), fmt.Sprintf("CPU time per call, %d phones", n), "ms")
		f = r.add("fanout", fmt.Sprintf("mem_per_conn_n%d", n), fmt.Sprintf("server memory per phone, %d phones", n), "KiB")
		if n == maxN || n == 1000 {
			f.aim("value", "<=", 24, "≤24 KiB")
		}
	}
	hist := thousands(int64(o.history)) + " past tickets"
	f = r.add("history", "startup", "start-up to first /healthz, "+hist, "ms")
	f.aim("value", "<=", 2000, "≤2 s")
	f = r.add("history", "bytes_per_ticket", "database bytes per ticket, "+hist, "B")
	f.aim("value", "<=", 1536, "≤1.5 KB")
	r.add("history", "queue_p50", "GET /queue p50, "+hist, "ms")
	r.add("history", "queue_p99", "GET /queue p99, "+hist, "ms")
	r.add("history", "status_past_p50", "GET /status p50, past ticket", "ms")
	r.add("history", "status_past_p99", "GET /status p99, past ticket", "ms")
	r.add("history", "status_live_p50", "GET /status p50, waiting ticket", "ms")
	r.add("history", "status_live_p99", "GET /status p99, waiting ticket", "ms")
	year := thousands(int64(o.reportTickets)) + " tickets in a year"
	f = r.add("reports", "report_summary", "slowest /reports/summary over a year, "+year, "ms")
	f.aim("value", "<=", 1000, "≤1 s")
	f = r.add("reports", "report_csv", "/reports/tickets.csv over a year, "+year, "ms")
	f.aim("value", "<=", 1000, "≤1 s")
	f = r.add("reports", "report_chart", "slowest report chart over a year, "+year, "ms")
	f.aim("value", "<=", 1000, "≤1 s")
	r.add("reports", "report_today", "/reports/today on that box", "ms")
	f = r.add("reports", "report_today_live", "issue → live event → today's view counts it", "ms")
	f.aim("value", "<=", 1000, "≤1 s")
	if o.only != nil {
		// A section left out is not a figure that failed: it is not in
		// the table at all.
		r.Options["only"] = o.only
		kept := r.Figures[:0]
		for _, f := range r.Figures {
			if o.only[f.Section] {
				kept = append(kept, f)
				continue
			}
			delete(r.byID, f.ID)
			delete(r.sections, f.Section)
		}
		r.Figures = kept
	}
	return r
}

func (r *report) add(section, id, label, unit string) *figure {
	f := &figure{ID: id, Section: section, Label: label, Unit: unit}
	r.Figures = append(r.Figures, f)
	r.byID[id] = f
	r.sections[section] = append(r.sections[section], f)
	return f
}

func (f *figure) aim(of, op string, limit float64, text string) {
	f.Aims = append(f.Aims, &aim{Of: of, Op: op, Limit: limit, Text: text})
}

// set records a figure; baseline 0 means none.
func (r *report) set(id string, value, baseline float64, baselineOf string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.byID[id]
	if f == nil {
		panic("benchtool: undeclared figure " + id)
	}
	f.Value, f.Error = &value, ""
	if baseline > 0 {
		f.Baseline, f.BaselineOf = &baseline, baselineOf
		ratio := value / baseline
		f.Ratio = &ratio
	}
}

// fail marks the figures of a section that were not measured.
func (r *report) failSection(section string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.sections[section] {
		if f.Value == nil {
			f.Error = err.Error()
		}
	}
}

func (r *report) detail(key string, v any) {
	r.mu.Lock()
	r.Details[key] = v
	r.mu.Unlock()
}

func (r *report) finish(d time.Duration) {
	r.Seconds = math.Round(d.Seconds()*10) / 10
	r.LoadAvg = append(r.LoadAvg, loadAvg())
	for _, f := range r.Figures {
		if f.Value == nil && f.Error == "" {
			f.Error = "not measured"
		}
		if f.Value == nil || len(f.Aims) == 0 {
			continue
		}
		all := true
		for _, a := range f.Aims {
			x := *f.Value
			if a.Of == "ratio" {
				if f.Ratio == nil {
					all = false
					continue
				}
				x = *f.Ratio
			}
			ok := x <= a.Limit
			if a.Op == ">=" {
				ok = x >= a.Limit
			}
			a.Pass = &ok
			all = all && ok
		}
		f.Pass = &all
	}
}

func (r *report) missing() int {
	n := 0
	for _, f := range r.Figures {
		if f.Value == nil {
			n++
		}
	}
	return n
}

func loadAvg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(raw))
}

func writeReport(dir string, r *report) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("write report: %w", err)
	}
	path := filepath.Join(dir, "bench-"+r.Started.Format("20060102-150405")+".json")
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", fmt.Errorf("write report: %w", err)
	}
	if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("write report: %w", err)
	}
	return path, nil
}

func printTable(w io.Writer, r *report) {
	fmt.Fprintf(w, "queuebox bench %s, %v %v, %v CPUs, %.0f s\n", r.Started.Format("2006-01-02 15:04:05"),
		r.Host["go"], r.Host["os"], r.Host["cpus"], r.Seconds)
	fmt.Fprintf(w, "load average before: %s\n", r.LoadAvg[0])
	if len(r.LoadAvg) > 1 {
		fmt.Fprintf(w, "load average after:  %s\n", r.LoadAvg[1])
	}
	fmt.Fprintln(w)
	rows := [][]string{{"figure", "value", "baseline", "ratio", "aim", "result"}}
	for _, f := range r.Figures {
		row := []string{f.Label, "-", "-", "-", "", ""}
		var aims []string
		for _, a := range f.Aims {
			aims = append(aims, a.Text)
		}
		row[4] = strings.Join(aims, ", ")
		if f.Value == nil {
			row[1] = "error"
			row[5] = truncate(f.Error, 40)
			rows = append(rows, row)
			continue
		}
		row[1] = formatValue(*f.Value, f.Unit)
		if f.Baseline != nil {
			row[2] = formatValue(*f.Baseline, f.Unit) + " " + f.BaselineOf
			row[3] = fmt.Sprintf("%.2f×", *f.Ratio)
		}
		if f.Pass != nil {
			if *f.Pass {
				row[5] = "pass"
			} else {
				var missed []string
				for _, a := range f.Aims {
					if a.Pass == nil || !*a.Pass {
						missed = append(missed, a.Text)
					}
				}
				row[5] = "MISS " + strings.Join(missed, ", ")
			}
		}
		rows = append(rows, row)
	}
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, c := range row {
			pad := widths[i] - len([]rune(c))
			if i == 1 || i == 3 {
				b.WriteString(strings.Repeat(" ", pad) + c)
			} else {
				b.WriteString(c + strings.Repeat(" ", pad))
			}
			if i < len(row)-1 {
				b.WriteString("  ")
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

func formatValue(v float64, unit string) string {
	switch unit {
	case "/s":
		return thousands(int64(math.Round(v))) + "/s"
	case "ms":
		if v >= 100 {
			return fmt.Sprintf("%.0f ms", v)
		}
		return fmt.Sprintf("%.2f ms", v)
	case "KiB":
		return fmt.Sprintf("%.1f KiB", v)
	case "B":
		return thousands(int64(math.Round(v))) + " B"
	case "µs":
		return thousands(int64(math.Round(v))) + " µs"
	case "allocs":
		return thousands(int64(math.Round(v)))
	}
	return fmt.Sprintf("%g %s", v, unit)
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
