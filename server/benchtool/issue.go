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
	pid    int // of the process that serves it, to read its disk writes and CPU
	// metrics is the server's /metrics, for what its database wrote ("" for
	// a bare handler).
	metrics string
	// allocs is the serving child's count of heap objects allocated.
	allocs string
}

// loadResult is what one or more load runs measured.
type loadResult struct {
	n       int
	elapsed time.Duration
	lat     []time.Duration
	written int64         // bytes the serving process wrote to disk
	cpu     time.Duration // CPU the serving process used, user and system
	db      dbWrites      // what the server's database wrote (servers only)
	allocs  int64         // heap objects the serving process allocated
}

func (r *loadResult) add(o loadResult) {
	r.n += o.n
	r.elapsed += o.elapsed
	r.lat = append(r.lat, o.lat...)
	r.written += o.written
	r.cpu += o.cpu
	r.db.commits += o.db.commits
	r.db.bytes += o.db.bytes
	r.allocs += o.allocs
}

// dbWrites are the server's own counts of its database's commits and the
// bytes of the pages they wrote: unlike the disk's count, they do not depend
// on the file system or on what else the machine writes.
type dbWrites struct{ commits, bytes float64 }

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
	// CPUPerReq is the serving process's CPU per request, in µs (warm-up
	// included): with the machine shared, steadier than the rates.
	CPUPerReq float64 `json:"cpu_us_per_request,omitempty"`
	// DBCommitsPerReq and DBBytesPerReq are the server's database commits
	// (each two fdatasyncs) and page bytes per request.
	DBCommitsPerReq float64 `json:"db_commits_per_request,omitempty"`
	DBBytesPerReq   float64 `json:"db_bytes_per_request,omitempty"`
	// AllocsPerReq is the heap objects the serving process allocated per
	// request (warm-up included; shared by the bare handlers' process).
	AllocsPerReq float64 `json:"allocs_per_request,omitempty"`
}

func (r *loadResult) summary() summary {
	s := summary{Requests: r.n, Seconds: r.elapsed.Seconds()}
	if r.elapsed > 0 {
		s.Rate = float64(r.n) / r.elapsed.Seconds()
	}
	s.P50, s.P99 = percentileMs(r.lat, 0.50), percentileMs(r.lat, 0.99)
	if r.n > 0 {
		s.DiskPerReq = float64(r.written) / float64(r.n)
		s.CPUPerReq = float64(r.cpu.Microseconds()) / float64(r.n)
		s.DBCommitsPerReq = r.db.commits / float64(r.n)
		s.DBBytesPerReq = r.db.bytes / float64(r.n)
		s.AllocsPerReq = float64(r.allocs) / float64(r.n)
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
		// A random key with every ticket, as the kiosk sends.
		req.Header.Set("Idempotency-Key", bareToken())
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
	written, cpu0, db0, allocs0 := diskWritten(t.pid), cpuUsed(t.pid), readDBWrites(t.metrics), readAllocs(t.allocs)
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
	db1 := readDBWrites(t.metrics)
	// The warm-up requests are in the counts; n+clients requests were sent.
	res := loadResult{n: n, elapsed: elapsed, lat: lat[:n], written: diskWritten(t.pid) - written, cpu: cpuUsed(t.pid) - cpu0,
		db: dbWrites{commits: db1.commits - db0.commits, bytes: db1.bytes - db0.bytes}, allocs: readAllocs(t.allocs) - allocs0}
	return res, nil
}

// cpuUsed is the CPU a process has used: the sum over its threads of their
// time on a CPU (/proc/PID/task/*/schedstat, in ns; a Go process keeps its
// threads), or else its utime and stime (in ticks of 10 ms); 0 when unknown.
func cpuUsed(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	dir := "/proc/" + strconv.Itoa(pid)
	if tasks, err := os.ReadDir(dir + "/task"); err == nil {
		var sum time.Duration
		for _, t := range tasks {
			raw, err := os.ReadFile(dir + "/task/" + t.Name() + "/schedstat")
			if err != nil {
				continue
			}
			if f := strings.Fields(string(raw)); len(f) > 0 {
				ns, _ := strconv.ParseInt(f[0], 10, 64)
				sum += time.Duration(ns)
			}
		}
		if sum > 0 {
			return sum
		}
	}
	raw, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it do not.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return time.Duration(utime+stime) * tick
}

// readDBWrites reads the server's database counters from its /metrics
// (zero for a bare handler, which has none).
func readDBWrites(url string) dbWrites {
	var w dbWrites
	if url == "" {
		return w
	}
	resp, err := http.Get(url)
	if err != nil {
		return w
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		name, v, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		x, _ := strconv.ParseFloat(v, 64)
		switch name {
		case "queuebox_db_commit_seconds_count":
			w.commits = x
		case "queuebox_db_written_bytes_total":
			w.bytes = x
		}
	}
	return w
}

// readAllocs reads a child's count of heap objects allocated (0 when
// unknown).
func readAllocs(url string) int64 {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	n, _ := strconv.ParseInt(strings.TrimSpace(string(body)), 10, 64)
	return n
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
		{name: "server", url: "http://" + srv.addr + "/api/v1/tickets", bearer: kiosk, pid: srv.cmd.Process.Pid, metrics: "http://" + srv.addr + "/metrics", allocs: "http://" + srv.control + "/allocs"},
		{name: "update", url: "http://" + bare.addr + "/update", pid: bare.cmd.Process.Pid, allocs: "http://" + bare.control + "/allocs"},
		{name: "batch", url: "http://" + bare.addr + "/batch", pid: bare.cmd.Process.Pid, allocs: "http://" + bare.control + "/allocs"},
		{name: "group", url: "http://" + bare.addr + "/group", pid: bare.cmd.Process.Pid, allocs: "http://" + bare.control + "/allocs"},
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
		g := sums["group"]
		b.rep.set(fmt.Sprintf("issue_cpu_c%d", c), s.CPUPerReq, g.CPUPerReq, "bare group")
		b.rep.set(fmt.Sprintf("issue_allocs_c%d", c), s.AllocsPerReq, g.AllocsPerReq, "bare group")
		b.logf("issue, %d clients: server %.0f/s p50 %.2f p99 %.2f ms, %.0f µs CPU, %.0f allocations, %.0f B to disk, %.2f commits and %.0f B of database pages per ticket; bare update %.0f/s p50 %.2f; batch %.0f/s p50 %.2f; group %.0f/s p50 %.2f, %.0f µs CPU, %.0f allocations, %.0f B to disk per ticket",
			c, s.Rate, s.P50, s.P99, s.CPUPerReq, s.AllocsPerReq, s.DiskPerReq, s.DBCommitsPerReq, s.DBBytesPerReq, sums["update"].Rate, sums["update"].P50, sums["batch"].Rate, sums["batch"].P50,
			g.Rate, g.P50, g.CPUPerReq, g.AllocsPerReq, g.DiskPerReq)
	}
	// What the server allocated over the whole section (its alloc_objects
	// and alloc_space), beside the CPU profile of its life.
	return b.heapProfile(srv, "issue-server")
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
