package server

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"queuebox/server/access"
	"queuebox/server/customers"
	"queuebox/server/queue"
	"queuebox/server/store"
)

// Customers: records keyed by phone number, tiers computed from spend and
// visits, the per-phone ticket cap and booking rights. Phone numbers and
// names are personal data: they appear only in the answers of the routes
// below (masked for staff), never in tickets, events, logs or live pages.

// maxVisitsKept bounds the visit times a record keeps for the tier rules.
const maxVisitsKept = 500

// customerOut is a customer as the API shows it.
type customerOut struct {
	ID           string           `json:"id"`
	Phone        string           `json:"phone"`
	Name         string           `json:"name"`
	Tier         string           `json:"tier"`
	TierName     string           `json:"tier_name"`
	TierReason   string           `json:"tier_reason"`
	TierOverride *string          `json:"tier_override"`
	Visits       int              `json:"visits"`
	NoShows      int              `json:"no_shows"`
	Spend        float64          `json:"spend"`
	FirstSeen    time.Time        `json:"first_seen"`
	LastSeen     time.Time        `json:"last_seen"`
	Booking      customers.Rights `json:"booking"`
}

// customerDetail is one customer with its history (GET /customers/{id}): the
// lists are always there, empty for a customer new to the branch.
type customerDetail struct {
	customerOut
	RecentVisits []time.Time        `json:"recent_visits"`
	TierHistory  []store.TierChange `json:"tier_history"`
}

func (s *Server) phoneRegion() string {
	if r := s.cfg.Branch.PhoneRegion; r != "" {
		return r
	}
	return "CN"
}

func (s *Server) normalizePhone(raw string) (string, error) {
	p, err := customers.NormalizePhone(raw, s.phoneRegion())
	if err != nil {
		return "", errInvalid.with("phone: %s (type it with its country code, e.g. +86 138 0013 8000)", strings.TrimPrefix(err.Error(), customers.ErrPhone.Error()+": "))
	}
	return p, nil
}

func (s *Server) rights(c store.Customer) customers.Rights {
	st := s.engine.Settings()
	return customers.BookingRights(c.NoShows, c.ForgivenAt,
		customers.NoShowRule{Limit: st.NoShowLimit, WindowDays: st.NoShowWindowDays, BlockDays: st.BookingBlockDays}, s.clock.Now())
}

func (s *Server) customerOut(c store.Customer, admin bool) customerOut {
	out := customerOut{ID: c.ID, Phone: customers.MaskPhone(c.Phone), Name: maskName(c.Name), Tier: c.Tier,
		TierReason: c.TierReason, Visits: c.VisitCount, NoShows: len(c.NoShows), Spend: float64(c.Spend) / 100,
		FirstSeen: c.FirstSeen, LastSeen: c.LastSeen, Booking: s.rights(c)}
	if admin {
		out.Phone, out.Name = c.Phone, c.Name
	}
	if c.TierOverride != "" {
		o := c.TierOverride
		out.TierOverride = &o
	}
	for _, t := range s.engine.Tiers() {
		if t.ID == c.Tier {
			out.TierName = t.Name
		}
	}
	return out
}

// maskName shows staff a first letter: enough to greet, not to identify.
func maskName(n string) string {
	r := []rune(strings.TrimSpace(n))
	if len(r) == 0 {
		return ""
	}
	return string(r[0]) + "*"
}

// rules turns the queue's tiers into the customers' rules.
func tierRules(tiers []queue.Tier) []customers.Rule {
	out := make([]customers.Rule, len(tiers))
	for i, t := range tiers {
		out[i] = customers.Rule{ID: t.ID, Name: t.Name, MinSpend: int64(math.Round(t.MinSpend * 100)),
			MinVisits: t.MinVisits, WindowDays: t.WindowDays}
	}
	return out
}

// retier computes c's tier at now and returns the change to record, if any.
func (s *Server) retier(c *store.Customer, ps []store.Purchase, now time.Time, by string) *store.TierChange {
	tiers := s.engine.Tiers()
	rules := tierRules(tiers)
	f := customers.Facts{Visits: c.Visits}
	for _, p := range ps {
		f.Purchases = append(f.Purchases, customers.Purchase{Amount: p.Amount, At: p.At, Ref: p.Ref})
	}
	computed, why := customers.Evaluate(rules, f, now)
	override := c.TierOverride
	known := false
	for _, t := range tiers {
		known = known || t.ID == override
	}
	if !known {
		override = "" // the tier was removed since
	}
	tier, reason := customers.Resolve(computed, why, override, c.OverrideReason)
	old := c.Tier
	c.Tier, c.TierReason = tier, reason
	if old == tier {
		return nil
	}
	return &store.TierChange{At: now, From: old, To: tier, Reason: reason, By: by}
}

func newCustomerID() string { return "cu_" + randomToken(9) }

// findOrCreate returns the customer of an E.164 phone, creating it.
func (s *Server) findOrCreate(phone, name string, now time.Time, by string) (store.Customer, bool, error) {
	if c, err := s.db.CustomerByPhone(phone); err == nil {
		return c, false, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return c, false, err
	}
	c := store.Customer{ID: newCustomerID(), Phone: phone, Name: name, FirstSeen: now, LastSeen: now}
	s.retier(&c, nil, now, by)
	id, err := s.db.CreateCustomer(c)
	if errors.Is(err, store.ErrPhoneTaken) {
		// Someone else created it meanwhile: use theirs.
		got, err := s.db.Customer(id)
		return got, false, err
	}
	if err != nil {
		return c, false, err
	}
	if _, err := s.db.UpdateCustomer(c.ID, func(cc *store.Customer, _ []store.Purchase) (*store.TierChange, error) {
		return &store.TierChange{At: now, To: c.Tier, Reason: c.TierReason, By: by}, nil
	}); err != nil {
		return c, true, err
	}
	return c, true, nil
}

// customerIn is a customer as sent: who a phone number belongs to.
type customerIn struct {
	Phone string `json:"phone"`
	Name  string `json:"name"`
}

// phoneAndName checks a customer's phone (to E.164) and name as sent.
func (s *Server) phoneAndName(in customerIn) (phone, name string, err error) {
	if phone, err = s.normalizePhone(in.Phone); err != nil {
		return "", "", err
	}
	name, err = cleanCustomerName(in.Name)
	return phone, name, err
}

func cleanCustomerName(n string) (string, error) {
	n = strings.TrimSpace(n)
	if len(n) > 64 || queue.BadText(n) {
		return "", errInvalid.with("name must be at most 64 characters, without control or invisible characters")
	}
	return n, nil
}

func (s *Server) postCustomer(c echo.Context) error {
	var req customerIn
	if err := bind(c, &req); err != nil {
		return err
	}
	phone, name, err := s.phoneAndName(req)
	if err != nil {
		return err
	}
	cu, created, err := s.findOrCreate(phone, name, s.clock.Now(), who(c).source())
	if err != nil {
		return err
	}
	if !created {
		// The contract's 409 names the existing customer.
		return answerNaming(c, errExists.with("a customer with that phone number exists"), cu.ID)
	}
	return c.JSON(http.StatusCreated, s.customerOut(cu, who(c).role >= access.RoleAdmin))
}

func (s *Server) listCustomers(c echo.Context) error {
	admin := who(c).role >= access.RoleAdmin
	out := []customerOut{}
	if raw := c.QueryParam("phone"); raw != "" {
		phone, err := s.normalizePhone(raw)
		if err != nil {
			return err
		}
		cu, err := s.db.CustomerByPhone(phone)
		if err == nil {
			out = append(out, s.customerOut(cu, admin))
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return c.JSON(http.StatusOK, out)
	}
	if !admin {
		return errInvalid.with("phone is required: staff look customers up by phone number")
	}
	tier := c.QueryParam("tier")
	if tier != "" && !slices.ContainsFunc(s.engine.Tiers(), func(t queue.Tier) bool { return t.ID == tier }) {
		// An unknown tier is a typo, not a tier without customers.
		return errInvalid.with("tier %q is not a tier of this branch", tier)
	}
	var all []store.Customer
	if err := s.db.EachCustomer(func(cu store.Customer) error {
		if tier == "" || cu.Tier == tier {
			all = append(all, cu)
		}
		return nil
	}); err != nil {
		return err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].LastSeen.After(all[j].LastSeen) })
	if len(all) > 500 {
		all = all[:500]
	}
	for _, cu := range all {
		out = append(out, s.customerOut(cu, true))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) customerByParam(c echo.Context) (store.Customer, error) {
	cu, err := s.db.Customer(c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		return cu, errUnknownCustomer
	}
	return cu, err
}

func (s *Server) getCustomer(c echo.Context) error {
	cu, err := s.customerByParam(c)
	if err != nil {
		return err
	}
	out := customerDetail{customerOut: s.customerOut(cu, who(c).role >= access.RoleAdmin), RecentVisits: []time.Time{}}
	out.RecentVisits = append(out.RecentVisits, cu.Visits[max(0, len(cu.Visits)-20):]...)
	if out.TierHistory, err = s.db.TierHistory(cu.ID); err != nil {
		return err
	}
	if out.TierHistory == nil {
		out.TierHistory = []store.TierChange{}
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) putCustomer(c echo.Context) error {
	var req struct {
		TierOverride   json.RawMessage `json:"tier_override"`
		OverrideReason *string         `json:"override_reason"`
		Name           *string         `json:"name"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	var override *string
	if len(req.TierOverride) > 0 {
		var o *string
		if err := json.Unmarshal(req.TierOverride, &o); err != nil {
			return errInvalid.with("tier_override must be a tier id or null")
		}
		if o == nil {
			empty := ""
			o = &empty
		} else if !s.knownTier(*o) {
			return errInvalid.with("tier_override: %q is not a tier of this branch", *o)
		}
		override = o
	}
	var name *string
	if req.Name != nil {
		n, err := cleanCustomerName(*req.Name)
		if err != nil {
			return err
		}
		name = &n
	}
	if req.OverrideReason != nil && (len(*req.OverrideReason) > 200 || queue.BadText(*req.OverrideReason)) {
		return errInvalid.with("override_reason must be at most 200 characters")
	}
	now, by := s.clock.Now(), who(c).source()
	cu, err := s.db.UpdateCustomer(c.Param("id"), func(cu *store.Customer, ps []store.Purchase) (*store.TierChange, error) {
		if name != nil {
			cu.Name = *name
		}
		if override != nil {
			cu.TierOverride = *override
			cu.OverrideReason = ""
			if *override != "" && req.OverrideReason != nil {
				cu.OverrideReason = strings.TrimSpace(*req.OverrideReason)
			}
		}
		return s.retier(cu, ps, now, by), nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return errUnknownCustomer
	} else if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.customerOut(cu, true))
}

func (s *Server) knownTier(id string) bool {
	for _, t := range s.engine.Tiers() {
		if t.ID == id {
			return true
		}
	}
	return false
}

// deleteCustomer erases a customer: nothing that names them stays, and
// nothing links their visits (see erase.go); reports still count them.
func (s *Server) deleteCustomer(c echo.Context) error {
	cu, err := s.customerByParam(c)
	if err != nil {
		return err
	}
	if err := s.eraseCustomers([]store.Customer{cu}); err != nil {
		return err
	}
	s.log.Info("customer erased", "by", who(c).source())
	return c.NoContent(http.StatusNoContent)
}

// exportCustomer gives an admin everything kept about one customer.
func (s *Server) exportCustomer(c echo.Context) error {
	cu, err := s.customerByParam(c)
	if err != nil {
		return err
	}
	ps, err := s.db.Purchases(cu.ID)
	if err != nil {
		return err
	}
	hist, err := s.db.TierHistory(cu.ID)
	if err != nil {
		return err
	}
	appts, err := s.db.AppointmentsOfPhone(cu.Phone)
	if err != nil {
		return err
	}
	// Amounts in the currency, as every other answer gives them (the store
	// keeps cents); appointments, too, hold the customer's name and phone.
	purchases := []purchaseOut{}
	for _, p := range ps {
		purchases = append(purchases, purchaseOut{Amount: float64(p.Amount) / 100, At: p.At, Ref: p.Ref})
	}
	if appts == nil {
		appts = []queue.Appointment{}
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="customer-`+cu.ID+`.json"`)
	return c.JSON(http.StatusOK, map[string]any{"customer": customerRecord{cu, float64(cu.Spend) / 100},
		"purchases": purchases, "tier_history": hist, "appointments": appts})
}

// customerRecord is the stored record as an export shows it.
type customerRecord struct {
	store.Customer
	Spend float64 `json:"spend"` // in the currency; hides the record's cents
}

type purchaseOut struct {
	Amount float64   `json:"amount"`
	At     time.Time `json:"at"`
	Ref    string    `json:"ref"`
}

// forgiveCustomer clears the no-shows that count against booking rights.
func (s *Server) forgiveCustomer(c echo.Context) error {
	now := s.clock.Now()
	cu, err := s.db.UpdateCustomer(c.Param("id"), func(cu *store.Customer, _ []store.Purchase) (*store.TierChange, error) {
		cu.ForgivenAt = now
		return nil, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return errUnknownCustomer
	} else if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.customerOut(cu, who(c).role >= access.RoleAdmin))
}

type purchaseIn struct {
	Amount json.RawMessage `json:"amount"` // a number, or a string like "52,300.50"
	At     string          `json:"at"`
	Ref    string          `json:"ref"`
}

// checkPurchase turns a purchase as sent into cents, a time and a ref.
func (s *Server) checkPurchase(amount, at, ref string) (store.Purchase, error) {
	cents, err := customers.ParseAmount(amount)
	if err != nil {
		return store.Purchase{}, fmt.Errorf("amount %v", err)
	}
	ref = strings.TrimSpace(ref)
	if ref == "" || len(ref) > 100 || queue.BadText(ref) {
		return store.Purchase{}, errors.New("ref is required (the till's receipt number), at most 100 characters")
	}
	now := s.clock.Now()
	t := now
	if at = strings.TrimSpace(at); at != "" {
		if t, err = time.Parse(time.RFC3339, at); err != nil {
			// A date alone is that day in the branch's time zone, as a
			// till's receipts and the tier windows read it.
			if d, derr := time.ParseInLocation("2006-01-02", at, s.branchLocation()); derr == nil {
				t = d
			} else {
				return store.Purchase{}, errors.New("at must be a time like 2026-12-07T10:15:00+08:00 or a date like 2026-12-07")
			}
		}
		if t.After(now.Add(24 * time.Hour)) {
			return store.Purchase{}, errors.New("at is in the future")
		}
	}
	return store.Purchase{Amount: cents, At: t, Ref: ref}, nil
}

func (s *Server) postPurchase(c echo.Context) error {
	var req purchaseIn
	if err := bind(c, &req); err != nil {
		return err
	}
	p, err := s.parsePurchase(req)
	if err != nil {
		return err
	}
	return s.addPurchase(c, c.Param("id"), p)
}

// parsePurchase checks a purchase as sent: amount, time and ref.
func (s *Server) parsePurchase(req purchaseIn) (store.Purchase, error) {
	amount := string(req.Amount)
	if err := json.Unmarshal(req.Amount, &amount); err != nil && len(req.Amount) > 0 && req.Amount[0] == '"' {
		return store.Purchase{}, errInvalid.with("amount must be a number")
	}
	p, err := s.checkPurchase(amount, req.At, req.Ref)
	if err != nil {
		return store.Purchase{}, errInvalid.with("%v", err)
	}
	return p, nil
}

// addPurchase records p for customer id and answers with the customer.
func (s *Server) addPurchase(c echo.Context, id string, p store.Purchase) error {
	now, by := s.clock.Now(), who(c).source()
	added, cu, err := s.db.AddPurchase(id, p, s.purchased(p, now, by, false))
	if errors.Is(err, store.ErrNotFound) {
		return errUnknownCustomer
	} else if err != nil {
		return err
	}
	if !added {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	return c.JSON(http.StatusCreated, map[string]any{"added": added, "customer": s.customerOut(cu, who(c).role >= access.RoleAdmin)})
}

// purchased applies a new purchase to its customer: buying is being seen,
// as a visit is (retention counts from the later of the two: a customer who
// buys at the till every month is not "unseen" for never taking a ticket),
// and the tier follows. A customer the purchase itself brought in (a CSV
// row of old till history) was first and last seen then, not at the
// upload: retention must not keep them longer for being imported late.
func (s *Server) purchased(p store.Purchase, now time.Time, by string, newCustomer bool) func(*store.Customer, []store.Purchase) (*store.TierChange, error) {
	return func(c *store.Customer, ps []store.Purchase) (*store.TierChange, error) {
		at := p.At
		if at.After(now) {
			at = now
		}
		if newCustomer || at.After(c.LastSeen) {
			c.LastSeen = at
		}
		if newCustomer {
			c.FirstSeen = at
		}
		return s.retier(c, ps, now, by), nil
	}
}

// maxImport bounds a CSV upload (about 50,000 rows).
const maxImport = 4 << 20

type importError struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// importCustomers reads phone,name,amount,at,ref rows: a customer is made
// for a new phone, a row with an amount is a purchase (idempotent by ref).
// A bad row is reported by its line and never stops the good ones.
func (s *Server) importCustomers(c echo.Context) error {
	raw, err := io.ReadAll(io.LimitReader(c.Request().Body, maxImport+1))
	if err != nil {
		return errInvalid.with("the upload could not be read")
	}
	if len(raw) > maxImport {
		return errTooLarge.with("the CSV file is larger than %d MB; split it", maxImport>>20)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return errInvalid.with("line 1: the file needs a header row phone,name,amount,at,ref")
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	if _, ok := col["phone"]; !ok {
		return errInvalid.with("line 1: the header has no phone column (want phone,name,amount,at,ref)")
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	now, by := s.clock.Now(), who(c).source()
	imported, skipped := 0, 0
	errs := []importError{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			errs = append(errs, importError{line, "not a CSV row: " + err.Error()})
			continue
		}
		line, _ := r.FieldPos(0)
		ok, err := s.importRow(get(rec, "phone"), get(rec, "name"), get(rec, "amount"), get(rec, "at"), get(rec, "ref"), now, by)
		switch {
		case err != nil:
			var api *APIError
			if errors.As(err, &api) && api.Status >= 500 {
				return err
			}
			errs = append(errs, importError{line, err.Error()})
		case ok:
			imported++
		default:
			skipped++
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"imported": imported, "skipped": skipped, "errors": errs})
}

// importRow applies one CSV row; ok is false when it changed nothing (seen before).
func (s *Server) importRow(rawPhone, name, amount, at, ref string, now time.Time, by string) (bool, error) {
	if rawPhone == "" {
		return false, errors.New("phone is empty")
	}
	phone, err := customers.NormalizePhone(rawPhone, s.phoneRegion())
	if err != nil {
		return false, fmt.Errorf("phone %q is not a phone number", rawPhone)
	}
	if name, err = cleanCustomerName(name); err != nil {
		return false, errors.New("name must be at most 64 characters, without control characters")
	}
	var p store.Purchase
	if amount != "" || ref != "" {
		if p, err = s.checkPurchase(amount, at, ref); err != nil {
			return false, err
		}
	}
	cu, created, err := s.findOrCreate(phone, name, now, by)
	if err != nil {
		return false, err
	}
	changed := created
	if !created && name != "" && cu.Name == "" {
		if _, err := s.db.UpdateCustomer(cu.ID, func(c *store.Customer, _ []store.Purchase) (*store.TierChange, error) {
			c.Name = name
			return nil, nil
		}); err != nil {
			return false, err
		}
		changed = true
	}
	if p.Ref != "" {
		added, _, err := s.db.AddPurchase(cu.ID, p, s.purchased(p, now, by, created))
		if err != nil {
			return false, err
		}
		changed = changed || added
	}
	return changed, nil
}

// --- tiers ---

func (s *Server) getTiers(c echo.Context) error {
	return c.JSON(http.StatusOK, s.engine.Tiers())
}

func (s *Server) putTiers(c echo.Context) error {
	var tiers []queue.Tier
	if err := bind(c, &tiers); err != nil {
		return err
	}
	out, err := s.engine.PutTiers(tiers, who(c).source())
	if err != nil {
		return err
	}
	// Re-tier everyone under the new rules, in one transaction: a branch
	// has thousands of customers, not millions.
	if err := s.retierAll(who(c).source()); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// retierAll applies the current rules to every customer (after a change
// of the rules, and nightly: spending and visits leave the window), then
// erases the customers retention no longer keeps.
func (s *Server) retierAll(by string) error {
	now := s.clock.Now()
	retention := s.engine.Settings().RetentionMonths
	var expired []store.Customer
	if err := s.db.UpdateEachCustomer(func(cu *store.Customer, ps []store.Purchase) (*store.TierChange, error) {
		if customers.Expired(cu.LastSeen, retention, now) {
			expired = append(expired, *cu)
		}
		return s.retier(cu, ps, now, by), nil
	}); err != nil {
		return err
	}
	if err := s.eraseCustomers(expired); err != nil {
		return err
	}
	if len(expired) > 0 {
		s.log.Info("customers erased by retention", "count", len(expired))
	}
	return nil
}

// --- identification when a ticket is issued ---

// identify links a new ticket to the customer of phone: it counts the
// visit, re-tiers, and refuses past the per-phone daily cap. undo gives the
// visit back when the ticket is not issued after all.
func (s *Server) identifyCustomer(rawPhone, by string) (id, tier string, undo func(), err error) {
	phone, err := s.normalizePhone(rawPhone)
	if err != nil {
		return "", "", nil, err
	}
	now := s.clock.Now()
	cu, _, err := s.findOrCreate(phone, "", now, by)
	if err != nil {
		return "", "", nil, err
	}
	st := s.engine.Settings()
	date := businessDate(now, st.Timezone)
	cu, err = s.db.UpdateCustomer(cu.ID, func(c *store.Customer, ps []store.Purchase) (*store.TierChange, error) {
		if c.DayDate != date {
			c.DayDate, c.DayTickets = date, 0
		}
		if st.TicketsPerPhonePerDay > 0 && c.DayTickets >= st.TicketsPerPhonePerDay {
			return nil, store.Refuse(errTicketLimit.with("this phone number already took %s today, the most allowed", plural(st.TicketsPerPhonePerDay, "ticket")))
		}
		c.DayTickets++
		c.VisitCount++
		c.LastSeen = now
		c.Visits = customers.TrimVisits(append(c.Visits, now), tierRules(s.engine.Tiers()), now, maxVisitsKept)
		return s.retier(c, ps, now, by), nil
	})
	if err != nil {
		return "", "", nil, err
	}
	undo = func() {
		_, _ = s.db.UpdateCustomer(cu.ID, func(c *store.Customer, ps []store.Purchase) (*store.TierChange, error) {
			if c.DayDate == date && c.DayTickets > 0 {
				c.DayTickets--
			}
			if c.VisitCount > 0 {
				c.VisitCount--
			}
			for i := len(c.Visits) - 1; i >= 0; i-- {
				if c.Visits[i].Equal(now) {
					c.Visits = append(c.Visits[:i], c.Visits[i+1:]...)
					break
				}
			}
			return s.retier(c, ps, now, by), nil
		})
	}
	return cu.ID, cu.Tier, undo, nil
}

func businessDate(now time.Time, tz string) string {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	return now.In(loc).Format("2006-01-02")
}

// recordNoShow adds a no-show to a ticket's or appointment's customer.
func (s *Server) recordNoShow(customerID string, at time.Time) {
	if customerID == "" {
		return
	}
	_, err := s.db.UpdateCustomer(customerID, func(c *store.Customer, _ []store.Purchase) (*store.TierChange, error) {
		c.NoShows = append(c.NoShows, at)
		if len(c.NoShows) > 100 {
			c.NoShows = c.NoShows[len(c.NoShows)-100:]
		}
		return nil, nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("record no-show", "err", err)
	}
}

// forgetNoShow takes back a customer's latest no-show (staff undid it, or
// the box made it on a wrong clock).
func (s *Server) forgetNoShow(customerID string) {
	if customerID == "" {
		return
	}
	_, err := s.db.UpdateCustomer(customerID, func(c *store.Customer, _ []store.Purchase) (*store.TierChange, error) {
		if n := len(c.NoShows); n > 0 {
			c.NoShows = c.NoShows[:n-1]
		}
		return nil, nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("forget no-show", "err", err)
	}
}

// customerEvents follows the event log for what customers' records need.
func (s *Server) customerEvents(ev queue.Event) {
	switch {
	case ev.Type == queue.EventNoShow && ev.Ticket != nil:
		s.recordNoShow(ev.Ticket.CustomerID, ev.At)
	case ev.Type == queue.EventApptNoShow && ev.Appointment != nil:
		s.recordNoShow(ev.Appointment.CustomerID, ev.At)
	case ev.Type == queue.EventNoShowReverted && ev.Ticket != nil:
		s.forgetNoShow(ev.Ticket.CustomerID)
	case ev.Type == queue.EventApptNoShowReverted && ev.Appointment != nil:
		s.forgetNoShow(ev.Appointment.CustomerID)
	}
}

// --- bookings ---

// linkBooking links a booking to the customer of its phone (stored in
// E.164 form), and refuses it while the customer's no-shows pause online
// booking. A phone the number library cannot read is left to the booking
// rules as before.
func (s *Server) linkBooking(br *queue.BookRequest) error {
	phone, err := customers.NormalizePhone(br.Phone, s.phoneRegion())
	if err != nil {
		return nil
	}
	cu, _, err := s.findOrCreate(phone, "", s.clock.Now(), "customer")
	if err != nil {
		return err
	}
	if r := s.rights(cu); !r.CanBook {
		return errBookingBlocked.with("%s", r.Reason)
	}
	br.Phone, br.CustomerID, br.Tier = phone, cu.ID, cu.Tier
	return nil
}

// bookingPhone is the form a booking's phone was stored in: E.164 for
// bookings made since customers were known, as typed before.
func (s *Server) bookingPhone(code, raw string) string {
	if p, err := customers.NormalizePhone(raw, s.phoneRegion()); err == nil {
		if _, err := s.engine.FindAppointment(code, p); err == nil {
			return p
		}
	}
	return raw
}

func (s *Server) findAppointment(code, raw string) (queue.Appointment, error) {
	return s.engine.FindAppointment(code, s.bookingPhone(code, raw))
}

// plural writes n things in words: "1 ticket", "2 tickets".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
