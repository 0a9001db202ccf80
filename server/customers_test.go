package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"queuebox/server/config"
	"queuebox/server/store"
)

const goldTiers = `[{"id":"gold","name":"Gold","min_spend":50000,"window_days":365,"sla_wait_seconds":300,"sla_target":0.9},
	{"id":"silver","name":"Silver","min_visits":5,"window_days":90},{"id":"standard","name":"Standard"}]`

type apiCustomer struct {
	ID           string  `json:"id"`
	Phone        string  `json:"phone"`
	Name         string  `json:"name"`
	Tier         string  `json:"tier"`
	TierReason   string  `json:"tier_reason"`
	TierOverride *string `json:"tier_override"`
	Visits       int     `json:"visits"`
	NoShows      int     `json:"no_shows"`
	Spend        float64 `json:"spend"`
	Booking      struct {
		CanBook bool   `json:"can_book"`
		Reason  string `json:"reason"`
	} `json:"booking"`
	TierHistory []struct{ From, To, Reason string } `json:"tier_history"`
}

func (h *harness) newCustomer(tb testing.TB, phone, name string) apiCustomer {
	tb.Helper()
	var cu apiCustomer
	h.do("POST", "/api/v1/customers", h.admin, fmt.Sprintf(`{"phone":%q,"name":%q}`, phone, name)).want(tb, http.StatusCreated).decode(tb, &cu)
	return cu
}

func wantCode(tb testing.TB, r apiResponse, status int, code, inMessage string) {
	tb.Helper()
	r.want(tb, status)
	got, msg, err := r.apiError()
	if err != nil || got != code || !strings.Contains(msg, inMessage) {
		tb.Errorf("%v: want code %s with %q in the message", r, code, inMessage)
	}
}

func TestCustomerPhonesAreOneCustomer(t *testing.T) {
	h := newHarness(t, withStaff())
	cu := h.newCustomer(t, "138 0013 8000", "Li Lei")
	if cu.Phone != "+8613800138000" || cu.Name != "Li Lei" || cu.Tier != "standard" {
		t.Errorf("created %+v, want the E.164 phone, the name and the default tier", cu)
	}
	for _, p := range []string{"+86 138-0013-8000", "008613800138000"} {
		r := h.do("POST", "/api/v1/customers", h.staff, fmt.Sprintf(`{"phone":%q}`, p))
		wantCode(t, r, http.StatusConflict, "exists", "")
		if !strings.Contains(string(r.body), `"id":"`+cu.ID+`"`) {
			t.Errorf("%v: want the existing id %s", r, cu.ID)
		}
	}
	wantCode(t, h.do("POST", "/api/v1/customers", h.staff, `{"phone":"call me"}`), http.StatusBadRequest, "invalid", "phone")

	// Staff see the phone masked and the name shortened; the admin sees them whole.
	var list []apiCustomer
	h.do("GET", "/api/v1/customers?phone=13800138000", h.staff, "").want(t, http.StatusOK).decode(t, &list)
	if len(list) != 1 || list[0].Phone != "+86 138****8000" || list[0].Name != "L*" {
		t.Errorf("staff look-up = %+v, want one masked customer", list)
	}
	h.do("GET", "/api/v1/customers?phone=13800138000", h.admin, "").want(t, http.StatusOK).decode(t, &list)
	if len(list) != 1 || list[0].Phone != "+8613800138000" || list[0].Name != "Li Lei" {
		t.Errorf("admin look-up = %+v, want the whole phone and name", list)
	}
	h.do("GET", "/api/v1/customers?phone=13900000000", h.staff, "").want(t, http.StatusOK).decode(t, &list)
	if len(list) != 0 {
		t.Errorf("unknown phone found %+v", list)
	}
}

func TestPurchasesReTierWithReason(t *testing.T) {
	h := newHarness(t)
	h.do("PUT", "/api/v1/tiers", h.admin, goldTiers).want(t, http.StatusOK)
	cu := h.newCustomer(t, "13800138000", "")
	pos, _ := h.newDevice(t, "pos", "Till 1")
	body := `{"amount":52300,"at":"2026-03-01T10:00:00+08:00","ref":"R-1"}`
	var out struct {
		Added    bool        `json:"added"`
		Customer apiCustomer `json:"customer"`
	}
	h.do("POST", "/api/v1/customers/"+cu.ID+"/purchases", pos, body).want(t, http.StatusCreated).decode(t, &out)
	if !out.Added || out.Customer.Tier != "gold" || out.Customer.TierReason != "spent 52,300 in the last 365 days ≥ 50,000" {
		t.Errorf("after the purchase: %+v", out)
	}
	// The same ref again is the same purchase.
	h.do("POST", "/api/v1/customers/"+cu.ID+"/purchases", h.admin, body).want(t, http.StatusCreated).decode(t, &out)
	if out.Added || out.Customer.Spend != 52300 {
		t.Errorf("repeat: added=%v spend=%v, want nothing added and spend 52300", out.Added, out.Customer.Spend)
	}
	wantCode(t, h.do("POST", "/api/v1/customers/"+cu.ID+"/purchases", h.admin, `{"amount":"lots","ref":"x"}`), http.StatusBadRequest, "invalid", "amount")
	wantCode(t, h.do("POST", "/api/v1/customers/"+cu.ID+"/purchases", h.admin, `{"amount":5}`), http.StatusBadRequest, "invalid", "ref")
	wantCode(t, h.do("POST", "/api/v1/customers/nope/purchases", h.admin, `{"amount":5,"ref":"a"}`), http.StatusNotFound, "unknown_customer", "")
	// A kiosk is not a till.
	h.do("POST", "/api/v1/customers/"+cu.ID+"/purchases", h.kiosk, body).want(t, http.StatusForbidden)

	// An admin's override, with its reason; an unknown tier is refused by name.
	wantCode(t, h.do("PUT", "/api/v1/customers/"+cu.ID, h.admin, `{"tier_override":"platinum"}`), http.StatusBadRequest, "invalid", "tier_override")
	var got apiCustomer
	h.do("PUT", "/api/v1/customers/"+cu.ID, h.admin, `{"tier_override":"silver","override_reason":"family account"}`).want(t, http.StatusOK).decode(t, &got)
	if got.Tier != "silver" || got.TierReason != "set by an admin: family account" || got.TierOverride == nil {
		t.Errorf("override: %+v", got)
	}
	h.do("PUT", "/api/v1/customers/"+cu.ID, h.admin, `{"tier_override":null}`).want(t, http.StatusOK).decode(t, &got)
	if got.Tier != "gold" || got.TierOverride != nil {
		t.Errorf("override lifted: %+v, want gold again", got)
	}
	h.do("GET", "/api/v1/customers/"+cu.ID, h.admin, "").want(t, http.StatusOK).decode(t, &got)
	var steps []string
	for _, c := range got.TierHistory {
		steps = append(steps, c.From+">"+c.To)
	}
	if strings.Join(steps, " ") != ">standard standard>gold gold>silver silver>gold" {
		t.Errorf("tier history = %v", steps)
	}
	// Spending leaves the window: the nightly re-tiering moves the customer down.
	h.clock.Advance(370 * 24 * time.Hour)
	if err := h.s.retierAll("nightly"); err != nil {
		t.Fatal(err)
	}
	h.admin = h.login(t, "admin", testAdminPassword)
	h.do("GET", "/api/v1/customers/"+cu.ID, h.admin, "").want(t, http.StatusOK).decode(t, &got)
	if got.Tier != "standard" || !strings.Contains(got.TierReason, "spent 0 in the last 365 days < 50,000") {
		t.Errorf("a year later: %s (%q)", got.Tier, got.TierReason)
	}
}

func TestImportCSV(t *testing.T) {
	h := newHarness(t)
	h.do("PUT", "/api/v1/tiers", h.admin, goldTiers).want(t, http.StatusOK)
	csv := "phone,name,amount,at,ref\n" +
		"13800138000,Li Lei,30000,2026-02-01,T1\n" +
		"13800138000,,25000,2026-02-20,T2\n" +
		"not a phone,X,5,,T3\n" +
		"13900139000,Han Mei,,,\n" +
		"13700137000,Bad Amount,12abc,,T4\n" +
		"\"13600136000,broken quote\n"
	var res struct {
		Imported int `json:"imported"`
		Skipped  int `json:"skipped"`
		Errors   []struct {
			Line    int    `json:"line"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	h.do("POST", "/api/v1/customers/import", h.admin, csv, "Content-Type", "text/csv").want(t, http.StatusOK).decode(t, &res)
	if res.Imported != 3 || len(res.Errors) != 3 {
		t.Fatalf("first import = %+v, want 3 rows imported and 3 errors", res)
	}
	for i, want := range []struct {
		line int
		word string
	}{{4, "phone"}, {6, "amount"}, {7, "CSV"}} {
		if e := res.Errors[i]; e.Line != want.line || !strings.Contains(e.Message, want.word) {
			t.Errorf("error %d = %+v, want line %d about %s", i, e, want.line, want.word)
		}
	}
	var list []apiCustomer
	h.do("GET", "/api/v1/customers?phone=13800138000", h.admin, "").want(t, http.StatusOK).decode(t, &list)
	if len(list) != 1 || list[0].Spend != 55000 || list[0].Tier != "gold" || list[0].Name != "Li Lei" {
		t.Errorf("imported customer = %+v, want 55,000 spent and gold", list)
	}
	// Importing the same file again adds nothing.
	h.do("POST", "/api/v1/customers/import", h.admin, csv, "Content-Type", "text/csv").want(t, http.StatusOK).decode(t, &res)
	if res.Imported != 0 || res.Skipped != 3 {
		t.Errorf("second import = %+v, want nothing imported, 3 skipped", res)
	}
	h.do("GET", "/api/v1/customers?phone=13800138000", h.admin, "").want(t, http.StatusOK).decode(t, &list)
	if list[0].Spend != 55000 {
		t.Errorf("spend after a second import = %v, want 55000", list[0].Spend)
	}
	h.do("POST", "/api/v1/customers/import", h.admin, `{"rows":[]}`).want(t, http.StatusUnsupportedMediaType)
	wantCode(t, h.do("POST", "/api/v1/customers/import", h.admin, "name,amount\nx,1\n", "Content-Type", "text/csv"), http.StatusBadRequest, "invalid", "line 1")
}

type apiTierTicket struct {
	ID         string `json:"id"`
	Number     string `json:"number"`
	Tier       string `json:"tier"`
	CustomerID string `json:"customer_id"`
	Token      string `json:"token"`
	CallReason string `json:"call_reason"`
}

func TestTicketsCarryTiersAndTheDailyCap(t *testing.T) {
	h := newHarness(t)
	h.do("PUT", "/api/v1/tiers", h.admin, goldTiers).want(t, http.StatusOK)
	cu := h.newCustomer(t, "13800138000", "Li Lei")
	h.do("POST", "/api/v1/customers/"+cu.ID+"/purchases", h.admin, `{"amount":60000,"ref":"a"}`).want(t, http.StatusCreated)
	h.do("PUT", "/api/v1/settings", h.admin, `{"tickets_per_phone_per_day":2}`).want(t, http.StatusOK)

	var anon, gold apiTierTicket
	h.do("POST", "/api/v1/tickets", h.kiosk, `{"service_id":"general"}`).want(t, http.StatusCreated).decode(t, &anon)
	if anon.Tier != "standard" || anon.CustomerID != "" {
		t.Errorf("anonymous ticket: %+v, want the default tier", anon)
	}
	h.clock.Advance(time.Minute)
	h.do("POST", "/api/v1/tickets", h.kiosk, `{"service_id":"general","phone":"+86 138 0013 8000"}`).want(t, http.StatusCreated).decode(t, &gold)
	if gold.Tier != "gold" || gold.CustomerID != cu.ID {
		t.Errorf("identified ticket: %+v, want gold and the customer", gold)
	}
	var called apiTierTicket
	h.do("POST", "/api/v1/counters/c3/next", h.admin, "").want(t, http.StatusOK).decode(t, &called)
	if called.ID != gold.ID || !strings.HasPrefix(called.CallReason, "Gold · ") {
		t.Errorf("called %+v, want the gold ticket with a Gold reason", called)
	}
	// The status page greets by tier, never with the phone.
	r := h.do("GET", "/api/v1/status/"+gold.Token, anonCaller, "").want(t, http.StatusOK)
	if !strings.Contains(string(r.body), `"tier_name":"Gold"`) || strings.Contains(string(r.body), "138") {
		t.Errorf("status = %s", r.body)
	}
	h.do("POST", "/api/v1/tickets", h.kiosk, `{"service_id":"cash","phone":"13800138000"}`).want(t, http.StatusCreated)
	wantCode(t, h.do("POST", "/api/v1/tickets", h.kiosk, `{"service_id":"cash","phone":"13800138000"}`), http.StatusConflict, "ticket_limit", "2 tickets today")
	// A refused ticket does not count; a ticket of a closed service gives its visit back.
	h.do("POST", "/api/v1/tickets", h.kiosk, `{"service_id":"nope","phone":"13900139000"}`).want(t, http.StatusNotFound)
	var list []apiCustomer
	h.do("GET", "/api/v1/customers?phone=13900139000", h.admin, "").want(t, http.StatusOK).decode(t, &list)
	if len(list) != 1 || list[0].Visits != 0 {
		t.Errorf("after a refused ticket: %+v, want 0 visits", list)
	}
	wantCode(t, h.do("POST", "/api/v1/tickets", h.kiosk, `{"service_id":"cash","phone":"12"}`), http.StatusBadRequest, "invalid", "phone")
	// Next day, the cap starts again.
	h.clock.Advance(24 * time.Hour)
	h.do("POST", "/api/v1/tickets", h.kiosk, `{"service_id":"cash","phone":"13800138000"}`).want(t, http.StatusCreated)
}

func TestNoShowsCostBookingRightsAndStaffForgive(t *testing.T) {
	h := newHarness(t, withStaff())
	h.do("PUT", "/api/v1/settings", h.admin, `{"no_show_limit":2,"no_show_window_days":60,"booking_block_days":30}`).want(t, http.StatusOK)
	for i := 0; i < 2; i++ {
		var tk apiTierTicket
		h.do("POST", "/api/v1/tickets", h.staff, `{"service_id":"general","phone":"13800138000"}`).want(t, http.StatusCreated).decode(t, &tk)
		h.do("POST", "/api/v1/counters/c3/next", h.staff, "").want(t, http.StatusOK)
		h.step(tk.ID, "no-show").want(t, http.StatusOK)
	}
	var cu apiCustomer
	waitFor(t, func() bool {
		var list []apiCustomer
		h.do("GET", "/api/v1/customers?phone=13800138000", h.staff, "").want(t, http.StatusOK).decode(t, &list)
		cu = list[0]
		return cu.NoShows == 2
	})
	if cu.Booking.CanBook || !strings.Contains(cu.Booking.Reason, "Walk-in tickets are always welcome") {
		t.Errorf("booking rights after 2 no-shows: %+v", cu.Booking)
	}
	body := fmt.Sprintf(`{"service_id":"advice","start":%q,"name":"Li","phone":"138 0013 8000"}`, h.slotIn(3*time.Hour))
	wantCode(t, h.do("POST", "/api/v1/appointments", anonCaller, body), http.StatusConflict, "booking_blocked", "paused until")
	// Walk-ins are still welcome.
	h.do("POST", "/api/v1/tickets", h.staff, `{"service_id":"general","phone":"13800138000"}`).want(t, http.StatusCreated)
	h.do("POST", "/api/v1/customers/"+cu.ID+"/forgive", h.staff, "").want(t, http.StatusOK)
	var a apiAppointment
	h.do("POST", "/api/v1/appointments", anonCaller, body).want(t, http.StatusCreated).decode(t, &a)
	// The booking is the customer's: found with any writing of the phone.
	h.do("GET", "/api/v1/appointments/"+a.Code+"?phone=%2B8613800138000", anonCaller, "").want(t, http.StatusOK)
	h.do("GET", "/api/v1/appointments/"+a.Code+"?phone=13800138000", anonCaller, "").want(t, http.StatusOK)
}

// waitFor polls cond: customer records follow the event log on their own goroutine.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition never met")
}

// TestExportGivesTheCustomersData: the export an admin hands a customer
// who asks for their data states amounts as the rest of the API does (in
// the currency, not the store's cents) and holds their bookings too.
func TestExportGivesTheCustomersData(t *testing.T) {
	h := newHarness(t)
	cu := h.newCustomer(t, "13800138000", "Zhang Wei")
	h.do("POST", "/api/v1/customers/"+cu.ID+"/purchases", h.admin, `{"amount":52300.5,"ref":"R-1"}`).want(t, http.StatusCreated)
	body := fmt.Sprintf(`{"service_id":"advice","start":%q,"name":"Zhang Wei","phone":"138 0013 8000"}`, h.slotIn(3*time.Hour))
	h.do("POST", "/api/v1/appointments", anonCaller, body).want(t, http.StatusCreated)
	other := fmt.Sprintf(`{"service_id":"advice","start":%q,"name":"Li Na","phone":"13900139000"}`, h.slotIn(4*time.Hour))
	h.do("POST", "/api/v1/appointments", anonCaller, other).want(t, http.StatusCreated)

	var got struct {
		Customer struct {
			Phone string  `json:"phone"`
			Spend float64 `json:"spend"`
		} `json:"customer"`
		Purchases []struct {
			Amount float64 `json:"amount"`
			Ref    string  `json:"ref"`
		} `json:"purchases"`
		Appointments []struct {
			Name  string `json:"name"`
			Phone string `json:"phone"`
		} `json:"appointments"`
	}
	r := h.do("GET", "/api/v1/customers/"+cu.ID+"/export", h.admin, "").want(t, http.StatusOK)
	r.decode(t, &got)
	if got.Customer.Phone != "+8613800138000" || got.Customer.Spend != 52300.5 {
		t.Errorf("customer in the export = %+v, want the phone and spend 52300.5", got.Customer)
	}
	if len(got.Purchases) != 1 || got.Purchases[0].Amount != 52300.5 || got.Purchases[0].Ref != "R-1" {
		t.Errorf("purchases in the export = %+v, want one of 52300.5", got.Purchases)
	}
	if len(got.Appointments) != 1 || got.Appointments[0].Name != "Zhang Wei" || got.Appointments[0].Phone != "+8613800138000" {
		t.Errorf("appointments in the export = %+v, want the customer's one booking", got.Appointments)
	}
}

func TestErasureLeavesNothing(t *testing.T) {
	h := newHarness(t, withStaff())
	h.do("PUT", "/api/v1/tiers", h.admin, goldTiers).want(t, http.StatusOK)
	cu := h.newCustomer(t, "13800138000", "Zhang Wei")
	h.do("POST", "/api/v1/customers/"+cu.ID+"/purchases", h.admin, `{"amount":60000,"ref":"a"}`).want(t, http.StatusCreated)
	var tk apiTierTicket
	h.do("POST", "/api/v1/tickets", h.kiosk, `{"service_id":"general","phone":"13800138000"}`).want(t, http.StatusCreated).decode(t, &tk)
	body := fmt.Sprintf(`{"service_id":"advice","start":%q,"name":"Zhang Wei","phone":"13800138000"}`, h.slotIn(3*time.Hour))
	h.do("POST", "/api/v1/appointments", anonCaller, body).want(t, http.StatusCreated)

	h.do("DELETE", "/api/v1/customers/"+cu.ID, h.staff, "").want(t, http.StatusForbidden)
	h.do("DELETE", "/api/v1/customers/"+cu.ID, h.admin, "").want(t, http.StatusNoContent)
	h.do("GET", "/api/v1/customers/"+cu.ID, h.admin, "").want(t, http.StatusNotFound)

	loc, _ := time.LoadLocation("Asia/Shanghai")
	today := h.clock.Now().In(loc).Format("2006-01-02")
	for _, path := range []string{
		"/api/v1/customers?phone=13800138000", "/api/v1/customers", "/api/v1/queue", "/api/v1/active",
		"/api/v1/tickets/" + tk.ID, "/api/v1/status/" + tk.Token, "/api/v1/events?limit=5000",
		"/api/v1/appointments?date=" + today, "/api/v1/appointments?date=" + h.clock.Now().Add(3*time.Hour).In(loc).Format("2006-01-02"),
	} {
		r := h.do("GET", path, h.admin, "").want(t, http.StatusOK)
		for _, s := range []string{"13800138000", "138****8000", "Zhang", "Wei"} {
			if strings.Contains(string(r.body), s) {
				t.Errorf("after erasure %s still holds %q: %s", path, s, r.body)
			}
		}
	}
	// Counts stay: the ticket is still there, with its tier.
	var got apiTierTicket
	h.do("GET", "/api/v1/tickets/"+tk.ID, h.admin, "").want(t, http.StatusOK).decode(t, &got)
	if got.Tier != "gold" {
		t.Errorf("ticket after erasure: %+v", got)
	}
	// The same phone later is a new customer, starting over.
	again := h.newCustomer(t, "13800138000", "")
	if again.ID == cu.ID || again.Tier != "standard" {
		t.Errorf("new customer after erasure: %+v", again)
	}
}

func TestTiersEditing(t *testing.T) {
	h := newHarness(t, withStaff())
	var tiers []struct{ ID string }
	h.do("GET", "/api/v1/tiers", h.staff, "").want(t, http.StatusOK).decode(t, &tiers)
	if len(tiers) != 1 || tiers[0].ID != "standard" {
		t.Errorf("default tiers = %+v", tiers)
	}
	h.do("PUT", "/api/v1/tiers", h.staff, goldTiers).want(t, http.StatusForbidden)
	wantCode(t, h.do("PUT", "/api/v1/tiers", h.admin, `[{"id":"gold","name":"Gold","counters":["c9"]},{"id":"standard","name":"S"}]`), http.StatusBadRequest, "invalid", "tiers[0].counters")
	wantCode(t, h.do("PUT", "/api/v1/tiers", h.admin, `[]`), http.StatusBadRequest, "invalid", "tiers")
	h.do("PUT", "/api/v1/tiers", h.admin, goldTiers).want(t, http.StatusOK)
	h.do("GET", "/api/v1/tiers", h.staff, "").want(t, http.StatusOK).decode(t, &tiers)
	if len(tiers) != 3 {
		t.Errorf("tiers = %+v", tiers)
	}
}

func TestExampleConfigSeedsTiers(t *testing.T) {
	cfg, err := config.Load([]string{"--config", "../configs/queuebox.yaml"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := seedFromConfig(cfg)
	if err != nil {
		t.Fatalf("seed from the example config: %v", err)
	}
	if len(sc.tiers) != 3 || sc.tiers[0].ID != "gold" {
		t.Errorf("example tiers = %+v", sc.tiers)
	}
	cfg.Branch.PhoneRegion = "XX"
	if _, err := seedFromConfig(cfg); err == nil || !strings.Contains(err.Error(), "branch.phone_region") {
		t.Errorf("bad region: %v", err)
	}
}

func TestRetentionErasesTheLongUnseen(t *testing.T) {
	h := newHarness(t)
	h.do("PUT", "/api/v1/settings", h.admin, `{"retention_months":6}`).want(t, http.StatusOK)
	old := h.newCustomer(t, "13800138000", "Old")
	h.clock.Advance(150 * 24 * time.Hour)
	h.admin = h.login(t, "admin", testAdminPassword)
	recent := h.newCustomer(t, "13900139000", "Recent")
	h.clock.Advance(40 * 24 * time.Hour) // old: 190 days unseen; recent: 40
	if err := h.s.retierAll("nightly"); err != nil {
		t.Fatal(err)
	}
	h.admin = h.login(t, "admin", testAdminPassword)
	h.do("GET", "/api/v1/customers/"+old.ID, h.admin, "").want(t, http.StatusNotFound)
	h.do("GET", "/api/v1/customers/"+recent.ID, h.admin, "").want(t, http.StatusOK)
	if n, _ := h.s.db.ErasedCustomers(); n != 1 {
		t.Errorf("erased count = %d, want 1", n)
	}
}

// TestPurchaseDatesAreTheBranchsDays: a purchase dated without a time
// ("2026-03-01", as tills and spreadsheets write it) is that day at the
// branch, not in UTC.
func TestPurchaseDatesAreTheBranchsDays(t *testing.T) {
	h := newHarness(t)
	cu := h.newCustomer(t, "13800138000", "")
	h.do("POST", "/api/v1/customers/"+cu.ID+"/purchases", h.admin, `{"amount":10,"at":"2026-03-01","ref":"R-1"}`).want(t, http.StatusCreated)
	var got struct {
		Purchases []struct {
			At time.Time `json:"at"`
		} `json:"purchases"`
	}
	h.do("GET", "/api/v1/customers/"+cu.ID+"/export", h.admin, "").want(t, http.StatusOK).decode(t, &got)
	want := time.Date(2026, 3, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	if len(got.Purchases) != 1 || !got.Purchases[0].At.Equal(want) {
		t.Errorf("purchase dated 2026-03-01 = %+v, want %v (midnight in Shanghai)", got.Purchases, want)
	}
}

// TestRetentionKeepsBuyers: a purchase is being seen, as a visit is: a
// customer who buys at the till keeps their record under retention even
// if they never take a ticket.
func TestRetentionKeepsBuyers(t *testing.T) {
	h := newHarness(t)
	h.do("PUT", "/api/v1/settings", h.admin, `{"retention_months":6}`).want(t, http.StatusOK)
	buyer := h.newCustomer(t, "13800138000", "Buyer")
	h.newCustomer(t, "13900139000", "Importer")
	h.clock.Advance(150 * 24 * time.Hour)
	h.admin = h.login(t, "admin", testAdminPassword)
	h.do("POST", "/api/v1/customers/"+buyer.ID+"/purchases", h.admin, `{"amount":120,"ref":"R-1"}`).want(t, http.StatusCreated)
	csv := "phone,name,amount,at,ref\n13900139000,Importer,80," + h.clock.Now().Format(time.RFC3339) + ",R-2\n"
	h.do("POST", "/api/v1/customers/import", h.admin, csv, "Content-Type", "text/csv").want(t, http.StatusOK)
	h.clock.Advance(40 * 24 * time.Hour) // 190 days since they were made, 40 since they bought
	if err := h.s.retierAll("nightly"); err != nil {
		t.Fatal(err)
	}
	h.admin = h.login(t, "admin", testAdminPassword)
	h.do("GET", "/api/v1/customers/"+buyer.ID, h.admin, "").want(t, http.StatusOK)
	var found []apiCustomer
	h.do("GET", "/api/v1/customers?phone=13900139000", h.admin, "").want(t, http.StatusOK).decode(t, &found)
	if len(found) != 1 {
		t.Errorf("a customer who bought through the CSV 40 days ago was erased: %+v", found)
	}
}

// TestImportedHistoryIsSeenWhenItHappened: a customer who first comes in
// through a CSV of old till receipts was last seen at their last purchase,
// not at the upload, so retention erases the long gone at once instead of
// keeping them for months more.
func TestImportedHistoryIsSeenWhenItHappened(t *testing.T) {
	h := newHarness(t)
	h.do("PUT", "/api/v1/settings", h.admin, `{"retention_months":6}`).want(t, http.StatusOK)
	old := h.clock.Now().AddDate(-1, 0, 0).Format(time.RFC3339)
	recent := h.clock.Now().AddDate(0, -1, 0).Format(time.RFC3339)
	csv := "phone,name,amount,at,ref\n13800138000,Gone,10," + old + ",R-1\n13900139000,Regular,10," + recent + ",R-2\n"
	h.do("POST", "/api/v1/customers/import", h.admin, csv, "Content-Type", "text/csv").want(t, http.StatusOK)
	var gone []struct {
		LastSeen time.Time `json:"last_seen"`
	}
	h.do("GET", "/api/v1/customers?phone=13800138000", h.admin, "").want(t, http.StatusOK).decode(t, &gone)
	if len(gone) != 1 || !gone[0].LastSeen.Equal(h.clock.Now().AddDate(-1, 0, 0).Truncate(time.Second)) {
		t.Errorf("a customer whose one purchase was a year ago: %+v, want last seen then", gone)
	}
	if err := h.s.retierAll("nightly"); err != nil {
		t.Fatal(err)
	}
	h.admin = h.login(t, "admin", testAdminPassword)
	var left []apiCustomer
	h.do("GET", "/api/v1/customers?phone=13800138000", h.admin, "").want(t, http.StatusOK).decode(t, &left)
	if len(left) != 0 {
		t.Errorf("a customer unseen for a year is kept under a 6-month retention: %+v", left)
	}
	h.do("GET", "/api/v1/customers?phone=13900139000", h.admin, "").want(t, http.StatusOK).decode(t, &left)
	if len(left) != 1 {
		t.Errorf("a customer who bought a month ago was erased: %+v", left)
	}
}

// FuzzCustomerInputs sends arbitrary bodies to the customer routes and
// arbitrary CSV to the import: whatever arrives, the answer is below 500 and
// errors have the API's shape. Under plain go test it runs the seeds.
func FuzzCustomerInputs(f *testing.F) {
	h := newHarness(f)
	cu := h.newCustomer(f, "13800138000", "Seed")
	targets := []struct {
		method, path, ctype string
	}{
		{"POST", "/api/v1/customers", "application/json"},
		{"POST", "/api/v1/customers/" + cu.ID + "/purchases", "application/json"},
		{"PUT", "/api/v1/customers/" + cu.ID, "application/json"},
		{"PUT", "/api/v1/tiers", "application/json"},
		{"POST", "/api/v1/tickets", "application/json"},
		{"POST", "/api/v1/customers/import", "text/csv"},
	}
	seeds := []string{
		`{"phone":"+86 138-0013-8001","name":"李"}`, `{"amount":"52,300.50","at":"2026-01-01","ref":"x"}`,
		`{"tier_override":null,"name":"A"}`, goldTiers, `{"service_id":"general","phone":"008613800138000"}`,
		"phone,name,amount,at,ref\n13800138000,A,1,,r\n", "phone\n\"\n", "\xef\xbb\xbfphone,amount\n+44 20 7946 0018,1e9\n",
		`{"amount":1e400,"ref":"r"}`, `{"phone":"` + strings.Repeat("9", 100) + `"}`, `[{"id":"a","name":"A","share":-1}]`,
		`{"tier_override":5}`, `{"phone":"\u202e138"}`, "",
	}
	for i := range targets {
		for _, s := range seeds {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, target uint8, body []byte) {
		tg := targets[int(target)%len(targets)]
		req := h.req(tg.method, tg.path, h.admin, "")
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", tg.ctype)
		r := h.serve(req)
		if r.status >= 500 {
			t.Fatalf("%v: want no 5xx", r)
		}
		if r.status >= 400 {
			if _, _, err := r.apiError(); err != nil {
				t.Fatalf("%v: %v", r, err)
			}
		}
	})
}

func TestRetryWithTheSameKeyIsNotASecondTicketForTheCap(t *testing.T) {
	h := newHarness(t)
	h.do("PUT", "/api/v1/settings", h.admin, `{"tickets_per_phone_per_day":1}`).want(t, http.StatusOK)
	body := `{"service_id":"general","phone":"13800138000"}`
	var first, again apiTierTicket
	h.do("POST", "/api/v1/tickets", h.kiosk, body, "Idempotency-Key", "k-1").want(t, http.StatusCreated).decode(t, &first)
	r := h.do("POST", "/api/v1/tickets", h.kiosk, body, "Idempotency-Key", "k-1").want(t, http.StatusCreated)
	r.decode(t, &again)
	if again.ID != first.ID || r.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry got %+v (replayed %q), want the same ticket %s", again, r.header.Get("Idempotent-Replayed"), first.ID)
	}
	var list []apiCustomer
	h.do("GET", "/api/v1/customers?phone=13800138000", h.admin, "").want(t, http.StatusOK).decode(t, &list)
	if len(list) != 1 || list[0].Visits != 1 {
		t.Errorf("customer after a retry = %+v, want 1 visit", list)
	}
	wantCode(t, h.do("POST", "/api/v1/tickets", h.kiosk, body, "Idempotency-Key", "k-2"), http.StatusConflict, "ticket_limit", "")
}

func TestUndoneNoShowNoLongerCounts(t *testing.T) {
	h := newHarness(t)
	h.do("PUT", "/api/v1/settings", h.admin, `{"no_show_limit":1,"no_show_window_days":60,"booking_block_days":30}`).want(t, http.StatusOK)
	var tk apiTierTicket
	h.do("POST", "/api/v1/tickets", h.admin, `{"service_id":"general","phone":"13800138000"}`).want(t, http.StatusCreated).decode(t, &tk)
	h.do("POST", "/api/v1/counters/c3/next", h.admin, "").want(t, http.StatusOK)
	h.step(tk.ID, "no-show").want(t, http.StatusOK)
	booking := func() apiCustomer {
		var list []apiCustomer
		h.do("GET", "/api/v1/customers?phone=13800138000", h.admin, "").want(t, http.StatusOK).decode(t, &list)
		return list[0]
	}
	waitFor(t, func() bool { return !booking().Booking.CanBook })
	h.step(tk.ID, "revert-no-show").want(t, http.StatusOK)
	waitFor(t, func() bool { c := booking(); return c.Booking.CanBook && c.NoShows == 0 })
}

// TestErasureLeavesTheDisk: DELETE /customers/{id} schedules the scrub of
// the file's free pages, and the nightly run takes the customer's phone
// and name off the disk: not in any byte of the database file.
func TestErasureLeavesTheDisk(t *testing.T) {
	h := newHarness(t, withStaff())
	h.do("PUT", "/api/v1/tiers", h.admin, goldTiers).want(t, http.StatusOK)
	cu := h.newCustomer(t, "13800138000", "Zhang Wei")
	for i := range 5 {
		h.do("POST", "/api/v1/customers/"+cu.ID+"/purchases", h.admin, fmt.Sprintf(`{"amount":%d,"ref":"p%d"}`, 20000+i, i)).want(t, http.StatusCreated)
	}
	h.do("POST", "/api/v1/tickets", h.kiosk, `{"service_id":"general","phone":"13800138000"}`).want(t, http.StatusCreated)
	body := fmt.Sprintf(`{"service_id":"advice","start":%q,"name":"Zhang Wei","phone":"13800138000"}`, h.slotIn(3*time.Hour))
	h.do("POST", "/api/v1/appointments", anonCaller, body).want(t, http.StatusCreated)

	file := filepath.Join(h.s.cfg.Data, store.FileName)
	secrets := []string{"+8613800138000", "13800138000", "Zhang Wei"}
	holds := func() []string {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var found []string
		for _, s := range secrets {
			if bytes.Contains(raw, []byte(s)) {
				found = append(found, s)
			}
		}
		return found
	}
	if got := holds(); len(got) != len(secrets) {
		t.Fatalf("before erasure the file holds %q, want all of %q: the test would prove nothing", got, secrets)
	}
	if due, _, _ := h.s.db.ScrubDue(); due {
		t.Fatal("a scrub is due before any erasure")
	}
	h.do("DELETE", "/api/v1/customers/"+cu.ID, h.admin, "").want(t, http.StatusNoContent)
	if due, _, err := h.s.db.ScrubDue(); err != nil || !due {
		t.Fatalf("after erasure: scrub due = %v, %v; want true", due, err)
	}
	t.Logf("after erasure, before the nightly run, the file still holds %q", holds())
	if err := h.s.scrubErased(); err != nil {
		t.Fatal(err)
	}
	if got := holds(); len(got) != 0 {
		t.Errorf("after erasure and the nightly scrub the database file holds %q", got)
	}
	if due, _, _ := h.s.db.ScrubDue(); due {
		t.Error("scrub still due after the nightly run")
	}
	// The box serves on: a new ticket and the other data are fine.
	h.do("POST", "/api/v1/tickets", h.kiosk, `{"service_id":"general"}`).want(t, http.StatusCreated)
}
