package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// target is a handler the issue load is sent to.
type target struct {
	name   string
	url    string
	bearer string
	pid    int // of the process that serves it, to read its disk writes
}

// loadResult is what one or more load runs measured.
type loadResult struct {
	n       int
	elapsed time.Duration
	lat     []time.Duration
	written int64 // bytes the serving process wrote to disk
	// cpu is the CPU time (user and system) the serving process used.
	cpu time.Duration
}

func (r *loadResult) add(o loadResult) {
	r.n += o.n
	r.elapsed += o.elapsed
	r.lat = append(r.lat, o.lat...)
	r.written += o.written
	r.cpu += o.cpu
}

// summary is a load result in the units of the report.
type summary struct {
	Requests int     `json:"requests"`
	Seconds  float64 `json:"seconds"`
	Rate     float64 `json:"per_second"`
	P50      float64 `json:"p50_ms"`
	P99      float64 `json:"p99_ms"`
	// DiskPerReq is what one request cost in bytes written to disk
	// (including the warm-up requests, so a little high).
	DiskPerReq float64 `json:"disk_bytes_per_request,omitempty"`
	// CPUPerReq is the serving process's CPU time per request in
	// milliseconds (warm-up included, as DiskPerReq): unlike the rate it
	// hardly moves with what else runs on the machine.
	CPUPerReq float64 `json:"cpu_ms_per_request,omitempty"`
}

func (r *loadResult) summary() summary {
	s := summary{Requests: r.n, Seconds: r.elapsed.Seconds()}
	if r.elapsed > 0 {
		s.Rate = float64(r.n) / r.elapsed.Seconds()
	}
	s.P50, s.P99 = percentileMs(r.lat, 0.50), percentileMs(r.lat, 0.99)
	if r.n > 0 {
		s.DiskPerReq = float64(r.written) / float64(r.n)
		s.CPUPerReq = r.cpu.Seconds() * 1000 / float64(r.n)
	}
	return s
}

// percentileMs is the nearest-rank percentile p of lat in milliseconds.
func percentileMs(lat []time.Duration, p float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return float64(s[max(0, i)].Microseconds()) / 1000
}

var issueBody = []byte(`{"service_id":"general"}`)

// load keeps clients requests in flight against t for d or until maxReq
// requests, whichever comes first. Each client has its own kept-alive
// connection, as a kiosk does. Any failed request fails the run: a ticket
// that was not issued must not count as a fast one.
func load(ctx context.Context, t target, clients int, d time.Duration, maxReq int) (loadResult, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	send := func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(issueBody))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		if t.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+t.bearer)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(body))
		}
		return nil
	}

	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
		failed   atomic.Bool
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		failed.Store(true)
	}
	written, cpu := diskWritten(t.pid), cpuUsed(t.pid)
	// Open every connection before the clock starts.
	for range clients {
		wg.Go(func() {
			if err := send(); err != nil {
				fail(err)
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return loadResult{}, fmt.Errorf("%s: %w", t.name, firstErr)
	}

	lat := make([]time.Duration, maxReq)
	var next atomic.Int64
	start := time.Now()
	deadline := start.Add(d)
	for range clients {
		wg.Go(func() {
			for !failed.Load() && ctx.Err() == nil && time.Now().Before(deadline) {
				j := next.Add(1) - 1
				if j >= int64(maxReq) {
					return
				}
				t0 := time.Now()
				if err := send(); err != nil {
					fail(err)
					return
				}
				lat[j] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return loadResult{}, fmt.Errorf("%s: %w", t.name, firstErr)
	}
	if err := ctx.Err(); err != nil {
		return loadResult{}, err
	}
	n := int(min(next.Load(), int64(maxReq)))
	return loadResult{n: n, elapsed: elapsed, lat: lat[:n], written: diskWritten(t.pid) - written, cpu: cpuUsed(t.pid) - cpu}, nil
}

// diskWritten is how many bytes a process has caused to be written to disk
// (write_bytes in /proc/PID/io); 0 when unknown.
func diskWritten(pid int) int64 {
	if pid == 0 {
		return 0
	}
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's times
// (100 on every Linux port in use).
const clockTicks = 100

// cpuUsed is the CPU time, user and system, process pid has used so far
// (0 if unknown).
func cpuUsed(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: count from after it.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		return 0
	}
	// Fields 14 and 15 of the line (utime, stime); rest starts at field 3.
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// issue measures durable ticket issue through the real server, its kiosk
// auth and its engine, against the bare handlers in the same run. Short runs
// take turns between the handlers, four rounds each, so that a stall from
// elsewhere on a shared machine (a burst of fsyncs, say) falls on all of
// them rather than on one.
func (b *bench) issue(ctx context.Context) error {
	srv, _, kiosk, err := b.serverWithKiosk(ctx, "issue")
	if err != nil {
		return err
	}
	defer srv.stop()
	bareDir, err := b.dir("bare-issue")
	if err != nil {
		return err
	}
	bare, err := b.spawn("bare-issue", "bare-issue", nil, true, "-data", bareDir)
	if err != nil {
		return err
	}
	defer bare.stop()

	targets := []target{
		{name: "server", url: "http://" + srv.addr + "/api/v1/tickets", bearer: kiosk, pid: srv.cmd.Process.Pid},
		{name: "update", url: "http://" + bare.addr + "/update", pid: bare.cmd.Process.Pid},
		{name: "batch", url: "http://" + bare.addr + "/batch", pid: bare.cmd.Process.Pid},
		{name: "group", url: "http://" + bare.addr + "/group", pid: bare.cmd.Process.Pid},
	}
	const rounds = 4
	for _, c := range b.o.issueClients {
		res := make([]loadResult, len(targets))
		for range rounds {
			for i, t := range targets {
				r, err := load(ctx, t, c, b.o.issueTime/rounds, max(1, b.o.issueMax/rounds))
				if err != nil {
					return fmt.Errorf("%d clients: %w", c, err)
				}
				res[i].add(r)
			}
		}
		sums := map[string]summary{}
		for i, t := range targets {
			sums[t.name] = res[i].summary()
		}
		b.rep.detail(fmt.Sprintf("issue_c%d", c), sums)
		s := sums["server"]
		bare := []string{"update", "batch", "group"}
		rate, rateOf := bestOf(sums, bare, func(x summary) float64 { return x.Rate }, true)
		p50, p50Of := bestOf(sums, bare, func(x summary) float64 { return x.P50 }, false)
		p99, p99Of := bestOf(sums, bare, func(x summary) float64 { return x.P99 }, false)
		b.rep.set(fmt.Sprintf("issue_rate_c%d", c), s.Rate, rate, rateOf)
		b.rep.set(fmt.Sprintf("issue_p50_c%d", c), s.P50, p50, p50Of)
		b.rep.set(fmt.Sprintf("issue_p99_c%d", c), s.P99, p99, p99Of)
		b.logf("issue, %d clients: server %.0f/s p50 %.2f p99 %.2f ms %.0f B/ticket; bare update %.0f/s p50 %.2f; batch %.0f/s p50 %.2f; group %.0f/s p50 %.2f %.0f B/ticket",
			c, s.Rate, s.P50, s.P99, s.DiskPerReq, sums["update"].Rate, sums["update"].P50, sums["batch"].Rate, sums["batch"].P50,
			sums["group"].Rate, sums["group"].P50, sums["group"].DiskPerReq)
	}
	return nil
}

// bestOf picks the bare handler with the best figure and names it.
func bestOf(sums map[string]summary, names []string, of func(summary) float64, higher bool) (float64, string) {
	best, name := of(sums[names[0]]), names[0]
	for _, n := range names[1:] {
		if v := of(sums[n]); (higher && v > best) || (!higher && v < best) {
			best, name = v, n
		}
	}
	return best, "bare " + name
}
