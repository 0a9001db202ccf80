package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"queuebox/server/servertest"
)

type liveMsg struct {
	Seq  uint64          `json:"seq"`
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

func dial(t *testing.T, box *servertest.Box, query string, header http.Header) *websocket.Conn {
	t.Helper()
	url := "ws" + strings.TrimPrefix(box.URL, "http") + "/api/v1/live?" + query
	conn, resp, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", query, err, status)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func read(t *testing.T, conn *websocket.Conn) liveMsg {
	t.Helper()
	// Generous: a read ends when its message comes, and the race detector
	// on a loaded machine can be slow to bring it.
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	var m liveMsg
	if err := conn.ReadJSON(&m); err != nil {
		t.Fatalf("read: %v", err)
	}
	return m
}

// readUntil reads until a message of type typ arrives.
func readUntil(t *testing.T, conn *websocket.Conn, typ string) liveMsg {
	t.Helper()
	for i := 0; i < 50; i++ {
		if m := read(t, conn); m.Type == typ {
			return m
		}
	}
	t.Fatalf("no %q message", typ)
	return liveMsg{}
}

func TestLiveDisplayAndStatus(t *testing.T) {
	box := servertest.Start(t, servertest.Options{})
	kiosk := box.Device("kiosk")
	staff := box.Staff("alice")
	first := box.Issue(kiosk, "general")
	second := box.Issue(kiosk, "general")

	display := dial(t, box, "topic=display", nil)
	if m := read(t, display); m.Type != "snapshot" {
		t.Fatalf("first display message is %q, want snapshot", m.Type)
	}
	status := dial(t, box, "topic=status&token="+second.Token, nil)
	snap := read(t, status)
	var sv struct {
		Number string `json:"number"`
		Ahead  int    `json:"ahead"`
		Status string `json:"status"`
	}
	json.Unmarshal(snap.Data, &sv)
	if snap.Type != "snapshot" || sv.Number != second.Number || sv.Ahead != 1 {
		t.Fatalf("status snapshot = %s %s, want %s with 1 ahead", snap.Type, snap.Data, second.Number)
	}

	box.Next(staff, "c2")
	call := readUntil(t, display, "called")
	var cm struct {
		Ticket  struct{ Number string }
		Counter struct{ Name string }
		Recall  bool
	}
	json.Unmarshal(call.Data, &cm)
	if cm.Ticket.Number != first.Number || cm.Counter.Name != "Counter 2" || cm.Recall {
		t.Errorf("display got %s, want %s called to Counter 2", call.Data, first.Number)
	}
	up := readUntil(t, status, "status")
	json.Unmarshal(up.Data, &sv)
	if sv.Ahead != 0 {
		t.Errorf("after the call the status page says %d ahead, want 0", sv.Ahead)
	}
	if up.Seq != call.Seq {
		t.Errorf("status update seq %d, display call seq %d: one event, one seq", up.Seq, call.Seq)
	}

	// The ticket's own call reaches its phone with the counter name.
	box.Next(staff, "c1")
	up = readUntil(t, status, "status")
	var called struct {
		Status      string `json:"status"`
		CounterName string `json:"counter_name"`
	}
	json.Unmarshal(up.Data, &called)
	if called.Status != "called" || called.CounterName != "Counter 1" {
		t.Errorf("own call on status page = %s, want called to Counter 1", up.Data)
	}
}

func TestLiveQueueTopicNeedsStaff(t *testing.T) {
	box := servertest.Start(t, servertest.Options{})
	url := "ws" + strings.TrimPrefix(box.URL, "http") + "/api/v1/live?topic=queue"
	_, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous queue topic: err %v, status %v; want 401", err, resp)
	}
	staff := box.Staff("bob")
	u, _ := http.NewRequest("GET", box.URL, nil)
	header := http.Header{}
	for _, c := range staff.Jar.Cookies(u.URL) {
		header.Add("Cookie", c.String())
	}
	conn := dial(t, box, "topic=queue", header)
	if m := read(t, conn); m.Type != "snapshot" {
		t.Errorf("staff queue topic starts with %q, want snapshot", m.Type)
	}
}

func TestLiveResumeAcrossRestartMissesNoCall(t *testing.T) {
	box := servertest.Start(t, servertest.Options{})
	kiosk := box.Device("kiosk")
	staff := box.Staff("carol")
	var numbers []string
	for i := 0; i < 4; i++ {
		numbers = append(numbers, box.Issue(kiosk, "general").Number)
	}
	display := dial(t, box, "topic=display", nil)
	last := read(t, display).Seq
	box.Next(staff, "c2")
	m := readUntil(t, display, "called")
	last = m.Seq

	box.Restart()
	staff = box.Login("carol", "staff-pass-carol")
	// Calls made while the display is away are replayed or in the snapshot.
	box.Next(staff, "c2")
	box.Next(staff, "c2")
	display = dial(t, box, "topic=display&since="+strconv.FormatUint(last, 10), nil)
	var got []string
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < 2 && time.Now().Before(deadline) {
		m := read(t, display)
		switch m.Type {
		case "called":
			var cm struct{ Ticket struct{ Number string } }
			json.Unmarshal(m.Data, &cm)
			got = append(got, cm.Ticket.Number)
		case "snapshot":
			var snap struct {
				Calls []struct {
					Number string `json:"number"`
				} `json:"calls"`
			}
			json.Unmarshal(m.Data, &snap)
			for i := len(snap.Calls) - 1; i >= 0; i-- {
				if snap.Calls[i].Number != numbers[0] {
					got = append(got, snap.Calls[i].Number)
				}
			}
		}
	}
	if strings.Join(got, ",") != numbers[1]+","+numbers[2] {
		t.Errorf("after the restart the display learned of %v, want %v", got, numbers[1:3])
	}
}

// TestLiveManyPhonesGetTheirOwnPlace: with enough phones that the hub
// renders them on several goroutines from one ordering of each queue, every
// phone of the called service hears exactly what GET /status then says of
// its ticket: its own place, estimate and service, not a neighbour's.
func TestLiveManyPhonesGetTheirOwnPlace(t *testing.T) {
	box := servertest.Start(t, servertest.Options{})
	kiosk := box.Device("kiosk")
	staff := box.Staff("alice")
	const n = 150
	tickets := make([]servertest.Ticket, n)
	phones := make([]*websocket.Conn, n)
	for i := range tickets {
		svc := "general"
		if i%3 == 2 {
			svc = "cash"
		}
		tickets[i] = box.Issue(kiosk, svc)
	}
	for i, tk := range tickets {
		phones[i] = dial(t, box, "topic=status&token="+tk.Token, nil)
		if m := read(t, phones[i]); m.Type != "snapshot" {
			t.Fatalf("phone %d: first message %q, want snapshot", i, m.Type)
		}
	}
	called, ok := box.Next(staff, "c2") // serves general only
	if !ok {
		t.Fatal("nothing called")
	}
	for i, tk := range tickets {
		if tk.ServiceID != "general" {
			continue
		}
		m := readUntil(t, phones[i], "status")
		status, body := box.Do(box.Client(), "GET", "/api/v1/status/"+tk.Token, nil, nil)
		if status != http.StatusOK {
			t.Fatalf("GET status of %s: %d %s", tk.Number, status, body)
		}
		// The whole object, so that a field added to the status one day
		// cannot be missing from what phones hear.
		var got, want map[string]any
		json.Unmarshal(m.Data, &got)
		json.Unmarshal(body, &want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("phone of %s (call of %s): live %v, GET says %v", tk.Number, called.Number, got, want)
		}
	}
}
