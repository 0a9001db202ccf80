package server

import (
	"encoding/json"
	"testing"
	"time"

	"queuebox/server/queue"
)

// TestStatusTemplateIsTheJSON: a phone's status put together from its
// service's template is byte for byte what encoding the view gives, and a
// view the template cannot stand for (a recall, a name that holds a mark)
// is left to the encoder.
func TestStatusTemplateIsTheJSON(t *testing.T) {
	at := time.Date(2026, 3, 4, 2, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		svc      queue.StatusView
		number   string
		ahead    int
		ewt      int
		calledAt *time.Time
		fills    bool
	}{
		{"plain", queue.StatusView{ServiceID: "general", ServiceName: "General"}, "A001", 0, 0, nil, true},
		{"names", queue.StatusView{ServiceID: "cash", ServiceName: "Cash 现金", ServiceNames: map[string]string{"zh": "现金", "en": "Cash"}}, "B123", 17, 1260, nil, true},
		{"recalled", queue.StatusView{ServiceID: "general", ServiceName: "General"}, "A002", 3, 60, &at, false},
		{"mark in a name", queue.StatusView{ServiceID: "x", ServiceName: "-7770001"}, "X001", 1, 1, nil, false},
		{"quote in a number", queue.StatusView{ServiceID: "general", ServiceName: "G"}, `A"1`, 1, 1, nil, false},
	} {
		tc.svc.Status = queue.StatusWaiting
		tpl := newStatusTemplate(tc.svc)
		v := tc.svc
		v.Number, v.Ahead, v.EWTSeconds, v.CalledAt = tc.number, tc.ahead, tc.ewt, tc.calledAt
		got, ok := tpl.fill(v)
		if ok != tc.fills {
			t.Errorf("%s: filled %v, want %v", tc.name, ok, tc.fills)
			continue
		}
		want, _ := json.Marshal(v)
		if ok && string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, want)
		}
	}
}
