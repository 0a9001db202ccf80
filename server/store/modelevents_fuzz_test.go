package store

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"queuebox/server/queue"
)

// learned is what of an event the wait model reads (of the others, their
// type).
func learned(ev queue.Event) queue.Event {
	out := queue.Event{Seq: ev.Seq, Type: ev.Type, At: ev.At, Recall: ev.Recall}
	if t := ev.Ticket; t != nil && queue.Teaches(ev.Type) {
		out.Ticket = &queue.Ticket{ServiceID: t.ServiceID, CounterID: t.CounterID, Priority: t.Priority, IssuedAt: t.IssuedAt,
			CalledAt: t.CalledAt, AppointmentAt: t.AppointmentAt, Transfers: t.Transfers, Promise: t.Promise}
	}
	return out
}

// FuzzLeanEvent holds the lean reader to encoding/json on any text: what
// it reads itself is JSON, and it reads the fields the model learns as
// encoding/json does. (It does not check the types of the fields it skips:
// where encoding/json finds one of the wrong type it still reads the rest,
// and both must agree on it; where a skipped time does not parse, it gives
// up, and the record the lean reader learned from is one queuebox never
// writes.)
func FuzzLeanEvent(f *testing.F) {
	for _, s := range []string{
		`{"seq":7,"type":"called","at":"2026-12-07T09:30:00Z","recall":true,"ticket":{"id":"7","service_id":"general","counter_id":"c1","priority":2,` +
			`"issued_at":"2026-12-07T09:00:00.5+08:00","called_at":"2026-12-07T09:30:00Z","appointment_at":null,"transfers":["cash"],` +
			`"promise":{"wait_seconds":300,"model_seconds":280,"spread_seconds":40},"notes":"a \"b\" \u00e9"},"counter":{"id":"c1","paused":false}}`,
		`{"seq":1,"type":"issued","at":"2026-01-01T00:00:00Z","ticket":null}`,
		` { "seq" : 2 , "type" : "no_show" , "ticket" : { "promise" : {"low_seconds":1}, "promise" : {"high_seconds":2} } } `,
		`{"seq":3,"type":"is\u0073ued","Seq":4,"at":"2026-01-01T00:00:00Z","ahead":-0,"x":[1.5e3,true,null,{}]}`,
		`{"seq":18446744073709551615,"ticket":{"priority":1e2}}`,
		`{"type":"started","ticket":{"service_id":"a","priority":3},"type":"issued"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, js []byte) {
		r := leanReader{names: map[string]string{}}
		got, ok := r.lean(js)
		if !ok {
			return
		}
		var want queue.Event
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch err := json.Unmarshal(js, &want); {
		case errors.As(err, &syntax):
			t.Fatalf("the lean reader read what is not JSON (%v): %s", err, js)
		case err != nil && !errors.As(err, &typ):
			return
		}
		if g, w := learned(got), learned(want); !reflect.DeepEqual(g, w) {
			t.Fatalf("the lean reader read %s\n as %+v (ticket %+v)\nwant %+v (ticket %+v)", js, g, g.Ticket, w, w.Ticket)
		}
	})
}
