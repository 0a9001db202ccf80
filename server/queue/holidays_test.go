package queue_test

import (
	"errors"
	"testing"

	"queuebox/server/queue"
)

// A holiday closes the branch on its date, whatever the weekday's hours: no
// tickets, no slots; the day after opens as usual.
func TestClosedDatesCloseTheBranch(t *testing.T) {
	f := apptFixture(t, at("10:00")) // Tuesday 24 November 2026, 10:00 Beijing time
	st := f.e.Settings()
	st.ClosedDates = []string{"2026-11-25", "2026-11-24", "2026-11-25"}
	if _, err := f.e.PutSettings(st, "admin"); err != nil {
		t.Fatal(err)
	}
	if got := f.e.Settings().ClosedDates; len(got) != 2 || got[0] != "2026-11-24" || got[1] != "2026-11-25" {
		t.Errorf("closed dates = %v, want them sorted, once each", got)
	}
	if f.e.OpenNow() {
		t.Error("open on a closed date")
	}
	if _, _, err := f.e.Issue(queue.IssueRequest{ServiceID: "general"}); !errors.Is(err, queue.ErrClosed) {
		t.Errorf("issue on a closed date: %v, want ErrClosed", err)
	}
	for _, tt := range []struct {
		date  string
		slots bool
	}{{"2026-11-25", false}, {"2026-11-26", true}} {
		slots, err := f.e.Slots("advice", tt.date)
		if err != nil {
			t.Fatal(err)
		}
		if (len(slots) > 0) != tt.slots {
			t.Errorf("%s: %d slots, want slots = %v", tt.date, len(slots), tt.slots)
		}
	}
	f.clock.Set(at("10:00").AddDate(0, 0, 2)) // Thursday
	if !f.e.OpenNow() {
		t.Error("closed the day after the holidays")
	}

	st.ClosedDates = []string{"25/12/2026"}
	var ve *queue.ValidationError
	if _, err := f.e.PutSettings(st, "admin"); !errors.As(err, &ve) || ve.Field != "closed_dates" {
		t.Errorf("a date not like 2026-12-25: %v, want an error on closed_dates", err)
	}
}
