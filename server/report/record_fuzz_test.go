package report_test

import (
	"testing"

	"queuebox/server/report"
)

// FuzzUnmarshal: a damaged record is an error, never a panic, and what
// decodes encodes back to the same bytes.
func FuzzUnmarshal(f *testing.F) {
	r := report.Record{ID: 7, Number: "A007", Date: "2026-03-04", ServiceID: "general", Tier: "standard",
		Status: "done", Issued: 1, Called: 2, Started: 3, Ended: 4, CounterID: "c1", Staff: "ann", Rating: 5, Predicted: -1}
	f.Add(r.Marshal())
	f.Add([]byte{1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := report.Unmarshal(b, report.NewInterner())
		if err != nil {
			return
		}
		again, err := report.Unmarshal(rec.Marshal(), nil)
		if err != nil || again != rec {
			t.Fatalf("round trip: %+v → %+v, %v", rec, again, err)
		}
	})
}
