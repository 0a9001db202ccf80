package server_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"queuebox/server/servertest"
)

type slot struct {
	Start     time.Time `json:"start"`
	Available int       `json:"available"`
}

func freeSlots(t *testing.T, box *servertest.Box, date string) []slot {
	t.Helper()
	st, body := box.Do(nil, "GET", "/api/v1/slots?service_id=advice&date="+date, nil, nil)
	var slots []slot
	if st != 200 || json.Unmarshal(body, &slots) != nil {
		t.Fatalf("slots: %d %s", st, body)
	}
	var free []slot
	for _, s := range slots {
		if s.Available > 0 {
			free = append(free, s)
		}
	}
	return free
}

func TestBookAndCheckInThroughTheAPI(t *testing.T) {
	// At 11:00 even tomorrow's first slot (00:00) is too early to check in;
	// late in the evening it would not be.
	box := servertest.Start(t, servertest.Options{Clock: servertest.NewClock(servertest.Today(11, 0))})
	tomorrow := box.Now().In(mustLoc(t, "Asia/Shanghai")).AddDate(0, 0, 1).Format("2006-01-02")
	free := freeSlots(t, box, tomorrow)
	if len(free) == 0 {
		t.Fatal("no free slot tomorrow")
	}
	req := map[string]any{"service_id": "advice", "start": free[0].Start, "name": "Han Meimei", "phone": "+86 138 0000 1111"}
	st, body := box.Do(nil, "POST", "/api/v1/appointments", req, nil)
	var appt struct{ ID, Code, Status string }
	if st != 201 || json.Unmarshal(body, &appt) != nil || appt.Status != "booked" || len(appt.Code) != 8 {
		t.Fatalf("book: %d %s", st, body)
	}
	if strings.Contains(string(body), "Han") || strings.Contains(string(body), "1111") {
		t.Errorf("booking answer repeats personal data: %s", body)
	}
	// Look-up and calendar need the phone as well as the code.
	if st, _ := box.Do(nil, "GET", "/api/v1/appointments/"+appt.Code+"?phone=13800009999", nil, nil); st != 404 {
		t.Errorf("look-up with the wrong phone: %d, want 404", st)
	}
	st, body = box.Do(nil, "GET", "/api/v1/appointments/"+appt.Code+"/calendar.ics?phone=%2B8613800001111", nil, nil)
	if st != 200 || !strings.Contains(string(body), "BEGIN:VEVENT") || !strings.Contains(string(body), free[0].Start.UTC().Format("20060102T150405Z")) {
		t.Errorf("calendar: %d %s", st, body)
	}
	// Tomorrow's slot is too early to check in today, with the time to come back.
	kiosk := box.Device("kiosk")
	auth := map[string]string{"Authorization": "Bearer " + kiosk}
	st, body = box.Do(nil, "POST", "/api/v1/checkin", map[string]string{"code": appt.Code}, auth)
	if st != 409 || !strings.Contains(string(body), `"too_early"`) || !strings.Contains(string(body), "come back after") {
		t.Errorf("early check-in: %d %s", st, body)
	}
	if st, body := box.Do(nil, "POST", "/api/v1/checkin", map[string]string{"code": "12345678"}, auth); st != 404 || !strings.Contains(string(body), "unknown_code") {
		t.Errorf("unknown code: %d %s", st, body)
	}
	if st, _ := box.Do(nil, "POST", "/api/v1/checkin", map[string]string{"code": appt.Code}, nil); st != 401 {
		t.Errorf("check-in without a device: %d, want 401", st)
	}
	// Cancel frees the place.
	before := len(freeSlots(t, box, tomorrow))
	st, body = box.Do(nil, "POST", "/api/v1/appointments/"+appt.Code+"/cancel", map[string]string{"phone": "+8613800001111"}, nil)
	if st != 200 || !strings.Contains(string(body), `"cancelled"`) {
		t.Errorf("cancel: %d %s", st, body)
	}
	if after := freeSlots(t, box, tomorrow); len(after) < before {
		t.Errorf("cancelling did not free the slot")
	}
}

func TestConcurrentHTTPBookingsOfOneSlot(t *testing.T) {
	box := servertest.Start(t, servertest.Options{})
	day := box.Now().In(mustLoc(t, "Asia/Shanghai")).AddDate(0, 0, 2).Format("2006-01-02")
	start := freeSlots(t, box, day)[10].Start
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Each from its own loopback address, as 50 phones would be;
			// the per-address limit is tested below.
			st, _ := box.Do(fromAddr(fmt.Sprintf("127.0.0.%d", i+10)), "POST", "/api/v1/appointments",
				map[string]any{"service_id": "advice", "start": start, "name": "N", "phone": fmt.Sprintf("13900%06d", i)}, nil)
			mu.Lock()
			codes[st]++
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	if codes[201] != 2 || codes[409] != 48 {
		t.Errorf("answers %v, want exactly 2×201 and 48×409 slot_full", codes)
	}
}

func TestBookingIsRateLimitedPerAddress(t *testing.T) {
	box := servertest.Start(t, servertest.Options{})
	day := box.Now().In(mustLoc(t, "Asia/Shanghai")).AddDate(0, 0, 3).Format("2006-01-02")
	free := freeSlots(t, box, day)
	limited := false
	for i := 0; i < 12; i++ {
		st, _ := box.Do(nil, "POST", "/api/v1/appointments",
			map[string]any{"service_id": "advice", "start": free[i].Start, "name": "N", "phone": fmt.Sprintf("13700%06d", i)}, nil)
		if st == 429 {
			limited = true
			break
		}
	}
	if !limited {
		t.Errorf("12 bookings from one address were all accepted; want 429 after 10")
	}
}

// fromAddr is a client whose connections come from a given local address.
func fromAddr(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 10 * time.Second}
}

func mustLoc(t *testing.T, name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
