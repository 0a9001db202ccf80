package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"

	"queuebox/server/live"
	"queuebox/server/queue"
)

// feed carries committed events from the store's commit loop to the hub in
// seq order. It never blocks the commit loop: rendering for a thousand
// phones happens on the feed's own goroutine, not on the path of a commit.
type feed struct {
	mu     sync.Mutex
	wake   *sync.Cond
	q      []queue.Event
	closed bool
	done   chan struct{}
}

func newFeed() *feed {
	f := &feed{done: make(chan struct{})}
	f.wake = sync.NewCond(&f.mu)
	return f
}

func (f *feed) push(evs []queue.Event) {
	f.mu.Lock()
	f.q = append(f.q, evs...)
	f.mu.Unlock()
	f.wake.Signal()
}

// run hands events to publish until close; it owns its goroutine.
func (f *feed) run(publish func(queue.Event)) {
	defer close(f.done)
	for {
		f.mu.Lock()
		for len(f.q) == 0 && !f.closed {
			f.wake.Wait()
		}
		if len(f.q) == 0 {
			f.mu.Unlock()
			return
		}
		batch := f.q
		f.q = nil
		f.mu.Unlock()
		for _, ev := range batch {
			publish(ev)
		}
	}
}

func (f *feed) close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.wake.Signal()
	<-f.done
}

// startLive builds the hub and connects it to the store's committed events.
func (s *Server) startLive() {
	s.hub = live.New(renderer{s}, live.Options{Logger: s.log, Refuse: refuseLive})
	s.feed = newFeed()
	s.db.OnCommit(s.feed.push)
	go s.feed.run(func(ev queue.Event) {
		s.hub.Publish(live.Event{Seq: ev.Seq, Type: ev.Type, Data: ev, Service: eventService(ev)})
	})
}

func (s *Server) stopLive() {
	if s.hub != nil {
		s.hub.Close()
		s.feed.close()
	}
}

func eventService(ev queue.Event) string {
	switch {
	case ev.Ticket != nil:
		return ev.Ticket.ServiceID
	case ev.Service != nil:
		return ev.Service.ID
	}
	return ""
}

// renderer decides what each live topic shows; see the live section of the API.
type renderer struct{ s *Server }

// callMsg is the contract's "called" message.
type callMsg struct {
	Ticket struct {
		ID        string `json:"id"`
		Number    string `json:"number"`
		ServiceID string `json:"service_id"`
	} `json:"ticket"`
	Counter struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"counter"`
	Recall bool       `json:"recall"`
	Call   queue.Call `json:"call"`
	// Services carries the waiting counts after the call, so the display
	// needs no second request (display topic only).
	Services []queue.ServiceView `json:"services,omitempty"`
}

func newCallMsg(ev queue.Event) callMsg {
	var m callMsg
	m.Call = queue.CallOf(ev)
	m.Ticket.ID, m.Ticket.Number, m.Ticket.ServiceID = m.Call.TicketID, m.Call.Number, m.Call.ServiceID
	m.Counter.ID, m.Counter.Name = m.Call.CounterID, m.Call.Counter
	m.Recall = ev.Recall
	return m
}

// queueSnapshot is what staff consoles start from.
func (s *Server) queueSnapshot() (queue.QueueView, uint64) {
	seq := s.engine.LastSeq()
	clock := s.engine.Clock()
	return queue.QueueView{Waiting: mustQueue(s.engine), Active: s.engine.Active(), Counters: s.engine.Counters(), Clock: &clock}, seq
}

func (r renderer) Snapshot(sub live.Sub) (any, uint64, bool) {
	switch sub.Topic {
	case "display":
		v, seq := r.s.engine.Display()
		return v, seq, true
	case "queue":
		v, seq := r.s.queueSnapshot()
		v.Waiting = stripTokens(v.Waiting)
		v.Active = stripTokens(v.Active)
		return v, seq, true
	case "status":
		// A ticket that has ended is read back from disk, which lags the
		// engine by the commits still in flight. Dating the view by what is
		// on disk (read first) makes the events of those commits reach the
		// page; the engine's seq would claim them and leave it stale.
		seq := r.s.db.CommittedSeq()
		v, err := r.s.engine.Status(sub.Key)
		if err == nil {
			r.s.estimates.sent(sub.Key, v)
		}
		return v, seq, err == nil
	}
	return nil, 0, false
}

func mustQueue(e *queue.Engine) []queue.TicketView {
	list, _ := e.Queue("") // the whole branch: no service id to be unknown
	return list
}

func stripTokens(list []queue.TicketView) []queue.TicketView {
	for i := range list {
		list[i].Token = ""
	}
	return list
}

func (r renderer) Render(sub live.Sub, lev live.Event) (string, any, bool) {
	ev, ok := lev.Data.(queue.Event)
	if !ok {
		return "", nil, false
	}
	switch sub.Topic {
	case "display":
		switch ev.Type {
		case queue.EventCalled:
			m := newCallMsg(ev)
			m.Services = r.s.engine.Services()
			return "", m, true
		case queue.EventSettings:
			v, _ := r.s.engine.Display()
			return "branch", v, true
		}
		// Anything else may change the waiting counts and estimates.
		return "services", r.s.engine.Services(), true
	case "queue":
		if ev.Type == queue.EventCalled {
			m := newCallMsg(ev)
			return "", m, true
		}
		out := ev
		if out.Ticket != nil {
			t := *out.Ticket
			t.Token = ""
			out.Ticket = &t
		}
		return "", out, true
	case "status":
		own := ev.Ticket != nil && ev.Ticket.Token == sub.Key
		moves := own || movesPlaces(ev)
		if !moves && !r.s.estimates.has(sub.Key) {
			return "", nil, false
		}
		v, err := r.s.engine.Status(sub.Key)
		if err != nil {
			return "", nil, false
		}
		// A ticket's position moves when anything in its service (or the
		// counters serving it) changes; other events do not concern it.
		if moves && (lev.Service == "" || lev.Service == v.ServiceID || (ev.From != "" && ev.From == v.ServiceID)) {
			r.s.estimates.sent(sub.Key, v)
			return "status", v, true
		}
		// Finishing, starting or parking someone else's ticket moves nobody
		// in the queue, but may move the wait: the phone hears of it only
		// when its figure changed, so one call still sends one message.
		if r.s.estimates.changed(sub.Key, v) {
			return "status", v, true
		}
		return "", nil, false
	}
	return "", nil, false
}

// sentEstimates remembers the wait each phone was last sent, so a change of
// the estimate alone reaches it without repeating unchanged figures.
type sentEstimates struct {
	m sync.Map // token → [3]int (ewt, low, high)
}

func ewtOf(v queue.StatusView) [3]int { return [3]int{v.EWTSeconds, v.EWTLow, v.EWTHigh} }

func (s *sentEstimates) has(token string) bool {
	_, ok := s.m.Load(token)
	return ok
}

func (s *sentEstimates) sent(token string, v queue.StatusView) {
	if v.Status != queue.StatusWaiting {
		s.m.Delete(token)
		return
	}
	s.m.Store(token, ewtOf(v))
}

// changed records v and reports whether its figures differ from the last sent.
func (s *sentEstimates) changed(token string, v queue.StatusView) bool {
	old, ok := s.m.Load(token)
	s.sent(token, v)
	return ok && v.Status == queue.StatusWaiting && old.([3]int) != ewtOf(v)
}

// movesPlaces reports whether ev can change another waiting ticket's place or
// estimate.
func movesPlaces(ev queue.Event) bool {
	switch ev.Type {
	case queue.EventCalled:
		return !ev.Recall
	case queue.EventIssued, queue.EventCancelled, queue.EventTransferred,
		queue.EventCounter, queue.EventService, queue.EventSettings,
		queue.EventExpired, queue.EventNoShowReverted:
		return true
	}
	return false
}

// liveWS upgrades GET /api/v1/live to a websocket on one topic.
func (s *Server) liveWS(c echo.Context) error {
	sub := live.Sub{Topic: c.QueryParam("topic")}
	switch sub.Topic {
	case "display":
	case "queue":
		if who(c).role < roleStaff {
			if who(c).role == roleAnon {
				return errUnauthenticated
			}
			return errForbidden
		}
	case "status":
		sub.Key = c.QueryParam("token")
		if !tokenPattern.MatchString(sub.Key) {
			return errUnknownTicket
		}
	default:
		return errInvalid.with("topic must be display, queue or status")
	}
	var since *uint64
	if v := c.QueryParam("since"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return errInvalid.with("since must be a whole number")
		}
		since = &n
	}
	s.hub.ServeWS(c.Response(), c.Request(), sub, since)
	return nil
}

// refuseLive answers a request to /api/v1/live that is no websocket handshake
// in the API's error shape, like every other error of the API.
func refuseLive(w http.ResponseWriter, _ *http.Request, status int, reason error) {
	var api *APIError
	switch {
	case status == http.StatusForbidden:
		api = errBadOrigin
	case status == http.StatusMethodNotAllowed:
		api = errMethodNotAllowed
	case status >= 400 && status < 500:
		api = errInvalid.with("connect with a websocket handshake (%v)", reason)
	default:
		api = errInternal
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(api.Status)
	_ = json.NewEncoder(w).Encode(map[string]*APIError{"error": api})
}
