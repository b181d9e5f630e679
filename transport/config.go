package transport

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/cleandns/cleandns/query"
)

// Config is the `tls` section: the encrypted listeners and what they
// share. Each list of addresses may be empty; a listener is on when its
// list is not.
type Config struct {
	// DoT are DNS-over-TLS addresses (RFC 7858); a bare host gets port 853.
	DoT []string `mapstructure:"dot"`
	// DoH are DNS-over-HTTPS addresses (RFC 8484, /dns-query); a bare host
	// gets port 443. Without a certificate they serve plain HTTP, for a
	// proxy that terminates TLS in front of cleandns.
	DoH []string `mapstructure:"doh"`
	// DoQ are DNS-over-QUIC addresses (RFC 9250, UDP); a bare host gets 853.
	DoQ []string `mapstructure:"doq"`
	// CertFile and KeyFile are the PEM certificate (chain) and key. They are
	// read again when they change, without dropping connections.
	CertFile string `mapstructure:"cert_file"`
	KeyFile  string `mapstructure:"key_file"`
	// ServerName is the name the certificate is for, e.g. dns.example.net:
	// a device that connects as {id}.dns.example.net names itself {id}
	// (DoT, DoQ). Empty: no client IDs from the server name.
	ServerName string `mapstructure:"server_name"`
	// TrustedProxies are the load balancers and reverse proxies (CIDR or
	// addresses) whose word about the client's address is taken:
	// X-Forwarded-For and Forwarded on DoH, the PROXY protocol v2 header on
	// DoT and DoH connections. Nobody else's.
	TrustedProxies []string `mapstructure:"trusted_proxies"`
	// IdleTimeout closes a connection with nothing outstanding after this
	// long; default 30s.
	IdleTimeout time.Duration `mapstructure:"idle_timeout"`
	// MaxConnections caps the open connections of each listener; default
	// 1000. Connections over the cap are refused and counted in
	// cleandns_connections_rejected_total.
	MaxConnections int `mapstructure:"max_connections"`
}

// Enabled reports whether any encrypted listener is configured.
func (c Config) Enabled() bool { return len(c.DoT)+len(c.DoH)+len(c.DoQ) > 0 }

// Validate checks the section, naming the key of the first problem.
func (c Config) Validate() error {
	needCert := len(c.DoT)+len(c.DoQ) > 0
	switch {
	case (c.CertFile == "") != (c.KeyFile == ""):
		return errors.New("tls: cert_file and key_file go together")
	case needCert && c.CertFile == "":
		return errors.New("tls.cert_file: DoT and DoQ need a certificate and key (`cleandns cert` writes a self-signed pair)")
	case c.IdleTimeout < 0:
		return fmt.Errorf("tls.idle_timeout: %v is negative", c.IdleTimeout)
	case c.MaxConnections < 0:
		return fmt.Errorf("tls.max_connections: %d is negative", c.MaxConnections)
	}
	for _, l := range []struct {
		key   string
		addrs []string
		port  string
	}{{"dot", c.DoT, "853"}, {"doh", c.DoH, "443"}, {"doq", c.DoQ, "853"}} {
		for i, a := range l.addrs {
			if err := checkAddr(WithPort(a, l.port)); err != nil {
				return fmt.Errorf("tls.%s[%d]: %q: %v (want host:port or a host)", l.key, i, a, err)
			}
		}
	}
	if _, err := ParseTrusted(c.TrustedProxies); err != nil {
		return fmt.Errorf("tls.trusted_proxies%w", err)
	}
	if c.ServerName != "" && !validName(c.ServerName) {
		return fmt.Errorf("tls.server_name: %q is not a host name", c.ServerName)
	}
	return nil
}

// checkAddr accepts IP:port, [IPv6]:port, name:port and :port.
func checkAddr(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return err
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("port %q", port)
	}
	if _, err := netip.ParseAddr(host); host != "" && err != nil && !validName(host) {
		return fmt.Errorf("host %q is neither an address nor a name", host)
	}
	return nil
}

// WithPort adds port to a bare host ("0.0.0.0", "::1", "[::]").
func WithPort(addr, port string) string {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}
	if len(addr) > 1 && addr[0] == '[' && addr[len(addr)-1] == ']' {
		addr = addr[1 : len(addr)-1]
	}
	return net.JoinHostPort(addr, port)
}

func validName(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if !query.ValidClientID(label) {
			return false
		}
	}
	return true
}
