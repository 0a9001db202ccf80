package store_test

import (
	"testing"

	"queuebox/server/queue"
	"queuebox/server/sim"
	"queuebox/server/store"
)

// BenchmarkModelEvents reads weeks of a simulated branch the way the box
// does at start-up, against the full decode it replaced.
func BenchmarkModelEvents(b *testing.B) {
	dir := b.TempDir()
	if _, err := sim.Run(sim.Generate(sim.GenOptions{Days: 30, Seed: 5}), sim.Options{KeepDir: dir}); err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, read := range []struct {
		name string
		f    func(since uint64, limit int) ([]queue.Event, error)
	}{{"lean", db.ModelEvents}, {"full", db.Events}} {
		b.Run(read.name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				evs, err := read.f(0, 30000)
				if err != nil {
					b.Fatal(err)
				}
				n = len(evs)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
		})
	}
}
