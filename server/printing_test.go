package server_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"queuebox/printer/printertest"
	"queuebox/server/config"
	"queuebox/server/servertest"
)

func printerBox(t *testing.T) (*servertest.Box, *printertest.Printer) {
	t.Helper()
	fp, err := printertest.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fp.Close() })
	box := servertest.Start(t, servertest.Options{Config: func(c *config.Config) { c.Printer.URL = fp.URL() }})
	return box, fp
}

type printState struct {
	Print   string `json:"print"`
	Printer struct {
		State string `json:"state"`
	} `json:"printer"`
}

func waitPrint(t *testing.T, box *servertest.Box, token, id, want string) printState {
	t.Helper()
	var ps printState
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		_, body := box.Do(nil, "GET", "/api/v1/tickets/"+id+"/print", nil, map[string]string{"Authorization": "Bearer " + token})
		json.Unmarshal(body, &ps)
		if ps.Print == want {
			return ps
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("ticket %s print outcome %q (printer %s), want %q", id, ps.Print, ps.Printer.State, want)
	return ps
}

func TestKioskTicketIsPrintedOnce(t *testing.T) {
	box, fp := printerBox(t)
	kiosk := box.Device("kiosk")
	hdr := map[string]string{"Authorization": "Bearer " + kiosk, "Idempotency-Key": "tap-1"}
	var first, again struct{ ID, Number, Print string }
	_, body := box.Do(nil, "POST", "/api/v1/tickets", map[string]string{"service_id": "general"}, hdr)
	json.Unmarshal(body, &first)
	if first.Print == "" || first.Print == "disabled" {
		t.Fatalf("kiosk ticket print state %q, want a queued job", first.Print)
	}
	waitPrint(t, box, kiosk, first.ID, "printed")
	// The kiosk retrying the same tap gets the same ticket and no second print.
	_, body = box.Do(nil, "POST", "/api/v1/tickets", map[string]string{"service_id": "general"}, hdr)
	json.Unmarshal(body, &again)
	if again.ID != first.ID {
		t.Fatalf("retry gave ticket %s, want %s", again.ID, first.ID)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(fp.Jobs()); n != 1 {
		t.Errorf("printer received %d jobs, want 1", n)
	}
}

func TestIssuingNeverWaitsForAHungPrinter(t *testing.T) {
	box, fp := printerBox(t)
	kiosk := box.Device("kiosk")
	// Let the printer answer once, so the queue knows it and notices when it hangs.
	tk := box.Issue(kiosk, "general")
	waitPrint(t, box, kiosk, tk.ID, "printed")

	if err := fp.SetMode(printertest.Hang); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < 5; i++ {
		box.Issue(kiosk, "general")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("5 tickets took %v with a hung printer; issuing must not wait for it", took)
	}
	staff := box.Staff("pat")
	var st struct{ State string }
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && st.State != "offline" {
		_, body := box.Do(staff, "GET", "/api/v1/printer", nil, nil)
		json.Unmarshal(body, &st)
		time.Sleep(100 * time.Millisecond)
	}
	if st.State != "offline" {
		t.Errorf("printer state %q while hung, want offline for the console's alert", st.State)
	}

	// Plugged back in, the waiting tickets come out by themselves.
	if err := fp.SetMode(printertest.Healthy); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := fp.WaitJobs(ctx, 6); err != nil {
		t.Errorf("after recovery: %v (got %d jobs, want 6)", err, len(fp.Jobs()))
	}
}

func TestRefusedPrinterShowsOffline(t *testing.T) {
	box, fp := printerBox(t)
	if err := fp.SetMode(printertest.Refuse); err != nil {
		t.Fatal(err)
	}
	kiosk := box.Device("kiosk")
	tk := box.Issue(kiosk, "cash")
	ps := waitPrint(t, box, kiosk, tk.ID, "queued")
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && ps.Printer.State != "offline" {
		time.Sleep(100 * time.Millisecond)
		ps = waitPrint(t, box, kiosk, tk.ID, "queued")
	}
	if ps.Printer.State != "offline" {
		t.Errorf("refused printer state %q, want offline", ps.Printer.State)
	}
}
