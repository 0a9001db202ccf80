package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"queuebox/server/bus"
	"queuebox/server/queue"
	"queuebox/server/store"
	"queuebox/server/webhook"
)

// testSendTimeout bounds "send test event", which waits for the receiver.
const testSendTimeout = 10 * time.Second

// startWebhooks starts a delivery goroutine per stored webhook. The bus only
// wakes them: each reads its events from the log after its own cursor, so a
// wake-up lost to lag costs nothing (OnGap wakes them all again).
func (s *Server) startWebhooks(o Options) error {
	s.hooks = webhook.New(s.db, webhook.Options{
		Now:        s.clock.Now,
		Logger:     s.log,
		MinBackoff: o.WebhookMinBackoff,
		MaxBackoff: o.WebhookMaxBackoff,
		SaveAfter:  o.WebhookSaveAfter,
		OnAttempt:  s.metrics.webhookAttempt,
	})
	if err := s.hooks.Start(); err != nil {
		return err
	}
	s.bus.Subscribe(bus.Options{Name: "webhooks", Policy: bus.Resync, Queue: 64, OnGap: s.hooks.Wake},
		func(queue.Event) { s.hooks.Wake() })
	return nil
}

func (s *Server) stopWebhooks() {
	if s.hooks != nil {
		s.hooks.Close()
	}
}

// webhookOut is a webhook as the API lists it; the secret is shown only
// when it is created.
type webhookOut struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Secret    string    `json:"secret,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// LastAttempt is the latest delivery attempt, if any.
	LastAttempt *store.WebhookAttempt `json:"last_attempt,omitempty"`
}

func (s *Server) postWebhook(c echo.Context) error {
	var req struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(req.URL) > 2048 {
		return errInvalid.with("url must be an absolute http(s) URL like https://crm.example/hooks/queue")
	}
	if len(req.Events) == 0 {
		req.Events = []string{"*"}
	}
	for i, e := range req.Events {
		if e != "*" && !webhook.KnownType(e) {
			return errInvalid.with("events[%d]: %q is not an event type (use \"*\" or one of %v)", i, e, webhook.Types)
		}
	}
	w := store.Webhook{
		ID: newWebhookID(), URL: req.URL, Events: req.Events, Secret: webhook.NewSecret(),
		CreatedAt: s.clock.Now(),
		// From now on: what is already on disk happened before the webhook.
		Cursor: s.db.CommittedSeq(),
	}
	if old, err := s.db.AddWebhook(w, sameURL); errors.Is(err, store.ErrExists) {
		return answerNaming(c, errWebhookExists.with("url %s already has a webhook (%s): one webhook per URL; delete it first to add it again with other events", old.URL, old.ID), old.ID)
	} else if err != nil {
		return fmt.Errorf("save webhook: %w", err)
	}
	s.hooks.Add(w)
	s.log.Info("webhook added", "webhook", w.ID, "events", len(w.Events))
	return c.JSON(http.StatusCreated, webhookOut{ID: w.ID, URL: w.URL, Events: w.Events, Secret: w.Secret, CreatedAt: w.CreatedAt})
}

// sameURL reports whether two webhook URLs are one receiver: the scheme and
// host are compared without case, as they are resolved; the path and query
// as written.
func sameURL(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host) &&
		ua.EscapedPath() == ub.EscapedPath() && ua.RawQuery == ub.RawQuery
}

func newWebhookID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "wh_" + hex.EncodeToString(b)
}

func (s *Server) listWebhooks(c echo.Context) error {
	hooks, err := s.db.Webhooks()
	if err != nil {
		return err
	}
	out := make([]webhookOut, 0, len(hooks))
	for _, w := range hooks {
		o := webhookOut{ID: w.ID, URL: w.URL, Events: w.Events, CreatedAt: w.CreatedAt}
		if recent := s.hooks.Attempts(w.ID); len(recent) > 0 {
			o.LastAttempt = &recent[0]
		}
		out = append(out, o)
	}
	return c.JSON(http.StatusOK, out)
}

// webhookOf finds the webhook named in the path.
func (s *Server) webhookOf(c echo.Context) (store.Webhook, error) {
	w, err := s.db.Webhook(c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		return w, errUnknownWebhook
	}
	return w, err
}

func (s *Server) deleteWebhook(c echo.Context) error {
	w, err := s.webhookOf(c)
	if err != nil {
		return err
	}
	s.hooks.Remove(w.ID)
	if err := s.db.DeleteWebhook(w.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete webhook: %w", err)
	}
	s.log.Info("webhook deleted", "webhook", w.ID)
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) webhookDeliveries(c echo.Context) error {
	w, err := s.webhookOf(c)
	if err != nil {
		return err
	}
	list := s.hooks.Attempts(w.ID)
	if list == nil {
		list = []store.WebhookAttempt{}
	}
	return c.JSON(http.StatusOK, list)
}

// testWebhook sends a webhook.test message now and answers with the attempt,
// whether the receiver took it or not (its failure is no error of the API).
func (s *Server) testWebhook(c echo.Context) error {
	w, err := s.webhookOf(c)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), testSendTimeout)
	defer cancel()
	return c.JSON(http.StatusOK, s.hooks.Test(ctx, w))
}
