package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"queuebox/server/queue"
	"queuebox/server/store"
)

// historyOf is what generate wrote: how much, and tokens to look up.
type historyOf struct {
	Tickets int     `json:"tickets"`
	Events  int     `json:"events"`
	Seconds float64 `json:"generate_seconds"`
	FileMiB float64 `json:"file_mib"`
	// BytesPerTicket is the file's size over every ticket in it, and
	// JSONPerTicket the size of its record and events as plain JSON.
	BytesPerTicket float64 `json:"bytes_per_ticket"`
	JSONPerTicket  float64 `json:"json_per_ticket"`
	past           []string
	live           []string
}

// The services and counters of serverConfig, as the history uses them.
var (
	histCounters = map[string]*queue.Counter{
		"c1": {ID: "c1", Name: "Counter 1", ServiceIDs: []string{"general", "cash"}},
		"c2": {ID: "c2", Name: "Counter 2", ServiceIDs: []string{"general"}},
		"c3": {ID: "c3", Name: "Counter 3", ServiceIDs: []string{"advice", "cash"}},
	}
	histServices = []struct {
		id, prefix string
		share      float64 // of all tickets, cumulative
		counters   []string
	}{
		{"general", "A", 0.6, []string{"c1", "c2"}},
		{"cash", "B", 0.9, []string{"c1", "c3"}},
		{"advice", "P", 1.0, []string{"c3"}},
	}
)

// generate writes n past tickets, spread evenly over the year before end,
// each with the events its life made (issued, called, started and
// finished; or a no-show; or a cancel), and then active tickets issued in
// the last hour and still waiting. It is deterministic: the same sizes give
// the same file.
func generate(dir string, n, active int, end time.Time) (*historyOf, error) {
	start := time.Now()
	h := &historyOf{}
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	token := func() string {
		var b [16]byte
		for i := 0; i < 16; i += 8 {
			v := rng.Uint64()
			for j := range 8 {
				b[i+j] = byte(v >> (8 * j))
			}
		}
		return base64.RawURLEncoding.EncodeToString(b[:])
	}
	// Keep about a thousand past tokens, spread over the year.
	every := max(1, n/1000)
	numbers := map[string]queue.DayNumber{}
	var seq uint64
	year := 365 * 24 * time.Hour
	from := end.Add(-year - time.Hour)
	step := year / time.Duration(max(1, n))
	jsonBytes := 0

	err := store.WriteHistory(dir, func(apply func(*queue.Change) error) error {
		for i := range n + active {
			live := i >= n
			var at time.Time
			if live {
				at = end.Add(-time.Hour + time.Duration(i-n)*time.Hour/time.Duration(active))
			} else {
				at = from.Add(time.Duration(i)*step + time.Duration(rng.Int64N(int64(step/2)+1)))
			}
			at = at.UTC().Truncate(time.Millisecond)
			x := rng.Float64()
			svc := histServices[0]
			for _, s := range histServices {
				if x < s.share {
					svc = s
					break
				}
			}
			date := at.Format(time.DateOnly)
			num := numbers[svc.prefix]
			if num.Date != date {
				num = queue.DayNumber{Prefix: svc.prefix, Date: date}
			}
			num.Last++
			numbers[svc.prefix] = num
			t := queue.Ticket{
				ID: strconv.Itoa(i + 1), Number: fmt.Sprintf("%s%03d", svc.prefix, num.Last), ServiceID: svc.id,
				Status: queue.StatusWaiting, Token: token(), Date: date, IssuedAt: at, Source: "device:kiosk-1",
			}
			var evs []queue.Event
			event := func(typ string, at time.Time, actor string, ctr *queue.Counter) {
				seq++
				tc := t
				evs = append(evs, queue.Event{Seq: seq, Type: typ, At: at, Actor: actor, Ticket: &tc, Counter: ctr})
			}
			event(queue.EventIssued, at, t.Source, nil)
			if !live {
				wait := time.Duration(rng.IntN(25*60)) * time.Second
				ctr := histCounters[svc.counters[rng.IntN(len(svc.counters))]]
				switch y := rng.Float64(); {
				case y < 0.05:
					ended := at.Add(wait / 2)
					t.Status, t.EndedAt = queue.StatusCancelled, &ended
					event(queue.EventCancelled, ended, "customer", nil)
				default:
					called := at.Add(wait)
					t.Status, t.CalledAt, t.CounterID, t.CallReason = queue.StatusCalled, &called, ctr.ID, "next in line"
					event(queue.EventCalled, called, "user:staff", ctr)
					if y < 0.15 {
						ended := called.Add(3 * time.Minute)
						t.Status, t.EndedAt = queue.StatusNoShow, &ended
						event(queue.EventNoShow, ended, "user:staff", ctr)
						break
					}
					started := called.Add(time.Minute)
					t.Status, t.StartedAt = queue.StatusServing, &started
					event(queue.EventStarted, started, "user:staff", ctr)
					ended := started.Add(time.Duration(120+rng.IntN(600)) * time.Second)
					t.Status, t.EndedAt = queue.StatusDone, &ended
					event(queue.EventFinished, ended, "user:staff", ctr)
				}
			}
			switch {
			case live:
				h.live = append(h.live, t.Token)
			case i%every == 0:
				h.past = append(h.past, t.Token)
			}
			h.Events += len(evs)
			jsonBytes += jsonSize(t)
			for i := range evs {
				jsonBytes += jsonSize(&evs[i])
			}
			if err := apply(&queue.Change{Tickets: []queue.Ticket{t}, Numbers: []queue.DayNumber{num}, Events: evs}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	h.Tickets = n
	h.Seconds = time.Since(start).Seconds()
	if fi, err := os.Stat(filepath.Join(dir, store.FileName)); err == nil {
		h.FileMiB = float64(fi.Size()) / (1 << 20)
		h.BytesPerTicket = float64(fi.Size()) / float64(n+active)
	}
	h.JSONPerTicket = float64(jsonBytes) / float64(max(1, n+active))
	return h, nil
}

// historyRun is what one database gave: its start-ups and read latencies.
type historyRun struct {
	History      *historyOf `json:"history"`
	FirstStartMs float64    `json:"first_start_ms"`
	RestartsMs   []float64  `json:"restarts_ms"`
	StartupMs    float64    `json:"startup_ms"` // median of the restarts
	Queue        summary    `json:"get_queue"`
	StatusPast   summary    `json:"get_status_past"`
	StatusLive   summary    `json:"get_status_live"`
}

// historySection measures start-up and reads on a box with a year of
// history against the same box with a day of it, so the ratio is what the
// year costs.
func (b *bench) historySection(ctx context.Context) error {
	day := max(1, b.o.history/365)
	base, err := b.historyRun(ctx, "day", day)
	if err != nil {
		return fmt.Errorf("a day of history: %w", err)
	}
	full, err := b.historyRun(ctx, "year", b.o.history)
	if err != nil {
		return fmt.Errorf("a year of history: %w", err)
	}
	b.rep.detail("history_day", base)
	b.rep.detail("history_year", full)
	of := thousands(int64(day)) + " tickets"
	b.rep.set("startup", full.StartupMs, base.StartupMs, of)
	b.rep.set("bytes_per_ticket", full.History.BytesPerTicket, full.History.JSONPerTicket, "its records as plain JSON")
	b.rep.set("queue_p50", full.Queue.P50, base.Queue.P50, of)
	b.rep.set("queue_p99", full.Queue.P99, base.Queue.P99, of)
	b.rep.set("status_past_p50", full.StatusPast.P50, base.StatusPast.P50, of)
	b.rep.set("status_past_p99", full.StatusPast.P99, base.StatusPast.P99, of)
	b.rep.set("status_live_p50", full.StatusLive.P50, base.StatusLive.P50, of)
	b.rep.set("status_live_p99", full.StatusLive.P99, base.StatusLive.P99, of)
	return nil
}

func (b *bench) historyRun(ctx context.Context, name string, n int) (*historyRun, error) {
	dir, err := b.dir("history-" + name)
	if err != nil {
		return nil, err
	}
	// Gigabytes for a year: give the space back as soon as it is measured.
	defer os.RemoveAll(dir)
	hist, err := generate(dir, n, b.o.active, time.Now())
	if err != nil {
		return nil, err
	}
	if err := seedAdmin(dir); err != nil {
		return nil, err
	}
	b.logf("history %s: %d tickets, %d events, %.0f MiB (%.0f bytes per ticket) written in %.1f s",
		name, hist.Tickets, hist.Events, hist.FileMiB, hist.BytesPerTicket, hist.Seconds)
	res := &historyRun{History: hist}

	// The first start seeds the config, which a box restarting after a year
	// does not do; it is reported apart.
	srv, d, err := b.startServer(ctx, "history-"+name+"-first", dir)
	if err != nil {
		return nil, err
	}
	srv.stop()
	res.FirstStartMs = ms(d)
	for i := range b.o.restarts {
		srv, d, err = b.startServer(ctx, fmt.Sprintf("history-%s-%d", name, i+1), dir)
		if err != nil {
			return nil, err
		}
		res.RestartsMs = append(res.RestartsMs, ms(d))
		if i < b.o.restarts-1 {
			srv.stop()
		}
	}
	defer srv.stop()
	sorted := slices.Clone(res.RestartsMs)
	slices.Sort(sorted)
	res.StartupMs = sorted[len(sorted)/2]

	a := newAPI(srv.addr)
	if err := a.login(); err != nil {
		return nil, err
	}
	reads := []struct {
		into *summary
		path func(i int) string
	}{
		{&res.Queue, func(int) string { return "/api/v1/queue" }},
		{&res.StatusPast, func(i int) string { return "/api/v1/status/" + hist.past[i%len(hist.past)] }},
		{&res.StatusLive, func(i int) string { return "/api/v1/status/" + hist.live[i%len(hist.live)] }},
	}
	for _, r := range reads {
		s, err := readLatency(ctx, a, b.o.reads, r.path)
		if err != nil {
			return nil, err
		}
		*r.into = s
	}
	b.logf("history %s: start-up %.0f ms (first %.0f ms), /queue p50 %.2f ms, /status past p50 %.2f ms",
		name, res.StartupMs, res.FirstStartMs, res.Queue.P50, res.StatusPast.P50)
	return res, nil
}

// readLatency times n GET requests from one client, one at a time, after a
// few unmeasured ones that open the connection and warm the caches.
func readLatency(ctx context.Context, a *api, n int, path func(i int) string) (summary, error) {
	const warm = 20
	var r loadResult
	start := time.Now()
	for i := range warm + n {
		if err := ctx.Err(); err != nil {
			return summary{}, err
		}
		t0 := time.Now()
		if err := a.do("GET", path(i), nil, "", http.StatusOK, nil); err != nil {
			return summary{}, err
		}
		if i == warm {
			start = t0
		}
		if i >= warm {
			r.lat = append(r.lat, time.Since(t0))
		}
	}
	r.n, r.elapsed = n, time.Since(start)
	return r.summary(), nil
}

func jsonSize(v any) int {
	raw, _ := json.Marshal(v)
	return len(raw)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
