package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"queuebox/printer"
	"queuebox/server/queue"
	"queuebox/server/store"
)

// printers owns one print queue per printer URL: the branch's default from
// the config and any a kiosk device names. Each queue has one goroutine that
// alone talks to its printer; issuing a ticket only hands it a job.
type printers struct {
	log     *slog.Logger
	opts    printer.QueueOptions
	def     string
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	queues  map[string]*printer.Queue
	reprint map[string]int
}

func newPrinters(def string, o printer.QueueOptions) (*printers, error) {
	if err := printer.ParseURL(def); err != nil {
		return nil, fmt.Errorf("printer.url: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &printers{log: o.Logger, opts: o, def: def, ctx: ctx, cancel: cancel, queues: map[string]*printer.Queue{}, reprint: map[string]int{}}, nil
}

// queue returns the print queue for url ("" = the default), starting it once.
func (p *printers) queue(url string) (*printer.Queue, error) {
	if url == "" {
		url = p.def
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if q, ok := p.queues[url]; ok {
		return q, nil
	}
	q, err := printer.NewQueue(url, p.opts)
	if err != nil {
		return nil, err
	}
	p.queues[url] = q
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		q.Run(p.ctx)
	}()
	return q, nil
}

func (p *printers) close() {
	p.cancel()
	p.wg.Wait()
}

// printTicket hands a ticket to the printer of the device that issued it and
// returns at once with the job's outcome so far.
func (s *Server) printTicket(v queue.TicketView, dev *store.Device, jobID string) printer.Outcome {
	url := ""
	if dev != nil {
		url = dev.PrinterURL
	}
	q, err := s.printers.queue(url)
	if err != nil {
		s.log.Warn("printer unavailable", "err", err)
		return printer.OutcomeFailed
	}
	return q.Submit(jobID, s.printable(v))
}

func (s *Server) printable(v queue.TicketView) printer.Ticket {
	st := s.engine.Settings()
	t := printer.Ticket{
		Branch: st.BranchName, Number: v.Number, IssuedAt: v.IssuedAt, Ahead: v.Ahead,
		StatusURL: s.statusURL(v.Token), Footer: s.cfg.Printer.Footer,
	}
	if loc, err := time.LoadLocation(st.Timezone); err == nil {
		t.IssuedAt = t.IssuedAt.In(loc)
	}
	// The range the ticket was promised, as the kiosk shows it.
	t.WaitMinMin, t.WaitMaxMin = queue.RangeMinutes(v.EWTLowSeconds, v.EWTHighSeconds)
	if v.EWTSeconds <= 0 {
		t.WaitMinMin, t.WaitMaxMin = 0, 0
	}
	if svc, err := s.engine.Service(v.ServiceID); err == nil {
		t.ServiceZH, t.ServiceEN = svc.Names["zh"], svc.Names["en"]
		if t.ServiceEN == "" {
			t.ServiceEN = svc.Name
		}
	}
	return t
}

// getPrinter reports the default printer's state for the console's alert.
func (s *Server) getPrinter(c echo.Context) error {
	q, err := s.printers.queue("")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, q.Status())
}

// ticketPrint tells a kiosk how printing its ticket went.
func (s *Server) ticketPrint(c echo.Context) error {
	id := c.Param("id")
	if _, err := s.engine.Ticket(id); err != nil {
		return err
	}
	url := ""
	if d := who(c).device; d != nil {
		url = d.PrinterURL
	}
	q, err := s.printers.queue(url)
	if err != nil {
		return err
	}
	out := q.Outcome(id)
	if out == "" {
		out = "none"
	}
	return c.JSON(http.StatusOK, map[string]any{"print": out, "printer": q.Status()})
}

// reprintTicket prints a ticket again on staff request (a lost or failed
// ticket). Each request is its own job, so a deliberate reprint is not
// mistaken for a duplicate of the first print.
func (s *Server) reprintTicket(c echo.Context) error {
	v, err := s.engine.Ticket(c.Param("id"))
	if err != nil {
		return err
	}
	if !v.Status.Active() {
		return errNotWaiting.with("ticket %s is %s; only an active ticket is printed", v.Number, v.Status)
	}
	s.printers.mu.Lock()
	s.printers.reprint[v.ID]++
	n := s.printers.reprint[v.ID]
	s.printers.mu.Unlock()
	out := s.printTicket(v, nil, v.ID+"/reprint-"+strconv.Itoa(n))
	return c.JSON(http.StatusAccepted, map[string]any{"print": out})
}
