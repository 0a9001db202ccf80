package queue

import (
	"encoding/json"
	"maps"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"queuebox/server/queue/queuetest"
)

// fill is queuetest.Fill that also leaves the fields AppendJSON hands
// back to encoding/json zero.
func fill(r *rand.Rand, v reflect.Value, skip map[string]bool) {
	all := maps.Clone(handedBack)
	maps.Copy(all, skip)
	queuetest.Fill(r, v, all)
}

var (
	jsonStrings = queuetest.Strings
	jsonTimes   = queuetest.Times
)

// sameJSON checks that AppendJSON writes what json.Marshal writes, and
// that it says so.
func sameJSON(t *testing.T, v any, appendJSON func([]byte) ([]byte, bool)) {
	t.Helper()
	want, err := json.Marshal(v)
	prefix := []byte("keep")
	got, ok := appendJSON(prefix)
	if string(got[:len(prefix)]) != "keep" {
		t.Fatalf("AppendJSON overwrote what was in the buffer: %q", got)
	}
	got = got[len(prefix):]
	if err != nil {
		if ok {
			t.Fatalf("json.Marshal fails (%v) but AppendJSON wrote %s", err, got)
		}
		return
	}
	if !ok {
		t.Fatalf("AppendJSON refused what json.Marshal writes: %s", want)
	}
	if string(got) != string(want) {
		t.Fatalf("AppendJSON differs from json.Marshal:\n got %s\nwant %s", got, want)
	}
}

func TestTicketAppendJSONIsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sameJSON(t, Ticket{}, (&Ticket{}).AppendJSON)
	for range 3000 {
		var tk Ticket
		fill(r, reflect.ValueOf(&tk), nil)
		sameJSON(t, tk, tk.AppendJSON)
		v := TicketView{Ticket: tk, Ahead: r.IntN(50), EWTSeconds: r.IntN(5000), EWTLowSeconds: r.IntN(100), EWTHighSeconds: -r.IntN(3)}
		sameJSON(t, v, v.AppendJSON)
	}
}

func TestTicketViewAppendJSONKnowsEveryField(t *testing.T) {
	// A field added to the view itself (not its ticket) must be written too.
	r := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		var v TicketView
		fill(r, reflect.ValueOf(&v), nil)
		sameJSON(t, v, v.AppendJSON)
	}
}

func TestIdemEntryAppendJSONIsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 1000 {
		var it IdemEntry
		fill(r, reflect.ValueOf(&it), nil)
		sameJSON(t, it, it.AppendJSON)
	}
}

// handedBack are fields, at any depth, that AppendJSON leaves to
// encoding/json (TestReasonArgsAreHandedBack).
var handedBack = map[string]bool{"CallReasonArgs": true}

// eventRefused are the fields AppendJSON leaves to encoding/json.
var eventRefused = map[string]bool{"Counter": true, "Service": true, "Appointment": true, "Clock": true}

func TestEventAppendJSONIsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 3000 {
		var ev Event
		fill(r, reflect.ValueOf(&ev), eventRefused)
		sameJSON(t, ev, ev.AppendJSON)
	}
	issued := Event{Seq: 7, Type: EventIssued, At: jsonTimes[1], Actor: "device:kiosk-1",
		Ticket: &Ticket{ID: "7", Number: "A007", ServiceID: "general", Status: StatusWaiting, Token: "tok", Date: "2026-12-07", IssuedAt: jsonTimes[1],
			Promise: &Promise{WaitSeconds: 300, LowSeconds: 120, HighSeconds: 600, ModelSeconds: 280}}}
	sameJSON(t, issued, issued.AppendJSON)
}

func TestEventAppendJSONRefusesWhatItDoesNotWrite(t *testing.T) {
	for name := range eventRefused {
		var ev Event
		f := reflect.ValueOf(&ev).Elem().FieldByName(name)
		if !f.IsValid() {
			t.Fatalf("Event has no field %s any more: update eventRefused and AppendJSON", name)
		}
		f.Set(reflect.New(f.Type().Elem()))
		if _, ok := ev.AppendJSON(nil); ok {
			t.Errorf("an event with a %s: AppendJSON wrote it, want it refused (encoding/json writes it)", name)
		}
	}
}

func TestAppendJSONRefusesTimesMarshalJSONRefuses(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", -25*3600)),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 23*3600+59*60)),
	} {
		tk := Ticket{IssuedAt: at}
		sameJSON(t, tk, tk.AppendJSON)
		tk = Ticket{NearTurnAt: &at}
		sameJSON(t, tk, tk.AppendJSON)
		ev := Event{At: at}
		sameJSON(t, ev, ev.AppendJSON)
	}
}

func FuzzTicketAppendJSON(f *testing.F) {
	for _, s := range jsonStrings {
		f.Add(s, int64(0))
	}
	f.Fuzz(func(t *testing.T, s string, n int64) {
		at := time.Unix(n%(1<<40), n%1e9).UTC()
		tk := Ticket{ID: s, Number: s, Token: s, Notes: s, Transfers: []string{s, s}, IssuedAt: at, IssuedRun: time.Duration(n), Priority: int(n)}
		sameJSON(t, tk, tk.AppendJSON)
	})
}
