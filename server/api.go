package server

import (
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"queuebox/server/live"
	"queuebox/server/queue"
	"queuebox/server/store"
)

var (
	usernamePattern = regexp.MustCompile(`^[a-z0-9._-]{1,32}$`)
	tokenPattern    = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)
)

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// --- session and users ---

type userOut struct {
	Username string `json:"username"`
	Role     string `json:"role"`
	Disabled bool   `json:"disabled,omitempty"`
}

func (s *Server) postSession(c echo.Context) error {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Username == "" || req.Password == "" {
		return errInvalid.with("username and password are required")
	}
	if !usernamePattern.MatchString(req.Username) {
		// Before any lookup or count: a name that cannot exist must not
		// cost a password check or a place in the throttle.
		return errInvalid.with("username must be 1–32 characters of a-z, 0-9, '.', '_' and '-'")
	}
	if len(req.Password) > 72 {
		return errBadCredentials
	}
	u, err := s.login(c, req.Username, req.Password)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]userOut{"user": {Username: u.Username, Role: u.Role}})
}

func (s *Server) deleteSession(c echo.Context) error {
	if err := s.logout(c); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) getSession(c echo.Context) error {
	id := who(c)
	return c.JSON(http.StatusOK, map[string]userOut{"user": {Username: id.username, Role: roleName(id.role)}})
}

func (s *Server) listUsers(c echo.Context) error {
	users, err := s.db.Users()
	if err != nil {
		return err
	}
	out := make([]userOut, 0, len(users))
	for _, u := range users {
		out = append(out, userOut{Username: u.Username, Role: u.Role, Disabled: u.Disabled})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) postUser(c echo.Context) error {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Role     string `json:"role"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if !usernamePattern.MatchString(req.Username) {
		return errInvalid.with("username must be 1–32 characters of a-z, 0-9, '.', '_' and '-'")
	}
	if _, ok := roleFromName(req.Role); !ok {
		return errInvalid.with("role must be \"staff\" or \"admin\"")
	}
	if _, err := s.db.User(req.Username); err == nil {
		return errExists.with("user %q already exists", req.Username)
	}
	hash, err := HashPassword(req.Password)
	if err != nil {
		return err
	}
	u := store.User{Username: req.Username, Role: req.Role, Hash: hash, CreatedAt: s.clock.Now()}
	if err := s.db.PutUser(u); err != nil {
		return err
	}
	s.log.Info("user created", "by", who(c).source(), "role", u.Role)
	return c.JSON(http.StatusCreated, userOut{Username: u.Username, Role: u.Role})
}

// putUser changes a user. Admins change anyone's role, state or password;
// every user changes their own password, giving the current one.
func (s *Server) putUser(c echo.Context) error {
	var req struct {
		Password        *string `json:"password"`
		CurrentPassword *string `json:"current_password"`
		Role            *string `json:"role"`
		Disabled        *bool   `json:"disabled"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	id := who(c)
	name := c.Param("name")
	self := name == id.username
	if id.role < roleAdmin {
		switch {
		case !self:
			return errForbidden.with("you may change only your own password")
		case req.Role != nil || req.Disabled != nil:
			return errForbidden.with("only an admin may change a role or disable a user")
		case req.Password == nil:
			return errInvalid.with("password is required")
		}
	}
	if self && req.Password != nil {
		// A session left open on a counter PC must not be enough to take
		// the account over.
		if req.CurrentPassword == nil || *req.CurrentPassword == "" {
			return errInvalid.with("current_password is required to change your own password")
		}
		if _, err := s.checkPassword(c, id.username, *req.CurrentPassword); err != nil {
			if errors.Is(err, errBadCredentials) {
				return errWrongPassword
			}
			return err
		}
	}
	u, err := s.db.User(name)
	if errors.Is(err, store.ErrNotFound) {
		return errUnknownUser
	} else if err != nil {
		return err
	}
	wasAdmin := u.Role == "admin" && !u.Disabled
	oldRole, wasDisabled := u.Role, u.Disabled
	if req.Role != nil {
		if _, ok := roleFromName(*req.Role); !ok {
			return errInvalid.with("role must be \"staff\" or \"admin\"")
		}
		u.Role = *req.Role
	}
	if req.Disabled != nil {
		u.Disabled = *req.Disabled
	}
	if req.Password != nil {
		if u.Hash, err = HashPassword(*req.Password); err != nil {
			return err
		}
	}
	if wasAdmin && (u.Role != "admin" || u.Disabled) {
		if n, err := s.activeAdmins(); err != nil {
			return err
		} else if n <= 1 {
			return errLastAdmin
		}
	}
	if err := s.db.PutUser(u); err != nil {
		return err
	}
	if (u.Disabled && !wasDisabled) || u.Role != oldRole || req.Password != nil {
		// Whoever held the old rights or password logs in again, and their
		// live sockets close. Changing one's own password keeps the
		// session it was changed in.
		keep := ""
		if self {
			keep = id.session
		}
		if err := s.db.DeleteUserSessionsExcept(u.Username, keep); err != nil {
			return err
		}
		s.endSockets("user changed", func(o live.Owner) bool {
			return o.User == u.Username && (keep == "" || o.Session != keep)
		})
		s.log.Info("user changed", "by", id.source(), "role", u.Role, "disabled", u.Disabled, "password", req.Password != nil)
	}
	return c.JSON(http.StatusOK, userOut{Username: u.Username, Role: u.Role, Disabled: u.Disabled})
}

func (s *Server) activeAdmins() (int, error) {
	users, err := s.db.Users()
	n := 0
	for _, u := range users {
		if u.Role == "admin" && !u.Disabled {
			n++
		}
	}
	return n, err
}

// --- devices ---

type deviceOut struct {
	ID         string `json:"id"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Token      string `json:"token,omitempty"`
	PairingURL string `json:"pairing_url,omitempty"`
	Revoked    bool   `json:"revoked,omitempty"`
	PrinterURL string `json:"printer_url,omitempty"`
}

func newDeviceOut(d store.Device) deviceOut {
	return deviceOut{ID: d.ID, Kind: d.Kind, Name: d.Name, Revoked: d.Revoked, PrinterURL: d.PrinterURL}
}

func (s *Server) postDevice(c echo.Context) error {
	var req struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Kind != "kiosk" && req.Kind != "display" && req.Kind != "pos" {
		return errInvalid.with("kind must be \"kiosk\", \"display\" or \"pos\" (a till that reports purchases)")
	}
	if err := checkDeviceName(req.Name); err != nil {
		return err
	}
	d, tok, err := s.createDevice(req.Kind, req.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, deviceOut{ID: d.ID, Kind: d.Kind, Name: d.Name, Token: tok, PairingURL: s.pairingURL(d.Kind, tok)})
}

func (s *Server) createDevice(kind, name string) (store.Device, string, error) {
	tok := randomToken(24)
	d := store.Device{ID: randomToken(6), Kind: kind, Name: name, TokenHash: hashToken(tok), CreatedAt: s.clock.Now()}
	return d, tok, s.db.PutDevice(d)
}

func (s *Server) pairingURL(kind, tok string) string {
	return s.publicURL + "/" + kind + "/?device=" + tok
}

func (s *Server) listDevices(c echo.Context) error {
	ds, err := s.db.Devices()
	if err != nil {
		return err
	}
	out := make([]deviceOut, 0, len(ds))
	for _, d := range ds {
		out = append(out, newDeviceOut(d))
	}
	return c.JSON(http.StatusOK, out)
}

// putDevice renames a device or sets the printer its tickets go to ("" =
// the branch's printer).
func (s *Server) putDevice(c echo.Context) error {
	var req struct {
		Name       *string `json:"name"`
		PrinterURL *string `json:"printer_url"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	d, err := s.db.Device(c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		return errUnknownDevice
	} else if err != nil {
		return err
	}
	if req.Name != nil {
		if err := checkDeviceName(*req.Name); err != nil {
			return err
		}
		d.Name = *req.Name
	}
	if req.PrinterURL != nil {
		if *req.PrinterURL != "" {
			if err := s.checkPrinterURL(*req.PrinterURL); err != nil {
				return err
			}
		}
		d.PrinterURL = *req.PrinterURL
	}
	if err := s.db.PutDevice(d); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newDeviceOut(d))
}

func (s *Server) deleteDevice(c echo.Context) error {
	d, err := s.db.Device(c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		return errUnknownDevice
	} else if err != nil {
		return err
	}
	d.Revoked = true
	if err := s.db.PutDevice(d); err != nil {
		return err
	}
	s.endSockets("device revoked", func(o live.Owner) bool { return o.Device == d.ID })
	return c.NoContent(http.StatusNoContent)
}

func checkDeviceName(name string) error {
	if strings.TrimSpace(name) == "" || len(name) > 64 {
		return errInvalid.with("name is required, at most 64 characters")
	}
	if p := queue.NameProblem(name); p != "" {
		return errInvalid.with("name %s", p)
	}
	return nil
}

// getDevice tells a kiosk which device it is (and that its token still works).
func (s *Server) getDevice(c echo.Context) error {
	id := who(c)
	if id.device == nil {
		return errForbidden.with("this is not a device")
	}
	return c.JSON(http.StatusOK, newDeviceOut(*id.device))
}

// --- services, counters, settings ---

func (s *Server) listServices(c echo.Context) error {
	list := s.engine.Services()
	if who(c).role < roleStaff {
		list = publicServices(list)
	}
	return c.JSON(http.StatusOK, list)
}

func (s *Server) getService(c echo.Context) error {
	v, err := s.engine.Service(c.Param("id"))
	if err != nil {
		return err
	}
	if who(c).role < roleStaff {
		v = publicService(v)
	}
	return c.JSON(http.StatusOK, v)
}

// publicService is what customers' pages (and devices) may see of a
// service: the guide and outcome codes are for staff only.
func publicService(v queue.ServiceView) queue.ServiceView {
	v.Guide, v.OutcomeCodes = "", nil
	return v
}

func publicServices(list []queue.ServiceView) []queue.ServiceView {
	out := make([]queue.ServiceView, len(list))
	for i, v := range list {
		out[i] = publicService(v)
	}
	return out
}

func (s *Server) postService(c echo.Context) error {
	var svc queue.Service
	if err := bind(c, &svc); err != nil {
		return err
	}
	v, err := s.engine.PutService(svc, true, who(c).source())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

func (s *Server) putService(c echo.Context) error {
	var svc queue.Service
	if err := bind(c, &svc); err != nil {
		return err
	}
	if svc.ID == "" {
		svc.ID = c.Param("id")
	} else if svc.ID != c.Param("id") {
		return errInvalid.with("id in the body differs from the id in the path")
	}
	v, err := s.engine.PutService(svc, false, who(c).source())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) deleteService(c echo.Context) error {
	if err := s.engine.DeleteService(c.Param("id"), who(c).source()); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) listCounters(c echo.Context) error {
	return c.JSON(http.StatusOK, s.engine.Counters())
}

func (s *Server) getCounter(c echo.Context) error {
	ctr, err := s.engine.Counter(c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ctr)
}

func (s *Server) postCounter(c echo.Context) error {
	var ctr queue.Counter
	if err := bind(c, &ctr); err != nil {
		return err
	}
	out, err := s.engine.PutCounter(ctr, true, who(c).source())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) putCounter(c echo.Context) error {
	var ctr queue.Counter
	if err := bind(c, &ctr); err != nil {
		return err
	}
	if ctr.ID == "" {
		ctr.ID = c.Param("id")
	} else if ctr.ID != c.Param("id") {
		return errInvalid.with("id in the body differs from the id in the path")
	}
	out, err := s.engine.PutCounter(ctr, false, who(c).source())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) deleteCounter(c echo.Context) error {
	if err := s.engine.DeleteCounter(c.Param("id"), who(c).source()); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) pauseCounter(paused bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		out, err := s.engine.SetPaused(c.Param("id"), paused, who(c).source())
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, out)
	}
}

func (s *Server) counterQueue(c echo.Context) error {
	list, err := s.engine.CounterQueue(c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string][]ticketOut{"waiting": s.ticketsOut(list)})
}

func (s *Server) counterParked(c echo.Context) error {
	list, err := s.engine.Parked(c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string][]ticketOut{"parked": s.ticketsOut(list)})
}

func (s *Server) getSettings(c echo.Context) error {
	return c.JSON(http.StatusOK, s.settingsOut())
}

type settingsOut struct {
	queue.Settings
	OpenNow bool `json:"open_now"`
	// Members tells the kiosk to offer identification by phone (the
	// branch has tiers or a per-phone cap).
	Members bool `json:"members"`
	// IssuingStopped is true when the manager stopped issuing for today.
	IssuingStopped bool `json:"issuing_stopped"`
}

func (s *Server) settingsOut() settingsOut {
	st := s.engine.Settings()
	return settingsOut{Settings: st, OpenNow: s.engine.OpenNow(), IssuingStopped: s.engine.IssuingStopped(),
		Members: len(s.engine.Tiers()) > 1 || st.TicketsPerPhonePerDay > 0}
}

func (s *Server) putSettings(c echo.Context) error {
	// Start from the current settings so a partial body changes only what it
	// names. The weights are copied: decoding reuses a slice's array, and
	// this one is the engine's own.
	st := s.engine.Settings()
	st.PriorityWeights = slices.Clone(st.PriorityWeights)
	days := st.SpecialDays // replaced whole by PUT /special-days, never merged here
	if err := bind(c, &st); err != nil {
		return err
	}
	st.SpecialDays = days
	if _, err := s.engine.PutSettings(st, who(c).source()); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.settingsOut())
}

// --- tickets ---

type ticketOut struct {
	queue.TicketView
	StatusURL string `json:"status_url"`
	// Print is how printing went so far, for tickets a kiosk issued.
	Print string `json:"print,omitempty"`
}

func (s *Server) ticketOut(v queue.TicketView) ticketOut {
	return ticketOut{TicketView: v, StatusURL: s.statusURL(v.Token)}
}

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

func (s *Server) postTicket(c echo.Context) error {
	var req struct {
		ServiceID string `json:"service_id"`
		Priority  *int   `json:"priority"`
		Phone     string `json:"phone"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.ServiceID == "" {
		return errInvalid.with("service_id is required")
	}
	id := who(c)
	ir := queue.IssueRequest{ServiceID: req.ServiceID, IdemKey: c.Request().Header.Get("Idempotency-Key"), Source: id.source()}
	if req.Priority != nil {
		if id.role == roleDevice {
			return errForbidden.with("a kiosk may not set priority")
		}
		ir.Priority = *req.Priority
	}
	undo := func() {}
	var v queue.TicketView
	var created, replayed bool
	var err error
	if req.Phone != "" {
		// A retry gets its ticket back before the phone's visit is counted again.
		if v, replayed, err = s.engine.Replay(ir.Source, ir.IdemKey); err != nil {
			return err
		}
		if !replayed {
			if ir.CustomerID, ir.Tier, undo, err = s.identifyCustomer(req.Phone, id.source()); err != nil {
				return err
			}
		}
	}
	if !replayed {
		v, created, err = s.engine.Issue(ir)
	}
	if err != nil || !created {
		undo()
	}
	if err != nil {
		return err
	}
	out := s.ticketOut(v)
	if id.device != nil && id.device.Kind == "kiosk" {
		// Submit is keyed by ticket id: a replayed request never prints twice.
		out.Print = string(s.printTicket(v, id.device, v.ID))
	}
	if !created {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) getTicket(c echo.Context) error {
	v, err := s.engine.Ticket(c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.ticketOut(v))
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
		return c.JSON(http.StatusOK, s.ticketOut(v))
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
	return c.JSON(http.StatusOK, s.ticketOut(v))
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
	return c.JSON(http.StatusOK, s.ticketOut(v))
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
	return c.JSON(http.StatusOK, s.ticketOut(v))
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
	return c.JSON(http.StatusOK, s.ticketOut(v))
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
	return c.JSON(http.StatusOK, s.ticketOut(v))
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
	if id := who(c); id.role != roleAnon {
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

// --- operations ---

func (s *Server) listEvents(c echo.Context) error {
	since, limit := uint64(0), 500
	if v := c.QueryParam("since"); v != "" {
		n, err := parseSince(v, s.engine.LastSeq())
		if err != nil {
			return err
		}
		since = n
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 5000 {
			return errInvalid.with("limit must be between 1 and 5000")
		}
		limit = n
	}
	evs, err := s.db.Events(since, limit)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []queue.Event{}
	}
	for i := range evs {
		if evs[i].Ticket != nil {
			evs[i].Ticket.Token = "" // the audit log is no key to phone pages
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"events": evs})
}

func (s *Server) getBackup(c echo.Context) error {
	name := "queuebox-" + s.clock.Now().UTC().Format("20060102-150405") + ".db"
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "application/octet-stream")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	// A large database on a slow link may take longer than the server's
	// write timeout; the admin who asked for it is waiting.
	_ = http.NewResponseController(c.Response().Writer).SetWriteDeadline(time.Time{})
	c.Response().WriteHeader(http.StatusOK)
	_, err := s.db.WriteBackup(c.Response())
	return err
}
