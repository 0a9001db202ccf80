package live

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
)

// pageRenderer shows each status page as a State: its ticket's page text,
// which a test sets, sent on every event as the server sends a waiting
// ticket's status. A "buzz" carries the page as plain data.
type pageRenderer struct {
	*fakeEngine
	mu    sync.Mutex
	pages map[string]string
}

func (p *pageRenderer) set(token, page string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pages[token] = page
}

func (p *pageRenderer) page(token string) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return []byte(strconv.Quote(p.pages[token]))
}

func (p *pageRenderer) Snapshot(sub Sub) (any, uint64, bool) {
	_, seq, ok := p.fakeEngine.Snapshot(sub)
	if !ok || sub.Topic != "status" {
		return nil, 0, false
	}
	return State(p.page(sub.Key)), seq, true
}

func (p *pageRenderer) Render(sub Sub, ev Event) (string, any, bool) {
	switch ev.Type {
	case "bye":
		return "", nil, true
	case "buzz":
		return "", json.RawMessage(p.page(sub.Key)), true
	}
	return "status", State(p.page(sub.Key)), true
}

// TestStateSentOnlyWhenItChanges: a page that gets its whole state on every
// event hears only the events that change it, counted from its snapshot;
// plain messages always go through and do not count as its state; a page
// that resumes gets its replay without the repeats too.
func TestStateSentOnlyWhenItChanges(t *testing.T) {
	var pages *pageRenderer
	r := newRigWith(t, Options{}, nil, func(e *fakeEngine) Renderer {
		pages = &pageRenderer{fakeEngine: e, pages: map[string]string{"A": "one"}}
		return pages
	})
	conn := r.connect("topic=status&key=A")
	r.publish("x", "") // 1: still "one", as in the snapshot
	pages.set("A", "two")
	r.publish("x", "") // 2: "two"
	r.publish("x", "") // 3: the same
	r.publish("buzz", "")
	r.publish("x", "") // 5: still "two": the buzz is no state
	pages.set("A", "one")
	r.publish("x", "") // 6: back to "one"
	r.publish("bye", "")

	want := []string{
		`{"seq":0,"type":"snapshot","data":"one"}`,
		`{"seq":2,"type":"status","data":"two"}`,
		`{"seq":4,"type":"buzz","data":"two"}`,
		`{"seq":6,"type":"status","data":"one"}`,
		`{"seq":7,"type":"bye","data":{}}`,
	}
	if got := readUntil(t, conn, 7); !equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Resumed after seq 2, it is sent the rest again as it is now: the
	// page once, the buzz, the end.
	again := r.dialWith(websocket.DefaultDialer, "topic=status&key=A&since=2")
	want = []string{
		`{"seq":3,"type":"status","data":"one"}`,
		`{"seq":4,"type":"buzz","data":"one"}`,
		`{"seq":7,"type":"bye","data":{}}`,
	}
	if got := readUntil(t, again, 7); !equal(got, want) {
		t.Errorf("resumed: got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Its first live State is sent even if the replay ended on it: the
	// replay's count is its own.
	r.publish("x", "")
	if got, want := readMsg(t, again), `{"seq":8,"type":"status","data":"one"}`; got != want {
		t.Errorf("resumed, live: got %s, want %s", got, want)
	}
}

// preparedRenderer is pageRenderer with its pages prepared once per
// change, as the server prepares a phone's status once per change of the
// queue and hands the same one out for every event until the next.
type preparedRenderer struct {
	*pageRenderer
	prepared map[string]*Prepared
}

func (p *preparedRenderer) Render(sub Sub, ev Event) (string, any, bool) {
	if ev.Type == "bye" {
		return "", nil, true
	}
	page := p.page(sub.Key)
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr := p.prepared[sub.Key]; pr == nil || string(pr.raw) != string(page) {
		p.prepared[sub.Key] = Prepare(page)
	}
	return "", p.prepared[sub.Key], true
}

// TestPreparedIsAState: a Prepared is sent as the State it holds, only
// when it differs from the page's last State (its snapshot's included),
// whether its message type is framed as it is or goes through the
// encoder.
func TestPreparedIsAState(t *testing.T) {
	var pages *preparedRenderer
	r := newRigWith(t, Options{}, nil, func(e *fakeEngine) Renderer {
		pages = &preparedRenderer{pageRenderer: &pageRenderer{fakeEngine: e, pages: map[string]string{"A": "one"}}, prepared: map[string]*Prepared{}}
		return pages
	})
	conn := r.connect("topic=status&key=A")
	r.publish("status", "") // 1: "one", as in the snapshot
	pages.set("A", "two")
	r.publish("status", "")    // 2: "two"
	r.publish("status", "")    // 3: the same Prepared again
	r.publish("near turn", "") // 4: the same, through the encoder
	pages.set("A", "three")
	r.publish("near turn", "") // 5: "three", through the encoder
	r.publish("bye", "")

	want := []string{
		`{"seq":0,"type":"snapshot","data":"one"}`,
		`{"seq":2,"type":"status","data":"two"}`,
		`{"seq":5,"type":"near turn","data":"three"}`,
		`{"seq":6,"type":"bye","data":{}}`,
	}
	if got := readUntil(t, conn, 6); !equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestFramingAStateAllocatesNothing: a phone's status, already encoded, is
// framed into the fan-out's reused buffer without a heap allocation (a
// thousand and more per call), and the frame carries the message as the
// encoder writes it.
func TestFramingAStateAllocatesNothing(t *testing.T) {
	page := State(`{"number":"A042","ahead":7}`)
	prepared := Prepare(page)
	for _, data := range []any{page, prepared, json.RawMessage(page)} {
		want, err := encode(9, "status", data)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 0, 256)
		var frame []byte
		allocs := testing.AllocsPerRun(100, func() {
			buf, frame, err = appendFrame(buf[:0], 9, "status", data)
		})
		if err != nil {
			t.Fatal(err)
		}
		if allocs != 0 {
			t.Errorf("%T: framing allocates %.1f times, want none", data, allocs)
		}
		if got := string(frame[2:]); frame[1] != byte(len(want)) || got != string(want) {
			t.Errorf("%T: frame %q, want the message %q", data, frame, want)
		}
	}
}
