package sim

import "testing"

func BenchmarkRun(b *testing.B) {
	tr := Generate(GenOptions{Days: 10, Load: 0.95, Seed: 3})
	for i := 0; i < b.N; i++ {
		if _, err := Run(tr, Options{TempDir: b.TempDir()}); err != nil {
			b.Fatal(err)
		}
	}
}
