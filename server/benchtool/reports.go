package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// reportRun is what the reports section measured: each request's median
// over the year, by what it was asked.
type reportRun struct {
	History  *historyOf         `json:"history"`
	MedianMs map[string]float64 `json:"median_ms"`
	// CPUMs is the server's own CPU time per request (user + system, from
	// /proc): what a request costs whatever else the machine is doing.
	CPUMs map[string]float64 `json:"server_cpu_ms"`
}

// cpuMs is a process's CPU time so far (user + system) in ms; -1 when /proc
// cannot tell.
func cpuMs(pid int) float64 {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// The command name may hold spaces; the fields after it are fixed.
	i := strings.LastIndexByte(string(raw), ')')
	f := strings.Fields(string(raw)[i+1:])
	if len(f) < 13 {
		return -1
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return (ut + st) * 10 // clock ticks of 10 ms (USER_HZ 100 on Linux)
}

// reportsSection times every report over a generated year of tickets: the
// summary by each dimension, the ticket export and the charts. The aim is a
// second for any of them.
func (b *bench) reportsSection(ctx context.Context) error {
	dir, err := b.dir("reports")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	end := time.Now()
	hist, err := generate(dir, b.o.reportTickets, 1, end)
	if err != nil {
		return err
	}
	if err := seedAdmin(dir); err != nil {
		return err
	}
	b.logf("reports: %d tickets, %d events, %.0f MiB written in %.1f s", hist.Tickets, hist.Events, hist.FileMiB, hist.Seconds)
	srv, _, err := b.startServer(ctx, "reports", dir)
	if err != nil {
		return err
	}
	defer srv.stop()
	a := newAPI(srv.addr)
	if err := a.login(); err != nil {
		return err
	}
	// The server's zone is UTC (see serverConfig); the year is the 365 days
	// up to today, and each figure's baseline the same request over the
	// day before today, so the ratio is what a year costs over a day.
	year := fmt.Sprintf("from=%s&to=%s", end.UTC().AddDate(0, 0, -365).Format(time.DateOnly), end.UTC().Format(time.DateOnly))
	yesterday := end.UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	day := fmt.Sprintf("from=%s&to=%s", yesterday, yesterday)
	run := &reportRun{History: hist, MedianMs: map[string]float64{}, CPUMs: map[string]float64{}}
	pid := srv.cmd.Process.Pid
	time1 := func(name, path string) (float64, error) {
		var lat []float64
		cpu0 := cpuMs(pid)
		for range b.o.reportReads {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			t0 := time.Now()
			if err := a.do("GET", path, nil, "", http.StatusOK, nil); err != nil {
				return 0, err
			}
			lat = append(lat, ms(time.Since(t0)))
		}
		if cpu0 >= 0 {
			run.CPUMs[name] = (cpuMs(pid) - cpu0) / float64(len(lat))
		}
		slices.Sort(lat)
		run.MedianMs[name] = lat[len(lat)/2]
		return lat[len(lat)/2], nil
	}
	// worst times each request over the year and over a day, and sets the
	// figure to the slowest over the year.
	worst := func(id string, names, paths []string) error {
		w, base, which := -1.0, 0.0, ""
		for i := range names {
			y, err := time1(names[i]+"_year", paths[i]+"&"+year)
			if err != nil {
				return err
			}
			d, err := time1(names[i]+"_day", paths[i]+"&"+day)
			if err != nil {
				return err
			}
			if y > w {
				w, base, which = y, d, names[i]
			}
		}
		b.rep.set(id, w, base, "one day")
		b.logf("reports: %s: slowest %s, %.0f ms over the year (server CPU %.0f ms), %.1f ms over a day",
			id, which, w, run.CPUMs[which+"_year"], base)
		return nil
	}
	var names, paths []string
	for _, by := range []string{"service", "counter", "staff", "hour", "day", "weekday", "tier"} {
		names, paths = append(names, "summary_by_"+by), append(paths, "/api/v1/reports/summary?by="+by)
	}
	if err := worst("report_summary", names, paths); err != nil {
		return err
	}
	if err := worst("report_csv", []string{"tickets_csv"}, []string{"/api/v1/reports/tickets.csv?lang=en"}); err != nil {
		return err
	}
	names, paths = nil, nil
	for _, c := range []string{"hourly", "waits", "heatmap", "trend"} {
		names, paths = append(names, "chart_"+c), append(paths, "/api/v1/reports/charts/"+c+".svg?lang=en")
	}
	if err := worst("report_chart", names, paths); err != nil {
		return err
	}
	today, err := time1("today", "/api/v1/reports/today")
	if err != nil {
		return err
	}
	d, err := time1("summary_today", "/api/v1/reports/summary?by=service")
	if err != nil {
		return err
	}
	b.rep.set("report_today", today, d, "today's summary")
	live, issue, err := todayLive(ctx, a, b.o.reportReads)
	if err != nil {
		return fmt.Errorf("today's view after an event: %w", err)
	}
	b.rep.set("report_today_live", live, issue, "the issue alone")
	b.logf("reports: issue → event → today's view counts it: %.1f ms (the issue alone %.1f ms)", live, issue)
	b.rep.detail("reports_year", run)
	return nil
}
