package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

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

func newPrinters(def string, allowed []string, o printer.QueueOptions) (*printers, error) {
	if err := printerURLProblem(def, allowed); err != nil {
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

// usbPrinter is the device path of a USB printer (the kernel's usblp).
var usbPrinter = regexp.MustCompile(`^/dev/usb/lp[0-9]{1,3}$`)

// checkPrinterURL accepts what a ticket printer can be: tcp://HOST:PORT, a
// USB printer (file:///dev/usb/lpN), a device listed in the config key
// printer.allowed_devices, or none. Anything else would let an admin
// session make the box write ticket bytes into any file it may write.
func (s *Server) checkPrinterURL(raw string) error {
	if err := printerURLProblem(raw, s.cfg.Printer.AllowedDevices); err != nil {
		return errInvalid.with("printer_url %v", err)
	}
	return nil
}

func printerURLProblem(raw string, allowed []string) error {
	if err := printer.ParseURL(raw); err != nil {
		return err
	}
	if strings.ContainsFunc(raw, unicode.IsControl) {
		return errors.New("must not hold control characters")
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || !strings.EqualFold(u.Scheme, "file") {
		return nil // tcp:// and none; ParseURL checked them
	}
	if p := path.Clean(u.Path); p == u.Path && (usbPrinter.MatchString(p) || slices.Contains(allowed, p)) {
		return nil
	}
	return fmt.Errorf("%q: a file printer must be a USB printer device (file:///dev/usb/lp0) or a device listed in printer.allowed_devices", raw)
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
		s.metrics.printJob(printer.OutcomeFailed)
		return printer.OutcomeFailed
	}
	out := printer.OutcomeDisabled
	if !q.Disabled() {
		// A slip is made only for a printer: a box without one issues
		// every ticket without making one.
		out = q.Submit(jobID, s.printable(v))
	}
	s.metrics.printJob(out)
	return out
}

func (s *Server) printable(v queue.TicketView) printer.Ticket {
	// PrintInfo, not Settings and Service: a slip needs names only, and a
	// service view would replay the queue for its estimate on every ticket.
	info, ok := s.engine.PrintInfo(v.ServiceID)
	t := printer.Ticket{
		Branch: info.Branch, Number: v.Number, IssuedAt: v.IssuedAt, Ahead: v.Ahead,
		StatusURL: s.statusURL(v.Token), Footer: s.cfg.Printer.Footer,
	}
	if info.Location != nil {
		t.IssuedAt = t.IssuedAt.In(info.Location)
	}
	// The range the ticket was promised, as the kiosk shows it.
	t.WaitMinMin, t.WaitMaxMin = queue.RangeMinutes(v.EWTLowSeconds, v.EWTHighSeconds)
	if v.EWTSeconds <= 0 {
		t.WaitMinMin, t.WaitMaxMin = 0, 0
	}
	if ok {
		t.ServiceZH, t.ServiceEN = info.NameZH, info.NameEN
		if t.ServiceEN == "" {
			t.ServiceEN = info.ServiceName
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
	st := q.Status()
	if url != "" {
		// The error text of a printer an admin named (a refused or timed
		// out connection) would make the status a port scanner; the kiosk
		// needs only the state.
		st.LastError = ""
	}
	return c.JSON(http.StatusOK, map[string]any{"print": out, "printer": st})
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
