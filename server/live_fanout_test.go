package server

import (
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// phoneMsg is a live message with the status fields the test follows.
type phoneMsg struct {
	Seq  uint64 `json:"seq"`
	Type string `json:"type"`
	Data struct {
		Number      string `json:"number"`
		Ahead       int    `json:"ahead"`
		ServiceName string `json:"service_name"`
	} `json:"data"`
}

func readPhone(tb testing.TB, conn *websocket.Conn) phoneMsg {
	tb.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var m phoneMsg
		if err := conn.ReadJSON(&m); err != nil {
			tb.Fatalf("read: %v", err)
		}
		if m.Type != "ping" {
			return m
		}
	}
}

// TestACallReachesEachPhoneOnce: a call is several events (the counter's
// last ticket finished, the next called, perhaps a near_turn), and each
// phone waiting in the service hears it once, with its new place; the
// queue is ordered once per call, not once per event or per phone.
func TestACallReachesEachPhoneOnce(t *testing.T) {
	h := newHarness(t)
	addr := h.listen(t)
	const phones, calls = 30, 3
	for range calls {
		h.issue(t, h.kiosk, "general") // called before the phones' tickets
	}
	conns := make([]*websocket.Conn, phones)
	ahead := make([]int, phones)
	for i := range conns {
		tk := h.issue(t, h.kiosk, "general")
		conns[i] = mustOpen(t, addr, "topic=status&token="+tk.Token, anonCaller)
		snap := readPhone(t, conns[i])
		if snap.Type != "snapshot" || snap.Data.Number != tk.Number {
			t.Fatalf("phone %d: first message %s %s, want the snapshot of %s", i, snap.Type, snap.Data.Number, tk.Number)
		}
		ahead[i] = snap.Data.Ahead
	}

	// Each call is heard by every phone before the next, so each is
	// rendered from the state it made. (The push renders the engine's state
	// as it is when it gets to an event: the issues' events may still be on
	// their way, and be the first to show the first call.)
	var builds int64
	for c := range calls {
		if c == 1 {
			builds = h.s.places.builds.Load()
		}
		h.do("POST", "/api/v1/counters/c3/next", h.admin, "").want(t, http.StatusOK)
		for i, conn := range conns {
			m := readPhone(t, conn)
			if m.Type == "near_turn" { // the last call's, for the phone it moved up to the place
				m = readPhone(t, conn)
			}
			if m.Type != "status" || m.Data.Ahead != ahead[i]-c-1 {
				t.Fatalf("call %d: phone %d heard %s with %d ahead, want a status with %d ahead",
					c+1, i, m.Type, m.Data.Ahead, ahead[i]-c-1)
			}
		}
	}
	if got := h.s.places.builds.Load() - builds; got != calls-1 {
		t.Errorf("%d calls ordered the queue %d times, want once per call", calls-1, got)
	}
	// Nothing else came of the calls (a near_turn aside): read up to a
	// change every phone of the service sees.
	h.do("PUT", "/api/v1/services/general", h.admin, `{"prefix":"A","name":"General (renamed)","avg_service_seconds":300}`).want(t, http.StatusOK)
	for i, conn := range conns {
		for {
			m := readPhone(t, conn)
			if m.Type == "near_turn" {
				continue
			}
			if m.Type != "status" || m.Data.ServiceName != "General (renamed)" {
				t.Errorf("phone %d: after its three calls, heard %s at seq %d (%d ahead, service %q), want only the renamed service",
					i, m.Type, m.Seq, m.Data.Ahead, m.Data.ServiceName)
			}
			break
		}
	}
}

// TestPhoneHearsNothingNew: events that change nothing on a waiting
// phone's page (tickets issued behind it) send it nothing, and its next
// change is sent once.
func TestPhoneHearsNothingNew(t *testing.T) {
	h := newHarness(t)
	addr := h.listen(t)
	h.issue(t, h.kiosk, "general")
	mine := h.issue(t, h.kiosk, "general")
	conn := mustOpen(t, addr, "topic=status&token="+mine.Token, anonCaller)
	if m := readPhone(t, conn); m.Type != "snapshot" || m.Data.Ahead != 1 {
		t.Fatalf("first message %s with %d ahead, want the snapshot with 1 ahead", m.Type, m.Data.Ahead)
	}
	for range 3 {
		h.issue(t, h.kiosk, "general") // behind it: nothing moves
	}
	// next reads the phone's next message other than a near_turn.
	next := func() string {
		for {
			m := readPhone(t, conn)
			if m.Type != "near_turn" {
				return fmt.Sprintf("%s %d ahead %s", m.Type, m.Data.Ahead, m.Data.ServiceName)
			}
		}
	}
	var got []string
	// The issues behind it sent nothing: the first thing it hears is the
	// call that moved it up. (Each change is heard before the next is made:
	// the push renders the state as it is when it gets to an event, so a
	// change made meanwhile would rightly be heard in the same message.)
	h.do("POST", "/api/v1/counters/c3/next", h.admin, "").want(t, http.StatusOK)
	got = append(got, next())
	h.do("PUT", "/api/v1/services/general", h.admin, `{"prefix":"A","name":"General (renamed)","avg_service_seconds":300}`).want(t, http.StatusOK)
	got = append(got, next())
	want := []string{"status 0 ahead General", "status 0 ahead General (renamed)"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the phone heard %q, want %q", got, want)
	}
}

// TestPhonesSettleOnTheirPlaceAfterCallsInARow: two counters call one after
// the other as fast as they can, while the phones' places are worked out
// ahead of each call's commit and the pushes of earlier calls are still
// going out. Every phone ends on its true place (the status the API gives),
// and hears nothing after it but the next change.
func TestPhonesSettleOnTheirPlaceAfterCallsInARow(t *testing.T) {
	h := newHarness(t)
	addr := h.listen(t)
	const phones, calls = 20, 16
	for range calls + 2 {
		h.issue(t, h.kiosk, "general") // called before the phones' tickets
	}
	conns := make([]*websocket.Conn, phones)
	tokens := make([]string, phones)
	for i := range conns {
		tk := h.issue(t, h.kiosk, "general")
		tokens[i] = tk.Token
		conns[i] = mustOpen(t, addr, "topic=status&token="+tk.Token, anonCaller)
		if m := readPhone(t, conns[i]); m.Type != "snapshot" {
			t.Fatalf("phone %d: first message %s, want the snapshot", i, m.Type)
		}
	}
	var wg sync.WaitGroup
	for _, counter := range []string{"c1", "c3"} {
		wg.Go(func() {
			for range calls / 2 {
				if r := h.do("POST", "/api/v1/counters/"+counter+"/next", h.admin, ""); r.status != http.StatusOK {
					t.Errorf("call at %s: %v", counter, r)
					return
				}
			}
		})
	}
	wg.Wait()
	truth := make([]int, phones)
	for i, tok := range tokens {
		var v struct {
			Ahead int `json:"ahead"`
		}
		h.do("GET", "/api/v1/status/"+tok, anonCaller, "").want(t, http.StatusOK).decode(t, &v)
		truth[i] = v.Ahead
		for {
			m := readPhone(t, conns[i]) // fails the test if it never gets there
			if m.Type == "status" && m.Data.Ahead == truth[i] {
				break
			}
		}
	}
	h.do("PUT", "/api/v1/services/general", h.admin, `{"prefix":"A","name":"General (renamed)","avg_service_seconds":300}`).want(t, http.StatusOK)
	for i, conn := range conns {
		m := readPhone(t, conn)
		for m.Type == "near_turn" { // the buzz of a phone the calls moved up close
			m = readPhone(t, conn)
		}
		if m.Type != "status" || m.Data.ServiceName != "General (renamed)" || m.Data.Ahead != truth[i] {
			t.Errorf("phone %d: after settling on %d ahead, heard %s with %d ahead (service %q), want the renamed service with %d ahead",
				i, truth[i], m.Type, m.Data.Ahead, m.Data.ServiceName, truth[i])
		}
	}
}

// TestWarmedPlacesAreTakenOnlyWhileCurrent: places worked out ahead of a
// call's events are taken up by them, and not by an event of a change made
// after they were worked out.
func TestWarmedPlacesAreTakenOnlyWhileCurrent(t *testing.T) {
	h := newHarness(t)
	first := h.issue(t, h.kiosk, "general")
	pc, e := h.s.places, h.s.engine
	pc.watch(first.Token) // as its phone does when it connects
	if _, waiting, _ := pc.at(e, e.LastSeq()).status(first.Token); !waiting {
		t.Fatalf("%s is not among the places", first.Number)
	}
	settle := func() {
		for pc.warming.Load() {
			runtime.Gosched()
		}
	}
	settle() // a warm-up the issue may have started
	h.do("POST", "/api/v1/counters/c1/next", h.admin, "").want(t, http.StatusOK)
	settle()
	if n := pc.next.Load(); n == nil || n.gen != e.Gen() {
		t.Fatal("the call's places were not worked out ahead")
	}
	builds := pc.builds.Load()
	if _, waiting, known := pc.at(e, e.LastSeq()).status(first.Token); waiting || !known {
		t.Errorf("after the call, %s is still among the places", first.Number)
	}
	if got := pc.builds.Load() - builds; got != 0 {
		t.Errorf("the call's event ordered the queue %d more times, want none: it was done ahead", got)
	}

	second := h.issue(t, h.kiosk, "general")
	pc.watch(second.Token)
	h.do("POST", "/api/v1/counters/c3/next", h.admin, "").want(t, http.StatusOK) // calls the second, warming
	settle()
	third := h.issue(t, h.kiosk, "general") // made after the warm-up
	pc.watch(third.Token)
	if _, waiting, _ := pc.at(e, e.LastSeq()).status(third.Token); !waiting {
		t.Errorf("%s, issued after the places were worked out ahead, is not among them", third.Number)
	}
	if raw, waiting, _ := pc.at(e, e.LastSeq()).status(second.Token); waiting || raw != nil {
		t.Errorf("%s was called, yet it is still among the places", second.Number)
	}
	pc.wmu.Lock()
	_, still := pc.watched[second.Token]
	pc.wmu.Unlock()
	if still {
		t.Errorf("%s was called, yet its place is still worked out on every change", second.Number)
	}
}

// TestResumedPhoneGetsItsPlaceAndWait: only the places of tickets a phone
// watches are worked out on each change. A phone that resumes (since=, no
// snapshot) is not yet among them: its first call is answered from the
// engine, and it is watched from then on; either way every push is the
// place and wait the API gives the ticket.
func TestResumedPhoneGetsItsPlaceAndWait(t *testing.T) {
	h := newHarness(t)
	addr := h.listen(t)
	for range 3 {
		h.issue(t, h.kiosk, "general") // called before the phone's ticket
	}
	tk := h.issue(t, h.kiosk, "general")
	other := h.issue(t, h.kiosk, "general")
	watcher := mustOpen(t, addr, "topic=status&token="+other.Token, anonCaller) // keeps the places in use
	readPhone(t, watcher)
	since := h.s.engine.LastSeq()
	conn := mustOpen(t, addr, fmt.Sprintf("topic=status&token=%s&since=%d", tk.Token, since), anonCaller)
	for c := range 3 {
		h.do("POST", "/api/v1/counters/c3/next", h.admin, "").want(t, http.StatusOK)
		var truth struct {
			Ahead int `json:"ahead"`
			EWT   int `json:"ewt_seconds"`
			Low   int `json:"ewt_low_seconds"`
			High  int `json:"ewt_high_seconds"`
		}
		h.do("GET", "/api/v1/status/"+tk.Token, anonCaller, "").want(t, http.StatusOK).decode(t, &truth)
		for {
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			var m struct {
				Type string `json:"type"`
				Data struct {
					Ahead int `json:"ahead"`
					EWT   int `json:"ewt_seconds"`
					Low   int `json:"ewt_low_seconds"`
					High  int `json:"ewt_high_seconds"`
				} `json:"data"`
			}
			if err := conn.ReadJSON(&m); err != nil {
				t.Fatalf("call %d: read: %v", c+1, err)
			}
			if m.Type != "status" {
				continue
			}
			if m.Data.Ahead == truth.Ahead {
				if m.Data.EWT != truth.EWT || m.Data.Low != truth.Low || m.Data.High != truth.High {
					t.Errorf("call %d: pushed wait %d (%d-%d) s, the API says %d (%d-%d)", c+1,
						m.Data.EWT, m.Data.Low, m.Data.High, truth.EWT, truth.Low, truth.High)
				}
				break
			}
			if m.Data.Ahead < truth.Ahead {
				t.Fatalf("call %d: pushed %d ahead, the API says %d", c+1, m.Data.Ahead, truth.Ahead)
			}
		}
		h.s.places.wmu.Lock()
		_, watched := h.s.places.watched[tk.Token]
		h.s.places.wmu.Unlock()
		if !watched {
			t.Errorf("call %d: the resumed phone's ticket is not watched after its push", c+1)
		}
	}
}
