package sim

import "testing"

// BenchmarkYearSlice plays 20 days of a busy branch (about 550 customers a
// day); make bench scales the figure to a year.
func BenchmarkYearSlice(b *testing.B) {
	tr := Generate(GenOptions{Days: 20, Load: 1, Seed: 3, Size: 2})
	for i := 0; i < b.N; i++ {
		if _, err := Run(tr, Options{TempDir: b.TempDir()}); err != nil {
			b.Fatal(err)
		}
	}
}
