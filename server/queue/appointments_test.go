package queue_test

import (
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"testing"
	"time"

	"queuebox/server/queue"
)

// apptFixture is a branch in Shanghai, open 09:00–17:00 every day, with a
// bookable "advice" service of 15-minute slots for 2 people, served by c4.
func apptFixture(t *testing.T, now time.Time) *fixture {
	t.Helper()
	f := newFixture(t, "Asia/Shanghai", now)
	st := f.e.Settings()
	for _, d := range queue.Days {
		st.Hours[d] = "09:00-17:00"
	}
	if _, err := f.e.PutSettings(st, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.PutService(queue.Service{ID: "advice", Prefix: "P", Name: "Advice", AvgServiceSeconds: 600, SlotMinutes: 15, SlotCapacity: 2}, true, "t"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.PutCounter(queue.Counter{ID: "c4", Name: "Counter 4", ServiceIDs: []string{"advice"}}, true, "t"); err != nil {
		t.Fatal(err)
	}
	return f
}

var sh = mustLoc("Asia/Shanghai")

func at(hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", "2026-11-24 "+hhmm, sh)
	if err != nil {
		panic(err)
	}
	return t
}

func book(t *testing.T, f *fixture, start time.Time, phone string) queue.Appointment {
	t.Helper()
	a, err := f.e.Book(queue.BookRequest{ServiceID: "advice", Start: start, Name: "Li Lei", Phone: phone})
	if err != nil {
		t.Fatalf("book %s: %v", start.Format("15:04"), err)
	}
	return a
}

func TestSlots(t *testing.T) {
	f := apptFixture(t, at("10:07"))
	slots, err := f.e.Slots("advice", "2026-11-24")
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 32 {
		t.Fatalf("%d slots from 09:00 to 17:00 by 15 min, want 32", len(slots))
	}
	if !slots[0].Start.Equal(at("09:00")) || !slots[31].End.Equal(at("17:00")) {
		t.Errorf("slots run %v–%v, want 09:00–17:00", slots[0].Start, slots[31].End)
	}
	// 10:00 has started: nothing available; 10:15 is open.
	if slots[4].Available != 0 || slots[5].Available != 2 {
		t.Errorf("10:00 has %d, 10:15 has %d available; want 0 and 2", slots[4].Available, slots[5].Available)
	}
	if _, err := f.e.Slots("general", "2026-11-24"); !errors.Is(err, queue.ErrNotBookable) {
		t.Errorf("slots of a walk-in service: %v, want ErrNotBookable", err)
	}
	if _, err := f.e.Slots("advice", "2026-11-23"); err == nil {
		t.Errorf("slots of yesterday: no error")
	}
}

func TestBookingRules(t *testing.T) {
	f := apptFixture(t, at("10:07"))
	tests := []struct {
		name  string
		start time.Time
		phone string
		want  error
	}{
		{"in the past", at("10:00"), "13800000001", &queue.ValidationError{}},
		{"not a slot start", at("10:20"), "13800000001", &queue.ValidationError{}},
		{"outside hours", at("17:00"), "13800000001", &queue.ValidationError{}},
		{"bad phone", at("10:30"), "call me", &queue.ValidationError{}},
	}
	for _, tt := range tests {
		_, err := f.e.Book(queue.BookRequest{ServiceID: "advice", Start: tt.start, Name: "A", Phone: tt.phone})
		var ve *queue.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: err = %v, want a validation error", tt.name, err)
		}
	}
	// At most three upcoming bookings per phone, whatever its spelling.
	for _, h := range []string{"11:00", "11:15", "11:30"} {
		book(t, f, at(h), "138-0000-0002")
	}
	if _, err := f.e.Book(queue.BookRequest{ServiceID: "advice", Start: at("11:45"), Name: "A", Phone: "138 0000 0002"}); !errors.Is(err, queue.ErrBookingLimit) {
		t.Errorf("fourth booking: %v, want ErrBookingLimit", err)
	}
}

func TestConcurrentBookingsRespectCapacity(t *testing.T) {
	f := apptFixture(t, at("10:07"))
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, full := 0, 0
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := f.e.Book(queue.BookRequest{ServiceID: "advice", Start: at("14:00"), Name: "N", Phone: fmt.Sprintf("1390000%04d", i)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, queue.ErrSlotFull):
				full++
			default:
				t.Errorf("booking %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	if won != 2 || full != 48 {
		t.Errorf("%d bookings won and %d were full; want exactly 2 and 48", won, full)
	}
	f.reopen(t)
	slots, _ := f.e.Slots("advice", "2026-11-24")
	for _, s := range slots {
		if s.Start.Equal(at("14:00")) && s.Available != 0 {
			t.Errorf("after restart the 14:00 slot shows %d available, want 0", s.Available)
		}
	}
}

func TestCheckInWindow(t *testing.T) {
	// Default window: 15 min early to 10 min late.
	tests := []struct {
		now  string
		want error
	}{
		{"10:44", queue.ErrTooEarly},
		{"10:45", nil},
		{"11:10", nil},
		{"11:11", queue.ErrTooLate},
	}
	for _, tt := range tests {
		t.Run(tt.now, func(t *testing.T) {
			f := apptFixture(t, at("09:00"))
			a := book(t, f, at("11:00"), "13800000003")
			f.clock.Set(at(tt.now))
			v, err := f.e.CheckIn(a.Code, "device:k1")
			if !errors.Is(err, tt.want) && !(err == nil && tt.want == nil) {
				t.Fatalf("check in at %s: %v, want %v", tt.now, err, tt.want)
			}
			if tt.want == nil && (v.Number != "P001" || v.AppointmentAt == nil || !v.AppointmentAt.Equal(at("11:00"))) {
				t.Errorf("ticket %s for appointment at %v, want P001 at 11:00", v.Number, v.AppointmentAt)
			}
			var early *queue.TooEarlyError
			if errors.As(err, &early) && (early.Local != "10:45" || early.Date != "") {
				t.Errorf("too early says come back at %s %s, want 10:45 today", early.Date, early.Local)
			}
		})
	}
	// Another day's booking: the customer is told which day, not just a
	// time that today has already passed.
	t.Run("another day", func(t *testing.T) {
		f := apptFixture(t, at("16:00"))
		a := book(t, f, at("10:00").AddDate(0, 0, 1), "13800000005")
		_, err := f.e.CheckIn(a.Code, "k")
		var early *queue.TooEarlyError
		if !errors.As(err, &early) || early.Local != "09:45" || early.Date != "2026-11-25" {
			t.Fatalf("check in a day early: %v (%+v), want too early, 2026-11-25 09:45", err, early)
		}
	})
	t.Run("twice", func(t *testing.T) {
		f := apptFixture(t, at("10:50"))
		a := book(t, f, at("11:00"), "13800000004")
		v, err := f.e.CheckIn(a.Code, "k")
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.e.CheckIn(a.Code, "k")
		if !errors.Is(err, queue.ErrAlreadyCheckedIn) {
			t.Errorf("second check-in: %v, want ErrAlreadyCheckedIn", err)
		}
		// The customer who checks in twice is told their number again.
		var in *queue.CheckedInError
		if !errors.As(err, &in) || in.Number != v.Number {
			t.Errorf("second check-in: %v, want it to name ticket %s", err, v.Number)
		}
		if _, err := f.e.CheckIn("00000000", "k"); !errors.Is(err, queue.ErrUnknownCode) {
			t.Errorf("unknown code: %v, want ErrUnknownCode", err)
		}
	})
}

func TestAppointmentNoShowIsMarkedAndRecorded(t *testing.T) {
	f := apptFixture(t, at("09:00"))
	a := book(t, f, at("11:00"), "13800000005")
	kept := book(t, f, at("11:30"), "13800000005")
	f.clock.Set(at("11:10"))
	if n, _ := f.e.ExpireAppointments(); n != 0 {
		t.Errorf("at the window's last minute %d appointments lapsed, want 0", n)
	}
	f.clock.Set(at("11:11"))
	if n, err := f.e.ExpireAppointments(); n != 1 || err != nil {
		t.Errorf("one minute later %d lapsed (err %v), want 1", n, err)
	}
	if got, _ := f.e.FindAppointment(a.Code, "13800000005"); got.Status != queue.ApptNoShow {
		t.Errorf("lapsed appointment is %s, want no_show", got.Status)
	}
	if got, _ := f.e.FindAppointment(kept.Code, "13800000005"); got.Status != queue.ApptBooked {
		t.Errorf("the later appointment is %s, want still booked", got.Status)
	}
	if rec, _ := f.db.Phone("13800000005"); rec.NoShows != 1 {
		t.Errorf("phone has %d no-shows recorded, want 1", rec.NoShows)
	}
	// The no-show frees a booking for that phone.
	book(t, f, at("15:00"), "13800000005")
	book(t, f, at("15:15"), "13800000005")
}

func TestAppointmentsAndWalkInsOrder(t *testing.T) {
	// c4 serves advice only; walk-ins and appointments share the service.
	f := apptFixture(t, at("10:00"))
	a := book(t, f, at("10:30"), "13800000006")
	f.clock.Set(at("10:16"))
	w1, _, _ := f.e.Issue(queue.IssueRequest{ServiceID: "advice", Source: "k"})
	f.clock.Set(at("10:20"))
	appt, err := f.e.CheckIn(a.Code, "k") // early: waits like a walk-in
	if err != nil {
		t.Fatal(err)
	}
	w2, _, _ := f.e.Issue(queue.IssueRequest{ServiceID: "advice", Source: "k"})

	order := func() []string {
		q, _ := f.e.CounterQueue("c4")
		var out []string
		for _, v := range q {
			out = append(out, v.Number+":"+v.CallReason)
		}
		return out
	}
	f.clock.Set(at("10:25"))
	want := []string{w1.Number + ":next in line", appt.Number + ":next in line", w2.Number + ":next in line"}
	if got := order(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("before the slot: %v, want %v", got, want)
	}
	// From two minutes before the slot the appointment goes first.
	f.clock.Set(at("10:28"))
	want = []string{appt.Number + ":appointment at 10:30", w1.Number + ":next in line", w2.Number + ":next in line"}
	if got := order(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("at the slot: %v, want %v", got, want)
	}
	if v, _ := f.e.Ticket(w1.ID); v.Ahead != 1 {
		t.Errorf("walk-in %s has %d ahead, want 1 (the appointment)", w1.Number, v.Ahead)
	}
	// A walk-in never waits past the cap because of appointments: w1 was
	// issued 10:16; at 10:47 it has waited 31 min > 30.
	b := book(t, f, at("11:00"), "13800000007")
	f.clock.Set(at("10:46"))
	appt2, err := f.e.CheckIn(b.Code, "k")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Set(at("10:59"))
	got, _, _ := f.e.Next("c4", "s")
	if got.ID != w1.ID || got.CallReason != "waited past the 30-min cap" {
		t.Errorf("at 10:59 called %s (%s), want %s past the cap ahead of both appointments", got.Number, got.CallReason, w1.Number)
	}
	wantReason(t, got, queue.ReasonCap, queue.ReasonArgs{CapMinutes: 30})
	got, _, _ = f.e.Next("c4", "s")
	if got.ID != appt.ID {
		t.Errorf("then called %s, want the 10:30 appointment %s", got.Number, appt.Number)
	}
	// w2 (issued 10:20) has passed the cap too, so it goes before the 11:00
	// appointment, which is next only after it.
	got, _, _ = f.e.Next("c4", "s")
	if got.ID != w2.ID || got.CallReason != "waited past the 30-min cap" {
		t.Errorf("then called %s (%s), want %s past the cap", got.Number, got.CallReason, w2.Number)
	}
	got, _, _ = f.e.Next("c4", "s")
	if got.ID != appt2.ID || got.CallReason != "appointment at 11:00" {
		t.Errorf("then called %s (%s), want the 11:00 appointment %s", got.Number, got.CallReason, appt2.Number)
	}
	wantReason(t, got, queue.ReasonAppointment, queue.ReasonArgs{At: "11:00"})
}

// TestAheadMatchesOrderWithAppointments checks the fast ahead count against
// the listed order when appointments (early, due and overdue) mix with
// walk-ins of several levels.
func TestAheadMatchesOrderWithAppointments(t *testing.T) {
	rng := newRand(11)
	for round := 0; round < 10; round++ {
		f := apptFixture(t, at("09:00"))
		var codes []string
		for i := 0; i < 6; i++ {
			slot := at("09:30").Add(time.Duration(rng.Intn(8)*15) * time.Minute)
			a, err := f.e.Book(queue.BookRequest{ServiceID: "advice", Start: slot, Name: "N", Phone: fmt.Sprintf("1370000%04d", round*10+i)})
			if err == nil {
				codes = append(codes, a.Code)
			}
		}
		now := at("09:20")
		for i := 0; i < 25; i++ {
			now = now.Add(time.Duration(rng.Intn(4)) * time.Minute)
			f.clock.Set(now)
			if len(codes) > 0 && rng.Intn(4) == 0 {
				f.e.CheckIn(codes[0], "k") // may be too early; that is fine
				codes = codes[1:]
				continue
			}
			f.e.Issue(queue.IssueRequest{ServiceID: "advice", Priority: rng.Intn(3), Source: "k"})
		}
		f.clock.Set(now.Add(time.Duration(rng.Intn(40)) * time.Minute))
		q, err := f.e.Queue("advice")
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range q {
			got, _ := f.e.Ticket(v.ID)
			if got.Ahead != i {
				t.Fatalf("round %d: %s (appointment %v, priority %d) has ahead %d but is at %d", round, v.Number, v.AppointmentAt != nil, v.Priority, got.Ahead, i)
			}
		}
	}
}

func newRand(seed int64) *rand.Rand { return rand.New(rand.NewSource(seed)) }
