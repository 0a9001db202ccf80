package server

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"queuebox/server/live"
)

// FuzzLiveQuery opens GET /api/v1/live with arbitrary topic, since and token
// parameters, as a phone's status page or a lobby TV sends them. Whatever
// they hold, the box either refuses in the API's error shape, below 500, or
// opens the socket and starts it the way the live protocol says. Under plain
// go test it runs the seeds.
func FuzzLiveQuery(f *testing.F) {
	h := newHarness(f)
	tk := h.issue(f, h.kiosk, "general")
	srv := httptest.NewServer(h.s.Handler())
	f.Cleanup(srv.Close)
	last := strconv.FormatUint(h.s.engine.LastSeq(), 10)
	for _, s := range []struct {
		topic, since, token string
		staff               bool
	}{
		{"display", "", "", false}, {"display", "0", "", false}, {"display", last, "", false}, {"display", "1", "", false},
		{"status", "", tk.Token, false}, {"status", "1", tk.Token, false}, {"status", "", strings.Repeat("A", 22), false},
		{"queue", "", "", false}, {"queue", "", "", true}, {"queue", last, "", true},
		{"", "", "", false}, {"DISPLAY", "", "", false}, {"display ", "", "", false}, {"display\x00", "", "", false},
		{"display", "-1", "", false}, {"display", "18446744073709551615", "", false}, {"display", "18446744073709551616", "", false},
		{"display", "1e3", "", false}, {"display", "+1", "", false}, {"display", "٣", "", false},
		{"status", "", "../" + tk.Token, false}, {"status", "", strings.Repeat("a", 64), false}, {"status", "", strings.Repeat("a", 65), false},
		{"status", "", tk.Token + "\x00", false}, {"status", "", "", false}, {"display", "", tk.Token, true},
	} {
		f.Add(s.topic, s.since, s.token, s.staff)
	}
	f.Fuzz(func(t *testing.T, topic, since, token string, staff bool) {
		q := url.Values{}
		for k, v := range map[string]string{"topic": topic, "since": since, "token": token} {
			if v != "" {
				q.Set(k, v)
			}
		}
		header := http.Header{}
		if staff {
			header.Set("Cookie", sessionCookie+"="+h.admin.cookie)
		}
		dialer := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
		conn, resp, err := dialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/api/v1/live?"+q.Encode(), header)
		if err != nil {
			if resp == nil {
				t.Fatalf("%v: no answer: %v", q, err)
			}
			body, _ := io.ReadAll(resp.Body)
			r := apiResponse{status: resp.StatusCode, header: resp.Header, body: body}
			if r.status >= 500 {
				t.Fatalf("%v: got %v, want no 5xx", q, r)
			}
			if _, _, err := r.apiError(); err != nil {
				t.Fatalf("%v: %v", q, err)
			}
			return
		}
		defer conn.Close()
		// A resume that is already current gets nothing until the next
		// event: only then may the first message be slow to come.
		_, resumeErr := strconv.ParseUint(since, 10, 64)
		resuming := since != "" && resumeErr == nil
		wait := 5 * time.Second
		if resuming {
			wait = 300 * time.Millisecond
		}
		conn.SetReadDeadline(time.Now().Add(wait))
		_, data, err := conn.ReadMessage()
		var ne net.Error
		switch {
		case websocket.IsCloseError(err, live.CloseUnknownKey):
			if topic != "status" {
				t.Fatalf("%v: closed as an unknown key, but only status subscriptions have keys", q)
			}
			return
		case resuming && errors.As(err, &ne) && ne.Timeout():
			return
		case err != nil:
			t.Fatalf("%v: first read: %v", q, err)
		}
		var m struct {
			Seq  *uint64         `json:"seq"`
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(data, &m); err != nil || m.Seq == nil || m.Type == "" || len(m.Data) == 0 {
			t.Fatalf("%v: first message %q is not {seq,type,data}", q, data)
		}
		if !resuming && m.Type != live.TypeSnapshot {
			t.Fatalf("%v: first message is %q, want a snapshot", q, m.Type)
		}
	})
}
