package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// maxBody bounds every request body; the largest legitimate one (a service
// with its guide text) is far smaller.
const maxBody = 64 << 10

// csvImportPath takes a CSV file, larger than any JSON body.
const csvImportPath = "/api/v1/customers/import"

func (s *Server) newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(s.log)
	// The box is reached directly, not through a proxy: trust only the socket.
	e.IPExtractor = echo.ExtractIPDirect()
	// One middleware before routing and one after: echo composes these
	// anew for every request, a closure each.
	e.Pre(s.edge)
	e.Use(s.routed)
	s.routes(e)
	return e
}

// routeGroup adds routes under a prefix behind the group's middleware and
// their own, composed once per route as it is added. (An echo group composes
// a route's middleware anew for every request it serves: a closure per
// middleware, per request.)
type routeGroup struct {
	e      *echo.Echo
	prefix string
	mw     []echo.MiddlewareFunc
}

// newRouteGroup is a group of routes under prefix. Like an echo group with
// middleware, it answers what no route of it takes (the prefix itself, a
// method no route has) with 404, through its middleware.
func newRouteGroup(e *echo.Echo, prefix string, mw ...echo.MiddlewareFunc) *routeGroup {
	g := &routeGroup{e: e, prefix: prefix, mw: mw}
	g.add(echo.RouteNotFound, "", echo.NotFoundHandler)
	g.add(echo.RouteNotFound, "/*", echo.NotFoundHandler)
	return g
}

func (g *routeGroup) add(method, path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	all := append(slices.Clone(g.mw), mw...)
	for i := len(all) - 1; i >= 0; i-- {
		h = all[i](h) // the first middleware runs first, as in echo
	}
	g.e.Add(method, g.prefix+path, h)
}

func (g *routeGroup) GET(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	g.add(http.MethodGet, path, h, mw...)
}

func (g *routeGroup) POST(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	g.add(http.MethodPost, path, h, mw...)
}

func (g *routeGroup) PUT(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	g.add(http.MethodPut, path, h, mw...)
}

func (g *routeGroup) DELETE(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	g.add(http.MethodDelete, path, h, mw...)
}

// Any adds path for every method echo routes.
func (g *routeGroup) Any(path string, h echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	for _, m := range []string{http.MethodConnect, http.MethodDelete, http.MethodGet, http.MethodHead, http.MethodOptions,
		http.MethodPatch, http.MethodPost, echo.PROPFIND, http.MethodPut, http.MethodTrace, echo.REPORT} {
		g.add(m, path, h, mw...)
	}
}

// edge is what every request meets before routing: a panic becomes a
// logged 500, every answer gets the security headers, HEAD is routed as GET.
func (s *Server) edge(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer s.recoverPanic(c, &err)
		securityHeaders(c)
		s.dateHeader(c)
		headAsGet(c)
		return next(c)
	}
}

// dateHeader dates the answer by the box's clock where it is not the real
// one (QUEUEBOX_CLOCK_FILE's offset, a test's clock): the pages keep their
// clock on the box's by the Date header, and net/http would write the real
// clock's. On a box on the real clock net/http's own header stands.
func (s *Server) dateHeader(c echo.Context) {
	box, real := s.clock.Now(), time.Now()
	if d := box.Sub(real); d > time.Second || d < -time.Second {
		c.Response().Header().Set("Date", box.UTC().Format(http.TimeFormat))
	}
}

// routed is what every routed request meets: HEAD again, and the log.
func (s *Server) routed(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		headRestore(c)
		return s.logRequest(c, next)
	}
}

// recoverPanic, deferred, turns a panic into a logged 500 in *err: a bug,
// but never a dead box.
func (s *Server) recoverPanic(c echo.Context, err *error) {
	if r := recover(); r != nil {
		if r == http.ErrAbortHandler {
			panic(r)
		}
		s.log.Error("panic", "route", c.Path(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*err = errInternal
	}
}

// headAsGet routes HEAD like GET (monitoring's `curl -I /healthz`); after
// routing, headRestore says HEAD again, so the HTTP server leaves the body out.
func headAsGet(c echo.Context) {
	if r := c.Request(); r.Method == http.MethodHead {
		r.Method = http.MethodGet
		c.Set(ctxHead, true)
	}
}

func headRestore(c echo.Context) {
	if c.Get(ctxHead) == true {
		c.Request().Method = http.MethodHead
	}
}

const ctxHead = "qb.head"

func securityHeaders(c echo.Context) {
	h := c.Response().Header()
	for _, kv := range everyAnswer {
		h[kv.key] = kv.value
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
		h["Cache-Control"] = noStore
	}
}

// everyAnswer are the headers of every answer, their value slices made
// once (Header.Set makes one per header per request). Answers share them:
// nothing changes a header's values in place (Set and Add replace or
// grow a copy).
var everyAnswer = []struct {
	key   string // in canonical form
	value []string
}{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"X-Frame-Options", []string{"DENY"}},
	// Status pages carry their token in the URL: never leak it onwards.
	{"Referrer-Policy", []string{"no-referrer"}},
	{"Content-Security-Policy", []string{"default-src 'self'; img-src 'self' data:; media-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"}},
	{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
}

var noStore = []string{"no-store"}

// logRequest serves c with next and logs the route pattern, never the raw
// path or query: those can hold ticket tokens. No names or phone numbers are
// ever logged.
func (s *Server) logRequest(c echo.Context, next echo.HandlerFunc) error {
	start := time.Now()
	err := next(c)
	status := c.Response().Status
	if err != nil {
		status = toAPIError(err).Status
	}
	took := time.Since(start)
	// Asked first: the arguments alone would cost allocations on
	// every request, logged or not.
	if s.log.Enabled(c.Request().Context(), slog.LevelDebug) {
		s.log.Debug("request", "method", c.Request().Method, "route", c.Path(), "status", status, "ms", float64(took.Microseconds())/1000)
	}
	s.metrics.request(c.Request().Method, c.Path(), status, took)
	return err
}

func (s *Server) bodyLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		limit := int64(maxBody)
		if c.Path() == csvImportPath {
			limit = maxImport
		}
		if req.ContentLength > limit {
			return errTooLarge
		}
		if req.Body != nil && req.ContentLength < 0 {
			// A body of unknown length (chunked) is cut at the limit; one
			// whose length was given and checked cannot run past it (the
			// HTTP server reads no more than that length).
			req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
		}
		return next(c)
	}
}

// bind decodes a JSON body into v and explains what is wrong with it.
func bind(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errBadJSON.with("the body holds more than one JSON value")
	}
	return nil
}

// bindPatch decodes a JSON object body onto *dst, a struct holding the
// current values (PUT of a service or counter): each field the body names
// replaces dst's whole (a map or list is not merged); a field it leaves out,
// or sends as null, stays as it is. A client that knows only the contract's
// fields thus never wipes the extensions (a counter's schedule and pause, a
// service's guide and priority level) by sending back what it knows.
func bindPatch(c echo.Context, dst any) error {
	raw, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return decodeError(err)
	}
	c.Request().Body = io.NopCloser(bytes.NewReader(raw))
	dv := reflect.ValueOf(dst).Elem()
	fresh := reflect.New(dv.Type())
	if err := bind(c, fresh.Interface()); err != nil {
		return err
	}
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(raw, &keys) // bind took it: an object, or null
	named := map[string]bool{}
	for k, v := range keys {
		if string(bytes.TrimSpace(v)) != "null" {
			named[strings.ToLower(k)] = true // json matches names without case
		}
	}
	for i := range dv.NumField() {
		name, _, _ := strings.Cut(dv.Type().Field(i).Tag.Get("json"), ",")
		if named[strings.ToLower(name)] {
			dv.Field(i).Set(fresh.Elem().Field(i))
		}
	}
	return nil
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		// The server's read timeout cut a trickled body off.
		return errRequestTimeout
	case errors.Is(err, io.EOF):
		return errBadJSON.with("the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errBadJSON.with("the body ends in the middle of the JSON")
	case errors.As(err, &big):
		return errTooLarge
	case errors.As(err, &syn):
		return errBadJSON.with("the body is not valid JSON (at byte %d)", syn.Offset)
	case errors.As(err, &typ):
		want := jsonKind(typ.Type.Kind())
		if typ.Field == "" {
			return errInvalid.with("the body must be a JSON %s, not %s", strings.TrimPrefix(strings.TrimPrefix(want, "a "), "an "), gotJSON(typ.Value))
		}
		return errInvalid.with("%s must be %s, not %s", typ.Field, want, gotJSON(typ.Value))
	}
	return errBadJSON.with("the body is not valid JSON")
}

// jsonKind names what a Go kind takes in JSON words.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "an object"
}

// gotJSON names what the caller sent, from json's UnmarshalTypeError.Value
// ("number", "number 1.5", "string", "array", "object", "bool").
func gotJSON(v string) string {
	switch {
	case v == "number":
		return "a number"
	case strings.HasPrefix(v, "number "):
		return strings.TrimPrefix(v, "number ")
	case v == "string":
		return "a string"
	case v == "array":
		return "a list"
	case v == "object":
		return "an object"
	case v == "bool":
		return "true or false"
	}
	return v
}
