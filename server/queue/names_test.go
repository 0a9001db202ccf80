package queue_test

import (
	"errors"
	"testing"
	"time"

	"queuebox/server/queue"
)

func TestNamesAndOutcomeLabelsAreChecked(t *testing.T) {
	svc := func(mod func(*queue.Service)) queue.Service {
		s := queue.Service{ID: "general", Prefix: "A", Name: "General", AvgServiceSeconds: 300,
			OutcomeCodes: []string{"account_opened", "referred"}}
		mod(&s)
		return s
	}
	ctr := func(names map[string]string) queue.Counter {
		return queue.Counter{ID: "c1", Name: "Counter 1", Names: names}
	}
	tests := []struct {
		name  string
		err   error
		field string // "" = valid
	}{
		{"labels for known codes", queue.ValidateService(svc(func(s *queue.Service) {
			s.OutcomeLabels = map[string]map[string]string{"account_opened": {"zh": "已开户", "en": "Account opened"}}
		})), ""},
		{"label for an unknown code", queue.ValidateService(svc(func(s *queue.Service) {
			s.OutcomeLabels = map[string]map[string]string{"loan": {"en": "Loan"}}
		})), "outcome_labels.loan"},
		{"label in a bad language", queue.ValidateService(svc(func(s *queue.Service) {
			s.OutcomeLabels = map[string]map[string]string{"referred": {"Chinese": "转介"}}
		})), "outcome_labels.referred.Chinese"},
		{"empty label", queue.ValidateService(svc(func(s *queue.Service) {
			s.OutcomeLabels = map[string]map[string]string{"referred": {"zh": " "}}
		})), "outcome_labels.referred.zh"},
		{"counter names", queue.ValidateCounter(ctr(map[string]string{"zh": "1 号窗口", "en": "Counter 1"})), ""},
		{"counter name in a bad language", queue.ValidateCounter(ctr(map[string]string{"x": "1"})), "names.x"},
		{"counter name too long", queue.ValidateCounter(ctr(map[string]string{"zh": string(make([]byte, 65))})), "names.zh"},
	}
	for _, tt := range tests {
		var ve *queue.ValidationError
		switch {
		case tt.field == "" && tt.err != nil:
			t.Errorf("%s: %v, want valid", tt.name, tt.err)
		case tt.field != "" && (!errors.As(tt.err, &ve) || ve.Field != tt.field):
			t.Errorf("%s: %v, want an error on %s", tt.name, tt.err, tt.field)
		}
	}
}

// A counter's names travel with its calls: the lobby display and the phone
// say the counter in each customer's language.
func TestCounterNamesReachTheDisplayAndThePhone(t *testing.T) {
	f := newFixture(t, "UTC", time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	c, err := f.e.Counter("c2")
	if err != nil {
		t.Fatal(err)
	}
	c.Names = map[string]string{"zh": "二号窗口", "en": "Desk 2"}
	if _, err := f.e.PutCounter(c, false, "admin"); err != nil {
		t.Fatal(err)
	}
	tk := f.issue(t, "general", 0)
	if _, ok, err := f.e.Next("c2", "staff"); err != nil || !ok {
		t.Fatalf("next at c2: %v %v", ok, err)
	}
	d, _ := f.e.Display()
	if len(d.Calls) == 0 || d.Calls[0].CounterNames["zh"] != "二号窗口" {
		t.Errorf("display calls = %+v, want the call at c2 with its Chinese name", d.Calls)
	}
	st, err := f.e.Status(tk.Token)
	if err != nil {
		t.Fatal(err)
	}
	if st.CounterNames["en"] != "Desk 2" {
		t.Errorf("status counter_names = %v, want en Desk 2", st.CounterNames)
	}
	// The engine hands out copies: changing one changes nothing inside.
	st.CounterNames["en"] = "x"
	if again, _ := f.e.Counter("c2"); again.Names["en"] != "Desk 2" {
		t.Errorf("counter names changed through a view: %v", again.Names)
	}
}
