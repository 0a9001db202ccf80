package server

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"queuebox/server/config"
)

// dialFrom opens a TCP connection to addr from the loopback address from.
func dialFrom(tb testing.TB, from, addr string) net.Conn {
	tb.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		tb.Fatalf("dial from %s: %v", from, err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// getOn sends GET path on an open connection and returns the status line,
// or the read error.
func getOn(c net.Conn, br *bufio.Reader, path string) (string, error) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		return "", err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.Status, nil
}

func TestConnectionsPerAddressAreCapped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withOptions(func(o *Options) { o.LimitLoopback = true }))
	addr := h.listen(t)
	const greedy, other = "127.0.0.2", "127.0.0.3"

	// 64 connections, each served once and kept open (idle).
	for i := range defaultConnsPerAddr {
		c := dialFrom(t, greedy, addr)
		if st, err := getOn(c, bufio.NewReader(c), "/healthz"); err != nil || !strings.HasPrefix(st, "200") {
			t.Fatalf("connection %d: %q %v", i+1, st, err)
		}
	}
	// The 65th is closed without an answer.
	c := dialFrom(t, greedy, addr)
	if st, err := getOn(c, bufio.NewReader(c), "/healthz"); err == nil {
		t.Errorf("connection %d from one address answered %q, want it closed", defaultConnsPerAddr+1, st)
	}
	// Another address is served as usual.
	o := dialFrom(t, other, addr)
	if st, err := getOn(o, bufio.NewReader(o), "/healthz"); err != nil || !strings.HasPrefix(st, "200") {
		t.Errorf("another address: %q %v, want 200", st, err)
	}
}

func TestLiveSocketsPerAddressAreCapped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withOptions(func(o *Options) { o.LimitLoopback = true }))
	addr := h.listen(t)
	const greedy, other = "127.0.0.4", "127.0.0.5"
	for i := range defaultLivePerAddr {
		if _, _, err := wsOpen(t, addr, "topic=display", anonCaller, greedy); err != nil {
			t.Fatalf("socket %d: %v", i+1, err)
		}
	}
	_, resp, err := wsOpen(t, addr, "topic=display", anonCaller, greedy)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		st := 0
		if resp != nil {
			st = resp.StatusCode
		}
		t.Errorf("socket %d from one address: err %v, status %d, want 429", defaultLivePerAddr+1, err, st)
	} else {
		body, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(body), `"rate_limited"`) {
			t.Errorf("refusal body %s, want the API's rate_limited error", body)
		}
	}
	if _, _, err := wsOpen(t, addr, "topic=display", anonCaller, other); err != nil {
		t.Errorf("another address: %v, want a socket", err)
	}
}

func TestSlowRequestsAreCutOff(t *testing.T) {
	t.Parallel()
	// A short read timeout stands in for the 30 s of the real box.
	h := newHarness(t, withOptions(func(o *Options) { o.ReadTimeout = 300 * time.Millisecond }))
	addr := h.listen(t)

	for _, tt := range []struct{ name, send string }{
		{"trickled body", "POST /api/v1/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\nAuthorization: Bearer " + h.kiosk.bearer + "\r\n\r\n{"},
		{"trickled headers", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := dialFrom(t, "127.0.0.1", addr)
			if _, err := io.WriteString(c, tt.send); err != nil {
				t.Fatal(err)
			}
			// The box must answer 408 or close; without a read timeout
			// it waits for the rest for ever and this read times out.
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			var ne net.Error
			switch {
			case err == nil && resp.StatusCode != http.StatusRequestTimeout:
				t.Errorf("got %s, want 408 or the connection closed", resp.Status)
			case err != nil && errors.As(err, &ne) && ne.Timeout():
				t.Errorf("the box still holds the connection open: %v", err)
			}
		})
	}
}

func TestWebsocketOutlivesTheWriteTimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withOptions(func(o *Options) { o.WriteTimeout = 200 * time.Millisecond }))
	addr := h.listen(t)
	conn := mustOpen(t, addr, "topic=display", anonCaller)
	time.Sleep(500 * time.Millisecond) // past the HTTP server's write deadline
	if !stillOpen(t, conn, func() { h.issue(t, h.kiosk, "general") }) {
		t.Error("the socket died with the HTTP write timeout")
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir.
func selfSigned(tb testing.TB, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "queuebox test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		tb.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestServeHTTPSWithASecureCookie(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	h := newHarness(t, withConfig(func(c *config.Config) { c.TLS = config.TLS{Cert: certFile, Key: keyFile} }))
	addr := h.listen(t)
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()

	resp, err := client.Post("https://"+addr+"/api/v1/session", "application/json",
		strings.NewReader(`{"username":"admin","password":"`+testAdminPassword+`"}`))
	if err != nil {
		t.Fatalf("login over HTTPS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil {
		t.Fatalf("login over HTTPS: %s (tls %v)", resp.Status, resp.TLS != nil)
	}
	var secure bool
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			secure = ck.Secure
		}
	}
	if !secure {
		t.Errorf("session cookie over HTTPS: Set-Cookie %q, want Secure", resp.Header.Get("Set-Cookie"))
	}

	// Plain HTTP on the TLS port gets no page.
	plain := &http.Client{Timeout: 10 * time.Second}
	if r, err := plain.Get("http://" + addr + "/healthz"); err == nil {
		r.Body.Close()
		if r.StatusCode == http.StatusOK {
			t.Error("plain HTTP was served on the HTTPS port")
		}
	}
}

func TestServeRefusesAHalfTLSConfig(t *testing.T) {
	t.Parallel()
	_, err := config.Load([]string{"--tls-cert", "/nonexistent/cert.pem"}, func(string) string { return "" }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "tls") {
		t.Errorf("a certificate without a key: err %v, want one naming tls", err)
	}
}
