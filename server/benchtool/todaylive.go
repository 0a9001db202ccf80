package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/gorilla/websocket"
)

// todayLive times what the manager's first screen does after an event: a
// ticket is issued, the queue topic of the live socket says so, and the page
// asks for today's figures again, which must then count the ticket. The
// baseline is the issue alone, so the ratio is what the view adds.
func todayLive(ctx context.Context, a *api, n int) (live, issue float64, err error) {
	// A box started on a written history was never configured from the
	// config file (it has events): open it and give it a service here.
	day := "00:00-24:00"
	hours := map[string]string{"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day}
	if err := a.do("PUT", "/api/v1/settings", map[string]any{"timezone": "UTC", "hours": hours}, "", http.StatusOK, nil); err != nil {
		return 0, 0, err
	}
	if err := a.do("GET", "/api/v1/services/general", nil, "", http.StatusOK, nil); err != nil {
		svc := map[string]any{"id": "general", "prefix": "A", "name": "General", "avg_service_seconds": 300}
		if err := a.do("POST", "/api/v1/services", svc, "", http.StatusCreated, nil); err != nil {
			return 0, 0, err
		}
	}
	kiosk, err := a.kiosk()
	if err != nil {
		return 0, 0, err
	}
	u, err := url.Parse(a.base)
	if err != nil {
		return 0, 0, err
	}
	hdr := http.Header{}
	for _, c := range a.hc.Jar.Cookies(u) {
		hdr.Add("Cookie", c.Name+"="+c.Value)
	}
	hdr.Set("Origin", a.base)
	conn, resp, err := (&websocket.Dialer{HandshakeTimeout: 10 * time.Second}).DialContext(ctx,
		"ws://"+u.Host+"/api/v1/live?topic=queue", hdr)
	if err != nil {
		return 0, 0, fmt.Errorf("dial the queue topic: %w", err)
	}
	resp.Body.Close()
	defer conn.Close()
	var msg struct {
		Type string `json:"type"`
	}
	if err := conn.ReadJSON(&msg); err != nil || msg.Type != "snapshot" {
		return 0, 0, fmt.Errorf("queue topic: first message %q, %v", msg.Type, err)
	}
	var today struct {
		Waiting int `json:"waiting_now"`
	}
	if err := a.do("GET", "/api/v1/reports/today", nil, "", http.StatusOK, &today); err != nil {
		return 0, 0, err
	}
	var lives, issues []float64
	for range n {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		want := today.Waiting + 1
		t0 := time.Now()
		if err := a.do("POST", "/api/v1/tickets", map[string]string{"service_id": "general"}, kiosk, http.StatusCreated, nil); err != nil {
			return 0, 0, err
		}
		issues = append(issues, ms(time.Since(t0)))
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		for msg.Type != "issued" {
			var raw json.RawMessage
			if err := conn.ReadJSON(&raw); err != nil {
				return 0, 0, fmt.Errorf("queue topic: %w", err)
			}
			if err := json.Unmarshal(raw, &msg); err != nil {
				return 0, 0, err
			}
		}
		msg.Type = ""
		if err := a.do("GET", "/api/v1/reports/today", nil, "", http.StatusOK, &today); err != nil {
			return 0, 0, err
		}
		if today.Waiting != want {
			return 0, 0, errors.New("today's view did not count the new ticket after its event")
		}
		lives = append(lives, ms(time.Since(t0)))
	}
	slices.Sort(lives)
	slices.Sort(issues)
	return lives[len(lives)/2], issues[len(issues)/2], nil
}
