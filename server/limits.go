package server

import (
	"net"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits per client address and the HTTP server's timeouts. One address is
// one phone, PC or kiosk; a store's busiest counter PC holds a handful of
// connections, so these caps only ever meet a broken or hostile client.
const (
	defaultConnsPerAddr = 64
	defaultLivePerAddr  = 32

	// readTimeout bounds the arrival of a request's headers and body: a
	// client trickling a body is cut off (408, or the connection closed).
	readTimeout       = 30 * time.Second
	readHeaderTimeout = 10 * time.Second
	// writeTimeout bounds a handler and its answer. Websockets are exempt:
	// the upgrade clears the deadlines and the hub sets its own.
	writeTimeout = 60 * time.Second
	idleTimeout  = 120 * time.Second
	// maxHeaderBytes is far above any real request (a cookie and a token).
	maxHeaderBytes = 32 << 10
)

// limitOptions are the caps and timeouts in force; tests shrink them.
type limitOptions struct {
	connsPerAddr int
	livePerAddr  int
	readTimeout  time.Duration
	writeTimeout time.Duration
	// loopback: whether the box's own addresses are capped too. They are
	// not by default: a kiosk browser on the box itself, monitoring and the
	// benchmark tool come from there.
	loopback bool
}

func (o Options) limits() limitOptions {
	l := limitOptions{connsPerAddr: defaultConnsPerAddr, livePerAddr: defaultLivePerAddr,
		readTimeout: readTimeout, writeTimeout: writeTimeout, loopback: o.LimitLoopback}
	if o.ConnsPerAddr > 0 {
		l.connsPerAddr = o.ConnsPerAddr
	}
	if o.LivePerAddr > 0 {
		l.livePerAddr = o.LivePerAddr
	}
	if o.ReadTimeout > 0 {
		l.readTimeout = o.ReadTimeout
	}
	if o.WriteTimeout > 0 {
		l.writeTimeout = o.WriteTimeout
	}
	return l
}

// limitedAddr is the key an address is counted under, "" when it is exempt.
func (s *Server) limitedAddr(ip string) string {
	if !s.limits.loopback {
		if a := net.ParseIP(ip); a != nil && a.IsLoopback() {
			return ""
		}
	}
	return ip
}

// capListener closes connections beyond max per remote address at once, so
// one client cannot hold every socket the box has; other addresses are
// served as usual.
type capListener struct {
	net.Listener
	max  int
	addr func(ip string) string

	mu    sync.Mutex
	count map[string]int
}

func (s *Server) capListener(ln net.Listener) net.Listener {
	return &capListener{Listener: ln, max: s.limits.connsPerAddr, addr: s.limitedAddr, count: map[string]int{}}
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
		key := l.addr(host)
		if key == "" {
			return c, nil
		}
		l.mu.Lock()
		over := l.count[key] >= l.max
		if !over {
			l.count[key]++
		}
		l.mu.Unlock()
		if over {
			c.Close()
			continue
		}
		return &cappedConn{Conn: c, release: func() { l.release(key) }}, nil
	}
}

func (l *capListener) release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.count[key]--; l.count[key] <= 0 {
		delete(l.count, key)
	}
}

// cappedConn gives its address's place back once, when closed (also after
// a websocket took it over).
type cappedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *cappedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// keyedRate is a token bucket (golang.org/x/time/rate) per key, e.g. per
// client address or per device, with a bounded number of keys: idle buckets
// that have filled up again are forgotten.
type keyedRate struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	buckets map[string]*rate.Limiter
}

// keyedRateMax bounds the keys; a full map forgets full buckets first.
const keyedRateMax = 10000

func newKeyedRate(perMinute float64, burst int) *keyedRate {
	return &keyedRate{every: rate.Limit(perMinute / 60), burst: burst, buckets: map[string]*rate.Limiter{}}
}

func (k *keyedRate) bucket(key string, now time.Time) *rate.Limiter {
	b := k.buckets[key]
	if b == nil {
		if len(k.buckets) >= keyedRateMax {
			for key, b := range k.buckets {
				if b.TokensAt(now) >= float64(k.burst) {
					delete(k.buckets, key)
				}
			}
			for key := range k.buckets {
				if len(k.buckets) < keyedRateMax*9/10 {
					break
				}
				delete(k.buckets, key)
			}
		}
		b = rate.NewLimiter(k.every, k.burst)
		k.buckets[key] = b
	}
	return b
}

// allow takes a token for key if there is one.
func (k *keyedRate) allow(key string, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.bucket(key, now).AllowN(now, 1)
}

// ready reports whether key has a token, without taking it.
func (k *keyedRate) ready(key string, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	b, ok := k.buckets[key]
	return !ok || b.TokensAt(now) >= 1
}

// wait is how long until key has a token again.
func (k *keyedRate) wait(key string, now time.Time) time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	b, ok := k.buckets[key]
	if !ok {
		return 0
	}
	missing := 1 - b.TokensAt(now)
	if missing <= 0 {
		return 0
	}
	return time.Duration(missing / float64(k.every) * float64(time.Second))
}
