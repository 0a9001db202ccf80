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
	// A morning: the day's 25 services of 15 minutes end before midnight.
	clock := queuetest.NewClock(servertest.Today(8, 0))
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

// A change of the wait alone reaches the phone: finishing someone else's
// service moves nobody's place, but it moves the estimate.
func TestPhoneHearsTheEstimateMove(t *testing.T) {
	// The clock moves on four minutes: not across the branch's midnight.
	clock := queuetest.NewClock(servertest.Today(11, 0))
	box := servertest.Start(t, servertest.Options{Clock: clock})
	admin := box.Admin()
	kiosk := box.Device("kiosk")
	if st, body := box.Do(admin, "POST", "/api/v1/counters/c2/pause", nil, nil); st != 200 {
		t.Fatalf("pause c2: %d %s", st, body)
	}
	first := box.Issue(kiosk, "general")
	box.Issue(kiosk, "general")
	mine := box.Issue(kiosk, "general")
	box.Next(admin, "c1")
	box.Do(admin, "POST", "/api/v1/tickets/"+first.ID+"/start", nil, nil)

	status := dial(t, box, "topic=status&token="+mine.Token, nil)
	var before, after struct {
		Ahead int `json:"ahead"`
		EWT   int `json:"ewt_seconds"`
	}
	snap := read(t, status)
	json.Unmarshal(snap.Data, &before)
	clock.Advance(4 * time.Minute)
	if st, body := box.Do(admin, "POST", "/api/v1/tickets/"+first.ID+"/finish", nil, nil); st != 200 {
		t.Fatalf("finish: %d %s", st, body)
	}
	up := readUntil(t, status, "status")
	json.Unmarshal(up.Data, &after)
	if after.Ahead != before.Ahead || after.EWT >= before.EWT {
		t.Errorf("after the service ahead ended: ahead %d → %d, ewt %d → %d; want the same place and a shorter wait",
			before.Ahead, after.Ahead, before.EWT, after.EWT)
	}
}
