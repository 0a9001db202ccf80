package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestWebhooksSurviveKill kills the box (SIGKILL) in the middle of a
// delivery and in the middle of issuing, and checks that the receiver still
// gets every event the box answered for, in order, each webhook-id always
// with the same message.
func TestWebhooksSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a server process several times")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "queuebox.yaml"), []byte(crashConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := newReceiver(t)
	var answered []string      // ids of tickets issued with a 201
	var answeredN atomic.Int64 // len(answered), read while load runs

	// load issues tickets (and calls every third) until the box dies or
	// until n are answered; it returns when either happens.
	load := func(c crashClient, cookie string, n int) {
		for i := 0; n <= 0 || i < n; i++ {
			st, _, raw, err := c.do("POST", "/api/v1/tickets", map[string]string{"service_id": crashServices[i%2]}, "Cookie", cookie)
			if err != nil {
				return // killed
			}
			if st != http.StatusCreated {
				t.Errorf("issue: %d %s", st, raw)
				return
			}
			var tk crashTicket
			if err := json.Unmarshal(raw, &tk); err != nil {
				t.Errorf("issue: %s: %v", raw, err)
				return
			}
			answered = append(answered, tk.ID)
			answeredN.Store(int64(len(answered)))
			if i%3 == 2 {
				if _, _, _, err := c.do("POST", "/api/v1/counters/c1/next", nil, "Cookie", cookie); err != nil {
					return
				}
			}
		}
	}

	// Life 1: the box is killed by the receiver while it waits for the
	// answer to the 15th delivery.
	srv := startCrashServer(t, dir, 1)
	c := newCrashClient(srv.base)
	cookie := c.login(t, "admin", crashAdminPass)
	_, raw := c.must(t, http.StatusCreated, "POST", "/api/v1/webhooks", map[string]any{"url": rec.url(), "events": []string{"ticket.issued", "ticket.called"}}, "Cookie", cookie)
	var hook apiWebhook
	if err := json.Unmarshal(raw, &hook); err != nil {
		t.Fatal(err)
	}
	rec.setSecret(hook.Secret)
	var once sync.Once
	rec.mu.Lock()
	rec.before = func(n int) {
		if n == 15 {
			once.Do(srv.kill)
		}
	}
	rec.mu.Unlock()
	load(c, cookie, 0)
	c.close()
	rec.mu.Lock()
	rec.before = nil
	rec.mu.Unlock()
	t.Logf("life 1: %d tickets answered before the kill mid-delivery", len(answered))

	// Life 2: killed from outside while tickets are issued and delivered.
	srv = startCrashServer(t, dir, 2)
	c = newCrashClient(srv.base)
	cookie = c.login(t, "admin", crashAdminPass)
	before, sent := len(answered), len(rec.unique())
	done := make(chan struct{})
	go func() {
		defer close(done)
		load(c, cookie, 0)
	}()
	// Twenty tickets and twenty messages in this life, not twenty messages
	// more than life 1 answered tickets: while tickets keep coming,
	// deliveries give way to issuing, and how far behind they are depends
	// on how fast the box issued.
	eventually(t, "deliveries in life 2", func() error {
		if n, a := len(rec.unique()), int(answeredN.Load()); n < sent+20 || a < before+20 {
			return fmt.Errorf("%d messages, %d tickets", n, a)
		}
		return nil
	})
	srv.kill()
	<-done
	c.close()
	t.Logf("life 2: %d more tickets answered before the kill", len(answered)-before)

	// Life 3: a few more, then everything must arrive.
	srv = startCrashServer(t, dir, 3)
	c = newCrashClient(srv.base)
	cookie = c.login(t, "admin", crashAdminPass)
	load(c, cookie, 5)
	c.close()

	eventually(t, "every answered ticket delivered", func() error {
		got := map[string]bool{}
		for _, m := range rec.unique() {
			if m.Type == "ticket.issued" {
				got[fmt.Sprint(m.ticket()["id"])] = true
			}
		}
		var missing []string
		for _, id := range answered {
			if !got[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("%d of %d tickets not delivered: %v", len(missing), len(answered), missing)
		}
		return nil
	})

	// Order: first receipts by event seq (the end of the webhook-id)
	// only ever rise; a repeat carries the very same message.
	rec.mu.Lock()
	defer rec.mu.Unlock()
	first := map[string]string{}
	var last uint64
	repeats := 0
	for _, m := range rec.got {
		if prev, ok := first[m.ID]; ok {
			repeats++
			if prev != string(m.Body) {
				t.Errorf("%s sent again with another body:\n%s\n%s", m.ID, prev, m.Body)
			}
			continue
		}
		first[m.ID] = string(m.Body)
		seq, err := strconv.ParseUint(m.ID[strings.LastIndex(m.ID, "_")+1:], 10, 64)
		if err != nil || !strings.HasPrefix(m.ID, "msg_"+hook.ID+"_") {
			t.Fatalf("webhook-id %q: want msg_%s_SEQ", m.ID, hook.ID)
		}
		if seq <= last {
			t.Errorf("event %d delivered after %d", seq, last)
		}
		last = seq
	}
	t.Logf("%d tickets, %d messages, %d repeats after the kills", len(answered), len(first), repeats)
}
