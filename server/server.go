// Package server wires queuebox together: it opens the store, builds the
// queue engine, the live hub, the printer queue and the HTTP routes, and
// runs them until it is told to stop.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"queuebox/printer"
	"queuebox/server/access"
	"queuebox/server/bus"
	"queuebox/server/config"
	"queuebox/server/customers"
	"queuebox/server/live"
	"queuebox/server/queue"
	"queuebox/server/store"
	"queuebox/server/webhook"
)

// Version is set at build time with -ldflags "-X queuebox/server.Version=…".
var Version = "dev"

// Server is one running branch box.
type Server struct {
	cfg       *config.Config
	log       *slog.Logger
	clock     queue.Clock
	db        *store.DB
	engine    *queue.Engine
	echo      *echo.Echo
	publicURL string
	logins    *loginThrottle
	limits    limitOptions
	hub       *live.Hub
	places    *placeCache // the waiting tickets' places the phones are sent
	bus       *bus.Bus
	hooks     *webhook.Sender
	metrics   *metrics
	presence  *presence
	printers  *printers
	bookLimit *limiter
	codeLimit *limiter // look-ups by booking code: codes must not be guessable by trying
	// checkinLimit counts failed check-ins per device (or user): a kiosk's
	// token must not be a way to try booking codes.
	checkinLimit *keyedRate
	qr           *qrCache
	qrLimit      *keyedRate // QR renders per client address
	seats        *seats     // which counter each clerk's console is at
	erasure      erasure    // erasing customers (erase.go)

	// Background work (the no-show sweep) runs until stop.
	stop context.CancelFunc
	bg   sync.WaitGroup

	// Notices are printed once at start (first admin password, demo kiosk).
	Notices []string
	// deviceSources holds each device's source ("device:ID") once made
	// (see deviceSource).
	deviceSources sync.Map
}

// Options are the parts tests replace.
type Options struct {
	// Clock replaces the real clock (and QUEUEBOX_CLOCK_FILE).
	Clock queue.Clock
	// NotBefore is the earliest date the clock may read; with the real
	// clock it defaults to the build date.
	NotBefore time.Time
	// PublicURL overrides the config and the address guess.
	PublicURL string
	// MaxSize caps the database file in bytes (0: no cap); see store.Options.
	MaxSize int

	// Per-address caps and timeouts (0: the defaults in limits.go), and
	// whether the box's own loopback addresses are capped too (tests).
	ConnsPerAddr, LivePerAddr int
	ReadTimeout, WriteTimeout time.Duration
	LimitLoopback             bool
	// WebhookMinBackoff and WebhookMaxBackoff bound the waits between a
	// webhook's retries (defaults 1 s and 5 min).
	WebhookMinBackoff, WebhookMaxBackoff time.Duration
	// WebhookSaveAfter is how long a webhook that has caught up waits for
	// more events before saving its cursor and delivery log (default
	// 100 ms); tests that count the writes lengthen it.
	WebhookSaveAfter time.Duration
}

// New opens the database in cfg.Data and builds the server.
func New(cfg *config.Config, log *slog.Logger, o Options) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = newBoxClock(cfg.ClockFile, log)
		if o.NotBefore.IsZero() {
			o.NotBefore = buildFloor()
		}
	}
	seed, err := seedFromConfig(cfg)
	if err != nil {
		return nil, err
	}
	width := printer.Width80mm
	if cfg.Printer.WidthMM == 58 {
		width = printer.Width58mm
	}
	prn, err := newPrinters(cfg.Printer.URL, cfg.Printer.AllowedDevices, printer.QueueOptions{
		Encode: printer.Options{Width: width, NativeQR: cfg.Printer.NativeQR, Lang: cfg.Printer.Lang},
		Logger: log,
	})
	if err != nil {
		return nil, configErr(cfg, err)
	}
	// A certificate that cannot be read stops the start before the
	// database (and a first admin's password) is made.
	if _, err := loadTLS(cfg); err != nil {
		prn.close()
		return nil, err
	}
	db, err := store.Open(cfg.Data, store.Options{MaxSize: o.MaxSize})
	if err != nil {
		prn.close()
		return nil, err
	}
	s := &Server{cfg: cfg, log: log, clock: o.Clock, db: db, printers: prn,
		logins: newLoginThrottle(), limits: o.limits(), bookLimit: newLimiter(10, time.Hour),
		codeLimit: newLimiter(30, 10*time.Minute), checkinLimit: newKeyedRate(checkinFailuresPerMinute, checkinBurst),
		qr: newQRCache(qrCacheSize), qrLimit: newKeyedRate(qrRendersPerMinute, qrBurst), seats: newSeats()}
	if err := s.init(seed, o); err != nil {
		s.stopLive()
		s.stopWebhooks()
		s.stopBus()
		prn.close()
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) init(seed *seedConfig, o Options) error {
	var err error
	s.engine, err = queue.New(warmingStore{DB: s.db, s: s}, s.clock, s.log)
	if errors.Is(err, store.ErrCorrupted) {
		return fmt.Errorf("%w. Restore a backup with: queuebox restore BACKUP_FILE --data %s", err, s.cfg.Data)
	}
	if err != nil {
		return err
	}
	s.engine.SetNotBefore(o.NotBefore)
	s.learnHistory()
	// The bus and its subscribers listen before the first change, so they
	// miss none.
	s.startBus()
	s.startMetrics()
	s.startLive()
	if err := s.startWebhooks(o); err != nil {
		return err
	}
	if !s.engine.Configured() {
		if err := s.engine.Seed(seed.settings, seed.services, seed.counters); err != nil {
			return fmt.Errorf("seed configuration: %w", err)
		}
		if len(seed.tiers) > 0 {
			if _, err := s.engine.PutTiers(seed.tiers, "config"); err != nil {
				return fmt.Errorf("seed tiers: %w", err)
			}
		}
		s.log.Info("new database configured from config", "services", len(seed.services), "counters", len(seed.counters), "tiers", len(seed.tiers))
	}
	if err := s.ensureAdmin(); err != nil {
		return err
	}
	s.finishErasures()
	s.publicURL = o.PublicURL
	if s.publicURL == "" {
		s.publicURL = s.cfg.PublicURL
	}
	s.echo = s.newEcho()
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	s.bg.Add(2)
	go s.sweep(ctx)
	go s.retain(ctx)
	return nil
}

// historyEvents is how much of the event log the wait model reads at
// start-up: some weeks of a busy branch, read in well under a second.
const historyEvents = 30000

// learnHistory feeds the recent event log to the wait model, so a restart
// does not forget how long services take. It reads the events leanly
// (store.ModelEvents): decoding them in full was most of a start-up.
func (s *Server) learnHistory() {
	last := s.engine.LastSeq()
	var since uint64
	if last > historyEvents {
		since = last - historyEvents
	}
	evs, err := s.db.ModelEvents(since, historyEvents)
	if err != nil {
		s.log.Warn("read history for the wait model", "err", err)
		return
	}
	s.engine.Learn(evs)
}

// sweep runs the engine's heartbeat every second — it watches the clock
// (trust, steps), closes business days that ended and marks lapsed
// appointments as no-shows, so the booking page and the staff list are
// right without anyone checking in — and forgets expired sessions every hour.
func (s *Server) sweep(ctx context.Context) {
	defer s.bg.Done()
	appts := time.NewTicker(time.Second)
	defer appts.Stop()
	sessions := time.NewTicker(time.Hour)
	defer sessions.Stop()
	retiered := "" // business date of the last re-tiering
	calls := time.NewTicker(5 * time.Second)
	defer calls.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-calls.C:
			// The no-show chain: called customers who did not come.
			if _, err := s.engine.ExpireCalls(); err != nil {
				s.log.Warn("call sweep", "err", err)
			}
		case <-appts.C:
			if _, err := s.engine.Tick(); err != nil {
				s.log.Warn("clock tick", "err", err)
			}
		case <-sessions.C:
			if _, err := s.db.PruneSessions(s.clock.Now()); err != nil {
				s.log.Warn("session sweep", "err", err)
			}
			s.endLapsedSockets()
			// Once a day, spending and visits that left their window
			// re-tier customers, and retention erases the long unseen.
			if d := businessDate(s.clock.Now(), s.engine.Settings().Timezone); d != retiered {
				if err := s.retierAll("nightly"); err != nil {
					s.log.Warn("customer sweep", "err", err)
				} else {
					retiered = d
				}
			}
		}
	}
}

// seedConfig is the config file turned into queue values and validated with
// the same rules the admin API applies.
type seedConfig struct {
	settings queue.Settings
	services []queue.Service
	counters []queue.Counter
	tiers    []queue.Tier
}

func seedFromConfig(cfg *config.Config) (*seedConfig, error) {
	sc := &seedConfig{settings: queue.DefaultSettings()}
	b := cfg.Branch
	if b.Name != "" {
		sc.settings.BranchName = b.Name
	}
	if b.Timezone != "" {
		sc.settings.Timezone = b.Timezone
	}
	if b.Hours != nil {
		sc.settings.Hours = b.Hours
	}
	if b.MaxWaitMinutes != nil {
		sc.settings.MaxWaitMinutes = *b.MaxWaitMinutes
	}
	if b.CheckinEarlyMinutes != nil {
		sc.settings.CheckinEarlyMinutes = *b.CheckinEarlyMinutes
	}
	if b.CheckinLateMinutes != nil {
		sc.settings.CheckinLateMinutes = *b.CheckinLateMinutes
	}
	if b.NearTurnPlace != nil {
		sc.settings.NearTurnPlace = *b.NearTurnPlace
	}
	sc.settings.PriorityWeights = b.PriorityWeights
	for _, kv := range []struct {
		from *int
		to   *int
	}{
		{b.TicketsPerPhonePerDay, &sc.settings.TicketsPerPhonePerDay},
		{b.GraceSeconds, &sc.settings.GraceSeconds},
		{b.PushBackPlaces, &sc.settings.PushBackPlaces},
		{b.MaxRecalls, &sc.settings.MaxRecalls},
		{b.NoShowLimit, &sc.settings.NoShowLimit},
		{b.NoShowWindowDays, &sc.settings.NoShowWindowDays},
		{b.BookingBlockDays, &sc.settings.BookingBlockDays},
		{b.RetentionMonths, &sc.settings.RetentionMonths},
		{b.AppointmentHoldMinutes, &sc.settings.AppointmentHoldMinutes},
	} {
		if kv.from != nil {
			*kv.to = *kv.from
		}
	}
	if b.PhoneRegion != "" && !customers.ValidRegion(b.PhoneRegion) {
		return nil, configErr(cfg, fmt.Errorf("branch.phone_region: %q is not a region code like CN or GB", b.PhoneRegion))
	}
	for _, t := range cfg.Tiers {
		sc.tiers = append(sc.tiers, queue.Tier{ID: t.ID, Name: t.Name, Names: t.Names, MinSpend: t.MinSpend,
			MinVisits: t.MinVisits, WindowDays: t.WindowDays, Share: t.Share, SLAWaitSeconds: t.SLAWaitSeconds,
			SLATarget: t.SLATarget, Counters: t.Counters, PreferCounters: t.PreferCounters})
	}
	for _, s := range cfg.Services {
		sc.services = append(sc.services, queue.Service{
			ID: s.ID, Prefix: s.Prefix, Name: s.Name, Names: s.Names,
			AvgServiceSeconds: s.AvgServiceSeconds, SlotMinutes: s.SlotMinutes, SlotCapacity: s.SlotCapacity,
		})
	}
	for _, c := range cfg.Counters {
		sc.counters = append(sc.counters, queue.Counter{ID: c.ID, Name: c.Name, Names: c.Names, ServiceIDs: c.ServiceIDs, Schedule: c.Schedule})
	}
	if err := queue.ValidateSeed(sc.settings, sc.services, sc.counters); err != nil {
		var ve *queue.ValidationError
		if errors.As(err, &ve) {
			key := ve.Field
			if !strings.HasPrefix(key, "services[") && !strings.HasPrefix(key, "counters[") {
				key = "branch." + key
			}
			return nil, configErr(cfg, fmt.Errorf("%s: %s", key, ve.Reason))
		}
		return nil, configErr(cfg, err)
	}
	if len(sc.tiers) > 0 {
		ids := map[string]bool{}
		for _, c := range sc.counters {
			ids[c.ID] = true
		}
		if err := queue.ValidateTiers(sc.tiers, ids); err != nil {
			return nil, configErr(cfg, err)
		}
	}
	return sc, nil
}

// configErr names the config file an error comes from; without one the
// value came from a flag or the environment and the error names its key.
func configErr(cfg *config.Config, err error) error {
	if cfg.File == "" {
		return err
	}
	return fmt.Errorf("config %s: %w", cfg.File, err)
}

// ensureAdmin creates the user admin when there is no admin yet.
func (s *Server) ensureAdmin() error {
	users, err := s.db.Users()
	if err != nil {
		return err
	}
	for _, u := range users {
		if account(u).ActiveAdmin() {
			return nil
		}
	}
	pw := s.cfg.AdminPassword
	generated := pw == ""
	if generated {
		pw = randomToken(12)
	}
	hash, err := HashPassword(pw)
	if err != nil {
		return fmt.Errorf("QUEUEBOX_ADMIN_PASSWORD: %w", err)
	}
	if err := s.db.PutUser(store.User{Username: "admin", Role: access.RoleAdmin.String(), Hash: hash, CreatedAt: s.clock.Now()}); err != nil {
		return fmt.Errorf("create admin: %w", err)
	}
	if generated {
		s.Notices = append(s.Notices, fmt.Sprintf("created user admin with password %s (shown once; change it in /admin/)", pw))
	} else {
		s.Notices = append(s.Notices, "created user admin with the password from QUEUEBOX_ADMIN_PASSWORD")
	}
	return nil
}

// Handler is the HTTP handler of every route and page.
func (s *Server) Handler() http.Handler { return s.echo }

// Engine is the queue engine (for tools and tests in this module).
func (s *Server) Engine() *queue.Engine { return s.engine }

// DB is the store (for tools and tests in this module).
func (s *Server) DB() *store.DB { return s.db }

// Close stops background work and closes the database.
func (s *Server) Close() error {
	if s.stop != nil {
		s.stop()
		s.bg.Wait()
	}
	s.stopLive()
	s.stopWebhooks()
	s.stopBus()
	s.printers.close()
	return s.db.Close()
}

// Serve answers on ln until ctx ends, then shuts down gracefully. With a
// certificate in the config (--tls-cert, --tls-key) it serves HTTPS.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	tlsConf, err := s.tlsConfig()
	if err != nil {
		return err
	}
	if s.publicURL == "" {
		s.publicURL = guessPublicURL(ln.Addr(), tlsConf != nil)
	}
	hs := &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: min(readHeaderTimeout, s.limits.readTimeout),
		ReadTimeout:       s.limits.readTimeout,
		WriteTimeout:      s.limits.writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	ln = s.capListener(ln)
	if tlsConf != nil {
		ln = tls.NewListener(ln, tlsConf)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Websockets are hijacked connections Shutdown does not wait for: the
	// hub closes them, telling clients to come back.
	s.hub.Close()
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shut); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// PublicURL is the base URL phones use.
func (s *Server) PublicURL() string { return s.publicURL }

// guessPublicURL picks the box's first non-loopback IPv4 address with the
// listening port, so printed QR codes work from phones on the same network.
func guessPublicURL(addr net.Addr, https bool) string {
	scheme := "http://"
	if https {
		scheme = "https://"
	}
	port := "8080"
	if ta, ok := addr.(*net.TCPAddr); ok {
		port = strconv.Itoa(ta.Port)
		if !ta.IP.IsUnspecified() {
			return scheme + net.JoinHostPort(ta.IP.String(), port)
		}
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			return scheme + net.JoinHostPort(ipn.IP.String(), port)
		}
	}
	return scheme + net.JoinHostPort("127.0.0.1", port)
}

// tlsConfig loads the certificate named in the config, nil without one.
func (s *Server) tlsConfig() (*tls.Config, error) { return loadTLS(s.cfg) }

func loadTLS(cfg *config.Config) (*tls.Config, error) {
	if cfg.TLS.Cert == "" && cfg.TLS.Key == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLS.Cert, cfg.TLS.Key)
	if err != nil {
		return nil, fmt.Errorf("load tls certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
