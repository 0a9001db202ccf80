package queue_test

import (
	"errors"
	"testing"

	"queuebox/server/queue"
)

func TestMoveAppointment(t *testing.T) {
	f := apptFixture(t, at("09:00"))
	a := book(t, f, at("11:00"), "13800000031")
	book(t, f, at("11:30"), "13800000032")
	book(t, f, at("11:30"), "13800000033") // 11:30 is now full (capacity 2)

	available := func(hhmm string) int {
		t.Helper()
		slots, err := f.e.Slots("advice", "2026-11-24")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range slots {
			if s.Start.Equal(at(hhmm)) {
				return s.Available
			}
		}
		t.Fatalf("no slot at %s", hhmm)
		return 0
	}

	tests := []struct {
		name  string
		phone string
		to    string
		want  error
	}{
		{"to a full slot", "13800000031", "11:30", queue.ErrSlotFull},
		{"with another phone", "13800000099", "12:00", queue.ErrUnknownCode},
		{"to the past", "13800000031", "08:45", &queue.ValidationError{}},
		{"to a time that is not a slot", "13800000031", "12:05", &queue.ValidationError{}},
	}
	for _, tt := range tests {
		_, err := f.e.MoveAppointment(a.Code, tt.phone, at(tt.to))
		var ve *queue.ValidationError
		if _, isVE := tt.want.(*queue.ValidationError); isVE && !errors.As(err, &ve) || !isVE && !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// A refused move leaves the booking where it was.
	if got := available("11:00"); got != 1 {
		t.Errorf("after refused moves 11:00 has %d places, want 1", got)
	}

	moved, err := f.e.MoveAppointment(a.Code, "138 0000 0031", at("12:00"))
	if err != nil {
		t.Fatal(err)
	}
	if !moved.Start.Equal(at("12:00")) || moved.Code != a.Code || moved.Status != queue.ApptBooked {
		t.Errorf("moved = %+v, want the same booking at 12:00", moved)
	}
	if a, b := available("11:00"), available("12:00"); a != 2 || b != 1 {
		t.Errorf("after the move 11:00 has %d places and 12:00 %d, want 2 and 1", a, b)
	}
	// The move survives a restart.
	f.reopen(t)
	got, err := f.e.FindAppointment(a.Code, "13800000031")
	if err != nil || !got.Start.Equal(at("12:00")) {
		t.Errorf("after reopen: %+v %v, want the booking at 12:00", got, err)
	}
	if _, err := f.e.CancelAppointment(a.Code, "13800000031"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.MoveAppointment(a.Code, "13800000031", at("13:00")); !errors.Is(err, queue.ErrNotMovable) {
		t.Errorf("moving a cancelled booking: %v, want ErrNotMovable", err)
	}
}
