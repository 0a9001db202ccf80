package server

import (
	"net/http"
	"testing"
	"time"
)

// Each ticket keeps what it was promised at issue, and the accuracy report
// scores the called walk-ins of a day against it.
func TestEstimateAccuracyReport(t *testing.T) {
	h := newHarness(t)
	var issued []apiTicket
	for i := 0; i < 3; i++ {
		issued = append(issued, h.issue(t, h.kiosk, "general"))
	}
	var tv struct {
		EWT     int `json:"ewt_seconds"`
		Low     int `json:"ewt_low_seconds"`
		High    int `json:"ewt_high_seconds"`
		Promise *struct {
			Wait int `json:"wait_seconds"`
			Low  int `json:"low_seconds"`
			High int `json:"high_seconds"`
		} `json:"promise"`
	}
	h.do("GET", "/api/v1/tickets/"+issued[2].ID, h.operator(), "").want(t, http.StatusOK).decode(t, &tv)
	if tv.Promise == nil || tv.Promise.Wait <= 0 || tv.Promise.Low > tv.Promise.Wait || tv.Promise.High < tv.Promise.Wait {
		t.Fatalf("third ticket's promise %+v, want a wait above 0 inside its range", tv.Promise)
	}
	if tv.Low > tv.EWT || tv.High < tv.EWT {
		t.Errorf("live range %d–%d does not hold the live estimate %d", tv.Low, tv.High, tv.EWT)
	}
	// c1 and c3 serve general: two are called at once, the third 20 minutes on.
	h.do("POST", "/api/v1/counters/c1/next", h.operator(), "").want(t, http.StatusOK)
	h.do("POST", "/api/v1/counters/c3/next", h.operator(), "").want(t, http.StatusOK)
	h.clock.Advance(20 * time.Minute)
	h.do("POST", "/api/v1/counters/c1/next", h.operator(), "").want(t, http.StatusOK)

	date := h.clock.Now().In(mustLocation(t, "Asia/Shanghai")).Format("2006-01-02")
	var rep struct {
		Total struct {
			Tickets int     `json:"tickets"`
			MAE     float64 `json:"mae_seconds"`
			Bias    float64 `json:"bias_seconds"`
			Within  float64 `json:"within_5min_share"`
		} `json:"total"`
		Rows []struct {
			Date      string `json:"date"`
			ServiceID string `json:"service_id"`
			Tickets   int    `json:"tickets"`
		} `json:"rows"`
	}
	h.do("GET", "/api/v1/estimates/accuracy?from="+date+"&to="+date, h.operator(), "").want(t, http.StatusOK).decode(t, &rep)
	if rep.Total.Tickets != 3 || len(rep.Rows) != 1 || rep.Rows[0].ServiceID != "general" || rep.Rows[0].Date != date {
		t.Fatalf("report %+v, want the 3 general tickets of %s", rep, date)
	}
	// Two waited 0 s as promised 0 s (a desk was free); the third waited
	// 1200 s against its promise.
	wantMAE := float64(abs(tv.Promise.Wait-1200)) / 3
	if d := rep.Total.MAE - wantMAE; d < -0.01 || d > 0.01 {
		t.Errorf("MAE %.2f, want %.2f", rep.Total.MAE, wantMAE)
	}
	r := h.do("GET", "/api/v1/estimates/accuracy?from=yesterday", h.operator(), "").want(t, http.StatusBadRequest)
	if _, msg, _ := r.apiError(); !contains(msg, "from") {
		t.Errorf("bad from: message %q does not name the field", msg)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func mustLocation(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
