package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"queuebox/server/store"
)

// crashChildEnv makes the test binary act as the server process that
// TestCrashKeepsAnsweredTickets kills. The rest of the child's settings come
// through the ordinary QUEUEBOX_* variables, so it runs `serve` as a box does.
const crashChildEnv = "QUEUEBOX_CRASH_CHILD"

// TestMain is the single entry of this package's tests. Add other
// process-wide set-up here rather than in a second TestMain.
func TestMain(m *testing.M) {
	runCrashChildIfAsked()
	os.Exit(m.Run())
}

// runCrashChildIfAsked serves until killed when the crash test started this
// process, and never returns then.
func runCrashChildIfAsked() {
	if os.Getenv(crashChildEnv) != "1" {
		return
	}
	// The parent holds the write end of stdin. If it dies without running
	// its cleanups (a test timeout), stdin ends and the child goes too
	// instead of serving forever.
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(2)
	}()
	os.Exit(Main(context.Background(), []string{"serve"}, os.Stdin, os.Stdout, os.Stderr))
}

const (
	crashRounds    = 5
	crashBudget    = 25 * time.Second // no new life starts after this
	crashIssuers   = 16
	crashCallers   = 2
	crashAdminPass = "crash-admin-pass"
	crashStaffPass = "crash-staff-pass"
)

const crashConfig = `branch:
  name: "Crash test"
  timezone: "UTC"
  hours: {sun: "00:00-24:00", mon: "00:00-24:00", tue: "00:00-24:00", wed: "00:00-24:00", thu: "00:00-24:00", fri: "00:00-24:00", sat: "00:00-24:00"}
services:
  - {id: general, prefix: A, name: "General", avg_service_seconds: 300}
  - {id: cash, prefix: B, name: "Cash", avg_service_seconds: 180}
counters:
  - {id: c1, name: "Counter 1", service_ids: [general, cash]}
`

var crashServices = []string{"general", "cash"}

// crashAnswer is a 2xx answer the server gave before it was killed: a promise
// that must survive the crash.
type crashAnswer struct {
	ID, Number, Date string
	Service          string
	IdemKey          string // set for issued tickets
	Called           bool   // answered by "next": the ticket must never wait again
}

type crashTicket struct {
	ID     string `json:"id"`
	Number string `json:"number"`
	Date   string `json:"date"`
	Status string `json:"status"`
}

// crashServer is one life of the server process.
type crashServer struct {
	cmd      *exec.Cmd
	base     string
	logPath  string
	exited   chan struct{}
	lifeline *os.File // write end of the child's stdin
}

func startCrashServer(t *testing.T, dir string, life int) *crashServer {
	t.Helper()
	for attempt := 1; ; attempt++ {
		s, err := tryStartCrashServer(dir, life, attempt)
		if err == nil {
			t.Cleanup(s.kill)
			return s
		}
		// The free port was only free when we looked; another may be.
		if attempt < 3 && strings.Contains(err.Error(), "address already in use") {
			continue
		}
		t.Fatalf("start server (life %d): %v", life, err)
	}
}

func tryStartCrashServer(dir string, life, attempt int) (*crashServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()

	logPath := filepath.Join(dir, fmt.Sprintf("server-%d-%d.log", life, attempt))
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(),
		crashChildEnv+"=1",
		"QUEUEBOX_ADDR="+addr,
		"QUEUEBOX_DATA="+filepath.Join(dir, "data"),
		"QUEUEBOX_CONFIG="+filepath.Join(dir, "queuebox.yaml"),
		"QUEUEBOX_ADMIN_PASSWORD="+crashAdminPass,
		"QUEUEBOX_PRINTER=none",
		"QUEUEBOX_PUBLIC_URL=",
		"QUEUEBOX_LOG_LEVEL=warn",
	)
	stdin, lifeline, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer stdin.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, logf, logf
	if err := cmd.Start(); err != nil {
		lifeline.Close()
		return nil, err
	}
	s := &crashServer{cmd: cmd, base: "http://" + addr, logPath: logPath, exited: make(chan struct{}), lifeline: lifeline}
	go func() {
		_ = cmd.Wait()
		lifeline.Close()
		close(s.exited)
	}()

	hc := &http.Client{Timeout: time.Second}
	defer hc.CloseIdleConnections()
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("server exited (%s) before answering /healthz:\n%s", cmd.ProcessState, s.logTail())
		default:
		}
		if resp, err := hc.Get(s.base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.kill()
			return nil, fmt.Errorf("no answer from %s/healthz within 20s:\n%s", s.base, s.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill is the crash: SIGKILL gives the process no chance to flush or close.
func (s *crashServer) kill() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// raceReport is the first data race the server's race detector printed, if
// any: SIGKILL stops the child before its exit code could tell.
func (s *crashServer) raceReport() string {
	raw, _ := os.ReadFile(s.logPath)
	i := bytes.Index(raw, []byte("WARNING: DATA RACE"))
	if i < 0 {
		return ""
	}
	raw = raw[i:]
	if len(raw) > 6000 {
		raw = raw[:6000]
	}
	return string(raw)
}

func (s *crashServer) logTail() string {
	raw, _ := os.ReadFile(s.logPath)
	if len(raw) > 4000 {
		raw = raw[len(raw)-4000:]
	}
	return string(raw)
}

// crashClient talks to one life of the server.
type crashClient struct {
	hc   *http.Client
	base string
}

func newCrashClient(base string) crashClient {
	tr := &http.Transport{MaxIdleConnsPerHost: 2 * (crashIssuers + crashCallers)}
	return crashClient{hc: &http.Client{Transport: tr, Timeout: 10 * time.Second}, base: base}
}

func (c crashClient) close() { c.hc.CloseIdleConnections() }

// do sends a request; hdr holds header name/value pairs.
func (c crashClient) do(method, path string, body any, hdr ...string) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, nil, nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		// A body cut short by the kill is no answer.
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, raw, nil
}

// must is do for the set-up steps, which have one right answer.
func (c crashClient) must(t *testing.T, want int, method, path string, body any, hdr ...string) (http.Header, []byte) {
	t.Helper()
	status, h, raw, err := c.do(method, path, body, hdr...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if status != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, status, raw, want)
	}
	return h, raw
}

func (c crashClient) login(t *testing.T, user, password string) string {
	t.Helper()
	h, _ := c.must(t, http.StatusOK, http.MethodPost, "/api/v1/session", map[string]string{"username": user, "password": password})
	for _, ck := range (&http.Response{Header: h}).Cookies() {
		if ck.Name == sessionCookie {
			return ck.Name + "=" + ck.Value
		}
	}
	t.Fatalf("login as %s set no %s cookie", user, sessionCookie)
	return ""
}

// failures collects what the checks find across goroutines and reports a
// readable amount of it.
type failures struct {
	mu   sync.Mutex
	list []string
}

func (f *failures) add(format string, args ...any) {
	f.mu.Lock()
	f.list = append(f.list, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

func (f *failures) report(t *testing.T, what string) (failed bool) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	failed = len(f.list) > 0
	for i, s := range f.list {
		if i == 10 {
			t.Errorf("%s: … and %d more", what, len(f.list)-10)
			break
		}
		t.Errorf("%s: %s", what, s)
	}
	f.list = nil
	return failed
}

// TestCrashKeepsAnsweredTickets kills a serving box at random moments under
// load. After each restart, and in the file the last crash left (what the
// next start would load), every ticket it answered 2xx for must be there with
// the same number, a called ticket must never wait again, idempotency keys
// must still replay, and no number may be given twice on a business day.
//
// SIGKILL loses what the process holds, not what the kernel holds: this finds
// answers given before the commit, not a missing fsync.
func TestCrashKeepsAnsweredTickets(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a server process several times")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "queuebox.yaml"), []byte(crashConfig), 0o600); err != nil {
		t.Fatal(err)
	}

	var (
		kioskAuth   string // "Bearer …"
		staffCookie string
		all, prev   []crashAnswer
		crashes     int
	)
	start := time.Now()
	for life := 0; life < crashRounds; life++ {
		if life > 0 && time.Since(start) > crashBudget {
			t.Logf("time budget spent after %d crashes", life)
			break
		}
		up := time.Now()
		srv := startCrashServer(t, dir, life)
		t.Logf("life %d: serving after %v", life, time.Since(up).Round(time.Millisecond))
		c := newCrashClient(srv.base)
		if life == 0 {
			// Sessions and devices are in the database, so one set-up serves
			// every later life of the box.
			admin := c.login(t, "admin", crashAdminPass)
			c.must(t, http.StatusCreated, http.MethodPost, "/api/v1/users",
				map[string]string{"username": "clerk", "password": crashStaffPass, "role": "staff"}, "Cookie", admin)
			staffCookie = c.login(t, "clerk", crashStaffPass)
			_, raw := c.must(t, http.StatusCreated, http.MethodPost, "/api/v1/devices",
				map[string]string{"kind": "kiosk", "name": "Lobby kiosk"}, "Cookie", admin)
			var dev struct {
				Token string `json:"token"`
			}
			if err := json.Unmarshal(raw, &dev); err != nil || dev.Token == "" {
				t.Fatalf("POST /api/v1/devices = %s, want a token", raw)
			}
			kioskAuth = "Bearer " + dev.Token
		}
		if !checkAnswersOverHTTP(t, c, prev, staffCookie, kioskAuth) {
			c.close()
			t.Fatalf("life %d lost answers of the crash before it; server log:\n%s", life, srv.logTail())
		}

		stop := make(chan struct{})
		var got []crashAnswer
		loadDone := make(chan struct{})
		go func() {
			got = crashLoad(t, c, life, kioskAuth, staffCookie, stop)
			close(loadDone)
		}()
		delay := 100*time.Millisecond + rand.N(500*time.Millisecond)
		time.Sleep(delay)
		srv.kill()
		close(stop)
		<-loadDone
		c.close()
		if race := srv.raceReport(); race != "" {
			t.Errorf("life %d: the server hit a data race:\n%s", life, race)
		}

		issued, called := 0, 0
		for _, a := range got {
			if a.Called {
				called++
			} else {
				issued++
			}
		}
		t.Logf("life %d: killed after %v; %d tickets issued and %d called before the kill", life, delay.Round(time.Millisecond), issued, called)
		prev = got
		all = append(all, got...)
		crashes++
	}

	if len(all) == 0 {
		t.Fatal("no request was answered before any kill; the test checked nothing")
	}
	t.Logf("%d crashes in %v, %d answers checked", crashes, time.Since(start).Round(time.Millisecond), len(all))
	checkAnswersInStore(t, filepath.Join(dir, "data"), all)
}

// crashLoad issues tickets as a kiosk and calls them as staff until stop,
// and returns every 2xx answer. A non-2xx answer while the box is alive is a
// failure: the box must not refuse its load.
func crashLoad(t *testing.T, c crashClient, life int, kioskAuth, staffCookie string, stop <-chan struct{}) []crashAnswer {
	var (
		mu      sync.Mutex
		answers []crashAnswer
		fails   failures
		wg      sync.WaitGroup
	)
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	record := func(a crashAnswer) {
		mu.Lock()
		answers = append(answers, a)
		mu.Unlock()
	}
	for i := range crashIssuers {
		wg.Go(func() {
			for k := 0; !stopped(); k++ {
				svc := crashServices[(i+k)%len(crashServices)]
				key := fmt.Sprintf("life%d-kiosk%d-tap%d", life, i, k)
				status, _, raw, err := c.do(http.MethodPost, "/api/v1/tickets", map[string]string{"service_id": svc},
					"Authorization", kioskAuth, "Idempotency-Key", key)
				if err != nil {
					continue // the box is gone; stop follows
				}
				if status != http.StatusCreated {
					fails.add("POST /api/v1/tickets = %d %s", status, raw)
					continue
				}
				var tk crashTicket
				if err := json.Unmarshal(raw, &tk); err != nil || tk.ID == "" || tk.Number == "" {
					fails.add("POST /api/v1/tickets = %s: not a ticket", raw)
					continue
				}
				record(crashAnswer{ID: tk.ID, Number: tk.Number, Date: tk.Date, Service: svc, IdemKey: key})
			}
		})
	}
	for range crashCallers {
		wg.Go(func() {
			for !stopped() {
				status, _, raw, err := c.do(http.MethodPost, "/api/v1/counters/c1/next", nil, "Cookie", staffCookie)
				if err != nil {
					continue
				}
				switch status {
				case http.StatusNoContent:
				case http.StatusOK:
					var tk crashTicket
					if err := json.Unmarshal(raw, &tk); err != nil || tk.ID == "" {
						fails.add("POST /api/v1/counters/c1/next = %s: not a ticket", raw)
						continue
					}
					record(crashAnswer{ID: tk.ID, Number: tk.Number, Date: tk.Date, Called: true})
				default:
					fails.add("POST /api/v1/counters/c1/next = %d %s", status, raw)
				}
			}
		})
	}
	wg.Wait()
	fails.report(t, fmt.Sprintf("life %d under load", life))
	return answers
}

// checkAnswersOverHTTP asks the restarted box about every answer of the life
// before: staff see each ticket with its number, and each kiosk tap replays.
// It reports whether all of them were kept.
func checkAnswersOverHTTP(t *testing.T, c crashClient, answers []crashAnswer, staffCookie, kioskAuth string) bool {
	t.Helper()
	var fails failures
	work := make(chan crashAnswer)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for a := range work {
				status, _, raw, err := c.do(http.MethodGet, "/api/v1/tickets/"+a.ID, nil, "Cookie", staffCookie)
				var tk crashTicket
				switch {
				case err != nil:
					fails.add("GET ticket %s: %v", a.ID, err)
					continue
				case status != http.StatusOK:
					fails.add("GET ticket %s (answered as %s) = %d %s, want 200", a.ID, a.Number, status, raw)
					continue
				case json.Unmarshal(raw, &tk) != nil:
					fails.add("GET ticket %s = %s: not a ticket", a.ID, raw)
					continue
				}
				if tk.Number != a.Number || tk.Date != a.Date {
					fails.add("ticket %s after restart is %s on %s, was answered as %s on %s", a.ID, tk.Number, tk.Date, a.Number, a.Date)
				}
				if a.Called && tk.Status == "waiting" {
					fails.add("ticket %s (%s) was answered as called, waits again after restart", a.ID, a.Number)
				}
				if a.IdemKey == "" {
					continue
				}
				status, h, raw, err := c.do(http.MethodPost, "/api/v1/tickets", map[string]string{"service_id": a.Service},
					"Authorization", kioskAuth, "Idempotency-Key", a.IdemKey)
				tk = crashTicket{}
				switch {
				case err != nil:
					fails.add("replay of %s: %v", a.IdemKey, err)
				case status != http.StatusCreated || json.Unmarshal(raw, &tk) != nil:
					fails.add("replay of %s = %d %s, want 201", a.IdemKey, status, raw)
				case tk.ID != a.ID || tk.Number != a.Number || h.Get("Idempotent-Replayed") != "true":
					fails.add("replay of %s gave ticket %s (%s, replayed %q), want %s (%s, replayed \"true\")",
						a.IdemKey, tk.ID, tk.Number, h.Get("Idempotent-Replayed"), a.ID, a.Number)
				}
			}
		})
	}
	for _, a := range answers {
		work <- a
	}
	close(work)
	wg.Wait()
	return !fails.report(t, "after restart")
}

// checkAnswersInStore reads the file the last life left behind.
func checkAnswersInStore(t *testing.T, dataDir string, answers []crashAnswer) {
	t.Helper()
	db, err := store.Open(dataDir, store.Options{})
	if err != nil {
		t.Fatalf("open the database after the last crash: %v", err)
	}
	defer db.Close()
	snap, err := db.Load()
	if err != nil {
		t.Fatalf("load the database after the last crash: %v", err)
	}

	var fails failures
	for _, a := range answers {
		tk, err := db.Ticket(a.ID)
		switch {
		case err != nil:
			fails.add("ticket %s (answered as %s): %v", a.ID, a.Number, err)
		case tk.Number != a.Number || tk.Date != a.Date:
			fails.add("ticket %s is %s on %s, was answered as %s on %s", a.ID, tk.Number, tk.Date, a.Number, a.Date)
		case a.Called && tk.Status == "waiting":
			fails.add("ticket %s (%s) was answered as called, is waiting", a.ID, a.Number)
		}
	}
	fails.report(t, "answered ticket in the file")

	// Commits are ordered, so a crash may only lose a tail: ids and event
	// seqs have no holes, and no number is given twice on one date.
	byNumber := map[string]string{}
	for id := uint64(1); id <= snap.LastTicketID; id++ {
		tk, err := db.Ticket(strconv.FormatUint(id, 10))
		if err != nil {
			fails.add("ticket %d of 1..%d: %v", id, snap.LastTicketID, err)
			continue
		}
		key := tk.Date + " " + tk.Number
		if other, ok := byNumber[key]; ok {
			fails.add("number %s on %s belongs to tickets %s and %s", tk.Number, tk.Date, other, tk.ID)
		}
		byNumber[key] = tk.ID
	}
	fails.report(t, "tickets in the file")

	evs, err := db.Events(0, int(snap.LastSeq)+1)
	if err != nil {
		t.Fatalf("read the event log: %v", err)
	}
	for i, ev := range evs {
		if want := uint64(i + 1); ev.Seq != want {
			fails.add("event %d of the log has seq %d, want %d", i+1, ev.Seq, want)
			break
		}
	}
	if uint64(len(evs)) != snap.LastSeq {
		fails.add("the log holds %d events, last seq is %d", len(evs), snap.LastSeq)
	}
	fails.report(t, "event log")
}
