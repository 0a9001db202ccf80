package server

import (
	"container/list"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"

	"queuebox/kiosk"
)

const (
	qrSize = 320
	// qrMaxText bounds what the anonymous QR route renders: pairing URLs
	// and booking codes are far shorter, and a long text is a CPU sink.
	qrMaxText = 256
	// qrCacheSize QR images of about 1 KiB each are kept.
	qrCacheSize = 512
	// One address may have this many QR codes rendered per minute (cache
	// hits are free); a kiosk shows one per ticket.
	qrRendersPerMinute = 60
	qrBurst            = 20
)

// qrPNG renders short text (a pairing URL, a booking code) as a QR code, so
// pages need no outside service to show one.
func (s *Server) qrPNG(c echo.Context) error {
	text := c.QueryParam("text")
	if text == "" || len(text) > qrMaxText {
		return errInvalid.with("text is required, at most %d bytes", qrMaxText)
	}
	return s.sendQR(c, text)
}

// statusQR is the QR code of a ticket's status page, shown by the kiosk.
func (s *Server) statusQR(c echo.Context) error {
	tok := c.Param("token")
	if !tokenPattern.MatchString(tok) {
		return errUnknownTicket
	}
	if _, err := s.engine.Status(tok); err != nil {
		return err
	}
	// The kiosk passes its customer's language, so the phone opens in it.
	u := s.statusURL(tok)
	switch lang := c.QueryParam("lang"); lang {
	case "":
	case "zh", "en":
		u += "?lang=" + lang
	default:
		return errInvalid.with("lang must be zh or en")
	}
	return s.sendQR(c, u)
}

// sendQR answers with the QR code of text from the cache, rendering it when
// the caller's address has renders left.
func (s *Server) sendQR(c echo.Context, text string) error {
	png, ok := s.qr.get(text)
	if !ok {
		if key := s.limitedAddr(c.RealIP()); key != "" && !s.qrLimit.allow(key, s.clock.Now()) {
			setRetryAfter(c, s.qrLimit.wait(key, s.clock.Now()))
			return errRateLimited.with("too many QR codes from this address; wait a moment")
		}
		var err error
		if png, err = kiosk.QR(text, qrSize); err != nil {
			return errInvalid.with("text cannot be shown as a QR code")
		}
		s.qr.put(text, png)
	}
	h := c.Response().Header()
	// The text is often a key (a ticket's status page, a pairing URL with a
	// device token): no cache may keep it.
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "image/png", png)
}

// qrCache keeps the most recently used QR images.
type qrCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // front: most recent; values are *qrEntry
	byKey map[string]*list.Element
}

type qrEntry struct {
	text string
	png  []byte
}

func newQRCache(max int) *qrCache {
	return &qrCache{max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

func (q *qrCache) get(text string) ([]byte, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	el, ok := q.byKey[text]
	if !ok {
		return nil, false
	}
	q.order.MoveToFront(el)
	return el.Value.(*qrEntry).png, true
}

func (q *qrCache) put(text string, png []byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if el, ok := q.byKey[text]; ok {
		q.order.MoveToFront(el)
		return
	}
	q.byKey[text] = q.order.PushFront(&qrEntry{text, png})
	for q.order.Len() > q.max {
		old := q.order.Back()
		q.order.Remove(old)
		delete(q.byKey, old.Value.(*qrEntry).text)
	}
}

func (q *qrCache) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.order.Len()
}
