package queue_test

import (
	"errors"
	"testing"
	"time"

	"queuebox/server/queue"
)

func TestSpecialDays(t *testing.T) {
	// Monday 23 November 2026, 10:00 in Shanghai; open 09:00-17:00 every day.
	f := newFixture(t, "Asia/Shanghai", time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC))
	st := f.e.Settings()
	for _, d := range queue.Days {
		st.Hours[d] = "09:00-17:00"
	}
	if _, err := f.e.PutSettings(st, "admin"); err != nil {
		t.Fatal(err)
	}
	f.issue(t, "general", 0)

	// Today a holiday: closed, whatever the weekday says.
	if _, err := f.e.SetSpecialDays(map[string]string{"2026-11-23": "", "2026-11-24": "13:00-15:00"}, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.e.Issue(queue.IssueRequest{ServiceID: "general"}); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("issue on a holiday: got %v, want ErrClosed", err)
	}
	if f.e.OpenNow() {
		t.Error("OpenNow on a holiday")
	}
	// Tomorrow a short day: closed at 10:00, open at 13:30.
	f.clock.Set(time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC))
	if f.e.OpenNow() {
		t.Error("open at 10:00 on a day open 13:00-15:00")
	}
	f.clock.Set(time.Date(2026, 11, 24, 5, 30, 0, 0, time.UTC))
	if !f.e.OpenNow() {
		t.Error("closed at 13:30 on a day open 13:00-15:00")
	}
	// The day after: the weekday's hours again.
	f.clock.Set(time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC))
	if !f.e.OpenNow() {
		t.Error("closed on an ordinary Wednesday at 10:00")
	}

	// Replacing the calendar drops what is not in it; bad entries are refused by name.
	if _, err := f.e.SetSpecialDays(map[string]string{}, "admin"); err != nil {
		t.Fatal(err)
	}
	if got := f.e.Settings().SpecialDays; len(got) != 0 {
		t.Errorf("after clearing: %v", got)
	}
	for _, bad := range []map[string]string{{"25/12/2026": ""}, {"2026-12-25": "9-5"}} {
		_, err := f.e.SetSpecialDays(bad, "admin")
		var ve *queue.ValidationError
		if !errors.As(err, &ve) || ve.Field[:12] != "special_days" {
			t.Errorf("SetSpecialDays(%v): got %v, want a validation error on special_days", bad, err)
		}
	}
}

func TestSpecialDaysSlots(t *testing.T) {
	f := newFixture(t, "UTC", time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC))
	if _, err := f.e.PutService(queue.Service{ID: "advice", Prefix: "P", Name: "Advice", AvgServiceSeconds: 900, SlotMinutes: 60, SlotCapacity: 1}, true, "admin"); err != nil {
		t.Fatal(err)
	}
	st := f.e.Settings()
	for _, d := range queue.Days {
		st.Hours[d] = "09:00-17:00"
	}
	if _, err := f.e.PutSettings(st, "admin"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.SetSpecialDays(map[string]string{"2026-11-25": "", "2026-11-26": "09:00-11:00"}, "admin"); err != nil {
		t.Fatal(err)
	}
	for date, want := range map[string]int{"2026-11-24": 8, "2026-11-25": 0, "2026-11-26": 2} {
		slots, err := f.e.Slots("advice", date)
		if err != nil {
			t.Fatal(err)
		}
		if len(slots) != want {
			t.Errorf("slots on %s: got %d, want %d", date, len(slots), want)
		}
	}
}
