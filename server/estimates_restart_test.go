package server_test

import (
	"encoding/json"
	"testing"
	"time"

	"queuebox/server/queue/queuetest"
	"queuebox/server/servertest"
)

// What the wait model learned survives a restart: it reads the recent
// event log again when the box starts.
func TestWaitModelRelearnsAfterRestart(t *testing.T) {
	// Near the real time: the test client's cookie jar drops cookies that look expired.
	clock := queuetest.NewClock(time.Now())
	box := servertest.Start(t, servertest.Options{Clock: clock})
	admin := box.Admin()
	kiosk := box.Device("kiosk")
	if st, body := box.Do(admin, "POST", "/api/v1/counters/c2/pause", nil, nil); st != 200 {
		t.Fatalf("pause c2: %d %s", st, body)
	}
	// General takes 15 minutes here, not the configured 5.
	for i := 0; i < 25; i++ {
		box.Issue(kiosk, "general")
		tk, ok := box.Next(admin, "c1")
		if !ok {
			t.Fatal("nothing to call")
		}
		box.Do(admin, "POST", "/api/v1/tickets/"+tk.ID+"/start", nil, nil)
		clock.Advance(15 * time.Minute)
		if st, body := box.Do(admin, "POST", "/api/v1/tickets/"+tk.ID+"/finish", nil, nil); st != 200 {
			t.Fatalf("finish: %d %s", st, body)
		}
	}
	box.Restart()
	admin = box.Admin()
	box.Issue(kiosk, "general")
	box.Next(admin, "c1")
	// Nobody ahead, c1 just started a service the box now knows takes 15 min.
	next := box.Issue(kiosk, "general")
	st, body := box.Do(admin, "GET", "/api/v1/tickets/"+next.ID, nil, nil)
	var v struct {
		Ahead int `json:"ahead"`
		EWT   int `json:"ewt_seconds"`
	}
	if st != 200 || json.Unmarshal(body, &v) != nil {
		t.Fatalf("get ticket: %d %s", st, body)
	}
	if v.Ahead != 0 || v.EWT < 12*60 {
		t.Errorf("after a restart: ahead %d, ewt %d s; want 0 ahead and about 15 min learned before the restart", v.Ahead, v.EWT)
	}
}
