package server

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"queuebox/server/access"
	"queuebox/server/queue"
)

var tokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

type ticketOut struct {
	queue.TicketView
	StatusURL string `json:"status_url"`
	// Print is how printing went so far, for tickets a kiosk issued.
	Print string `json:"print,omitempty"`
}

func (s *Server) ticketOut(v queue.TicketView) ticketOut {
	return ticketOut{TicketView: v, StatusURL: s.statusURL(v.Token)}
}

// appendJSON appends o as encoding/json writes it (false where it cannot).
func (o *ticketOut) appendJSON(b []byte) ([]byte, bool) {
	b, ok := o.TicketView.AppendJSON(b)
	b = append(b[:len(b)-1], `,"status_url":`...) // the view's object goes on
	b = queue.AppendJSONString(b, o.StatusURL)
	if o.Print != "" {
		b = queue.AppendJSONString(append(b, `,"print":`...), o.Print)
	}
	return append(b, '}'), ok
}

var ticketBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// sendTicket answers o, the bytes c.JSON would send (a ticket is answered
// for every one issued, and encoding/json's reflection cost more than the
// rest of the answer).
func sendTicket(c echo.Context, code int, o ticketOut) error {
	if c.Echo().Debug || strings.Contains(c.Request().URL.RawQuery, "pretty") {
		return c.JSON(code, o) // indented when asked for
	}
	bp := ticketBufs.Get().(*[]byte)
	defer ticketBufs.Put(bp)
	b, ok := o.appendJSON((*bp)[:0])
	*bp = b
	if !ok {
		return c.JSON(code, o) // which says what it could not write
	}
	// c.JSON's type, its value slice made once (as securityHeaders does).
	c.Response().Header()[echo.HeaderContentType] = jsonType
	return c.JSONBlob(code, append(b, '\n')) // as json.Encoder ends a value
}

var jsonType = []string{echo.MIMEApplicationJSON}

func (s *Server) ticketsOut(list []queue.TicketView) []ticketOut {
	out := make([]ticketOut, len(list))
	for i, v := range list {
		out[i] = s.ticketOut(v)
	}
	return out
}

// statusURL is the phone page of a ticket; its token is the only key to it.
func (s *Server) statusURL(token string) string {
	return s.publicURL + "/t/" + token
}

// kioskIssue reads the body a kiosk sends for a ticket,
// {"service_id":"general"} exactly, without a JSON decoder (whose set-up
// cost more than the rest of reading the request). Any other body is left
// for bind to read, as it came.
func kioskIssue(c echo.Context) (serviceID string, ok bool) {
	r := c.Request()
	n := r.ContentLength
	if r.Body == nil || n <= int64(len(kioskHead)+len(kioskTail)) || n > int64(len(kioskBody{})) {
		return "", false
	}
	// From a pool: a buffer handed to the body's Read is on the heap.
	bp := kioskBodies.Get().(*kioskBody)
	defer kioskBodies.Put(bp)
	buf := bp[:]
	got, err := io.ReadFull(r.Body, buf[:n])
	body := buf[:got]
	if err == nil && bytes.HasPrefix(body, []byte(kioskHead)) && bytes.HasSuffix(body, []byte(kioskTail)) {
		id := body[len(kioskHead) : len(body)-len(kioskTail)]
		if bytes.IndexFunc(id, func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-') }) < 0 {
			return string(id), true
		}
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(bytes.Clone(body)), r.Body), r.Body}
	return "", false
}

// The body a kiosk sends, read by kioskIssue: its service id has at most 32
// characters (queue.IDPattern).
const kioskHead, kioskTail = `{"service_id":"`, `"}`

type kioskBody [len(kioskHead) + 32 + len(kioskTail)]byte

var kioskBodies = sync.Pool{New: func() any { return new(kioskBody) }}

// issueBody is what POST /tickets takes.
type issueBody struct {
	ServiceID string `json:"service_id"`
	Priority  *int   `json:"priority"`
	Phone     string `json:"phone"`
}

func (s *Server) postTicket(c echo.Context) error {
	var req issueBody
	if id, ok := kioskIssue(c); ok {
		req.ServiceID = id
	} else {
		// Decoded apart: a body bind takes is on the heap, and the
		// kiosk's needs none.
		b := new(issueBody)
		if err := bind(c, b); err != nil {
			return err
		}
		req = *b
	}
	if req.ServiceID == "" {
		return errInvalid.with("service_id is required")
	}
	id := who(c)
	ir := queue.IssueRequest{ServiceID: req.ServiceID, IdemKey: c.Request().Header.Get("Idempotency-Key"), Source: id.source()}
	if req.Priority != nil {
		if !id.role.MaySetPriority() {
			return errForbidden.with("a kiosk may not set priority")
		}
		ir.Priority = *req.Priority
	}
	undo := func() {}
	var v queue.TicketView
	var created, replayed bool
	var err error
	unlock := func() {}
	if req.Phone != "" {
		// No erasure between finding the customer and the ticket's issue
		// (the slip is printed after).
		s.erasure.linking.RLock()
		unlock = s.erasure.linking.RUnlock
		// A retry gets its ticket back before the phone's visit is counted again.
		if v, replayed, err = s.engine.Replay(ir.Source, ir.IdemKey); err == nil && !replayed {
			ir.CustomerID, ir.Tier, undo, err = s.identifyCustomer(req.Phone, id.source())
		}
		if err != nil {
			unlock()
			return err
		}
	}
	if !replayed {
		v, created, err = s.engine.Issue(ir)
	}
	unlock()
	if err != nil || !created {
		undo()
	}
	if err != nil {
		return err
	}
	out := s.ticketOut(v)
	if id.kind().Prints() {
		// Submit is keyed by ticket id: a replayed request never prints twice.
		out.Print = string(s.printTicket(v, id.device, v.ID))
	}
	if !created {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	return sendTicket(c, http.StatusCreated, out)
}

func (s *Server) getTicket(c echo.Context) error {
	v, err := s.engine.Ticket(c.Param("id"))
	if err != nil {
		return err
	}
	return sendTicket(c, http.StatusOK, s.ticketOut(v))
}

type stepFunc func(id, actor string) (queue.TicketView, error)

func (s *Server) engineRecall(id, actor string) (queue.TicketView, error) {
	return s.engine.Recall(id, actor)
}
func (s *Server) engineStart(id, actor string) (queue.TicketView, error) {
	return s.engine.Start(id, actor)
}
func (s *Server) engineNoShow(id, actor string) (queue.TicketView, error) {
	return s.engine.NoShow(id, actor)
}
func (s *Server) engineCancel(id, actor string) (queue.TicketView, error) {
	return s.engine.Cancel(id, actor)
}

func (s *Server) ticketStep(step stepFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		v, err := step(c.Param("id"), who(c).source())
		if err != nil {
			return err
		}
		return sendTicket(c, http.StatusOK, s.ticketOut(v))
	}
}

// finishTicket ends a service; the body may carry an outcome code and notes.
func (s *Server) finishTicket(c echo.Context) error {
	var req struct {
		Outcome string  `json:"outcome"`
		Notes   *string `json:"notes"`
	}
	if c.Request().ContentLength != 0 {
		if err := bind(c, &req); err != nil {
			return err
		}
	}
	if req.Notes != nil {
		if err := checkNotes(*req.Notes); err != nil {
			return err
		}
	}
	v, err := s.engine.FinishWith(c.Param("id"), who(c).source(), req.Outcome, req.Notes)
	if err != nil {
		return err
	}
	return sendTicket(c, http.StatusOK, s.ticketOut(v))
}

func (s *Server) noteTicket(c echo.Context) error {
	var req struct {
		Notes string `json:"notes"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if err := checkNotes(req.Notes); err != nil {
		return err
	}
	v, err := s.engine.SetNotes(c.Param("id"), req.Notes, who(c).source())
	if err != nil {
		return err
	}
	return sendTicket(c, http.StatusOK, s.ticketOut(v))
}

func checkNotes(notes string) error {
	if p := queue.NotesProblem(notes); p != "" {
		return errInvalid.with("notes %s", p)
	}
	return nil
}

// callByNumber calls one ticket out of order, by id or by its number.
func (s *Server) callByNumber(c echo.Context) error {
	var req struct {
		TicketID string `json:"ticket_id"`
		Number   string `json:"number"`
		Reason   string `json:"reason"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if p := queue.NameProblem(req.Reason); p != "" {
		return errInvalid.with("reason %s", p)
	}
	id := req.TicketID
	if id == "" {
		if req.Number == "" {
			return errInvalid.with("ticket_id or number is required")
		}
		v, err := s.engine.FindNumber(req.Number)
		if err != nil {
			return err
		}
		id = v.ID
	}
	v, err := s.engine.CallByNumber(c.Param("id"), id, who(c).source(), req.Reason)
	if err != nil {
		return err
	}
	return sendTicket(c, http.StatusOK, s.ticketOut(v))
}

func (s *Server) engineParkStep(id, actor string) (queue.TicketView, error) {
	return s.engine.Park(id, actor)
}

func (s *Server) transferTicket(c echo.Context) error {
	var req struct {
		ServiceID string `json:"service_id"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.ServiceID == "" {
		return errInvalid.with("service_id is required")
	}
	v, err := s.engine.Transfer(c.Param("id"), req.ServiceID, who(c).source())
	if err != nil {
		return err
	}
	return sendTicket(c, http.StatusOK, s.ticketOut(v))
}

func (s *Server) getQueue(c echo.Context) error {
	list, err := s.engine.Queue(c.QueryParam("service_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string][]ticketOut{"waiting": s.ticketsOut(list)})
}

func (s *Server) getActive(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string][]ticketOut{"active": s.ticketsOut(s.engine.Active())})
}

func (s *Server) callNext(c echo.Context) error {
	v, ok, err := s.engine.Next(c.Param("id"), who(c).source())
	if err != nil {
		return err
	}
	if !ok {
		return c.NoContent(http.StatusNoContent)
	}
	return sendTicket(c, http.StatusOK, s.ticketOut(v))
}

func (s *Server) getStatus(c echo.Context) error {
	tok := c.Param("token")
	if !tokenPattern.MatchString(tok) {
		return errUnknownTicket
	}
	v, err := s.engine.Status(tok)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// deleteStatus is the customer cancelling their own ticket from its page. The
// log records the customer as the actor, so staff are sent to their own
// route, which records their name.
func (s *Server) deleteStatus(c echo.Context) error {
	if id := who(c); id.role != access.RoleAnon {
		return errForbidden.with("staff cancel a ticket with POST /api/v1/tickets/{id}/cancel, which records who did it")
	}
	tok := c.Param("token")
	if !tokenPattern.MatchString(tok) {
		return errUnknownTicket
	}
	v, err := s.engine.CancelByToken(tok)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}
