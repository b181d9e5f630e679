package transport

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"
)

// Certs serves a certificate and key from files and picks up new ones when
// the files change, without a restart and without touching the connections
// already open: tls.Config.GetCertificate asks on every handshake, and at
// most once a second that looks at the files' modification times.
type Certs struct {
	certFile, keyFile string
	now               func() time.Time

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   [2]time.Time // the files' modification times when cert was read
	checked time.Time
	lastErr error // the last failed reload, kept for Err
}

// certCheckEvery is how often a handshake looks at the files.
const certCheckEvery = time.Second

// LoadCerts reads the pair once; a pair that does not load is an error here,
// and later (a rotation half written) keeps the previous pair until it does.
func LoadCerts(certFile, keyFile string) (*Certs, error) {
	c := &Certs{certFile: certFile, keyFile: keyFile, now: time.Now}
	if err := c.reload(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Certs) stamps() ([2]time.Time, error) {
	var st [2]time.Time
	for i, f := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return st, err
		}
		st[i] = fi.ModTime()
	}
	return st, nil
}

// reload reads the pair; c.mu is held or c is not shared yet.
func (c *Certs) reload() error {
	st, err := c.stamps()
	if err != nil {
		return fmt.Errorf("tls certificate: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("tls certificate %s, key %s: %w", c.certFile, c.keyFile, err)
	}
	c.cert, c.stamp = &cert, st
	return nil
}

// GetCertificate is the tls.Config hook.
func (c *Certs) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); now.Sub(c.checked) >= certCheckEvery {
		c.checked = now
		if st, err := c.stamps(); err == nil && st != c.stamp {
			c.lastErr = c.reload()
		}
	}
	return c.cert, nil
}

// Err is the last failed reload, nil when the files in use are the newest.
func (c *Certs) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

// TLSConfig is the server side of every encrypted listener: TLS 1.2 at
// least, the certificate from certs, and ALPN protos (RFC 7858 "dot",
// RFC 9250 "doq", "h2" and "http/1.1" for DoH). Session tickets stay on
// (crypto/tls rotates their keys), so a returning client resumes instead of
// a full handshake.
func TLSConfig(certs *Certs, protos ...string) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: certs.GetCertificate,
		NextProtos:     protos,
	}
}
