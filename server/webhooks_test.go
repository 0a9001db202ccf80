package server

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// verifyStandardWebhook checks a delivery the way the Standard Webhooks 1.0
// spec tells a receiver to, written from the spec and not from the sender's
// code: HMAC-SHA256 keyed with the base64-decoded part of the secret after
// "whsec_", over "id.timestamp.body", compared with each space-separated
// "v1,<base64>" entry of webhook-signature.
func verifyStandardWebhook(secret string, h http.Header, body []byte) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("webhook-id, webhook-timestamp or webhook-signature is missing")
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		return fmt.Errorf("webhook-timestamp %q is not Unix seconds", ts)
	}
	if !strings.HasPrefix(secret, "whsec_") {
		return fmt.Errorf("secret %q lacks whsec_", secret)
	}
	key, err := base64.StdEncoding.DecodeString(secret[len("whsec_"):])
	if err != nil {
		return fmt.Errorf("secret: %v", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("no v1 signature in %q matches", sigs)
}

// eventually polls cond until it returns nil, failing with its last error
// after a generous bound (it waits for goroutines, it measures nothing).
func eventually(t *testing.T, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestVerifierMatchesPublishedVector(t *testing.T) {
	// The spec's own example, so the verifier the tests rely on is right.
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	if err := verifyStandardWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, []byte(`{"test": 2432232314}`)); err != nil {
		t.Errorf("published vector: %v", err)
	}
	if err := verifyStandardWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, []byte(`{"test": 2432232315}`)); err == nil {
		t.Error("a changed body verified")
	}
}

// hookMsg is one delivery a receiver took.
type hookMsg struct {
	ID     string
	Header http.Header
	Body   []byte
	Type   string
	Data   map[string]any
}

func (m hookMsg) ticket() map[string]any {
	t, _ := m.Data["ticket"].(map[string]any)
	return t
}

// receiver is a webhook receiver on loopback that verifies every delivery,
// and can be taken down (connections refused) and brought back on the same
// address.
type receiver struct {
	t    *testing.T
	addr string

	mu     sync.Mutex
	secret string
	got    []hookMsg
	bad    []string
	srv    *http.Server
	fail   bool // answer 503
	// before, when set, is called with the number of each request before
	// it is answered (the crash test kills the box there).
	before func(n int)
	n      int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.serve(ln)
	t.Cleanup(r.down)
	return r
}

func (r *receiver) url() string { return "http://" + r.addr + "/hook" }

func (r *receiver) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(r.handle)}
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	go srv.Serve(ln)
}

func (r *receiver) down() {
	r.mu.Lock()
	srv := r.srv
	r.srv = nil
	r.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (r *receiver) up() {
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		r.t.Fatalf("receiver back on %s: %v", r.addr, err)
	}
	r.serve(ln)
}

func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	r.secret = s
	r.mu.Unlock()
}

func (r *receiver) setFail(f bool) {
	r.mu.Lock()
	r.fail = f
	r.mu.Unlock()
}

func (r *receiver) handle(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.n++
	n, before := r.n, r.before
	r.mu.Unlock()
	if before != nil {
		before(n)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	if err := verifyStandardWebhook(r.secret, req.Header, body); err != nil {
		r.bad = append(r.bad, err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	m := hookMsg{ID: req.Header.Get("webhook-id"), Header: req.Header.Clone(), Body: body}
	var b struct {
		Type      string         `json:"type"`
		Timestamp string         `json:"timestamp"`
		Data      map[string]any `json:"data"`
	}
	if err := json.Unmarshal(body, &b); err != nil || b.Type == "" || b.Timestamp == "" || b.Data == nil {
		r.bad = append(r.bad, fmt.Sprintf("body %s: want type, timestamp and data (%v)", body, err))
	}
	m.Type, m.Data = b.Type, b.Data
	r.got = append(r.got, m)
	w.WriteHeader(http.StatusNoContent)
}

// unique returns the deliveries taken, repeats of a webhook-id dropped as a
// receiver does, and fails the test on any bad delivery.
func (r *receiver) unique() []hookMsg {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.bad {
		r.t.Errorf("bad delivery: %s", b)
	}
	r.bad = nil
	seen := map[string]bool{}
	var out []hookMsg
	for _, m := range r.got {
		if !seen[m.ID] {
			seen[m.ID] = true
			out = append(out, m)
		}
	}
	return out
}

// waitCount waits until the receiver has n distinct messages.
func (r *receiver) waitCount(n int) []hookMsg {
	r.t.Helper()
	var got []hookMsg
	eventually(r.t, fmt.Sprintf("%d webhook messages", n), func() error {
		got = r.unique()
		if len(got) < n {
			return fmt.Errorf("got %d: %v", len(got), types(got))
		}
		return nil
	})
	return got
}

func types(ms []hookMsg) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Type
		if t := m.ticket(); t != nil {
			out[i] += " " + fmt.Sprint(t["number"])
		}
	}
	return out
}

type apiWebhook struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
	Secret string   `json:"secret"`
}

func (h *harness) addWebhook(t *testing.T, r *receiver, events string) apiWebhook {
	t.Helper()
	var w apiWebhook
	h.do("POST", "/api/v1/webhooks", h.admin, fmt.Sprintf(`{"url":%q,"events":%s}`, r.url(), events)).want(t, http.StatusCreated).decode(t, &w)
	r.setSecret(w.Secret)
	return w
}

func fastRetries(o *Options) {
	o.WebhookMinBackoff, o.WebhookMaxBackoff = time.Millisecond, 20*time.Millisecond
}

func TestWebhookSecretAndSignature(t *testing.T) {
	h := newHarness(t, withOptions(fastRetries))
	r := newReceiver(t)
	w := h.addWebhook(t, r, `["*"]`)
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(w.Secret, "whsec_"))
	if !strings.HasPrefix(w.Secret, "whsec_") || err != nil || len(key) < 24 {
		t.Errorf("secret %q: want whsec_ and base64 of at least 24 bytes (%d bytes, %v)", w.Secret, len(key), err)
	}
	if w.ID == "" || w.URL != r.url() || !slices.Equal(w.Events, []string{"*"}) {
		t.Errorf("created webhook: got %+v", w)
	}
	tk := h.issue(t, h.kiosk, "general")
	m := r.waitCount(1)[0]
	if m.Type != "ticket.issued" || m.ticket()["id"] != tk.ID {
		t.Errorf("got %s %v, want ticket.issued of %s", m.Type, m.ticket(), tk.ID)
	}
	// webhook-timestamp is Unix seconds and the body's timestamp RFC 3339.
	if ts, _ := strconv.ParseInt(m.Header.Get("webhook-timestamp"), 10, 64); ts != h.clock.Now().Unix() {
		t.Errorf("webhook-timestamp %q, want %d", m.Header.Get("webhook-timestamp"), h.clock.Now().Unix())
	}
	if ct := m.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}

	// The secret is shown once: the list does not carry it.
	var list []map[string]any
	h.do("GET", "/api/v1/webhooks", h.admin, "").want(t, http.StatusOK).decode(t, &list)
	if len(list) != 1 || list[0]["id"] != w.ID || list[0]["secret"] != nil {
		t.Errorf("list: got %v, want the one webhook without its secret", list)
	}
}

// TestWebhookReceiverDownThenBack: a receiver that refuses connections and
// then answers 503 gets every event, in order, once it is back.
func TestWebhookReceiverDownThenBack(t *testing.T) {
	h := newHarness(t, withOptions(fastRetries))
	r := newReceiver(t)
	calls := newReceiver(t) // a second webhook, only for calls
	w := h.addWebhook(t, r, `["*"]`)
	h.addWebhook(t, calls, `["ticket.called"]`)
	r.down()

	a := h.issue(t, h.kiosk, "general")
	b := h.issue(t, h.kiosk, "general")
	c := h.issue(t, h.kiosk, "cash")
	d := h.issue(t, h.kiosk, "cash")
	h.do("POST", "/api/v1/counters/c1/next", h.admin, "").want(t, http.StatusOK) // a
	h.step(a.ID, "start").want(t, http.StatusOK)
	h.step(a.ID, "finish").want(t, http.StatusOK)
	h.do("POST", "/api/v1/counters/c3/next", h.admin, "").want(t, http.StatusOK) // b
	h.step(b.ID, "no-show").want(t, http.StatusOK)
	h.step(c.ID, "cancel").want(t, http.StatusOK)

	// Failures are logged while it is down.
	eventually(t, "failed attempts in the delivery log", func() error {
		var log []struct {
			OK      bool   `json:"ok"`
			Error   string `json:"error"`
			Attempt int    `json:"attempt"`
		}
		h.do("GET", "/api/v1/webhooks/"+w.ID+"/deliveries", h.admin, "").want(t, http.StatusOK).decode(t, &log)
		if len(log) < 3 || log[0].OK || log[0].Error == "" || log[0].Attempt < 3 {
			return fmt.Errorf("got %+v, want several failures of the first message", log)
		}
		return nil
	})
	r.up()

	want := []string{"ticket.issued " + a.Number, "ticket.issued " + b.Number, "ticket.issued " + c.Number, "ticket.issued " + d.Number,
		"ticket.called " + a.Number, "ticket.started " + a.Number, "ticket.finished " + a.Number,
		"ticket.called " + b.Number, "ticket.no_show " + b.Number, "ticket.cancelled " + c.Number}
	got := r.waitCount(len(want))
	if !slices.Equal(types(got), want) {
		t.Errorf("messages after the receiver came back:\n got %v\nwant %v", types(got), want)
	}
	// Each webhook-id names its event; the called one carries the counter.
	for _, m := range got {
		if m.Type == "ticket.called" {
			if ctr, _ := m.Data["counter"].(map[string]any); ctr["id"] == nil || ctr["name"] == nil {
				t.Errorf("ticket.called without counter id and name: %s", m.Body)
			}
		}
	}
	if got := types(calls.waitCount(2)); !slices.Equal(got, []string{"ticket.called " + a.Number, "ticket.called " + b.Number}) {
		t.Errorf("calls-only webhook got %v", got)
	}
	// Later events follow at once, still in order.
	e := h.issue(t, h.kiosk, "general")
	if got := r.waitCount(len(want) + 1); got[len(got)-1].ticket()["number"] != e.Number {
		t.Errorf("after catching up: last message %v, want ticket.issued %s", types(got[len(got)-1:]), e.Number)
	}
}

// TestWebhookPayloadPrivacy: messages carry the ticket's fields and never a
// phone number, a name, the staff's notes or the status token.
func TestWebhookPayloadPrivacy(t *testing.T) {
	h := newHarness(t, withOptions(fastRetries))
	r := newReceiver(t)
	h.addWebhook(t, r, `["*"]`)
	const phone, name, notes = "13800000002", "Test Customer", "lives at 5 Secret Road"
	appt := h.book(t, h.slotIn(15*time.Minute), phone)
	var tk apiTicket
	h.do("POST", "/api/v1/checkin", h.kiosk, `{"code":"`+appt.Code+`"}`).want(t, http.StatusCreated).decode(t, &tk)
	h.do("POST", "/api/v1/tickets/"+tk.ID+"/notes", h.admin, `{"notes":"`+notes+`"}`).want(t, http.StatusOK)
	h.step(tk.ID, "cancel").want(t, http.StatusOK)

	got := r.waitCount(4)
	sawTicket, sawAppt := false, false
	for _, m := range got {
		for _, secret := range []string{phone, name, notes, tk.Token, appt.Code, "notes", "token", "phone"} {
			if bytes.Contains(m.Body, []byte(secret)) {
				t.Errorf("%s carries %q: %s", m.Type, secret, m.Body)
			}
		}
		if tt := m.ticket(); tt != nil {
			sawTicket = true
			for _, k := range []string{"id", "number", "service_id", "tier", "status", "issued_at"} {
				if tt[k] == nil || tt[k] == "" {
					t.Errorf("%s: data.ticket lacks %s: %s", m.Type, k, m.Body)
				}
			}
			if tt["tier"] != "standard" {
				t.Errorf("%s: tier %v, want the default standard", m.Type, tt["tier"])
			}
		}
		if ap, _ := m.Data["appointment"].(map[string]any); ap != nil {
			sawAppt = true
			if ap["id"] != appt.ID || ap["service_id"] != "advice" {
				t.Errorf("%s: appointment %v", m.Type, ap)
			}
		}
	}
	if !sawTicket || !sawAppt {
		t.Errorf("want both ticket and appointment messages, got %v", types(got))
	}
}

func TestWebhookManagement(t *testing.T) {
	h := newHarness(t, withOptions(fastRetries))
	r := newReceiver(t)
	w := h.addWebhook(t, r, `["ticket.issued"]`)

	// Send test event: delivered now, answered with the attempt.
	var at struct {
		OK     bool   `json:"ok"`
		Status int    `json:"status"`
		Type   string `json:"type"`
		Error  string `json:"error"`
	}
	h.do("POST", "/api/v1/webhooks/"+w.ID+"/test", h.admin, "").want(t, http.StatusOK).decode(t, &at)
	if !at.OK || at.Status != http.StatusNoContent || at.Type != "webhook.test" {
		t.Errorf("test event: got %+v, want ok with status 204", at)
	}
	if m := r.waitCount(1)[0]; m.Type != "webhook.test" || m.Data["webhook_id"] != w.ID {
		t.Errorf("test event received as %s %v", m.Type, m.Data)
	}
	// A failing receiver makes a failed attempt, not an API error.
	r.setFail(true)
	h.do("POST", "/api/v1/webhooks/"+w.ID+"/test", h.admin, "").want(t, http.StatusOK).decode(t, &at)
	if at.OK || at.Status != http.StatusServiceUnavailable || at.Error == "" {
		t.Errorf("test event to a failing receiver: got %+v", at)
	}
	r.setFail(false)
	var log []map[string]any
	h.do("GET", "/api/v1/webhooks/"+w.ID+"/deliveries", h.admin, "").want(t, http.StatusOK).decode(t, &log)
	if len(log) != 2 || log[0]["ok"] != false || log[1]["ok"] != true {
		t.Errorf("delivery log, newest first: got %v", log)
	}

	bad := []struct{ body, field string }{
		{`{"url":"ftp://x/y"}`, "url"},
		{`{"url":"/relative"}`, "url"},
		{`{"url":"http://x/y","events":["ticket.issued","ticket.exploded"]}`, "events[1]"},
	}
	for _, tt := range bad {
		r := h.do("POST", "/api/v1/webhooks", h.admin, tt.body)
		if code, msg, _ := r.apiError(); r.status != http.StatusBadRequest || code != "invalid" || !strings.Contains(msg, tt.field) {
			t.Errorf("%s: got %v, want 400 invalid naming %s", tt.body, r, tt.field)
		}
	}

	h.do("DELETE", "/api/v1/webhooks/"+w.ID, h.admin, "").want(t, http.StatusNoContent)
	for _, rq := range [][2]string{{"DELETE", ""}, {"GET", "/deliveries"}, {"POST", "/test"}} {
		r := h.do(rq[0], "/api/v1/webhooks/"+w.ID+rq[1], h.admin, "")
		if code, _, _ := r.apiError(); r.status != http.StatusNotFound || code != "unknown_webhook" {
			t.Errorf("%s after delete: got %v, want 404 unknown_webhook", rq, r)
		}
	}
	// Deleted means no more deliveries.
	h.issue(t, h.kiosk, "general")
	h.addWebhook(t, newReceiver(t), `["*"]`) // a live one, to know the bus moved on
	if n := len(r.unique()); n != 1 {
		t.Errorf("deleted webhook still got messages: %d", n)
	}
}

// TestWebhookOnePerURL: a URL that already has a webhook is refused with 409
// webhook_exists naming it (whatever the case of its scheme and host, and
// whatever the events), even when two admins add it at once; deleted, it
// can be added again.
func TestWebhookOnePerURL(t *testing.T) {
	h := newHarness(t)
	r := newReceiver(t)
	w := h.addWebhook(t, r, `["ticket.issued"]`)
	for _, u := range []string{r.url(), strings.Replace(strings.ToUpper(r.url()), "/HOOK", "/hook", 1)} {
		resp := h.do("POST", "/api/v1/webhooks", h.admin, fmt.Sprintf(`{"url":%q,"events":["*"]}`, u))
		if code, msg, _ := resp.apiError(); resp.status != http.StatusConflict || code != "webhook_exists" || !strings.HasPrefix(msg, "url") || !strings.Contains(msg, w.ID) {
			t.Errorf("add %s again: got %v, want 409 webhook_exists naming the url and %s", u, resp, w.ID)
		}
	}
	// Another path on the same receiver is another webhook.
	h.do("POST", "/api/v1/webhooks", h.admin, fmt.Sprintf(`{"url":%q}`, r.url()+"/other")).want(t, http.StatusCreated)

	// Two admins at once: one webhook.
	other := newReceiver(t)
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = h.do("POST", "/api/v1/webhooks", h.admin, fmt.Sprintf(`{"url":%q}`, other.url())).status
		}()
	}
	wg.Wait()
	created := slices.Index(statuses, http.StatusCreated)
	if created < 0 || slices.Index(statuses[created+1:], http.StatusCreated) >= 0 ||
		slices.ContainsFunc(statuses, func(st int) bool { return st != http.StatusCreated && st != http.StatusConflict }) {
		t.Errorf("eight adds of one URL at once answered %v, want one 201 and 409 for the rest", statuses)
	}
	var list []apiWebhook
	h.do("GET", "/api/v1/webhooks", h.admin, "").want(t, http.StatusOK).decode(t, &list)
	if len(list) != 3 {
		t.Errorf("%d webhooks, want 3: %+v", len(list), list)
	}

	h.do("DELETE", "/api/v1/webhooks/"+w.ID, h.admin, "").want(t, http.StatusNoContent)
	h.addWebhook(t, r, `["*"]`)
}

// TestNearTurnMessages: when a ticket moves up to the near-turn place (3 by
// default) a webhook gets ticket.near_turn with its place, and the open
// phone page gets a near_turn message.
func TestNearTurnMessages(t *testing.T) {
	h := newHarness(t, withOptions(fastRetries))
	r := newReceiver(t)
	h.addWebhook(t, r, `["ticket.near_turn"]`)
	var tk []apiTicket
	for range 4 {
		tk = append(tk, h.issue(t, h.kiosk, "general"))
	}
	srv := httptest.NewServer(h.s.Handler())
	t.Cleanup(srv.Close)
	phone, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/api/v1/live?topic=status&token="+tk[3].Token, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Cleanup(func() { phone.Close() })
	if _, _, err := phone.ReadMessage(); err != nil { // the snapshot
		t.Fatal(err)
	}

	h.do("POST", "/api/v1/counters/c3/next", h.admin, "").want(t, http.StatusOK)
	m := r.waitCount(1)[0]
	if m.Type != "ticket.near_turn" || m.ticket()["number"] != tk[3].Number || m.Data["ahead"] != 2.0 {
		t.Errorf("got %s %s, want ticket.near_turn of %s with ahead 2", m.Type, m.Body, tk[3].Number)
	}
	var types []string
	for len(types) == 0 || types[len(types)-1] != "near_turn" {
		var msg struct {
			Type string `json:"type"`
			Data struct {
				Ahead int `json:"ahead"`
			} `json:"data"`
		}
		if err := phone.ReadJSON(&msg); err != nil {
			t.Fatalf("phone: %v after %v", err, types)
		}
		types = append(types, msg.Type)
		if msg.Type == "near_turn" && msg.Data.Ahead != 2 {
			t.Errorf("near_turn message: ahead %d, want 2", msg.Data.Ahead)
		}
	}
	// One message per event: the call's status update, then near_turn.
	if !slices.Equal(types, []string{"status", "near_turn"}) {
		t.Errorf("phone got %v, want status then near_turn", types)
	}
}

// TestWebhooksAddNoWritePerEvent: the webhooks' outbox is the event log
// itself, so issuing with three webhooks configured (one of them dead) adds
// no database write per event: each live webhook saves its cursor once per
// many messages, the dead one its failures, which back off. Counted in
// write transactions (each a commit and an fsync), not timed.
func TestWebhooksAddNoWritePerEvent(t *testing.T) {
	// The quiet-time save would add one per pause in issuing, which depends
	// on the machine's speed; here it waits until the test is over.
	h := newHarness(t, withOptions(func(o *Options) { o.WebhookSaveAfter = time.Hour }))
	const n = 300
	issue := func(n int) uint64 {
		before := h.s.db.WriteTxs()
		for range n {
			h.issue(t, h.kiosk, "general")
		}
		return h.s.db.WriteTxs() - before
	}
	// Without webhooks: a third as many, for what one ticket costs.
	plainTxs := 3 * issue(n/3)

	live := []*receiver{newReceiver(t), newReceiver(t)}
	for _, r := range live {
		h.addWebhook(t, r, `["*"]`)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + ln.Addr().String() + "/hook"
	ln.Close()
	var dead apiWebhook
	h.do("POST", "/api/v1/webhooks", h.admin, fmt.Sprintf(`{"url":%q,"events":["*"]}`, deadURL)).want(t, http.StatusCreated).decode(t, &dead)

	before := h.s.db.WriteTxs()
	hookTxs := issue(n)
	for _, r := range live {
		r.waitCount(n)
	}
	eventually(t, "the dead webhook's first failure", func() error {
		if len(h.s.hooks.Attempts(dead.ID)) == 0 {
			return errors.New("no attempt yet")
		}
		return nil
	})
	after := h.s.db.WriteTxs()
	failures := uint64(len(h.s.hooks.Attempts(dead.ID))) // each saved at once
	extra := int64(after-before) - int64(plainTxs) - int64(failures)
	t.Logf("%d tickets: %d write transactions without webhooks (three times those of %d); with three, %d while issuing and %d until delivered, the dead one's %d failures among them",
		n, plainTxs, n/3, hookTxs, after-before, failures)
	// A write per event per webhook would be 3n; a cursor saved once per
	// page of the log read (256 events) is n/256 per live webhook.
	if max := int64(2 * (n/256 + 1)); extra > max {
		t.Errorf("three webhooks added %d write transactions to %d tickets (beside the dead one's %d failures), want at most %d: none per event",
			extra, n, failures, max)
	}
	if failures > 10 {
		t.Errorf("the dead webhook failed %d times while %d tickets were issued, want a few (backing off)", failures, n)
	}
}
