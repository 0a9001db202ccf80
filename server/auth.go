package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"queuebox/server/store"
)

// Roles, weakest first.
const (
	roleAnon   = 0
	roleDevice = 1
	roleStaff  = 2
	roleAdmin  = 3
)

const (
	sessionCookie = "qb_session"
	sessionTTL    = 12 * time.Hour
	bcryptCost    = 10
	minPassword   = 8
)

// identity is who made a request.
type identity struct {
	role     int
	username string
	device   *store.Device
}

// source names the caller for tickets and the event log (no personal data).
func (id identity) source() string {
	switch {
	case id.device != nil:
		return "device:" + id.device.ID
	case id.username != "":
		return "user:" + id.username
	}
	return "anon"
}

func roleName(r int) string {
	switch r {
	case roleAdmin:
		return "admin"
	case roleStaff:
		return "staff"
	}
	return ""
}

func roleFromName(s string) (int, bool) {
	switch s {
	case "admin":
		return roleAdmin, true
	case "staff":
		return roleStaff, true
	}
	return 0, false
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

// HashPassword makes a bcrypt hash.
func HashPassword(pw string) ([]byte, error) {
	if len(pw) < minPassword {
		return nil, errInvalid.with("password must be at least %d characters", minPassword)
	}
	if len(pw) > 72 {
		return nil, errInvalid.with("password must be at most 72 bytes")
	}
	return bcrypt.GenerateFromPassword([]byte(pw), bcryptCost)
}

// dummyHash keeps login timing the same for unknown users. It is made on
// first use: every process start (even `queuebox version`) would pay for it.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("no such user, constant time"), bcryptCost)
	return h
})

const ctxIdentity = "qb.identity"

func who(c echo.Context) identity {
	id, _ := c.Get(ctxIdentity).(identity)
	return id
}

// identify finds the caller from a device bearer token or a session cookie.
// A bad bearer token is refused outright: a kiosk must learn it was unpaired.
func (s *Server) identify(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := identity{}
		if h := c.Request().Header.Get("Authorization"); h != "" {
			tok, ok := strings.CutPrefix(h, "Bearer ")
			if !ok || tok == "" {
				return errBadDeviceToken
			}
			d, err := s.db.DeviceByTokenHash(hashToken(tok))
			if err != nil || d.Revoked {
				return errBadDeviceToken
			}
			id = identity{role: roleDevice, device: &d}
		} else if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
			if u, ok := s.sessionUser(ck.Value); ok {
				r, _ := roleFromName(u.Role)
				id = identity{role: r, username: u.Username}
			}
		}
		c.Set(ctxIdentity, id)
		return next(c)
	}
}

func (s *Server) sessionUser(cookie string) (store.User, bool) {
	sess, err := s.db.Session(hashToken(cookie))
	if err != nil || s.clock.Now().After(sess.Expires) {
		return store.User{}, false
	}
	u, err := s.db.User(sess.Username)
	if err != nil || u.Disabled {
		return store.User{}, false
	}
	return u, true
}

// need refuses callers below role. Devices only pass where a device route is.
func need(role int) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			id := who(c)
			switch {
			case id.role >= role:
				return next(c)
			case id.role == roleAnon:
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
		case id.role >= roleStaff || (id.device != nil && id.device.Kind == "kiosk"):
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
		case id.role >= roleAdmin || (id.device != nil && id.device.Kind == "pos"):
			return next(c)
		case id.role == roleAnon:
			return errUnauthenticated
		}
		return errForbidden.with("only an admin or a till (device kind pos) may do this")
	}
}

// staffOrDevice lets a paired kiosk or any logged-in user through.
func staffOrDevice(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if id := who(c); id.role == roleDevice || id.role >= roleStaff {
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
func sameOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if isStateChanging(req.Method) {
			if o := req.Header.Get("Origin"); o != "" {
				u, err := url.Parse(o)
				if err != nil || u.Host != req.Host {
					return errBadOrigin
				}
			}
		}
		return next(c)
	}
}

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

// reset forgets key (a successful login clears its failures).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	delete(l.hits, key)
	l.mu.Unlock()
}

// login checks a password and opens a session.
func (s *Server) login(c echo.Context, username, password string) (store.User, error) {
	now := s.clock.Now()
	ip := c.RealIP()
	if !s.loginLimit.allow("ip:"+ip, now) || !s.loginLimit.allow("user:"+username, now) {
		return store.User{}, errRateLimited
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
	s.loginLimit.reset("user:" + username)
	tok := randomToken(32)
	if err := s.db.PutSession(hashToken(tok), store.Session{Username: u.Username, Expires: now.Add(sessionTTL)}); err != nil {
		return store.User{}, err
	}
	c.SetCookie(&http.Cookie{
		Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: c.Scheme() == "https",
		Expires: now.Add(sessionTTL),
	})
	return u, nil
}

func (s *Server) logout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		if err := s.db.DeleteSession(hashToken(ck.Value)); err != nil {
			return err
		}
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
	return nil
}

// pageNeed guards a staff page: anonymous visitors go to the login page and
// come back after it; a user without the role gets a short refusal page.
func pageNeed(role int) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			id := who(c)
			switch {
			case id.role >= role:
				return next(c)
			case id.role < roleStaff:
				return c.Redirect(http.StatusSeeOther, "/login/?next="+url.QueryEscape(c.Request().URL.Path))
			default:
				return c.HTML(http.StatusForbidden, `<!doctype html><meta charset="utf-8"><title>Admins only</title>`+
					`<body style="font-family:sans-serif;padding:2em"><h1>Admins only · 仅限管理员</h1>`+
					`<p>Your account cannot open this page. <a href="/console/">Back to the console</a></p>`)
			}
		}
	}
}
