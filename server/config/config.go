// Package config loads queuebox's configuration: flags over environment
// variables over the YAML file over defaults. Each option is declared once,
// with its flag, variable and key together.
package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Config is everything queuebox serve needs.
type Config struct {
	Addr      string `yaml:"addr"`
	Data      string `yaml:"data"`
	PublicURL string `yaml:"public_url"`
	LogLevel  string `yaml:"log_level"`
	// RetentionDays is how many days of detailed history (tickets, events,
	// appointments) are kept; older days are kept as daily totals. "0"
	// keeps everything. Read it as Retention after Validate.
	RetentionDays string `yaml:"retention_days"`
	// Retention is RetentionDays as a number, set by Validate.
	Retention int `yaml:"-"`

	Branch   Branch    `yaml:"branch"`
	Services []Service `yaml:"services"`
	Counters []Counter `yaml:"counters"`
	Printer  Printer   `yaml:"printer"`
	TLS      TLS       `yaml:"tls"`
	// Tiers are the customer tiers, best first; the last is the default.
	Tiers   []Tier  `yaml:"tiers"`
	Metrics Metrics `yaml:"metrics"`

	// File is the YAML file the config came from ("" for none).
	File string `yaml:"-"`
	// AdminPassword comes only from the environment, never from a file.
	AdminPassword string `yaml:"-"`
	// ClockFile (QUEUEBOX_CLOCK_FILE, environment only) is a testing and
	// training aid: a file whose offset (a Go duration) shifts the wall clock.
	ClockFile string `yaml:"-"`
}

// Branch is the branch's identity and calendar.
type Branch struct {
	Name     string            `yaml:"name"`
	Timezone string            `yaml:"timezone"`
	Hours    map[string]string `yaml:"hours"`
	// MaxWaitMinutes is the anti-starvation cap of the routing policy.
	MaxWaitMinutes *int `yaml:"max_wait_minutes"`
	// The appointment check-in window around a slot's start.
	CheckinEarlyMinutes *int `yaml:"checkin_early_minutes"`
	CheckinLateMinutes  *int `yaml:"checkin_late_minutes"`
	// NearTurnPlace: a ticket moving up to this place is told (0 = off).
	NearTurnPlace *int `yaml:"near_turn_place"`
	// PriorityWeights makes levels take turns (index = level); empty = strict priority.
	PriorityWeights []int `yaml:"priority_weights"`
	// AppointmentHoldMinutes plans desks ahead for booked slots (0 = off).
	AppointmentHoldMinutes *int `yaml:"appointment_hold_minutes"`
	// PhoneRegion reads phone numbers typed without a country code (ISO
	// 3166 code, e.g. CN).
	PhoneRegion string `yaml:"phone_region"`
	// Customers' limits and the no-show chain (see configs/queuebox.yaml).
	TicketsPerPhonePerDay *int `yaml:"tickets_per_phone_per_day"`
	GraceSeconds          *int `yaml:"grace_seconds"`
	PushBackPlaces        *int `yaml:"push_back_places"`
	MaxRecalls            *int `yaml:"max_recalls"`
	NoShowLimit           *int `yaml:"no_show_limit"`
	NoShowWindowDays      *int `yaml:"no_show_window_days"`
	BookingBlockDays      *int `yaml:"booking_block_days"`
	RetentionMonths       *int `yaml:"retention_months"`
}

// Tier seeds a customer tier when the database is new.
type Tier struct {
	ID             string            `yaml:"id"`
	Name           string            `yaml:"name"`
	Names          map[string]string `yaml:"names"`
	MinSpend       float64           `yaml:"min_spend"`
	MinVisits      int               `yaml:"min_visits"`
	WindowDays     int               `yaml:"window_days"`
	Share          float64           `yaml:"share"`
	SLAWaitSeconds int               `yaml:"sla_wait_seconds"`
	SLATarget      float64           `yaml:"sla_target"`
	Counters       []string          `yaml:"counters"`
	PreferCounters []string          `yaml:"prefer_counters"`
}

// Service seeds a service when the database is new.
type Service struct {
	ID                string            `yaml:"id"`
	Prefix            string            `yaml:"prefix"`
	Name              string            `yaml:"name"`
	Names             map[string]string `yaml:"names"`
	AvgServiceSeconds int               `yaml:"avg_service_seconds"`
	SlotMinutes       int               `yaml:"slot_minutes"`
	SlotCapacity      int               `yaml:"slot_capacity"`
}

// Counter seeds a counter when the database is new.
type Counter struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Names are the counter's name per language (zh, en), as for services.
	Names      map[string]string `yaml:"names"`
	ServiceIDs []string          `yaml:"service_ids"`
	// Schedule is the desk's weekly working hours (mon..sun: "HH:MM-HH:MM,…").
	Schedule map[string]string `yaml:"schedule"`
}

// Printer is the ticket printer.
type Printer struct {
	URL string `yaml:"url"`
	// WidthMM is the paper width: 58 or 80 (default 80).
	WidthMM int `yaml:"width_mm"`
	// NativeQR prints QR codes with the printer's own command instead of as
	// an image; only for printers known to support GS ( k.
	NativeQR bool `yaml:"native_qr"`
	// Lang is "zh", "en" or "" for both on the ticket.
	Lang string `yaml:"lang"`
	// Footer is printed at the bottom of every ticket.
	Footer string `yaml:"footer"`
	// AllowedDevices lists device files beyond /dev/usb/lp* that a
	// printer_url may name (file:///dev/ttyUSB0, say).
	AllowedDevices []string `yaml:"allowed_devices"`
}

// TLS is the certificate the box serves HTTPS with; both empty = plain HTTP.
type TLS struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// Metrics is the Prometheus endpoint's access.
type Metrics struct {
	// Token lets callers other than the box itself scrape /metrics with
	// Authorization: Bearer TOKEN; empty means loopback only.
	Token string `yaml:"token"`
}

// option declares one scalar setting: its flag, environment variable and YAML key.
type option struct {
	flag, env, key, def, usage string
	field                      func(c *Config) *string
}

var options = []option{
	{"addr", "QUEUEBOX_ADDR", "addr", ":8080", "address to listen on", func(c *Config) *string { return &c.Addr }},
	{"data", "QUEUEBOX_DATA", "data", "./data", "directory of the database file", func(c *Config) *string { return &c.Data }},
	{"public-url", "QUEUEBOX_PUBLIC_URL", "public_url", "", "base URL phones use to reach the box (default: first non-loopback address)", func(c *Config) *string { return &c.PublicURL }},
	{"printer", "QUEUEBOX_PRINTER", "printer.url", "none", "ticket printer: tcp://HOST:9100, file:///dev/usb/lp0 or none", func(c *Config) *string { return &c.Printer.URL }},
	{"metrics-token", "QUEUEBOX_METRICS_TOKEN", "metrics.token", "", "bearer token for /metrics from other hosts (default: loopback only)", func(c *Config) *string { return &c.Metrics.Token }},
	{"log-level", "QUEUEBOX_LOG_LEVEL", "log_level", "info", "debug, info, warn or error", func(c *Config) *string { return &c.LogLevel }},
	{"tls-cert", "QUEUEBOX_TLS_CERT", "tls.cert", "", "certificate file (PEM) to serve HTTPS with; needs --tls-key", func(c *Config) *string { return &c.TLS.Cert }},
	{"tls-key", "QUEUEBOX_TLS_KEY", "tls.key", "", "private key file (PEM) of --tls-cert", func(c *Config) *string { return &c.TLS.Key }},
	{"retention-days", "QUEUEBOX_RETENTION_DAYS", "retention_days", "400", "days of detailed history kept; older days become daily totals (0: keep all)", func(c *Config) *string { return &c.RetentionDays }},
}

// UsageError is a command line the flags cannot read (an unknown flag, a
// missing value): the command exits 2, as a usage error.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Load reads args (the flags after "serve") and the environment.
func Load(args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	return LoadFor("queuebox serve", args, getenv, stderr)
}

// LoadFor is Load for another command that takes the serve flags (compact):
// name is what its usage calls it. --help returns flag.ErrHelp.
func LoadFor(name string, args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFile := fs.String("config", "", "YAML config file; seeds services, counters, hours and printer into a new database (env QUEUEBOX_CONFIG)")
	flagVals := map[string]*string{}
	for _, o := range options {
		flagVals[o.flag] = fs.String(o.flag, "", fmt.Sprintf("%s (env %s, default %q)", o.usage, o.env, o.def))
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, &UsageError{err}
	}
	if fs.NArg() > 0 {
		return nil, &UsageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	c := &Config{}
	file := *cfgFile
	if file == "" {
		file = getenv("QUEUEBOX_CONFIG")
	}
	if file != "" {
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		if err := Parse(raw, c); err != nil {
			return nil, fmt.Errorf("config %s: %w", file, err)
		}
		c.File = file
	}
	for _, o := range options {
		p := o.field(c)
		if v := getenv(o.env); v != "" {
			*p = v
		}
		if v := *flagVals[o.flag]; v != "" {
			*p = v
		}
		if *p == "" {
			*p = o.def
		}
	}
	c.AdminPassword = getenv("QUEUEBOX_ADMIN_PASSWORD")
	c.ClockFile = getenv("QUEUEBOX_CLOCK_FILE")
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse decodes YAML strictly: an unknown key is an error that names it.
func Parse(raw []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		// yaml names Go types ("field x not found in type config.Config");
		// a store manager needs the key.
		msg := unknownField.ReplaceAllStringFunc(err.Error(), func(m string) string {
			key := unknownField.FindStringSubmatch(m)[1]
			if key == "" {
				key = `""` // an empty key ("": 5) still shows where it is
			}
			return "unknown key " + key
		})
		return errors.New(strings.Replace(msg, "yaml: unmarshal errors:\n  ", "", 1))
	}
	return nil
}

// A key may hold spaces ("max wait minutes"), so it is everything up to
// the type yaml names.
var unknownField = regexp.MustCompile(`field (.*?) not found in type \S+`)

// minRetentionDays keeps a typo from wiping the history reports need: a
// box keeps at least a month of details.
const minRetentionDays = 31

// Validate checks what the config package can know alone; the queue engine
// checks services, counters and hours with the same rules the admin API uses.
func (c *Config) Validate() error {
	if c.Addr == "" || !strings.Contains(c.Addr, ":") {
		return fmt.Errorf("addr: %q must be HOST:PORT or :PORT", c.Addr)
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("public_url: %q must be an absolute http(s) URL like http://192.168.1.20:8080", c.PublicURL)
		}
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	}
	switch c.Printer.WidthMM {
	case 0, 58, 80:
	default:
		return fmt.Errorf("printer.width_mm: %d must be 58 or 80", c.Printer.WidthMM)
	}
	switch c.Printer.Lang {
	case "", "zh", "en":
	default:
		return fmt.Errorf("printer.lang: %q must be zh, en or empty for both", c.Printer.Lang)
	}
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		return errors.New("tls: give both a certificate (--tls-cert) and its key (--tls-key), or neither")
	}
	for i, d := range c.Printer.AllowedDevices {
		if !strings.HasPrefix(d, "/dev/") || strings.Contains(d, "..") {
			return fmt.Errorf("printer.allowed_devices[%d]: %q must be a device path under /dev/", i, d)
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log_level: %q must be debug, info, warn or error", c.LogLevel)
	}
	if c.RetentionDays != "" {
		n, err := strconv.Atoi(c.RetentionDays)
		if err != nil || n < 0 || (n > 0 && n < minRetentionDays) {
			return fmt.Errorf("retention_days: %q must be a whole number of days, at least %d, or 0 to keep everything", c.RetentionDays, minRetentionDays)
		}
		c.Retention = n
	}
	return nil
}

// Usage lists every option with its flag, environment variable and key.
func Usage() string {
	var b strings.Builder
	b.WriteString("  --config       QUEUEBOX_CONFIG     YAML config file\n")
	for _, o := range options {
		fmt.Fprintf(&b, "  --%-12s %-19s %s (default %q)\n", o.flag, o.env, o.usage, o.def)
	}
	b.WriteString("                 QUEUEBOX_ADMIN_PASSWORD  password of the first admin (else one is printed)\n")
	b.WriteString("                 QUEUEBOX_CLOCK_FILE      testing and training only: a file holding an offset (+2h, -10m) added to the wall clock\n")
	return b.String()
}
