package server

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSimCommand(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "t.json")
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"sim", "gen", "--out", trace, "--days", "2", "--seed", "3", "--tiers"}, nil, &out, &errb); code != 0 {
		t.Fatalf("sim gen: exit %d: %s", code, errb.String())
	}
	res := filepath.Join(dir, "out")
	if code := Main(context.Background(), []string{"sim", "--trace", trace, "--out", res}, nil, &out, &errb); code != 0 {
		t.Fatalf("sim: exit %d: %s", code, errb.String())
	}
	raw, err := os.ReadFile(filepath.Join(res, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Overall struct {
			Tickets int `json:"tickets"`
		} `json:"overall"`
		Tiers map[string]any `json:"tiers"`
	}
	if err := json.Unmarshal(raw, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Overall.Tickets == 0 || len(sum.Tiers) != 3 {
		t.Errorf("summary: %d tickets, %d tiers; want some tickets and gold, silver, standard", sum.Overall.Tickets, len(sum.Tiers))
	}
	if !strings.Contains(out.String(), "tier gold") {
		t.Errorf("printed table lacks the tiers:\n%s", out.String())
	}

	// A bad trace: exit 2, the field named, nothing written.
	bad := filepath.Join(dir, "bad.json")
	b, _ := os.ReadFile(trace)
	os.WriteFile(bad, bytes.Replace(b, []byte(`"open":"09:00"`), []byte(`"open":"9"`), 1), 0o644)
	none := filepath.Join(dir, "none")
	errb.Reset()
	if code := Main(context.Background(), []string{"sim", "--trace", bad, "--out", none}, nil, &out, &errb); code != 2 {
		t.Errorf("bad trace: exit %d, want 2", code)
	}
	if !strings.Contains(errb.String(), "open") {
		t.Errorf("bad trace message %q does not name the field", errb.String())
	}
	if _, err := os.Stat(none); !os.IsNotExist(err) {
		t.Errorf("a bad trace wrote %s", none)
	}
}
