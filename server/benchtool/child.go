package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	httppprof "net/http/pprof"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"

	"queuebox/server"
	"queuebox/server/access"
	"queuebox/server/store"
)

// childEnv selects what a re-executed benchtool runs instead of the
// benchmark: "serve" (the real server), "bare-issue" or "bare-fanout".
const childEnv = "QUEUEBOX_BENCH_CHILD"

const adminPassword = "bench-admin-password"

// The config every server under test starts from: open all day so that
// issuing works whenever the bench runs, in UTC so that the history's
// business dates are plain calendar dates.
const serverConfig = `branch:
  name: Bench Branch
  timezone: UTC
  hours: {mon: "00:00-24:00", tue: "00:00-24:00", wed: "00:00-24:00", thu: "00:00-24:00", fri: "00:00-24:00", sat: "00:00-24:00", sun: "00:00-24:00"}
services:
  - {id: general, prefix: A, name: General, names: {zh: 综合业务, en: General}, avg_service_seconds: 300}
  - {id: cash, prefix: B, name: Cash, names: {zh: 现金业务, en: Cash}, avg_service_seconds: 120}
  - {id: advice, prefix: P, name: Advice, names: {zh: 理财咨询, en: Advice}, avg_service_seconds: 900, slot_minutes: 15, slot_capacity: 2}
counters:
  - {id: c1, name: Counter 1, service_ids: [general, cash]}
  - {id: c2, name: Counter 2, service_ids: [general]}
  - {id: c3, name: Counter 3, service_ids: [advice, cash]}
printer: {url: none}
`

// --- the child side ---

// childMain runs in the re-executed process. It stops when its standard
// input closes, so a child never outlives the benchmark that started it.
func childMain(mode string, args []string) int {
	fs := flag.NewFlagSet("benchtool child", flag.ContinueOnError)
	data := fs.String("data", "", "data directory")
	addr := fs.String("addr", "127.0.0.1:0", "address to serve")
	cfg := fs.String("config", "", "server config file")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole life of the process")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	go func() {
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "cpuprofile: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "cpuprofile: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}

	ctl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(os.Stderr, "control: %v\n", err)
		return 1
	}
	ctlMux := http.NewServeMux()
	ctlMux.HandleFunc("/mem", serveMem)
	ctlMux.HandleFunc("/allocs", serveAllocs)
	ctlMux.HandleFunc("POST /cpuprofile/start", startProfile)
	ctlMux.HandleFunc("POST /cpuprofile/stop", stopProfile)
	ctlMux.Handle("/heap", httppprof.Handler("heap"))
	ctlSrv := &http.Server{Handler: ctlMux, ReadHeaderTimeout: 5 * time.Second}
	go ctlSrv.Serve(ctl)
	defer ctlSrv.Close()
	announce("control", ctl.Addr().String())

	switch mode {
	case "serve":
		return server.Main(ctx, []string{"serve", "--config", *cfg, "--data", *data, "--addr", *addr,
			"--public-url", "http://" + *addr, "--log-level", "error", "--printer", "none"},
			strings.NewReader(""), io.Discard, os.Stderr)
	case "bare-issue":
		err = serveBareIssue(ctx, *addr, *data)
	case "bare-fanout":
		err = serveBareFanout(ctx, *addr)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", mode, err)
		return 1
	}
	return 0
}

var announceMu sync.Mutex

// announce tells the parent one fact on a line of standard output.
func announce(key, value string) {
	announceMu.Lock()
	defer announceMu.Unlock()
	raw, _ := json.Marshal(map[string]string{key: value})
	os.Stdout.Write(append(raw, '\n'))
}

// memStats is the process's memory after a full collection that gives
// freed memory back to the system, so RSS counts live memory only.
type memStats struct {
	RSSKiB     int64  `json:"rss_kib"`
	HeapInuse  uint64 `json:"heap_inuse"`
	StackInuse uint64 `json:"stack_inuse"`
	Goroutines int    `json:"goroutines"`
}

func serveMem(w http.ResponseWriter, r *http.Request) {
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	st := memStats{RSSKiB: rssKiB(os.Getpid()), HeapInuse: m.HeapInuse, StackInuse: m.StackInuse, Goroutines: runtime.NumGoroutine()}
	json.NewEncoder(w).Encode(st)
}

// serveAllocs writes how many heap objects the process has allocated so
// far: read without stopping the world, so it can be read between rounds.
func serveAllocs(w http.ResponseWriter, r *http.Request) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}}
	metrics.Read(s)
	fmt.Fprintf(w, "%d\n", s[0].Value.Uint64())
}

// profiling is the CPU profile the parent started over part of a run.
var profiling struct {
	sync.Mutex
	f *os.File
}

// startProfile starts a CPU profile into the file ?to= names, so that the
// parent can profile just its measured rounds.
func startProfile(w http.ResponseWriter, r *http.Request) {
	profiling.Lock()
	defer profiling.Unlock()
	if profiling.f != nil {
		http.Error(w, "a profile is running", http.StatusConflict)
		return
	}
	f, err := os.Create(r.URL.Query().Get("to"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	profiling.f = f
}

func stopProfile(w http.ResponseWriter, r *http.Request) {
	profiling.Lock()
	defer profiling.Unlock()
	if profiling.f == nil {
		return
	}
	pprof.StopCPUProfile()
	if err := profiling.f.Close(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
	profiling.f = nil
}

// rssKiB reads VmRSS of a process from /proc; -1 when it cannot.
func rssKiB(pid int) int64 {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}

// --- the parent side ---

// child is a running child process.
type child struct {
	name    string
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stderr  *tail
	facts   chan map[string]string
	exited  chan struct{}
	waitErr error
	once    sync.Once

	control string
	addr    string
}

// tail keeps the end of a child's standard error for error messages.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 4096 {
		t.buf = t.buf[len(t.buf)-4096:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}

// spawn starts this binary again in a child mode. name labels errors and
// profiles. When wantAddr is set the child reports the address it serves.
func (b *bench) spawn(name, mode string, env []string, wantAddr bool, args ...string) (*child, error) {
	// The fan-out's server is profiled over its measured rounds only
	// (cpuProfile): its set-up issues thousands of tickets.
	if b.o.profile != "" && mode == "serve" && !strings.HasPrefix(name, "fanout") {
		args = append(args, "-cpuprofile", filepath.Join(b.o.profile, name+".prof"))
	}
	cmd := exec.Command(b.exe, args...)
	// A binary built with the race detector sleeps a second on exit by
	// default; runs under "go test -race" stop many children.
	race := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
	cmd.Env = append(append(os.Environ(), childEnv+"="+mode, "GORACE="+race), env...)
	c := &child{name: name, cmd: cmd, stderr: &tail{}, facts: make(chan map[string]string, 4), exited: make(chan struct{})}
	cmd.Stderr = c.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	b.children = append(b.children, c)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var m map[string]string
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				c.facts <- m
			}
		}
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()
	if c.control, err = c.fact("control"); err != nil {
		c.stop()
		return nil, err
	}
	if wantAddr {
		if c.addr, err = c.fact("addr"); err != nil {
			c.stop()
			return nil, err
		}
	}
	return c, nil
}

func (c *child) fact(key string) (string, error) {
	t := time.NewTimer(30 * time.Second)
	defer t.Stop()
	select {
	case m := <-c.facts:
		if v, ok := m[key]; ok {
			return v, nil
		}
		return "", fmt.Errorf("%s: expected %s, got %v", c.name, key, m)
	case <-c.exited:
		return "", c.exitError()
	case <-t.C:
		return "", fmt.Errorf("%s: no %s within 30 s", c.name, key)
	}
}

func (c *child) exitError() error {
	return fmt.Errorf("%s exited (%v): %s", c.name, c.waitErr, c.stderr)
}

// stop closes the child's standard input, which makes it shut down
// gracefully, and kills it if it has not within a while.
func (c *child) stop() {
	c.once.Do(func() {
		c.stdin.Close()
		select {
		case <-c.exited:
		case <-time.After(20 * time.Second):
			c.cmd.Process.Kill()
			<-c.exited
		}
	})
}

func (c *child) mem() (memStats, error) {
	var m memStats
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Get("http://" + c.control + "/mem")
	if err != nil {
		return m, fmt.Errorf("%s memory: %w", c.name, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return m, fmt.Errorf("%s memory: %w", c.name, err)
	}
	if m.RSSKiB < 0 {
		return m, fmt.Errorf("%s memory: VmRSS unreadable", c.name)
	}
	return m, nil
}

// cpu returns the CPU time the child has used, in milliseconds.
func (c *child) cpu() (float64, error) {
	d := cpuUsed(c.cmd.Process.Pid)
	if d == 0 {
		return 0, fmt.Errorf("%s cpu: not readable from /proc", c.name)
	}
	return float64(d.Microseconds()) / 1000, nil
}

// cpuProfile profiles the child while run runs, into name in the profile
// directory; without one it only runs run. The child must not be
// profiling its whole life (see spawn).
func (b *bench) cpuProfile(c *child, name string, run func() error) error {
	if b.o.profile == "" {
		return run()
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	post := func(path string) error {
		resp, err := hc.Post("http://"+c.control+path, "", nil)
		if err != nil {
			return fmt.Errorf("%s profile: %w", c.name, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			msg, _ := io.ReadAll(resp.Body)
			return fmt.Errorf("%s profile: %s", c.name, bytes.TrimSpace(msg))
		}
		return nil
	}
	abs, err := filepath.Abs(filepath.Join(b.o.profile, name+".prof"))
	if err != nil {
		return err
	}
	if err := post("/cpuprofile/start?to=" + url.QueryEscape(abs)); err != nil {
		return err
	}
	err = run()
	if stopErr := post("/cpuprofile/stop"); err == nil {
		err = stopErr
	}
	return err
}

// heapProfile saves the child's live heap into the profile directory, when
// there is one.
func (b *bench) heapProfile(c *child, name string) error {
	if b.o.profile == "" {
		return nil
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Get("http://" + c.control + "/heap?gc=1")
	if err != nil {
		return fmt.Errorf("%s heap profile: %w", c.name, err)
	}
	defer resp.Body.Close()
	f, err := os.Create(filepath.Join(b.o.profile, name+".heap.prof"))
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// seedAdmin creates the admin in data before the server first starts, as
// "queuebox user add" would, with the cheapest bcrypt cost: logging in is
// set-up, not a figure, and at the real cost it would dominate short runs
// (and runs under the race detector).
func seedAdmin(data string) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(adminPassword), bcrypt.MinCost)
	if err != nil {
		return err
	}
	db, err := store.Open(data, store.Options{})
	if err != nil {
		return err
	}
	if err := db.PutUser(store.User{Username: "admin", Role: access.RoleAdmin.String(), Hash: hash, CreatedAt: time.Now()}); err != nil {
		db.Close()
		return err
	}
	return db.Close()
}

// startServer runs the real server on data and returns once it answers
// /healthz, with the time from starting the process to that answer.
func (b *bench) startServer(ctx context.Context, name, data string) (*child, time.Duration, error) {
	cfg := filepath.Join(b.tmp, "queuebox.yaml")
	if _, err := os.Stat(cfg); err != nil {
		if err := os.WriteFile(cfg, []byte(serverConfig), 0o600); err != nil {
			return nil, 0, err
		}
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, 0, err
	}
	start := time.Now()
	c, err := b.spawn(name, "serve", []string{"QUEUEBOX_ADMIN_PASSWORD=" + adminPassword}, false,
		"-config", cfg, "-data", data, "-addr", addr)
	if err != nil {
		return nil, 0, err
	}
	c.addr = addr
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := hc.Get("http://" + addr + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, time.Since(start), nil
			}
		}
		select {
		case <-c.exited:
			return nil, 0, c.exitError()
		case <-ctx.Done():
			c.stop()
			return nil, 0, ctx.Err()
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, 0, fmt.Errorf("%s: no answer on /healthz within 2 minutes", name)
		}
	}
}

// freeAddr picks a free loopback port. The server's own command line must
// listen on it, so the port is released first; nothing else on a loopback
// benchmark machine races for it in the meantime.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// api is a client of the server under test, logged in through a cookie.
type api struct {
	base string
	hc   *http.Client
}

// serverWithKiosk starts a server on a fresh data directory, logs in as
// admin and pairs a kiosk: what every measured section starts from.
func (b *bench) serverWithKiosk(ctx context.Context, name string) (*child, *api, string, error) {
	dir, err := b.dataDir(name)
	if err != nil {
		return nil, nil, "", err
	}
	srv, _, err := b.startServer(ctx, name+"-server", dir)
	if err != nil {
		return nil, nil, "", err
	}
	a := newAPI(srv.addr)
	if err := a.login(); err != nil {
		srv.stop()
		return nil, nil, "", err
	}
	kiosk, err := a.kiosk()
	if err != nil {
		srv.stop()
		return nil, nil, "", err
	}
	return srv, a, kiosk, nil
}

func newAPI(addr string) *api {
	jar, _ := cookiejar.New(nil)
	return &api{base: "http://" + addr, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// do sends a JSON request and decodes a JSON answer into out (if not nil).
func (a *api) do(method, path string, body any, bearer string, want int, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(raw))
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}

func (a *api) login() error {
	return a.do("POST", "/api/v1/session", map[string]string{"username": "admin", "password": adminPassword}, "", http.StatusOK, nil)
}

// kiosk pairs a kiosk device and returns its bearer token.
func (a *api) kiosk() (string, error) {
	var out struct{ Token string }
	if err := a.do("POST", "/api/v1/devices", map[string]string{"kind": "kiosk", "name": "bench kiosk"}, "", http.StatusCreated, &out); err != nil {
		return "", err
	}
	if out.Token == "" {
		return "", errors.New("pairing answered no token")
	}
	return out.Token, nil
}

// issued is the part of a ticket answer the bench uses.
type issued struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}
