package server

import (
	"crypto/subtle"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"queuebox/printer"
	"queuebox/server/bus"
	"queuebox/server/queue"
	"queuebox/server/store"
)

// metrics holds the box's Prometheus metrics, on a registry of its own (a
// test may run several servers in one process). Counters of tickets come
// from the event bus; gauges are read from the engine, hub, printers and
// database when scraped.
type metrics struct {
	reg *prometheus.Registry

	issued, called, done, noShow, cancelled, expired *prometheus.CounterVec
	wait                                             *prometheus.HistogramVec
	hooks                                            *prometheus.CounterVec
	prints                                           *prometheus.CounterVec
	requests                                         *prometheus.CounterVec
	duration                                         *prometheus.HistogramVec
	commits                                          prometheus.Histogram
	commitChanges                                    prometheus.Counter
	services                                         func() []queue.ServiceView

	// Children looked up once: a lookup by label values hashes them and
	// makes a slice, for every request and every event.
	childMu    sync.RWMutex
	perLabel   map[labelKey]prometheus.Counter
	perRequest map[requestKey]requestMetrics
}

// requestKey names one kind of HTTP request's metrics.
type requestKey struct {
	method, route string
	status        int
}

type requestMetrics struct {
	count prometheus.Counter
	took  prometheus.Observer
}

// labelKey names a one-label counter vector's child for one value (a
// service, a print outcome).
type labelKey struct {
	vec   *prometheus.CounterVec
	value string
}

// of is vec's counter for the label value.
func (m *metrics) of(vec *prometheus.CounterVec, value string) prometheus.Counter {
	k := labelKey{vec, value}
	m.childMu.RLock()
	c, ok := m.perLabel[k]
	m.childMu.RUnlock()
	if !ok {
		c = vec.WithLabelValues(value)
		m.childMu.Lock()
		m.perLabel[k] = c
		m.childMu.Unlock()
	}
	return c
}

func newCounterVec(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

// startMetrics builds the registry and subscribes the ticket counters to the
// bus (lossless: they catch up from the log if they ever lag).
func (s *Server) startMetrics() {
	m := &metrics{
		reg:        prometheus.NewRegistry(),
		perLabel:   map[labelKey]prometheus.Counter{},
		perRequest: map[requestKey]requestMetrics{},
		issued:     newCounterVec("queuebox_tickets_issued_total", "Tickets issued, by service.", "service"),
		called:     newCounterVec("queuebox_tickets_called_total", "First calls of tickets (recalls not counted), by service.", "service"),
		done:       newCounterVec("queuebox_tickets_done_total", "Tickets finished as served, by service.", "service"),
		noShow:     newCounterVec("queuebox_tickets_no_show_total", "Tickets closed as no-shows, by service.", "service"),
		cancelled:  newCounterVec("queuebox_tickets_cancelled_total", "Tickets cancelled, by service.", "service"),
		expired:    newCounterVec("queuebox_tickets_expired_total", "Tickets closed unserved by the day's end or a send-home at closing, by service.", "service"),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "queuebox_wait_seconds",
			Help:    "Time from issue to first call, by service.",
			Buckets: []float64{30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200},
		}, []string{"service"}),
		hooks:    newCounterVec("queuebox_webhook_deliveries_total", "Webhook delivery attempts, by result (ok or failed).", "result"),
		prints:   newCounterVec("queuebox_print_jobs_total", "Print jobs handed to a printer queue, by their outcome at that moment.", "outcome"),
		requests: newCounterVec("queuebox_http_requests_total", "HTTP requests, by method, route pattern and status code.", "method", "route", "code"),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "queuebox_http_request_duration_seconds",
			Help:    "HTTP request durations, by method and route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route"}),
		commits: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "queuebox_db_commit_seconds",
			Help:    "Time of each database commit, fsync included.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
		commitChanges: prometheus.NewCounter(prometheus.CounterOpts{Name: "queuebox_db_committed_changes_total", Help: "Changes written by database commits (several share one commit under load)."}),
	}
	m.reg.MustRegister(m.issued, m.called, m.done, m.noShow, m.cancelled, m.expired, m.wait, m.hooks, m.prints,
		m.requests, m.duration, m.commits, m.commitChanges,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		gauges{s})
	m.services = s.engine.Services
	m.listServices()
	s.metrics = m
	s.db.ObserveCommits(func(d time.Duration, changes int) {
		m.commits.Observe(d.Seconds())
		m.commitChanges.Add(float64(changes))
	})
	s.bus.Subscribe(bus.Options{Name: "metrics"}, m.event)
}

// listServices makes every counter of every service show, at zero until it
// counts.
func (m *metrics) listServices() {
	for _, svc := range m.services() {
		for _, c := range []*prometheus.CounterVec{m.issued, m.called, m.done, m.noShow, m.cancelled, m.expired} {
			c.WithLabelValues(svc.ID)
		}
	}
}

// event counts one committed event.
func (m *metrics) event(ev queue.Event) {
	// A new database is configured with a settings event; services come
	// and go with service events.
	if ev.Type == queue.EventService || ev.Type == queue.EventSettings {
		m.listServices()
	}
	if ev.Ticket == nil {
		return
	}
	svc := ev.Ticket.ServiceID
	switch ev.Type {
	case queue.EventIssued:
		m.of(m.issued, svc).Inc()
	case queue.EventCalled:
		if ev.Recall {
			return
		}
		m.of(m.called, svc).Inc()
		// A ticket called back from the parked list was called before.
		if t := ev.Ticket; t.CalledAt != nil && t.ParkedAt == nil && t.Recalls == 0 {
			m.wait.WithLabelValues(svc).Observe(t.CalledAt.Sub(t.IssuedAt).Seconds())
		}
	case queue.EventFinished:
		m.of(m.done, svc).Inc()
	case queue.EventNoShow:
		m.of(m.noShow, svc).Inc()
	case queue.EventCancelled:
		m.of(m.cancelled, svc).Inc()
	case queue.EventExpired:
		m.of(m.expired, svc).Inc()
	}
}

// webhookAttempt counts one webhook delivery attempt. Nil-safe: the sender
// may be built without metrics.
func (m *metrics) webhookAttempt(a store.WebhookAttempt) {
	if m == nil {
		return
	}
	if a.OK {
		m.hooks.WithLabelValues("ok").Inc()
	} else {
		m.hooks.WithLabelValues("failed").Inc()
	}
}

// printJob counts a print job by what became of it on submission (queued,
// or at once disabled or failed).
func (m *metrics) printJob(o printer.Outcome) {
	if m != nil {
		m.of(m.prints, string(o)).Inc()
	}
}

// request counts one HTTP request under its route pattern (never the raw
// path, which may hold a ticket token).
func (m *metrics) request(method, route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	k := requestKey{method, route, status}
	m.childMu.RLock()
	rm, ok := m.perRequest[k]
	m.childMu.RUnlock()
	if !ok {
		rm = requestMetrics{m.requests.WithLabelValues(method, route, strconv.Itoa(status)), m.duration.WithLabelValues(method, route)}
		m.childMu.Lock()
		m.perRequest[k] = rm
		m.childMu.Unlock()
	}
	rm.count.Inc()
	rm.took.Observe(d.Seconds())
}

// gauges are read when scraped.
type gauges struct{ s *Server }

var (
	descWaiting = prometheus.NewDesc("queuebox_waiting_tickets", "Tickets waiting now, by service.", []string{"service"}, nil)
	descLive    = prometheus.NewDesc("queuebox_live_clients", "Connected live-update clients, by topic.", []string{"topic"}, nil)
	descQueued  = prometheus.NewDesc("queuebox_print_jobs_queued", "Print jobs waiting for a printer, by printer.", []string{"printer"}, nil)
	descPrinter = prometheus.NewDesc("queuebox_printer_state", "1 for each printer's current state (ok, offline, paper_out, cover_open, unknown, disabled).", []string{"printer", "state"}, nil)
	descDBSize  = prometheus.NewDesc("queuebox_db_size_bytes", "Size of the database file.", nil, nil)
	descDBWrite = prometheus.NewDesc("queuebox_db_written_bytes_total", "Bytes of the database pages written by its transactions since the box started (each commit's meta page aside).", nil, nil)
	descHooks   = prometheus.NewDesc("queuebox_webhooks", "Configured webhooks.", nil, nil)
)

func (gauges) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descWaiting, descLive, descQueued, descPrinter, descDBSize, descDBWrite, descHooks} {
		ch <- d
	}
}

func (g gauges) Collect(ch chan<- prometheus.Metric) {
	s := g.s
	for _, svc := range s.engine.Services() {
		ch <- prometheus.MustNewConstMetric(descWaiting, prometheus.GaugeValue, float64(svc.Waiting), svc.ID)
	}
	byTopic := s.hub.ClientsByTopic()
	for _, topic := range []string{"display", "queue", "status"} {
		byTopic[topic] += 0 // every topic shows, at zero too
	}
	for topic, n := range byTopic {
		ch <- prometheus.MustNewConstMetric(descLive, prometheus.GaugeValue, float64(n), topic)
	}
	s.printers.mu.Lock()
	for url, q := range s.printers.queues {
		st := q.Status()
		name := printerLabel(url)
		ch <- prometheus.MustNewConstMetric(descQueued, prometheus.GaugeValue, float64(st.Queued), name)
		ch <- prometheus.MustNewConstMetric(descPrinter, prometheus.GaugeValue, 1, name, string(st.State))
	}
	s.printers.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(descDBSize, prometheus.GaugeValue, float64(s.db.Size()))
	ch <- prometheus.MustNewConstMetric(descDBWrite, prometheus.CounterValue, float64(s.db.WriteStats().Bytes))
	if hooks, err := s.db.Webhooks(); err == nil {
		ch <- prometheus.MustNewConstMetric(descHooks, prometheus.GaugeValue, float64(len(hooks)))
	}
}

// printerLabel names a printer by its URL without any user or query part.
func printerLabel(url string) string {
	if i := strings.IndexAny(url, "?#"); i >= 0 {
		url = url[:i]
	}
	if i := strings.Index(url, "@"); i >= 0 {
		if j := strings.Index(url, "://"); j >= 0 && j < i {
			url = url[:j+3] + url[i+1:]
		}
	}
	return url
}

// getMetrics serves /metrics: open to the box itself (loopback), to others
// only with the configured bearer token.
func (s *Server) getMetrics(c echo.Context) error {
	if !s.metricsAllowed(c) {
		if s.cfg.Metrics.Token == "" {
			return errForbidden.with("metrics are open to the box itself only; set metrics.token to scrape them from elsewhere")
		}
		return errForbidden.with("send the metrics token as Authorization: Bearer TOKEN")
	}
	promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}).ServeHTTP(c.Response(), c.Request())
	return nil
}

func (s *Server) metricsAllowed(c echo.Context) bool {
	if ip := net.ParseIP(c.RealIP()); ip != nil && ip.IsLoopback() {
		return true
	}
	want := s.cfg.Metrics.Token
	got, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
	return ok && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
