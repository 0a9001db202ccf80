package live

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// BenchmarkFanout publishes events to 1000 clients on loopback, one event at a
// time, and reports how long each client waited for it (p50-ns, p99-ns) and
// the memory one idle connection costs (B/conn). B/conn covers both ends of
// the loopback pair and the benchmark's reader goroutine, so the server's
// share is lower.
//
// "shared" is the lobby case: every client has the same subscription, so an
// event is rendered and encoded once. "own" gives every client its own
// subscription, the worst case for the status topic.
func BenchmarkFanout(b *testing.B) {
	for _, bc := range []struct {
		name  string
		query func(i int) string
	}{
		{"shared", func(int) string { return "topic=display" }},
		{"own", func(i int) string { return fmt.Sprintf("topic=queue&key=k%d", i) }},
	} {
		b.Run(bc.name, func(b *testing.B) { benchFanout(b, 1000, bc.query) })
	}
}

func benchFanout(b *testing.B, clients int, query func(i int) string) {
	r := newRig(b, Options{}, nil)
	dialer := &websocket.Dialer{ReadBufferSize: 256, WriteBufferPool: &sync.Pool{}}

	before := memInUse()
	conns := make([]*websocket.Conn, clients)
	work := make(chan int)
	var dialing sync.WaitGroup
	for range 16 {
		dialing.Go(func() {
			for i := range work {
				conn, resp, err := dialer.Dial(r.url(query(i)), nil)
				if err != nil {
					b.Errorf("dial: %v", err)
					continue
				}
				resp.Body.Close()
				if _, _, err := conn.ReadMessage(); err != nil { // the snapshot
					b.Errorf("read snapshot: %v", err)
				}
				conns[i] = conn
			}
		})
	}
	for i := range clients {
		work <- i
	}
	close(work)
	dialing.Wait()
	if b.Failed() {
		b.FailNow()
	}

	var (
		sent    atomic.Int64 // UnixNano of the event in flight
		got     atomic.Int64
		round   = make(chan struct{}, 1)
		lat     = make([][]time.Duration, clients)
		reading sync.WaitGroup
	)
	for i, conn := range conns {
		reading.Go(func() {
			for {
				if _, _, err := conn.ReadMessage(); err != nil {
					return
				}
				lat[i] = append(lat[i], time.Since(time.Unix(0, sent.Load())))
				if got.Add(1) == int64(clients) {
					round <- struct{}{}
				}
			}
		})
	}
	perConn := float64(memInUse()-before) / float64(clients)

	for b.Loop() {
		got.Store(0)
		sent.Store(time.Now().UnixNano())
		r.hub.Publish(r.eng.commit("called", "A", ""))
		<-round
	}
	b.StopTimer()

	for _, conn := range conns {
		conn.Close()
	}
	reading.Wait()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(all[len(all)*99/100].Nanoseconds()), "p99-ns")
	}
	b.ReportMetric(perConn, "B/conn")
}

// memInUse returns the heap and stack memory in use after a collection.
func memInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}
