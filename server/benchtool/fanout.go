package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// warmCalls are made before each measured fan-out size and not counted.
const warmCalls = 2

// roundTimeout bounds the wait for every phone to hear one call.
const roundTimeout = 15 * time.Second

// watcher is one phone's status page: a websocket that notes when the first
// message after a call arrives.
type watcher struct {
	conn  *websocket.Conn
	last  atomic.Uint64 // highest seq received
	round atomic.Int64  // last round this phone has heard
	lat   atomic.Int64  // ns from the call to this phone hearing it, in that round
	size  atomic.Int64  // bytes of that message
	ahead atomic.Int64  // the place the phone last showed
	mark  atomic.Int64  // its place when the round began
}

// fleet is the phones connected to one server.
type fleet struct {
	name string
	// byPlace: a phone has heard a call when its place moves up. The
	// server sends a phone the state it finds when it renders an event, so
	// a call that follows the last closely may first reach a phone on a
	// late event of the last, seq and all. Else (the bare hub) a phone has
	// heard a publish when a message with a newer seq arrives.
	byPlace bool
	url     func(i int) string
	ws      []*watcher // changed only between rounds
	dialer  *websocket.Dialer

	// The current round: set before the call, read by every reader.
	roundNo atomic.Int64
	base    atomic.Uint64 // messages with a seq above it belong to the round
	start   atomic.Int64  // UnixNano just before the call
	want    atomic.Int64
	arrived atomic.Int64
	all     chan struct{} // signalled when arrived reaches want

	settled uint64 // seq every phone has reached
	// callTimes are how long each call took to be answered (for the
	// server, that is once the call is on disk); only the caller uses it.
	callTimes []time.Duration
	// rounds are the measured rounds' shapes, for the report.
	rounds   []roundShape
	msgs     atomic.Int64 // messages with a seq received, all phones
	stopping atomic.Bool
	broken   atomic.Int64 // phones that lost their connection
	readers  sync.WaitGroup
}

func newFleet(name string, url func(i int) string) *fleet {
	return &fleet{name: name, url: url, all: make(chan struct{}, 1),
		dialer: &websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 256}}
}

// grow connects phones until there are n, each with its snapshot read.
func (f *fleet) grow(ctx context.Context, n int) error {
	from := len(f.ws)
	add := make([]*watcher, n-from)
	work := make(chan int)
	var (
		wg      sync.WaitGroup
		errOnce sync.Once
		dialErr error
	)
	for range 16 {
		wg.Go(func() {
			for i := range work {
				conn, resp, err := f.dialer.DialContext(ctx, f.url(from+i), nil)
				if err != nil {
					errOnce.Do(func() { dialErr = fmt.Errorf("%s: dial phone %d: %w", f.name, from+i, err) })
					continue
				}
				resp.Body.Close()
				conn.SetReadDeadline(time.Now().Add(roundTimeout))
				_, msg, err := conn.ReadMessage()
				conn.SetReadDeadline(time.Time{})
				var m struct {
					Seq  uint64 `json:"seq"`
					Type string `json:"type"`
					Data struct {
						Ahead int `json:"ahead"`
					} `json:"data"`
				}
				if err == nil {
					err = json.Unmarshal(msg, &m)
				}
				if err == nil && m.Type != "snapshot" {
					err = fmt.Errorf("first message is %q, not a snapshot", m.Type)
				}
				if err != nil {
					conn.Close()
					errOnce.Do(func() { dialErr = fmt.Errorf("%s: phone %d: %w", f.name, from+i, err) })
					continue
				}
				w := &watcher{conn: conn}
				w.last.Store(m.Seq)
				w.ahead.Store(int64(m.Data.Ahead))
				w.round.Store(f.roundNo.Load())
				add[i] = w
			}
		})
	}
	for i := range add {
		work <- i
	}
	close(work)
	wg.Wait()
	for _, w := range add {
		if w != nil {
			f.ws = append(f.ws, w)
			f.readers.Go(func() { f.read(w) })
		}
	}
	if dialErr != nil {
		return dialErr
	}
	for _, w := range f.ws {
		f.settled = max(f.settled, w.last.Load())
	}
	return nil
}

func (f *fleet) read(w *watcher) {
	var m struct {
		Seq  uint64 `json:"seq"`
		Type string `json:"type"`
		Data struct {
			Ahead *int `json:"ahead"`
		} `json:"data"`
	}
	for {
		_, msg, err := w.conn.ReadMessage()
		now := time.Now().UnixNano()
		if err != nil {
			if !f.stopping.Load() {
				f.broken.Add(1)
			}
			return
		}
		m.Seq, m.Type, m.Data.Ahead = 0, "", nil
		if json.Unmarshal(msg, &m) != nil || m.Seq == 0 {
			continue // heartbeats carry no seq
		}
		f.msgs.Add(1)
		heard := m.Seq > f.base.Load()
		if f.byPlace {
			heard = false
			if m.Data.Ahead != nil {
				w.ahead.Store(int64(*m.Data.Ahead))
				heard = int64(*m.Data.Ahead) < w.mark.Load()
			}
		}
		if r := f.roundNo.Load(); heard && w.round.Load() < r {
			w.lat.Store(now - f.start.Load())
			w.size.Store(int64(len(msg)))
			w.round.Store(r)
			if f.arrived.Add(1) == f.want.Load() {
				select {
				case f.all <- struct{}{}:
				default:
				}
			}
		}
		if m.Seq > w.last.Load() {
			w.last.Store(m.Seq)
		}
	}
}

// roundShape is how one call reached the phones: when the call was
// answered, when the first phone, the middle one and the last heard it,
// each since the call was made.
type roundShape struct {
	Answer, First, Median, Last time.Duration
}

// shape sums up one round's latencies.
func shape(answer time.Duration, lat []time.Duration) roundShape {
	s := slices.Clone(lat)
	slices.Sort(s)
	return roundShape{Answer: answer, First: s[0], Median: s[len(s)/2], Last: s[len(s)-1]}
}

// roundsMs lists the rounds' shapes in milliseconds, for the report.
func roundsMs(rs []roundShape) [][4]float64 {
	out := make([][4]float64, len(rs))
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for i, r := range rs {
		out[i] = [4]float64{ms(r.Answer), ms(r.First), ms(r.Median), ms(r.Last)}
	}
	return out
}

// medianOf returns the median of one field of the rounds' shapes.
func medianOf(rs []roundShape, field func(roundShape) time.Duration) float64 {
	return percentileMs(durations(rs, field), 0.5)
}

// durations returns one field of the rounds' shapes.
func durations(rs []roundShape, field func(roundShape) time.Duration) []time.Duration {
	ds := make([]time.Duration, len(rs))
	for i, r := range rs {
		ds[i] = field(r)
	}
	return ds
}

// caller makes one call. It returns how to learn the seq of the last event
// the call caused; that is asked only once every phone has heard the call,
// so that finding out does not load the server during the fan-out.
type caller func(base uint64) (last func() (end uint64, err error), err error)

// round makes one call and returns how long each phone took to hear it and
// the size of what they heard.
func (f *fleet) round(ctx context.Context, call caller) ([]time.Duration, []int, error) {
	select {
	case <-f.all:
	default:
	}
	f.want.Store(int64(len(f.ws)))
	f.arrived.Store(0)
	for _, w := range f.ws {
		w.mark.Store(w.ahead.Load())
	}
	f.base.Store(f.settled)
	f.start.Store(time.Now().UnixNano())
	r := f.roundNo.Add(1)
	lastSeq, err := call(f.settled)
	if err != nil {
		return nil, nil, err
	}
	answer := time.Since(time.Unix(0, f.start.Load()))
	f.callTimes = append(f.callTimes, answer)
	t := time.NewTimer(roundTimeout)
	defer t.Stop()
	select {
	case <-f.all:
	case <-t.C:
		return nil, nil, fmt.Errorf("%s: %d of %d phones heard call %d within %s (%d connections lost)",
			f.name, f.arrived.Load(), len(f.ws), r, roundTimeout, f.broken.Load())
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	lat := make([]time.Duration, len(f.ws))
	size := make([]int, len(f.ws))
	for i, w := range f.ws {
		lat[i] = time.Duration(w.lat.Load())
		size[i] = int(w.size.Load())
	}
	f.rounds = append(f.rounds, shape(answer, lat))
	// A message of this call that comes late (a phone may get more than
	// one) has a seq up to end: the next round, which counts only seqs
	// above it, does not take it for a phone hearing the next call.
	end, err := lastSeq()
	if err != nil {
		return nil, nil, err
	}
	f.settled = end
	return lat, size, nil
}

func (f *fleet) close() {
	f.stopping.Store(true)
	for _, w := range f.ws {
		w.conn.Close()
	}
	f.readers.Wait()
}

// fanoutSection measures how long a call takes to reach every phone's status
// page, and what each connected phone costs the server, against a bare
// gorilla broadcast of the same-size message to the same number of clients.
//
// Each phone watches its own waiting ticket, as a real one does; the calls
// take tickets queued ahead of all of them, so every call changes every
// phone's place in the queue and each phone gets an update.
func (b *bench) fanoutSection(ctx context.Context) error {
	srv, a, kiosk, err := b.serverWithKiosk(ctx, "fanout")
	if err != nil {
		return err
	}
	defer srv.stop()
	maxN := b.o.fanout[len(b.o.fanout)-1]
	ahead := len(b.o.fanout)*(warmCalls+b.o.calls) + 1
	if _, err := issueMany(a, kiosk, ahead); err != nil {
		return err
	}
	tokens, err := issueMany(a, kiosk, maxN)
	if err != nil {
		return err
	}
	bare, err := b.spawn("bare-fanout", "bare-fanout", nil, true)
	if err != nil {
		return err
	}
	defer bare.stop()

	srvMem0, err := srv.mem()
	if err != nil {
		return err
	}
	bareMem0, err := bare.mem()
	if err != nil {
		return err
	}
	phones := newFleet("server", func(i int) string {
		return "ws://" + srv.addr + "/api/v1/live?topic=status&token=" + tokens[i]
	})
	phones.byPlace = true
	defer phones.close()
	barePhones := newFleet("bare hub", func(int) string { return "ws://" + bare.addr + "/ws" })
	defer barePhones.close()

	// A call at the counter that serves only the phones' service.
	call := func(base uint64) (func() (uint64, error), error) {
		if err := a.do("POST", "/api/v1/counters/c2/next", nil, "", http.StatusOK, nil); err != nil {
			return nil, err
		}
		return func() (uint64, error) {
			var out struct {
				Events []struct {
					Seq uint64 `json:"seq"`
				} `json:"events"`
			}
			if err := a.do("GET", fmt.Sprintf("/api/v1/events?since=%d&limit=100", base), nil, "", http.StatusOK, &out); err != nil {
				return 0, err
			}
			if len(out.Events) == 0 {
				return 0, errors.New("a call made no event")
			}
			return out.Events[len(out.Events)-1].Seq, nil
		}, nil
	}
	bareHTTP := &http.Client{Timeout: 10 * time.Second}
	for _, n := range b.o.fanout {
		if err := phones.grow(ctx, n); err != nil {
			return err
		}
		if err := barePhones.grow(ctx, n); err != nil {
			return err
		}
		srvMem, err := srv.mem()
		if err != nil {
			return err
		}
		bareMem, err := bare.mem()
		if err != nil {
			return err
		}
		if err := b.heapProfile(srv, fmt.Sprintf("fanout-server-n%d", n)); err != nil {
			return err
		}
		// The bare hub sends messages of the size the phones get from the
		// server, learnt in the warm-up calls.
		size := 0
		publish := func(uint64) (func() (uint64, error), error) {
			resp, err := bareHTTP.Post(fmt.Sprintf("http://%s/publish?size=%d", bare.addr, size), "", nil)
			if err != nil {
				return nil, err
			}
			defer resp.Body.Close()
			var out struct{ Seq uint64 }
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				return nil, fmt.Errorf("bare publish: %w", err)
			}
			return func() (uint64, error) { return out.Seq, nil }, nil
		}
		for range warmCalls {
			_, sizes, err := phones.round(ctx, call)
			if err != nil {
				return err
			}
			slices.Sort(sizes)
			size = sizes[len(sizes)/2]
			if _, _, err := barePhones.round(ctx, publish); err != nil {
				return err
			}
		}
		// Server and bare calls take turns, so that load from elsewhere on
		// a shared machine falls on both alike. The CPU time each process
		// spends on its rounds says what a call costs whatever else the
		// machine is doing.
		var lat, bareLat []time.Duration
		var srvCPU, bareCPU float64
		// measured makes one round of fl against c, adding its latencies
		// to lat and its CPU time to cpu.
		measured := func(c *child, fl *fleet, call caller, lat *[]time.Duration, cpu *float64) error {
			before, err := c.cpu()
			if err != nil {
				return err
			}
			l, _, err := fl.round(ctx, call)
			if err != nil {
				return err
			}
			*lat = append(*lat, l...)
			after, err := c.cpu()
			*cpu += after - before
			return err
		}
		msgs0 := phones.msgs.Load()
		// Heap objects allocated per call: like the CPU time, a figure
		// the rest of the machine's load does not move.
		srvAllocs, bareAllocs := "http://"+srv.control+"/allocs", "http://"+bare.control+"/allocs"
		srvAllocs0, bareAllocs0 := readAllocs(srvAllocs), readAllocs(bareAllocs)
		phones.callTimes, barePhones.callTimes = nil, nil
		phones.rounds, barePhones.rounds = nil, nil
		err = b.cpuProfile(srv, fmt.Sprintf("fanout-server-n%d", n), func() error {
			for range b.o.calls {
				if err := measured(srv, phones, call, &lat, &srvCPU); err != nil {
					return err
				}
				if err := measured(bare, barePhones, publish, &bareLat, &bareCPU); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		msgsPerCall := float64(phones.msgs.Load()-msgs0) / float64(b.o.calls*n)
		// Both take turns, so each count has the other's rounds' idle time
		// in it: nothing allocates much while idle.
		srvAllocsPerCall := float64(readAllocs(srvAllocs)-srvAllocs0) / float64(b.o.calls)
		bareAllocsPerCall := float64(readAllocs(bareAllocs)-bareAllocs0) / float64(b.o.calls)
		srvCPU, bareCPU = srvCPU/float64(b.o.calls), bareCPU/float64(b.o.calls)

		perConn := func(m, m0 memStats) float64 { return float64(m.RSSKiB-m0.RSSKiB) / float64(n) }
		heapPerConn := func(m, m0 memStats) float64 {
			return float64(int64(m.HeapInuse+m.StackInuse)-int64(m0.HeapInuse+m0.StackInuse)) / 1024 / float64(n)
		}
		stackPerConn := func(m, m0 memStats) float64 {
			return float64(int64(m.StackInuse)-int64(m0.StackInuse)) / 1024 / float64(n)
		}
		p50, p99 := percentileMs(lat, 0.50), percentileMs(lat, 0.99)
		bp50, bp99 := percentileMs(bareLat, 0.50), percentileMs(bareLat, 0.99)
		b.rep.set(fmt.Sprintf("fanout_p50_n%d", n), p50, bp50, "bare hub")
		b.rep.set(fmt.Sprintf("fanout_p99_n%d", n), p99, bp99, "bare hub")
		b.rep.set(fmt.Sprintf("fanout_cpu_n%d", n), srvCPU, bareCPU, "bare hub")
		b.rep.set(fmt.Sprintf("mem_per_conn_n%d", n), perConn(srvMem, srvMem0), perConn(bareMem, bareMem0), "bare hub")
		b.rep.detail(fmt.Sprintf("fanout_n%d", n), map[string]any{
			"message_bytes": size, "calls": b.o.calls, "samples": len(lat), "server_messages_per_phone_per_call": msgsPerCall,
			"server_rss_kib": []int64{srvMem0.RSSKiB, srvMem.RSSKiB}, "bare_rss_kib": []int64{bareMem0.RSSKiB, bareMem.RSSKiB},
			"server_heap_stack_kib_per_conn": heapPerConn(srvMem, srvMem0), "bare_heap_stack_kib_per_conn": heapPerConn(bareMem, bareMem0),
			"server_stack_kib_per_conn": stackPerConn(srvMem, srvMem0), "bare_stack_kib_per_conn": stackPerConn(bareMem, bareMem0),
			"server_goroutines": srvMem.Goroutines, "bare_goroutines": bareMem.Goroutines,
			"server_allocs_per_call": srvAllocsPerCall, "bare_allocs_per_call": bareAllocsPerCall,
			"server_call_answer_p50_ms": percentileMs(phones.callTimes, 0.5), "bare_publish_answer_p50_ms": percentileMs(barePhones.callTimes, 0.5),
			// Each measured round: answer, first, middle and last phone, ms.
			"server_rounds_ms": roundsMs(phones.rounds), "bare_rounds_ms": roundsMs(barePhones.rounds),
		})
		first := func(r roundShape) time.Duration { return r.First }
		last := func(r roundShape) time.Duration { return r.Last }
		b.logf("fan-out, %d phones, the middle round: server first phone %.2f ms, last %.2f ms; bare first %.2f ms, last %.2f ms; slowest round's last phone: server %.2f ms, bare %.2f ms",
			n, medianOf(phones.rounds, first), medianOf(phones.rounds, last), medianOf(barePhones.rounds, first), medianOf(barePhones.rounds, last),
			percentileMs(durations(phones.rounds, last), 1), percentileMs(durations(barePhones.rounds, last), 1))
		b.logf("fan-out, %d phones: server p50 %.2f p99 %.2f ms, %.1f KiB/conn, %.1f ms CPU and %.0f allocations per call; bare p50 %.2f p99 %.2f ms, %.1f KiB/conn, %.1f ms CPU and %.0f allocations (%d-byte messages); the call's answer p50 %.2f ms (durable), bare publish's %.2f ms",
			n, p50, p99, perConn(srvMem, srvMem0), srvCPU, srvAllocsPerCall, bp50, bp99, perConn(bareMem, bareMem0), bareCPU, bareAllocsPerCall, size,
			percentileMs(phones.callTimes, 0.5), percentileMs(barePhones.callTimes, 0.5))
	}
	if n := phones.broken.Load() + barePhones.broken.Load(); n > 0 {
		return fmt.Errorf("%d phone connections were lost during the calls", n)
	}
	return nil
}

// issueMany issues n tickets in general with a few kiosks at once and
// returns their status tokens.
func issueMany(a *api, kiosk string, n int) ([]string, error) {
	tokens := make([]string, n)
	work := make(chan int)
	var (
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				var t issued
				if err := a.do("POST", "/api/v1/tickets", map[string]string{"service_id": "general"}, kiosk, http.StatusCreated, &t); err != nil {
					errOnce.Do(func() { first = err })
					continue
				}
				tokens[i] = t.Token
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	return tokens, first
}
