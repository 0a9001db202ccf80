package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"queuebox/server/access"
	"queuebox/server/live"
	"queuebox/server/store"
)

const (
	sessionCookie = "qb_session"
	bcryptCost    = 10
)

// identity is who made a request.
type identity struct {
	role     access.Role
	username string
	// session is the hex hash of the session cookie ("" without one): it
	// names the session without being a key to it.
	session string
	device  *store.Device
	// deviceSource is source() for a device, made once per device: every
	// ticket a kiosk issues keeps it.
	deviceSource string
}

// source names the caller for tickets and the event log (no personal data).
func (id identity) source() string {
	switch {
	case id.deviceSource != "":
		return id.deviceSource
	case id.device != nil:
		return "device:" + id.device.ID
	case id.username != "":
		return "user:" + id.username
	}
	return "anon"
}

// kind is the kind of the caller's device ("" when it is no device).
func (id identity) kind() access.DeviceKind {
	if id.device == nil {
		return ""
	}
	return access.DeviceKind(id.device.Kind)
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// HashPassword makes a bcrypt hash of a password the policy allows.
func HashPassword(pw string) ([]byte, error) {
	if err := access.CheckPassword(pw); err != nil {
		return nil, err
	}
	return bcrypt.GenerateFromPassword([]byte(pw), bcryptCost)
}

// dummyHash keeps login timing the same for unknown users. It is made on
// first use: every process start (even `queuebox version`) would pay for it.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("no such user, constant time"), bcryptCost)
	return h
})

// identified is a request's context once identify has found who made it.
// Handlers get it in place of echo's: who reads a field, where echo's Set
// made a map for every request.
type identified struct {
	echo.Context
	id  identity
	dev store.Device // a device caller's, which id.device points to
}

// who made the request (nobody known before identify ran).
func who(c echo.Context) identity {
	if ic, ok := c.(*identified); ok {
		return ic.id
	}
	return identity{}
}

// identify finds the caller from a device bearer token or a session cookie.
// A bad bearer token is refused outright: a kiosk must learn it was unpaired.
func (s *Server) identify(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ic := &identified{Context: c}
		if h := c.Request().Header.Get("Authorization"); h != "" {
			tok, ok := strings.CutPrefix(h, "Bearer ")
			if !ok || tok == "" {
				return errBadDeviceToken
			}
			// Hashed into an array here: the store keeps no hold of it, and
			// hashToken's slice would be made on the heap for every request.
			h := sha256.Sum256([]byte(tok))
			d, err := s.db.DeviceByTokenHash(h[:])
			if err != nil || d.Revoked {
				return errBadDeviceToken
			}
			ic.dev = d
			ic.id = identity{role: access.RoleDevice, device: &ic.dev, deviceSource: s.deviceSource(d.ID)}
		} else if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
			if u, ok := s.sessionUser(ck.Value); ok {
				ic.id = identity{role: access.RoleOf(u.Role), username: u.Username, session: sessionID(ck.Value)}
			}
		}
		return next(ic)
	}
}

// deviceSource is "device:" + id, the same string for every request of the
// device.
func (s *Server) deviceSource(id string) string {
	if src, ok := s.deviceSources.Load(id); ok {
		return src.(string)
	}
	src, _ := s.deviceSources.LoadOrStore(id, "device:"+id)
	return src.(string)
}

// sessionID names a session by the hash of its cookie, as the store keys it.
func sessionID(cookie string) string { return hex.EncodeToString(hashToken(cookie)) }

func (s *Server) sessionUser(cookie string) (store.User, bool) {
	sess, err := s.db.Session(hashToken(cookie))
	if err != nil || !access.SessionLive(sess.Expires, s.clock.Now()) {
		return store.User{}, false
	}
	u, err := s.db.User(sess.Username)
	if err != nil || u.Disabled {
		return store.User{}, false
	}
	return u, true
}

// need refuses callers below role. Devices only pass where a device route is.
func need(role access.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			id := who(c)
			switch {
			case id.role >= role:
				return next(c)
			case id.role == access.RoleAnon:
				return errUnauthenticated
			default:
				return errForbidden
			}
		}
	}
}

// staffOrKiosk lets a paired kiosk or any logged-in user through: a display's
// token sits in its page address and must not issue tickets.
func staffOrKiosk(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := who(c)
		switch {
		case id.role >= access.RoleStaff || id.kind().MayIssue():
			return next(c)
		case id.device != nil:
			return errForbidden.with("only a kiosk may do this")
		}
		return errUnauthenticated
	}
}

// adminOrPOS lets an admin or a paired till (device kind pos) through.
func adminOrPOS(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := who(c)
		switch {
		case id.role >= access.RoleAdmin || id.kind().MayReportPurchases():
			return next(c)
		case id.role == access.RoleAnon:
			return errUnauthenticated
		}
		return errForbidden.with("only an admin or a till (device kind pos) may do this")
	}
}

// staffOrDevice lets a paired kiosk or any logged-in user through.
func staffOrDevice(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if id := who(c); id.role == access.RoleDevice || id.role >= access.RoleStaff {
			return next(c)
		}
		return errUnauthenticated
	}
}

func isStateChanging(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// sameOrigin refuses state-changing requests whose Origin names another site:
// a session cookie must not be usable from elsewhere.
func (s *Server) sameOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if isStateChanging(c.Request().Method) && !s.originAllowed(c.Request()) {
			return errBadOrigin
		}
		return next(c)
	}
}

// originAllowed accepts a request without an Origin (not from a browser, so
// no cross-site risk) and one whose Origin is the host the request was sent
// to, when that is a host the box really answers as: the host of its public
// URL, an IP address or localhost. The Host header alone proves nothing: a
// page on a name an attacker points at the box (DNS rebinding) sends its own
// name as both.
func (s *Server) originAllowed(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
		return false
	}
	return s.ownHost(r.Host)
}

// ownHost reports whether hostport is a name the box serves under.
func (s *Server) ownHost(hostport string) bool {
	if pu, err := url.Parse(s.publicURL); err == nil && pu.Host != "" && strings.EqualFold(pu.Host, hostport) {
		return true
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	if net.ParseIP(strings.Trim(host, "[]")) != nil || strings.EqualFold(host, "localhost") {
		return true
	}
	// The box's own name, as its network announces it (queuebox.local).
	name := machineName()
	return name != "" && (strings.EqualFold(host, name) || strings.EqualFold(host, name+".local"))
}

// machineName is the box's host name, read once.
var machineName = sync.OnceValue(func() string {
	n, _ := os.Hostname()
	return n
})

// jsonOnly refuses a state-changing request whose body is not JSON. A body-less
// POST (call next, start, …) needs no content type.
func jsonOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if isStateChanging(req.Method) {
			ct := req.Header.Get("Content-Type")
			hasBody := req.ContentLength > 0 || (req.ContentLength < 0 && req.Body != nil && req.Body != http.NoBody)
			if c.Path() == csvImportPath {
				mt, _, _ := strings.Cut(ct, ";")
				if (ct != "" || hasBody) && !strings.EqualFold(strings.TrimSpace(mt), "text/csv") {
					return errUnsupportedMedia.with("send the file as text/csv")
				}
				return next(c)
			}
			if ct != "" || hasBody {
				mt, _, _ := strings.Cut(ct, ";")
				if !strings.EqualFold(strings.TrimSpace(mt), "application/json") {
					return errUnsupportedMedia
				}
			}
		}
		return next(c)
	}
}

// limiter counts attempts per key in a sliding window. It bounds its memory.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	hits   map[string][]time.Time
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, hits: map[string][]time.Time{}}
}

// allow records an attempt for key and reports whether it is within the limit.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.hits) > 10000 {
		for k, v := range l.hits {
			if len(v) == 0 || now.Sub(v[len(v)-1]) > l.window {
				delete(l.hits, k)
			}
		}
	}
	h := l.hits[key]
	for len(h) > 0 && now.Sub(h[0]) > l.window {
		h = h[1:]
	}
	if len(h) >= l.max {
		l.hits[key] = h
		return false
	}
	l.hits[key] = append(h, now)
	return true
}

// wait is how long key must wait until allow takes one more attempt (0 when
// it would now).
func (l *limiter) wait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.hits[key]
	for len(h) > 0 && now.Sub(h[0]) > l.window {
		h = h[1:]
	}
	if len(h) < l.max {
		return 0
	}
	return max(h[len(h)-l.max].Add(l.window).Sub(now), time.Second)
}

// admit is allow for a handler: a refusal is e with a Retry-After.
func (l *limiter) admit(c echo.Context, key string, now time.Time, e *APIError) error {
	if l.allow(key, now) {
		return nil
	}
	setRetryAfter(c, l.wait(key, now))
	return e
}

// Login throttling: failures count per (username, address), so that nobody
// can lock the right person out from elsewhere, and per address across all
// usernames, so that one address cannot try a password on every name.
const (
	throttleWindow   = 15 * time.Minute
	throttlePairFree = 5   // failures of one (username, address) before refusals
	throttleAddrFree = 100 // failures of one address, all usernames together
	throttleBase     = 30 * time.Second
	throttleMaxBlock = time.Hour
	// throttleMaxKeys bounds the memory even against many addresses; time
	// pruning keeps the map far smaller in any real store.
	throttleMaxKeys = 20000
)

type throttleKey struct{ user, addr string }

type throttleEntry struct {
	fails  []time.Time // within the window, at most the free count
	until  time.Time   // refused until then
	blocks int         // refusals so far; each doubles the wait
}

// loginThrottle refuses a pair (or an address) that failed too often, with a
// wait that grows with every refusal. Successful logins are not counted.
type loginThrottle struct {
	mu        sync.Mutex
	entries   map[throttleKey]*throttleEntry
	lastPrune time.Time
}

func newLoginThrottle() *loginThrottle {
	return &loginThrottle{entries: map[throttleKey]*throttleEntry{}}
}

func backoff(blocks int) time.Duration {
	if blocks > 12 {
		return throttleMaxBlock
	}
	return min(throttleBase<<max(blocks-1, 0), throttleMaxBlock)
}

// attempt records a login attempt of user from addr as a failure until
// succeeded says otherwise (so parallel attempts cannot slip past the count).
// It returns how long to wait when the attempt is refused.
func (t *loginThrottle) attempt(user, addr string, now time.Time) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pruneLocked(now)
	pair, whole := throttleKey{user, addr}, throttleKey{"", addr}
	var wait time.Duration
	for _, k := range []throttleKey{pair, whole} {
		if e := t.entries[k]; e != nil && now.Before(e.until) {
			// Trying while refused makes the wait longer.
			e.blocks++
			e.until = maxTime(e.until, now.Add(backoff(e.blocks)))
			wait = max(wait, e.until.Sub(now))
		}
	}
	if wait > 0 {
		return wait, false
	}
	t.failLocked(pair, throttlePairFree, now)
	t.failLocked(whole, throttleAddrFree, now)
	return 0, true
}

func (t *loginThrottle) failLocked(k throttleKey, free int, now time.Time) {
	e := t.entries[k]
	if e == nil {
		e = &throttleEntry{}
		t.entries[k] = e
	}
	e.fails = append(recent(e.fails, now), now)
	if len(e.fails) > free {
		e.fails = e.fails[len(e.fails)-free:]
	}
	if len(e.fails) >= free {
		e.blocks++
		e.until = now.Add(backoff(e.blocks))
	}
}

// succeeded takes back the failure attempt recorded: the pair starts afresh
// and the address's count loses this attempt.
func (t *loginThrottle) succeeded(user, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.entries, throttleKey{user, addr})
	if e := t.entries[throttleKey{"", addr}]; e != nil && len(e.fails) > 0 {
		e.fails = e.fails[:len(e.fails)-1]
		if len(e.fails) < throttleAddrFree {
			e.until = time.Time{} // the block this attempt set, if any
		}
	}
}

func recent(fails []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(fails) && now.Sub(fails[i]) > throttleWindow {
		i++
	}
	return fails[i:]
}

// pruneLocked forgets entries with nothing left to remember, at most once a
// minute unless the map is full; a full map loses its oldest entries.
func (t *loginThrottle) pruneLocked(now time.Time) {
	if now.Sub(t.lastPrune) < time.Minute && len(t.entries) < throttleMaxKeys {
		return
	}
	t.lastPrune = now
	for k, e := range t.entries {
		if !now.Before(e.until) && len(recent(e.fails, now)) == 0 {
			delete(t.entries, k)
		}
	}
	if len(t.entries) >= throttleMaxKeys {
		// Make room for a tenth more at once, so that a full map is not
		// scanned on every attempt. Map order picks arbitrary victims,
		// not ones an attacker chooses.
		for k := range t.entries {
			if len(t.entries) < throttleMaxKeys*9/10 {
				break
			}
			delete(t.entries, k)
		}
	}
}

// size is how many keys the throttle holds (for tests).
func (t *loginThrottle) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// setRetryAfter tells a refused client when to try again, in whole seconds.
func setRetryAfter(c echo.Context, wait time.Duration) {
	c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
}

// checkPassword compares password with user's hash under the login throttle
// (for logins and for a change of one's own password). A missing user costs
// the same time as a wrong password.
func (s *Server) checkPassword(c echo.Context, username, password string) (store.User, error) {
	ip := c.RealIP()
	if wait, ok := s.logins.attempt(username, ip, s.clock.Now()); !ok {
		s.log.Warn("password check refused after repeated failures", "user", username, "addr", ip, "wait_s", int(wait.Seconds()))
		setRetryAfter(c, wait)
		return store.User{}, errRateLimited.with("too many failed attempts; try again in %d seconds", int(math.Ceil(wait.Seconds())))
	}
	u, err := s.db.User(username)
	if err != nil {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		if errors.Is(err, store.ErrNotFound) {
			return store.User{}, errBadCredentials
		}
		return store.User{}, err
	}
	if bcrypt.CompareHashAndPassword(u.Hash, []byte(password)) != nil || u.Disabled {
		return store.User{}, errBadCredentials
	}
	s.logins.succeeded(username, ip)
	return u, nil
}

// login checks a password and opens a session.
func (s *Server) login(c echo.Context, username, password string) (store.User, error) {
	u, err := s.checkPassword(c, username, password)
	if err != nil {
		return store.User{}, err
	}
	tok := randomToken(32)
	if err := s.db.PutSession(hashToken(tok), store.Session{Username: u.Username, Expires: access.SessionExpires(s.clock.Now())}); err != nil {
		return store.User{}, err
	}
	// Max-Age, not Expires: a browser must not judge the session by the
	// box's wall clock, which may be wrong.
	c.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: c.Request().TLS != nil,
		MaxAge: int(access.SessionTTL / time.Second),
	})
	return u, nil
}

func (s *Server) logout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
		if err := s.db.DeleteSession(hashToken(ck.Value)); err != nil {
			return err
		}
		s.endSockets(access.EndLoggedOut, func(o live.Owner) bool { return o.Session == sessionID(ck.Value) })
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.Request().TLS != nil, MaxAge: -1})
	return nil
}

// pageNeed guards a staff page: anonymous visitors go to the login page and
// come back after it; a user without the role gets a short refusal page.
func pageNeed(role access.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			id := who(c)
			switch {
			case id.role >= role:
				return next(c)
			case id.role < access.RoleStaff:
				return c.Redirect(http.StatusSeeOther, "/login/?next="+url.QueryEscape(c.Request().URL.Path))
			default:
				return c.HTML(http.StatusForbidden, `<!doctype html><meta charset="utf-8"><title>Admins only</title>`+
					`<body style="font-family:sans-serif;padding:2em"><h1>Admins only · 仅限管理员</h1>`+
					`<p>Your account cannot open this page. <a href="/console/">Back to the console</a></p>`)
			}
		}
	}
}
