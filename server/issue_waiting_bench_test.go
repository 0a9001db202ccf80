//go:build linux

package server

import (
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BenchmarkIssueWaiting issues tickets from 64 clients through the handler
// with none and with tens of thousands already waiting, as a benchtool issue
// section leaves the box by its 64-client phase (it serves nobody). Nothing
// on the issue path may cost more as the queue grows, so the figures should
// match. cpu-µs/op is this process's CPU per ticket; other-cores is the CPU
// the rest of the machine used meanwhile, in cores: on a shared machine a
// run with other work beside it is slower and costs more CPU per ticket
// whatever the queue holds, and is to be run again rather than compared.
func BenchmarkIssueWaiting(b *testing.B) {
	for _, waiting := range []int{0, 30000} {
		// Filled once: b.Run calls the function more than once, and filling
		// takes seconds.
		var (
			s    *Server
			tok  string
			once sync.Once
		)
		b.Run("waiting="+strconv.Itoa(waiting), func(b *testing.B) {
			once.Do(func() {
				s, tok = benchKioskServer(b)
				issueFrom(b, s.Handler(), tok, 64, waiting)
			})
			issue := kioskIssuer(b, s.Handler(), tok)
			b.ReportAllocs()
			cpu0, busy0 := processCPU(), machineBusy()
			b.ResetTimer()
			b.SetParallelism(32) // ×GOMAXPROCS goroutines
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					issue()
				}
			})
			b.StopTimer()
			own := processCPU() - cpu0
			b.ReportMetric(float64(own.Microseconds())/float64(b.N), "cpu-µs/op")
			b.ReportMetric((machineBusy()-busy0-own).Seconds()/b.Elapsed().Seconds(), "other-cores")
		})
		if s != nil {
			s.Close()
		}
	}
}

// issueFrom issues n tickets from clients at once, so they are committed in
// batches as under load.
func issueFrom(b *testing.B, h http.Handler, tok string, clients, n int) {
	issue := kioskIssuer(b, h, tok)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			for range n/clients + min(1, max(0, n%clients-i)) {
				issue()
			}
		})
	}
	wg.Wait()
}

// processCPU is the CPU this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineBusy is the CPU the whole machine has used (all but idle and I/O
// wait, in ticks of 10 ms), from /proc/stat; 0 when unknown.
func machineBusy() time.Duration {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, x := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(x, 10, 64)
		busy += n
	}
	return time.Duration(busy) * 10 * time.Millisecond
}
