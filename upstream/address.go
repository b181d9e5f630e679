package upstream

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/redact"
)

// Protocol names, also the protocol label of the upstream metrics.
const (
	ProtoUDP = "udp" // plain DNS over UDP, retried over TCP on TC=1
	ProtoTCP = "tcp" // plain DNS over TCP
	ProtoDoT = "dot" // DNS over TLS, RFC 7858
	ProtoDoH = "doh" // DNS over HTTPS, RFC 8484
)

// endpoint is one parsed upstream address.
type endpoint struct {
	raw        string // as configured; it may carry a secret (a DoH token)
	name       string // raw redacted: the upstream's name in metrics, the status and logs
	proto      string
	host       string // IP address or host name, without brackets
	port       uint16
	serverName string   // TLS server name to verify (DoT, DoH)
	url        *url.URL // DoH only
}

// hostPort is the address to dial, before any bootstrap resolution.
func (e endpoint) hostPort() string { return net.JoinHostPort(e.host, strconv.Itoa(int(e.port))) }

// ip returns the host as an address when it is a literal IP.
func (e endpoint) ip() (netip.Addr, bool) {
	a, err := netip.ParseAddr(e.host)
	return a.Unmap(), err == nil
}

var errMissingPort = errors.New("missing port")

// parseEndpoint accepts the upstream forms documented on Config.Servers.
func parseEndpoint(s string) (endpoint, error) {
	e := endpoint{raw: s, name: redact.URL(s)}
	scheme, rest, found := strings.Cut(s, "://")
	if !found {
		scheme, rest = "udp", s
	}
	switch scheme {
	case "udp", "tcp":
		e.proto = map[string]string{"udp": ProtoUDP, "tcp": ProtoTCP}[scheme]
		return e, e.splitHostPort(rest, "53")
	case "tls":
		e.proto = ProtoDoT
		addr, name, _ := strings.Cut(rest, "#")
		if err := e.splitHostPort(addr, ""); err != nil {
			return e, err
		}
		e.serverName = e.host
		if name != "" {
			e.serverName = name
		}
		return e, nil
	case "https":
		return parseDoH(s)
	default:
		return e, fmt.Errorf("unknown scheme %q (want udp, tcp, tls or https)", scheme)
	}
}

func parseDoH(s string) (endpoint, error) {
	e := endpoint{raw: s, name: redact.URL(s), proto: ProtoDoH}
	u, err := url.Parse(s)
	if err != nil {
		return e, err
	}
	if u.Hostname() == "" {
		return e, errors.New("missing host")
	}
	if u.User != nil || u.Fragment != "" {
		return e, errors.New("user info and fragments are not allowed")
	}
	e.url, e.host, e.serverName = u, u.Hostname(), u.Hostname()
	port := u.Port()
	if port == "" {
		port = "443"
	}
	if e.port, err = parsePort(port); err != nil {
		return e, err
	}
	if u.Path == "" {
		u.Path = "/dns-query"
	}
	return e, nil
}

// splitHostPort fills host and port from "host", "host:port", "[v6]:port" or
// a bare IPv6 address; defPort "" means the port is required.
func (e *endpoint) splitHostPort(s, defPort string) error {
	if s == "" {
		return errors.New("missing host")
	}
	var port string
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		e.host, port = a.String(), defPort
	} else if h, p, err := net.SplitHostPort(s); err == nil {
		e.host, port = strings.Trim(h, "[]"), p
	} else if !strings.Contains(s, ":") {
		e.host, port = s, defPort
	} else {
		return err
	}
	if port == "" {
		return errMissingPort
	}
	if e.host == "" {
		return errors.New("missing host")
	}
	if strings.ContainsAny(e.host, "/#?@ \t") {
		// Such a host, an IPv6 zone included ("::%eth 0"), cannot be dialled.
		return fmt.Errorf("invalid host %q", e.host)
	}
	if _, err := netip.ParseAddr(e.host); err != nil && !validHostName(e.host) {
		return fmt.Errorf("invalid host %q", e.host)
	}
	var err error
	e.port, err = parsePort(port)
	return err
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("invalid port %q", s)
	}
	return uint16(n), nil
}

func validHostName(h string) bool {
	if _, ok := dns.IsDomainName(h); !ok {
		return false
	}
	return !strings.ContainsAny(h, "/?#@ ")
}
