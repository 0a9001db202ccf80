package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"queuebox/server"
	"queuebox/server/config"
	"queuebox/server/servertest"
	"queuebox/server/store"
)

// TestErasedCustomerLeavesNoLink: a customer with purchases, served and
// waiting tickets and a booking is erased. Afterwards, and again after a
// restart on the same bbolt file, no answer — tickets, staff lists, the
// event log, reports and their CSV files, customer look-ups, the phone's
// status page, a live resume, webhooks, the simulator's export — holds
// their id, phone or name, while the reports count exactly what they
// counted before and another customer's tickets keep their link.
func TestErasedCustomerLeavesNoLink(t *testing.T) {
	box := servertest.Start(t, servertest.Options{Config: func(c *config.Config) {
		c.Tiers = []config.Tier{{ID: "gold", Name: "Gold", MinSpend: 100}, {ID: "standard", Name: "Standard"}}
	}})
	hooks := &hookBodies{}
	receiver := httptest.NewServer(hooks)
	t.Cleanup(receiver.Close)
	admin := box.Admin()
	must := func(want int) func(st int, body []byte) []byte {
		return func(st int, body []byte) []byte {
			t.Helper()
			if st != want {
				t.Fatalf("got %d %s, want %d", st, body, want)
			}
			return body
		}
	}
	must(201)(box.Do(admin, "POST", "/api/v1/webhooks", map[string]any{"url": receiver.URL + "/hook", "events": []string{"*"}}, nil))
	kiosk := map[string]string{"Authorization": "Bearer " + box.Device("kiosk")}

	const phone, name = "13800138000", "Zhang Wei"
	var gone, kept struct{ ID string }
	json.Unmarshal(must(201)(box.Do(admin, "POST", "/api/v1/customers", map[string]string{"phone": phone, "name": name}, nil)), &gone)
	json.Unmarshal(must(201)(box.Do(admin, "POST", "/api/v1/customers", map[string]string{"phone": "13900139000", "name": "Li Lei"}, nil)), &kept)
	for _, id := range []string{gone.ID, kept.ID} {
		must(201)(box.Do(admin, "POST", "/api/v1/customers/"+id+"/purchases", map[string]any{"amount": 500, "ref": "till-" + id}, nil))
	}
	type tk struct{ ID, Token, Tier, Number string }
	issue := func(phone string) tk {
		t.Helper()
		body := map[string]string{"service_id": "general"}
		if phone != "" {
			body["phone"] = phone
		}
		var out tk
		json.Unmarshal(must(201)(box.Do(nil, "POST", "/api/v1/tickets", body, kiosk)), &out)
		return out
	}
	served := issue("+86 138 0013 8000")
	keptTicket := issue("13900139000")
	anon := issue("")
	if served.Tier != "gold" || keptTicket.Tier != "gold" || anon.Tier != "standard" {
		t.Fatalf("tiers at issue: %s %s %s, want gold gold standard", served.Tier, keptTicket.Tier, anon.Tier)
	}
	for range 3 {
		var called tk
		json.Unmarshal(must(200)(box.Do(admin, "POST", "/api/v1/counters/c1/next", nil, nil)), &called)
		must(200)(box.Do(admin, "POST", "/api/v1/tickets/"+called.ID+"/start", nil, nil))
		must(200)(box.Do(admin, "POST", "/api/v1/tickets/"+called.ID+"/finish", nil, nil))
	}
	waiting := issue("008613800138000") // still in the queue when erased
	today := box.Now().In(servertest.Location()).Format("2006-01-02")
	free := freeSlots(t, box, today)
	if len(free) == 0 {
		t.Fatal("no free slot today")
	}
	var appt struct{ Code string }
	json.Unmarshal(must(201)(box.Do(nil, "POST", "/api/v1/appointments",
		map[string]any{"service_id": "advice", "start": free[len(free)-1].Start, "name": name, "phone": phone}, nil)), &appt)

	get := func(path string) string {
		t.Helper()
		return string(must(200)(box.Do(admin, "GET", path, nil, nil)))
	}
	reports := func() map[string]string {
		out := map[string]string{}
		for _, p := range []string{"summary?by=tier&", "summary?by=service&", "summary.csv?by=tier&", "tickets.csv?"} {
			out[p] = get("/api/v1/reports/" + p + "from=" + today + "&to=" + today)
		}
		return out
	}
	// What may never name the erased customer again, each answer by path.
	answers := func() map[string]string {
		out := map[string]string{}
		for _, p := range []string{
			"/api/v1/tickets/" + served.ID, "/api/v1/tickets/" + waiting.ID, "/api/v1/tickets?date=" + today,
			"/api/v1/queue", "/api/v1/active", "/api/v1/counters/c1/queue", "/api/v1/events?since=0&limit=5000",
			"/api/v1/appointments?date=" + today, "/api/v1/customers", "/api/v1/customers?phone=" + phone,
			"/api/v1/reports/today", "/api/v1/reports/day-end?date=" + today,
			"/api/v1/reports/comments?from=" + today + "&to=" + today,
		} {
			out[p] = get(p)
		}
		for _, tok := range []string{served.Token, waiting.Token} {
			out["status "+tok] = string(must(200)(box.Do(nil, "GET", "/api/v1/status/"+tok, nil, nil)))
		}
		for p, body := range reports() {
			out[p] = body
		}
		return out
	}
	secrets := []string{gone.ID, phone, "138 0013", "138****8000", name, "Zhang"}
	holding := func(what, text string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s holds %q: %.600s", what, s, text)
			}
		}
	}

	before := answers()
	if !strings.Contains(before["/api/v1/tickets/"+served.ID], gone.ID) || !strings.Contains(before["/api/v1/events?since=0&limit=5000"], gone.ID) {
		t.Fatal("the customer's tickets do not carry their id before erasure: the test would prove nothing")
	}
	wantReports := reports()
	var events struct{ Events []struct{ Seq uint64 } }
	json.Unmarshal([]byte(before["/api/v1/events?since=0&limit=5000"]), &events)
	lastSeq := events.Events[len(events.Events)-1].Seq

	must(204)(box.Do(admin, "DELETE", "/api/v1/customers/"+gone.ID, nil, nil))
	must(404)(box.Do(admin, "GET", "/api/v1/customers/"+gone.ID, nil, nil))
	must(404)(box.Do(admin, "GET", "/api/v1/customers/"+gone.ID+"/export", nil, nil))

	check := func(when string) {
		t.Helper()
		got := answers()
		for what, text := range got {
			holding(when+": "+what, text)
		}
		for p, want := range wantReports {
			if got[p] != want {
				t.Errorf("%s: report %s changed:\n got  %s\n want %s", when, p, got[p], want)
			}
		}
		var st struct{ Tier string }
		json.Unmarshal([]byte(got["/api/v1/tickets/"+served.ID]), &st)
		if st.Tier != "gold" {
			t.Errorf("%s: the erased customer's ticket has tier %q, want gold kept for the counts", when, st.Tier)
		}
		if !strings.Contains(get("/api/v1/tickets/"+keptTicket.ID), kept.ID) {
			t.Errorf("%s: the other customer's ticket lost its link", when)
		}
	}
	check("after erasure")

	// A staff console resuming from the first event is sent the old events
	// again, from the live buffer: without the id.
	cookies := http.Header{}
	u, _ := http.NewRequest("GET", box.URL, nil)
	for _, c := range admin.Jar.Cookies(u.URL) {
		cookies.Add("Cookie", c.String())
	}
	conn := dial(t, box, "topic=queue&since=1", cookies)
	var resumed bytes.Buffer
	issued := 0
	for seq := uint64(0); seq < lastSeq; {
		conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, raw, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("live resume: %v after %s", err, resumed.String())
		}
		var m liveMsg
		json.Unmarshal(raw, &m)
		seq = max(seq, m.Seq)
		if m.Type == "issued" {
			issued++
		}
		resumed.Write(raw)
	}
	conn.Close()
	if issued < 4 {
		t.Errorf("the resume replayed %d issues, want the 4 from before the erasure: %s", issued, resumed.String())
	}
	holding("live resume", resumed.String())

	// The simulator's export of the day, from the stopped box's file.
	box.Stop()
	trace := filepath.Join(t.TempDir(), "trace.json")
	var out, errs bytes.Buffer
	if code := server.Main(context.Background(), []string{"sim", "export", "--from", today, "--to", today, "--out", trace, "--data", box.Dir}, nil, &out, &errs); code != 0 {
		t.Fatalf("sim export: %d %s", code, errs.String())
	}
	raw, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	holding("sim export", string(raw))
	var tr struct {
		Customers []struct{ ID, Tier string }
	}
	json.Unmarshal(raw, &tr)
	gold := 0
	for _, c := range tr.Customers {
		if c.Tier == "gold" {
			gold++
		}
	}
	// The kept customer, and the erased one's served ticket on its own.
	if gold != 2 {
		t.Errorf("sim export customers %+v, want 2 in gold", tr.Customers)
	}

	box.Restart()
	admin = box.Admin()
	check("after a restart")

	// Webhooks: every message of the day, the erased customer's included,
	// has been sent by now or is sent after the restart.
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(hooks.all(), `"id":"`+waiting.ID+`"`) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(hooks.all(), `"id":"`+waiting.ID+`"`) {
		t.Fatalf("no webhook message for ticket %s: %s", waiting.ID, hooks.all())
	}
	holding("webhook payloads", hooks.all())
}

// hookBodies is a webhook receiver that keeps every body.
type hookBodies struct {
	mu     sync.Mutex
	bodies bytes.Buffer
}

func (h *hookBodies) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies.Write(append(b, '\n'))
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (h *hookBodies) all() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bodies.String()
}

// TestErasureStoppedHalfWayFinishesAtStart: a box stopped just after an
// erasure deleted the customer's record, before it took their id out of
// the history, finishes at its next start, before it answers.
func TestErasureStoppedHalfWayFinishesAtStart(t *testing.T) {
	box := servertest.Start(t, servertest.Options{Config: func(c *config.Config) {
		c.Tiers = []config.Tier{{ID: "gold", Name: "Gold", MinSpend: 100}, {ID: "standard", Name: "Standard"}}
	}})
	admin := box.Admin()
	kiosk := map[string]string{"Authorization": "Bearer " + box.Device("kiosk")}
	var cu struct{ ID string }
	if st, body := box.Do(admin, "POST", "/api/v1/customers", map[string]string{"phone": "13800138000"}, nil); st != 201 || json.Unmarshal(body, &cu) != nil {
		t.Fatalf("customer: %d %s", st, body)
	}
	if st, body := box.Do(admin, "POST", "/api/v1/customers/"+cu.ID+"/purchases", map[string]any{"amount": 500, "ref": "r1"}, nil); st != 201 {
		t.Fatalf("purchase: %d %s", st, body)
	}
	var tk struct{ ID string }
	if st, body := box.Do(nil, "POST", "/api/v1/tickets", map[string]string{"service_id": "general", "phone": "13800138000"}, kiosk); st != 201 || json.Unmarshal(body, &tk) != nil {
		t.Fatalf("ticket: %d %s", st, body)
	}
	box.Stop()
	db, err := store.Open(box.Dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.EraseCustomer(cu.ID); err != nil {
		t.Fatal(err)
	}
	db.Close()

	box.Restart()
	admin = box.Admin()
	for _, p := range []string{"/api/v1/tickets/" + tk.ID, "/api/v1/queue", "/api/v1/events?since=0"} {
		if st, body := box.Do(admin, "GET", p, nil, nil); st != 200 || strings.Contains(string(body), cu.ID) {
			t.Errorf("%s after the restart: %d %s", p, st, body)
		}
	}
	var v struct{ Tier string }
	_, body := box.Do(admin, "GET", "/api/v1/tickets/"+tk.ID, nil, nil)
	if json.Unmarshal(body, &v); v.Tier != "gold" {
		t.Errorf("the ticket's tier is %q, want gold kept", v.Tier)
	}
}
