package server

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"queuebox/server/access"
	"queuebox/server/bus"
	"queuebox/server/live"
	"queuebox/server/queue"
	"queuebox/server/store"
)

// startLive builds the hub and subscribes it to the bus. Its lag policy is
// Resync: if it ever falls a whole bus queue behind, its clients are sent
// away to come back for a fresh snapshot rather than being fed stale events.
func (s *Server) startLive() {
	s.presence = newPresence(s.clock.Now())
	s.places = &placeCache{}
	s.hub = live.New(renderer{s: s, places: s.places}, live.Options{Logger: s.log, Refuse: refuseLive,
		CheckOrigin: s.originAllowed, MaxPerAddr: s.limits.livePerAddr,
		OnMessage: s.deviceMessage, OnLeave: s.deviceLeave})
	s.bus.Subscribe(bus.Options{Name: "live", Policy: bus.Resync, OnGap: s.hub.Resync}, func(ev queue.Event) {
		s.hub.Publish(live.Event{Seq: ev.Seq, Type: ev.Type, Data: ev, Service: eventService(ev)})
		s.customerEvents(ev)
	})
}

func (s *Server) stopLive() {
	if s.hub != nil {
		s.hub.Close()
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
type renderer struct {
	s      *Server
	places *placeCache
}

// placeCache holds the waiting tickets with their places as of one
// generation of the queue, so the events of one change (a call is a
// finish, the call and perhaps a near_turn) order the queues once, not once
// per event and phone: with a thousand phones waiting, asking the engine
// phone by phone sorts the same queue a thousand times. A phone's status is
// the JSON of its service's part, encoded once per generation, with the
// ticket's own number, place and estimate put in, once per generation too.
type placeCache struct {
	mu   sync.Mutex // held while building
	last atomic.Pointer[placesAt]
	// next is built ahead: a call's places, ordered while its commit is on
	// its way to disk (see warm); at takes it up once the call is
	// published.
	next    atomic.Pointer[placesAt]
	warming atomic.Bool
	// builds counts the orderings of the queue, for tests.
	builds atomic.Int64

	// watched are the tokens of the tickets a phone has asked about: only
	// their places are kept, not those of thousands more nobody watches.
	// A token is added when its phone connects or asks and is not known,
	// and dropped once its ticket is no longer waiting.
	wmu     sync.Mutex
	watched map[string]struct{}
}

// watch adds token to the tickets whose places are kept from the next
// generation on.
func (c *placeCache) watch(token string) {
	c.wmu.Lock()
	if c.watched == nil {
		c.watched = map[string]struct{}{}
	}
	c.watched[token] = struct{}{}
	c.wmu.Unlock()
}

// placesAt is the watched waiting tickets as of one generation of the
// queue. A ticket's status JSON is put together when its phone first asks,
// so a change costs one ordering of the queues and then only as much as
// there are phones.
type placesAt struct {
	gen   uint64
	seq   atomic.Uint64     // the last event found to be of this generation
	byTok map[string]*place // the watched tickets; nil: not waiting
	tpls  map[string]*statusTemplate
}

// place is what a waiting ticket's status needs beyond its service's part;
// kept small, as there is one per waiting ticket between changes.
type place struct {
	number, serviceID string
	ahead             int
	est               [3]int // wait, low, high
	calledAt          *time.Time
	recalls           int
	pushBacks         int
	// greeted: a known customer of a better tier, whose page the engine
	// renders itself.
	greeted bool
	// st is the status, once a phone asked: hashed and boxed once for
	// every event of the generation that renders it.
	st atomic.Pointer[live.Prepared]
}

// status returns the status JSON of token's ticket, if it is waiting and
// its page is made from its service's template; waiting reports whether
// the ticket is waiting at all, and known whether this look says: a ticket
// nobody watched when it was taken is not in it.
func (p *placesAt) status(token string) (st *live.Prepared, waiting, known bool) {
	t, ok := p.byTok[token]
	if !ok {
		return nil, false, false
	}
	if t == nil {
		return nil, false, true
	}
	if t.greeted {
		return nil, true, true
	}
	if st := t.st.Load(); st != nil {
		return st, true, true
	}
	v := queue.StatusView{Number: t.number, ServiceID: t.serviceID, Status: queue.StatusWaiting, Ahead: t.ahead,
		EWTSeconds: t.est[0], EWTLow: t.est[1], EWTHigh: t.est[2], CalledAt: t.calledAt, Recalls: t.recalls, PushBacks: t.pushBacks}
	tpl := p.tpls[t.serviceID]
	if tpl != nil {
		v.ServiceName, v.ServiceNames = tpl.view.ServiceName, tpl.view.ServiceNames
	}
	b, ok := tpl.fill(v)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			return nil, true, true
		}
	}
	st = live.Prepare(live.State(b))
	// Two goroutines may fill it at once (a replay beside a fan-out):
	// both make the same bytes.
	t.st.Store(st)
	return st, true, true
}

// at returns the waiting tickets as of event seq or later, ordered at most
// once per generation of the queue. The hub renders one event at a time,
// from several goroutines; all of them share the first one's look.
func (c *placeCache) at(e *queue.Engine, seq uint64) *placesAt {
	// Read without the lock: every phone of an event asks, from several
	// goroutines, and all but the first find it checked.
	if p := c.last.Load(); p != nil && p.seq.Load() == seq {
		return p
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.last.Load()
	if p != nil && p.seq.Load() == seq {
		return p
	}
	// The event is in the engine's state already, so a look at this
	// generation or later shows it.
	gen := e.Gen()
	if p == nil || p.gen != gen {
		if n := c.next.Load(); n != nil && n.gen == gen {
			p = n
		} else {
			p = c.build(e, gen)
		}
	}
	c.next.Store(nil)
	p.seq.Store(seq)
	c.last.Store(p)
	return p
}

// warm orders the queues ahead of the events that will ask for it, once
// the engine lets go of its lock: a call is in the engine's state before
// its commit reaches the disk, so its places are ready by the time the
// phones are told, rather than being worked out only then. The phones
// still get them only from a published event, and at checks the engine's
// generation as ever. One warm-up runs at a time; nothing is warmed until
// a phone has asked for its place once.
func (c *placeCache) warm(e *queue.Engine) {
	if c.last.Load() == nil || !c.warming.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer c.warming.Store(false)
		c.mu.Lock()
		defer c.mu.Unlock()
		gen := e.Gen()
		if p := c.last.Load(); p != nil && p.gen == gen {
			return // the call's events came first
		}
		if n := c.next.Load(); n != nil && n.gen == gen {
			return
		}
		c.next.Store(c.build(e, gen))
	}()
}

// warmingStore is the engine's store, telling the places' cache of a call
// as the engine hands it over for its commit (under the engine's lock: the
// cache's work starts after it).
type warmingStore struct {
	*store.DB
	s *Server
}

func (w warmingStore) Apply(c *queue.Change) <-chan error {
	errc := w.DB.Apply(c)
	if p := w.s.places; p != nil && callsSomeone(c) {
		p.warm(w.s.engine)
	}
	return errc
}

// callsSomeone reports whether c calls a waiting ticket, moving everyone
// behind it up.
func callsSomeone(c *queue.Change) bool {
	for _, ev := range c.Events {
		if ev.Type == queue.EventCalled && !ev.Recall {
			return true
		}
	}
	return false
}

// build orders the queues and works out the watched tickets' places. gen
// is read before anything else, so what it finds is of that generation or
// later. Only the watched tickets' waits are replayed, up to the last of
// them: the rest of the queue's are worked out when something asks (a
// console's list), not on every call. When they are most of the queue,
// the whole queue's is replayed on another goroutine while it is ordered.
func (c *placeCache) build(e *queue.Engine, gen uint64) *placesAt {
	c.builds.Add(1)
	services := e.ServiceNames()
	// Phones that connect meanwhile wait to be watched (a render that
	// does not find its ticket asks the engine, takes no lock of the
	// engine's while it waits here).
	c.wmu.Lock()
	defer c.wmu.Unlock()
	watched := c.watched
	go e.WarmEstimates(len(watched))
	list := e.PlacesOf(watched)
	p := &placesAt{gen: gen, byTok: make(map[string]*place, len(watched)), tpls: make(map[string]*statusTemplate, len(services))}
	for _, s := range services {
		p.tpls[s.ID] = newStatusTemplate(queue.StatusView{ServiceID: s.ID, ServiceName: s.Name, ServiceNames: s.Names, Status: queue.StatusWaiting})
	}
	places := make([]place, len(list))
	for i := range list {
		t, pl := &list[i], &places[i]
		pl.number, pl.serviceID, pl.ahead, pl.calledAt, pl.recalls = t.Number, t.ServiceID, t.Ahead, t.CalledAt, t.Recalls
		pl.pushBacks = t.PushBacks
		pl.est = [3]int{t.Wait.WaitSeconds, t.Wait.LowSeconds, t.Wait.HighSeconds}
		pl.greeted = t.Greeted
		p.byTok[t.Token] = pl
	}
	// A watched ticket without a place is not waiting as of gen: it is
	// known so, and is no longer watched (its phone adds it again should
	// it wait again, say after a no-show is undone). When every watched
	// ticket has its place there is none to look for.
	if len(list) == len(watched) {
		return p
	}
	for tok := range watched {
		if _, ok := p.byTok[tok]; !ok {
			p.byTok[tok] = nil
			delete(watched, tok)
		}
	}
	return p
}

// statusTemplate is the JSON of a waiting ticket's status in one service,
// cut where the number, the place and the estimate go.
type statusTemplate struct {
	view  queue.StatusView
	parts [6][]byte
	ok    bool
}

// Marks that cannot be a real number, place or estimate.
const (
	markNumber = `\u0001`
	markAhead  = "-7770001"
	markEWT    = "-7770002"
	markLow    = "-7770003"
	markHigh   = "-7770004"
)

func newStatusTemplate(v queue.StatusView) *statusTemplate {
	t := &statusTemplate{view: v}
	v.Number, v.Ahead, v.EWTSeconds, v.EWTLow, v.EWTHigh = "\x01", -7770001, -7770002, -7770003, -7770004
	raw, err := json.Marshal(v)
	if err != nil {
		return t
	}
	rest := raw
	for i, mark := range []string{`"` + markNumber + `"`, markAhead, markEWT, markLow, markHigh} {
		cut := bytes.Split(rest, []byte(mark))
		if len(cut) != 2 {
			return t // a mark twice, or not at all: no template
		}
		t.parts[i], rest = cut[0], cut[1]
	}
	t.parts[5], t.ok = rest, true
	return t
}

// fill returns v's JSON from the template, if v differs from the template's
// view only in what the template leaves open.
func (t *statusTemplate) fill(v queue.StatusView) (json.RawMessage, bool) {
	if t == nil || !t.ok || v.CalledAt != nil || v.Recalls != 0 || v.PushBacks != 0 || !plainNumber(v.Number) {
		return nil, false
	}
	n := len(v.Number) + 48
	for _, p := range t.parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	b = append(b, t.parts[0]...)
	b = append(append(append(b, '"'), v.Number...), '"')
	for i, x := range []int{v.Ahead, v.EWTSeconds, v.EWTLow, v.EWTHigh} {
		b = append(b, t.parts[i+1]...)
		b = strconv.AppendInt(b, int64(x), 10)
	}
	b = append(b, t.parts[5]...)
	return b, true
}

// plainNumber reports whether a ticket number needs no JSON escaping.
func plainNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			return false
		}
	}
	return true
}

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
		v.Services = publicServices(v.Services)
		return v, seq, true
	case "queue":
		v, seq := r.s.queueSnapshot()
		v.Waiting = stripTokens(v.Waiting)
		v.Active = stripTokens(v.Active)
		return v, seq, true
	case "device":
		// A kiosk's connection only reports the device in; it shows nothing.
		return struct{}{}, r.s.engine.LastSeq(), true
	case "status":
		// A ticket that has ended is read back from disk, which lags the
		// engine by the commits still in flight. Dating the view by what is
		// on disk (read first) makes the events of those commits reach the
		// page; the engine's seq would claim them and leave it stale.
		seq := r.s.db.CommittedSeq()
		v, err := r.s.engine.Status(sub.Key)
		if err != nil {
			return nil, 0, false
		}
		if v.Status == queue.StatusWaiting {
			r.places.watch(sub.Key)
		}
		// As a State, so that the first update is sent only if it
		// differs from the snapshot.
		raw, err := json.Marshal(v)
		return live.State(raw), seq, err == nil
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
	case "device":
		return "", nil, false
	case "display":
		switch ev.Type {
		case queue.EventNearTurn:
			return "", nil, false // nothing on the lobby display changes
		case queue.EventCalled:
			m := newCallMsg(ev)
			m.Services = publicServices(r.s.engine.Services())
			return "", m, true
		case queue.EventSettings:
			v, _ := r.s.engine.Display()
			v.Services = publicServices(v.Services)
			return "branch", v, true
		}
		// Anything else may change the waiting counts and estimates. The
		// lobby display is anonymous: no staff-only text.
		return "services", publicServices(r.s.engine.Services()), true
	case "queue":
		if ev.Type == queue.EventCalled {
			m := newCallMsg(ev)
			return "", m, true
		}
		out := ev
		if out.Ticket != nil {
			t := *out.Ticket
			t.Token = ""
			if r.s.erasure.erased(t.CustomerID) {
				t.CustomerID = "" // an event from before the erasure, sent again on resume
			}
			out.Ticket = &t
		}
		if a := out.Appointment; a != nil && r.s.erasure.erased(a.CustomerID) {
			cp := *a
			cp.CustomerID = ""
			out.Appointment = &cp
		}
		return "", out, true
	case "status":
		return r.status(sub.Key, lev, ev)
	}
	return "", nil, false
}

// status renders ev for the phone of token. A waiting ticket's page is sent
// as a live.State on every event, as any event may move its place or its
// estimate: the hub sends it only when it differs from what the phone last
// got, so a call reaches each phone once, however many events it made. The
// status of a ticket that is not waiting (called, or ended) is looked up
// only for its own events and for those that can move its service.
func (r renderer) status(token string, lev live.Event, ev queue.Event) (string, any, bool) {
	own := ev.Ticket != nil && ev.Ticket.Token == token
	if !own {
		st, waiting, known := r.places.at(r.s.engine, lev.Seq).status(token)
		if st != nil {
			return "status", st, true
		}
		if !known {
			// Not watched when the places were taken: asked of the
			// engine this once, and watched from the next change on.
			if waiting = r.s.engine.Waiting(token); waiting {
				r.places.watch(token)
			}
		}
		if !waiting && !movesPlaces(ev) {
			return "", nil, false
		}
	}
	v, err := r.s.engine.Status(token)
	if err != nil {
		return "", nil, false
	}
	if !own && v.Status != queue.StatusWaiting && !concerns(lev, ev, v.ServiceID) {
		return "", nil, false
	}
	if own && ev.Type == queue.EventNearTurn {
		// The open phone page buzzes and chimes at this moment: never
		// left out as a repeat.
		return "near_turn", v, true
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return "", nil, false
	}
	return "status", live.State(raw), true
}

// concerns reports whether an event can move a ticket of serviceID: a
// ticket's position moves when anything in its service (or the counters
// serving it) changes; other events do not concern it.
func concerns(lev live.Event, ev queue.Event, serviceID string) bool {
	return lev.Service == "" || lev.Service == serviceID || (ev.From != "" && ev.From == serviceID)
}

// movesPlaces reports whether ev can change another waiting ticket's place or
// estimate.
func movesPlaces(ev queue.Event) bool {
	switch ev.Type {
	case queue.EventCalled:
		return !ev.Recall
	case queue.EventIssued, queue.EventCancelled, queue.EventTransferred,
		queue.EventCounter, queue.EventService, queue.EventSettings,
		queue.EventExpired, queue.EventNoShowReverted,
		queue.EventPushedBack, queue.EventTiers:
		return true
	}
	return false
}

// liveWS upgrades GET /api/v1/live to a websocket on one topic.
func (s *Server) liveWS(c echo.Context) error {
	sub := live.Sub{Topic: c.QueryParam("topic")}
	switch sub.Topic {
	case "display", "device":
	case "queue":
		if who(c).role < access.RoleStaff {
			if who(c).role == access.RoleAnon {
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
		return errInvalid.with("topic must be display, queue, status or device")
	}
	var since *uint64
	if v := c.QueryParam("since"); v != "" {
		n, err := parseSince(v, s.engine.LastSeq())
		if err != nil {
			return err
		}
		since = &n
	}
	id := who(c)
	owner := live.Owner{Addr: s.limitedAddr(c.RealIP()), Session: id.session, User: id.username}
	if id.device != nil {
		owner.Device = id.device.ID
	}
	s.hub.ServeAs(c.Response(), c.Request(), sub, since, owner)
	// A logout, a new password or a revocation may have run between the
	// check of the credentials and the socket joining the hub: look again
	// now that Disconnect can find it.
	if !s.stillValid(id) {
		s.hub.Disconnect(func(o live.Owner) bool { return o == owner }, "session ended")
	}
	return nil
}

// parseSince reads a since= seq. A seq beyond the newest event is no place to
// resume from (and must not wrap around to the start): it is clamped to the
// newest, so the caller gets what happens next.
func parseSince(v string, last uint64) (uint64, error) {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, errInvalid.with("since must be a whole number from 0 to 18446744073709551615")
	}
	return min(n, last), nil
}

// stillValid reports whether the credentials id was made from still hold.
func (s *Server) stillValid(id identity) bool {
	switch {
	case id.device != nil:
		d, err := s.db.Device(id.device.ID)
		return err == nil && !d.Revoked
	case id.session != "":
		raw, err := hex.DecodeString(id.session)
		if err != nil {
			return false
		}
		sess, err := s.db.Session(raw)
		if err != nil || !access.SessionLive(sess.Expires, s.clock.Now()) {
			return false
		}
		u, err := s.db.User(sess.Username)
		// No role: any will do (the sweep knows only the session).
		return err == nil && !u.Disabled && (id.role == access.RoleAnon || access.RoleOf(u.Role) == id.role)
	}
	return true
}

// endLapsedSockets closes the staff sockets whose session has expired: a
// queue socket must not outlive the 12 hours its session had.
func (s *Server) endLapsedSockets() {
	s.endSockets(access.EndExpired, func(o live.Owner) bool {
		return o.Session != "" && !s.stillValid(identity{session: o.Session})
	})
}

// endSockets closes the live sockets whose owner match accepts.
func (s *Server) endSockets(reason access.EndReason, match func(live.Owner) bool) {
	if n := s.hub.Disconnect(match, string(reason)); n > 0 {
		s.log.Info("live sockets closed", "reason", reason, "count", n)
	}
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
	case status == http.StatusTooManyRequests:
		api = errRateLimited.with("too many live connections from this address; close some pages and try again")
	case status >= 400 && status < 500:
		api = errInvalid.with("connect with a websocket handshake (%v)", reason)
	default:
		api = errInternal
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(api.Status)
	_ = json.NewEncoder(w).Encode(map[string]*APIError{"error": api})
}
