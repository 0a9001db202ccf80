package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"queuebox/server/config"
	"queuebox/server/report"
	"queuebox/server/store"
)

const demoConfig = "../configs/queuebox.yaml"

// runDemo runs `queuebox demo` as the command line does.
func runDemo(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), append([]string{"demo"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestDemoGivesANewBoxAPast makes a demo box the way `make demo` does and
// looks at it as a manager would: last week's reports, the estimate's
// accuracy and the customers' tiers are there, and today is a new day that
// starts at number 001 on a clock the box trusts, with the config's own
// desks, hours and services.
func TestDemoGivesANewBoxAPast(t *testing.T) {
	t.Setenv("QUEUEBOX_ADMIN_PASSWORD", testAdminPassword)
	dir := filepath.Join(t.TempDir(), "demo-data")
	code, stdout, stderr := runDemo(t, "--config", demoConfig, "--data", dir, "--days", "10", "--seed", "3")
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "made up") {
		t.Errorf("the demo does not say its data is made up:\n%s", stdout)
	}

	cfg, err := config.LoadFor("test", []string{"--config", demoConfig, "--data", dir}, os.Getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, nil, Options{PublicURL: "http://" + testHost}) // the real clock, as serve
	if err != nil {
		t.Fatalf("serve on the demo data: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	h := &harness{s: s}
	h.admin = h.login(t, "admin", testAdminPassword)

	loc, _ := time.LoadLocation(cfg.Branch.Timezone)
	today := time.Now().In(loc)
	from, to := today.AddDate(0, 0, -7).Format("2006-01-02"), today.AddDate(0, 0, -1).Format("2006-01-02")
	t.Run("last week's reports", func(t *testing.T) {
		var sum report.Summary
		h.do("GET", "/api/v1/reports/summary?by=service&from="+from+"&to="+to, h.admin, "").want(t, http.StatusOK).decode(t, &sum)
		seen := map[string]bool{}
		issued := 0
		for _, r := range sum.Rows {
			seen[r.Key] = true
			issued += r.Issued
			if r.Served == 0 || r.WaitAvg == nil || r.WaitP90 == nil || r.ServiceP50 == nil || *r.ServiceP50 <= 0 || r.EstimateMAE == nil {
				t.Errorf("service %s: served %d, wait avg %v, p90 %v, service p50 %v, estimate error %v: want served tickets with waits, service times and estimates",
					r.Key, r.Served, r.WaitAvg, r.WaitP90, r.ServiceP50, r.EstimateMAE)
			}
		}
		for _, sv := range cfg.Services {
			if !seen[sv.ID] {
				t.Errorf("no report row for service %s in %s..%s", sv.ID, from, to)
			}
		}
		// A small branch: a few hundred tickets a day.
		if issued < 7*150 || issued > 7*800 {
			t.Errorf("%d tickets in a week: want a few hundred a day", issued)
		}
		// Some customers rated their visit on the phone, most of them well.
		if tot := sum.Total; tot == nil {
			t.Error("no total row in last week's report")
		} else if tot.Ratings < tot.Served/10 || tot.Ratings > tot.Served*3/10 || tot.RatingAvg == nil || *tot.RatingAvg < 3.5 || *tot.RatingAvg > 4.9 {
			t.Errorf("last week: %d ratings of %d served, average %v; want a tenth to three tenths rating, 3.5 to 4.9 on average",
				tot.Ratings, tot.Served, fmtAvg(tot.RatingAvg))
		}
		var comments []store.Comment
		h.do("GET", "/api/v1/reports/comments?from="+from+"&to="+to, h.admin, "").want(t, http.StatusOK).decode(t, &comments)
		if len(comments) == 0 {
			t.Error("no customer's comment last week")
		}
		for _, c := range comments {
			if c.Rating < 1 || c.Rating > 5 || c.Comment == "" {
				t.Errorf("comment %+v: want a rating of 1 to 5 with words", c)
			}
		}
	})
	t.Run("estimate accuracy", func(t *testing.T) {
		var acc struct {
			Total struct {
				Tickets   int     `json:"tickets"`
				RangeHit  float64 `json:"range_hit_share"`
				Within5   float64 `json:"within_5min_share"`
				MAESecond float64 `json:"mae_seconds"`
			} `json:"total"`
		}
		h.do("GET", "/api/v1/estimates/accuracy?from="+from+"&to="+to, h.admin, "").want(t, http.StatusOK).decode(t, &acc)
		if acc.Total.Tickets < 7*100 || acc.Total.RangeHit <= 0 || acc.Total.Within5 <= 0 || acc.Total.MAESecond <= 0 {
			t.Errorf("accuracy of last week: %+v, want the promises of hundreds of tickets scored", acc.Total)
		}
	})
	t.Run("customers and tiers", func(t *testing.T) {
		for _, tier := range cfg.Tiers {
			var cs []struct {
				Phone  string `json:"phone"`
				Tier   string `json:"tier"`
				Visits int    `json:"visits"`
			}
			h.do("GET", "/api/v1/customers?tier="+tier.ID, h.admin, "").want(t, http.StatusOK).decode(t, &cs)
			if len(cs) == 0 {
				t.Errorf("no customer in tier %s", tier.ID)
			}
			for _, c := range cs {
				if !strings.HasPrefix(c.Phone, "+1") || c.Phone[5:9] != "5550" || c.Phone[9] != '1' {
					t.Fatalf("customer phone %s is not a fictional 555-01xx number", c.Phone)
				}
			}
		}
	})
	t.Run("customers' no-shows", func(t *testing.T) {
		// The no-shows reach the records as on a serving box: a customer
		// called while gone has one on the card.
		var cs []struct {
			ID      string `json:"id"`
			Visits  int    `json:"visits"`
			NoShows int    `json:"no_shows"`
		}
		h.do("GET", "/api/v1/customers", h.admin, "").want(t, http.StatusOK).decode(t, &cs)
		noShows, visits := 0, 0
		for _, c := range cs {
			noShows += c.NoShows
			visits += c.Visits
		}
		if noShows == 0 || noShows >= visits {
			t.Fatalf("%d customers with %d visits and %d no-shows: want some no-shows among the visits", len(cs), visits, noShows)
		}
	})
	t.Run("config as seeded", func(t *testing.T) {
		fresh := filepath.Join(t.TempDir(), "fresh")
		want, err := New(&config.Config{Data: fresh, Branch: cfg.Branch, Tiers: cfg.Tiers, Services: cfg.Services, Counters: cfg.Counters,
			Printer: cfg.Printer, AdminPassword: testAdminPassword}, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer want.Close()
		if got, exp := s.engine.Settings(), want.engine.Settings(); !reflect.DeepEqual(got, exp) {
			t.Errorf("settings after the demo:\n%+v\nwant as a new box's:\n%+v", got, exp)
		}
		if got, exp := s.engine.Counters(), want.engine.Counters(); !reflect.DeepEqual(got, exp) {
			t.Errorf("counters after the demo:\n%+v\nwant as a new box's:\n%+v", got, exp)
		}
		got, exp := s.engine.Services(), want.engine.Services()
		if len(got) != len(exp) {
			t.Fatalf("%d services after the demo, want %d", len(got), len(exp))
		}
		for i := range got { // the configuration, not today's figures
			if !reflect.DeepEqual(got[i].Service, exp[i].Service) {
				t.Errorf("service after the demo:\n%+v\nwant as a new box's:\n%+v", got[i].Service, exp[i].Service)
			}
		}
		if got, exp := s.engine.Tiers(), want.engine.Tiers(); !reflect.DeepEqual(got, exp) {
			t.Errorf("tiers after the demo:\n%+v\nwant as a new box's:\n%+v", got, exp)
		}
	})
	t.Run("today is new", func(t *testing.T) {
		var clock struct {
			Trusted bool   `json:"trusted"`
			Reason  string `json:"reason"`
		}
		h.do("GET", "/api/v1/clock", h.admin, "").want(t, http.StatusOK).decode(t, &clock)
		if !clock.Trusted {
			t.Fatalf("the box distrusts its clock on the demo data: %s", clock.Reason)
		}
		var day struct {
			WaitingNow int `json:"waiting_now"`
			Total      *struct {
				Issued int `json:"issued"`
			} `json:"total"`
		}
		h.do("GET", "/api/v1/reports/today", h.admin, "").want(t, http.StatusOK).decode(t, &day)
		if day.WaitingNow != 0 || (day.Total != nil && day.Total.Issued != 0) {
			t.Errorf("today on the demo box: %d waiting, %+v issued; want an empty day", day.WaitingNow, day.Total)
		}
		h.kiosk, _ = h.newDevice(t, "kiosk", "Kiosk 1")
		if tk := h.issue(t, h.kiosk, "general"); tk.Number != "A001" {
			t.Errorf("today's first General ticket is %s, want A001", tk.Number)
		}
	})
}

// TestDemoRefusesADatabase: the demo never writes made-up days into a
// directory that holds a database, and leaves that database as it was.
func TestDemoRefusesADatabase(t *testing.T) {
	t.Setenv("QUEUEBOX_ADMIN_PASSWORD", testAdminPassword)
	dir := t.TempDir()
	cfg, err := config.LoadFor("test", []string{"--config", demoConfig, "--data", dir}, os.Getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, store.FileName)
	before, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runDemo(t, "--config", demoConfig, "--data", dir, "--days", "2")
	if code != 2 || !strings.Contains(stderr, "already holds a database") {
		t.Fatalf("demo on a box's data: exit %d\nstdout: %s\nstderr: %s\nwant exit 2 and a refusal", code, stdout, stderr)
	}
	if after, err := os.ReadFile(file); err != nil || !bytes.Equal(before, after) {
		t.Errorf("the refused demo changed the database (err %v)", err)
	}
	for _, args := range [][]string{{"--days", "0"}, {"--days", "x"}, {"--seed", "-1"}} {
		code, _, stderr := runDemo(t, append([]string{"--config", demoConfig, "--data", t.TempDir()}, args...)...)
		if code != 2 {
			t.Errorf("demo %v: exit %d (%s), want 2", args, code, stderr)
		}
	}
}

func TestSplitFlags(t *testing.T) {
	own, rest := splitFlags([]string{"--config", "c.yaml", "--days", "5", "--data=d", "-seed=9", "--days"}, "days", "seed")
	if want := []string{"--days", "5", "-seed=9", "--days"}; !reflect.DeepEqual(own, want) {
		t.Errorf("own = %q, want %q", own, want)
	}
	if want := []string{"--config", "c.yaml", "--data=d"}; !reflect.DeepEqual(rest, want) {
		t.Errorf("rest = %q, want %q", rest, want)
	}
}

func fmtAvg(f *float64) string {
	if f == nil {
		return "none"
	}
	return strconv.FormatFloat(*f, 'f', 2, 64)
}
