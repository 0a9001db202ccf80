package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"
)

// webhookSection measures issuing with three webhooks configured — two
// receivers that answer at once and one address where nothing listens —
// against the same server with none, taking turns in the same run. The
// live receivers run in this process, on loopback, so their work competes
// for the same cores as the server's: a box whose receivers are elsewhere
// does better.
//
// Issuing costs more as the queue grows, and strict alternation gave the
// webhooks the longer queue every time (0.79× with no webhooks on either
// side): each turn now starts with nobody waiting (the admin's "send
// everyone home"), and the turns go without, with, with, without, … (each
// pair in the other order) so that a drift in the machine falls on both
// sides alike. Beside the rates, which follow whatever else the machine
// runs, the section reports the server's CPU time per ticket on each side
// and what delivering the load's events cost it afterwards.
func (b *bench) webhookSection(ctx context.Context) error {
	srv, a, kiosk, err := b.serverWithKiosk(ctx, "webhooks")
	if err != nil {
		return err
	}
	defer srv.stop()
	var got atomic.Int64
	live := make([]*httptest.Server, 2)
	for i := range live {
		live[i] = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			got.Add(1)
			w.WriteHeader(http.StatusNoContent)
		}))
		defer live[i].Close()
	}
	dead, err := deadURL()
	if err != nil {
		return err
	}
	urls := []string{live[0].URL + "/hook", live[1].URL + "/hook", dead}

	pid := srv.cmd.Process.Pid
	t := target{name: "server", url: "http://" + srv.addr + "/api/v1/tickets", bearer: kiosk, pid: pid}
	c := b.o.issueClients[len(b.o.issueClients)-1]
	const rounds = 4
	var without, with loadResult
	var catchUp, deliveryCPU time.Duration
	var delivered int
	// turns lists each turn's side, rate and CPU per ticket, in order.
	var turns []map[string]any
	turn := func(side string, r loadResult) {
		s := r.summary()
		turns = append(turns, map[string]any{"side": side, "per_second": s.Rate, "cpu_ms_per_request": s.CPUPerReq / 1000})
	}
	// Every turn starts with nobody waiting: issuing costs more as the
	// queue grows, and the turns must not differ in that.
	sendHome := func() error {
		return a.do("POST", "/api/v1/queue/send-home", nil, "", http.StatusOK, nil)
	}
	withHooks := func() error {
		var ids []string
		for _, u := range urls {
			var out struct{ ID string }
			if err := a.do("POST", "/api/v1/webhooks", map[string]any{"url": u, "events": []string{"*"}}, "", http.StatusCreated, &out); err != nil {
				return err
			}
			ids = append(ids, out.ID)
		}
		got.Store(0)
		r, err := load(ctx, t, c, b.o.issueTime/rounds, max(1, b.o.issueMax/rounds))
		if err != nil {
			return fmt.Errorf("with webhooks: %w", err)
		}
		with.add(r)
		turn("with", r)
		// The next turn without webhooks must not pay for this one's
		// deliveries: wait until both live receivers have every ticket.
		// (The warm-up requests count too: one per client.)
		stop, cpu := time.Now(), cpuUsed(pid)
		want := int64(2 * (r.n + c))
		for got.Load() < want {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			time.Sleep(time.Millisecond)
		}
		catchUp = max(catchUp, time.Since(stop))
		deliveryCPU += cpuUsed(pid) - cpu
		delivered += r.n + c
		for _, id := range ids {
			if err := a.do("DELETE", "/api/v1/webhooks/"+id, nil, "", http.StatusNoContent, nil); err != nil {
				return err
			}
		}
		return sendHome()
	}
	withoutHooks := func() error {
		r, err := load(ctx, t, c, b.o.issueTime/rounds, max(1, b.o.issueMax/rounds))
		if err != nil {
			return fmt.Errorf("without webhooks: %w", err)
		}
		without.add(r)
		turn("without", r)
		return sendHome()
	}
	for i := range rounds {
		pair := []func() error{withoutHooks, withHooks}
		if i%2 == 1 {
			pair[0], pair[1] = pair[1], pair[0]
		}
		for _, run := range pair {
			if err := run(); err != nil {
				return err
			}
		}
	}
	w, wo := with.summary(), without.summary()
	b.rep.set("webhooks_issue_rate", w.Rate, wo.Rate, "no webhooks")
	// CPU time comes in 10 ms ticks: a tiny run may see none.
	b.rep.set("webhooks_issue_cpu", w.CPUPerReq/1000, wo.CPUPerReq/1000, "no webhooks")
	perTicket := deliveryCPU.Seconds() * 1000 / float64(max(1, delivered))
	b.rep.set("webhooks_delivery_cpu", perTicket, wo.CPUPerReq/1000, "issuing, no webhooks")
	b.rep.detail("webhooks", map[string]any{"clients": c, "with": w, "without": wo, "catch_up_ms": catchUp.Milliseconds(),
		"delivery_cpu_ms_per_ticket": perTicket, "turns": turns})
	b.logf("webhooks, %d clients: %.0f/s with 3 webhooks (one dead) vs %.0f/s without; server CPU %.2f vs %.2f ms per ticket; receivers caught up %v after the load, delivering cost %.2f ms CPU per ticket",
		c, w.Rate, wo.Rate, w.CPUPerReq/1000, wo.CPUPerReq/1000, catchUp.Round(time.Millisecond), perTicket)
	return nil
}

// deadURL is a loopback address where nothing listens.
func deadURL() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/hook", nil
}
