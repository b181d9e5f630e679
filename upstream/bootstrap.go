package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// TTL bounds for bootstrap answers: at least a few seconds so a zero TTL
// cannot make every dial a lookup, at most an hour so moves are noticed.
const (
	minBootstrapTTL = 5 * time.Second
	maxBootstrapTTL = time.Hour
)

// bootstrap resolves upstream host names through the configured bootstrap
// servers only, never the system resolver (which may be cleandns itself),
// and caches the addresses for their TTL.
type bootstrap struct {
	servers []netip.AddrPort
	timeout time.Duration
	now     func() time.Time

	mu    sync.Mutex
	cache map[string]bootEntry
}

type bootEntry struct {
	addrs   []netip.Addr
	expires time.Time
}

func newBootstrap(servers []string, timeout time.Duration, now func() time.Time) (*bootstrap, error) {
	b := &bootstrap{timeout: timeout, now: now, cache: map[string]bootEntry{}}
	for _, s := range servers {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("bootstrap %q: not an IP address", s)
			}
			ap = netip.AddrPortFrom(a, 53)
		}
		b.servers = append(b.servers, ap)
	}
	return b, nil
}

// lookup returns the addresses of host, IPv4 first. When a refresh fails,
// the expired addresses are used rather than none.
func (b *bootstrap) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	b.mu.Lock()
	e, ok := b.cache[host]
	b.mu.Unlock()
	if ok && b.now().Before(e.expires) {
		return e.addrs, nil
	}
	addrs, ttl, err := b.resolve(ctx, host)
	if err != nil {
		if ok {
			return e.addrs, nil
		}
		return nil, fmt.Errorf("bootstrap %q: %w", host, err)
	}
	b.mu.Lock()
	b.cache[host] = bootEntry{addrs: addrs, expires: b.now().Add(ttl)}
	b.mu.Unlock()
	return addrs, nil
}

func (b *bootstrap) resolve(ctx context.Context, host string) ([]netip.Addr, time.Duration, error) {
	if len(b.servers) == 0 {
		return nil, 0, errors.New("no bootstrap servers configured")
	}
	var addrs []netip.Addr
	ttl := maxBootstrapTTL
	var errs []error
	for _, qtype := range []uint16{dns.TypeA, dns.TypeAAAA} {
		q := new(dns.Msg).SetQuestion(dns.Fqdn(host), qtype)
		r, err := b.query(ctx, q)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, rr := range r.Answer {
			switch rr := rr.(type) {
			case *dns.A:
				addrs = append(addrs, netip.AddrFrom4([4]byte(rr.A.To4())))
			case *dns.AAAA:
				addrs = append(addrs, netip.AddrFrom16([16]byte(rr.AAAA.To16())))
			default:
				continue
			}
			ttl = min(ttl, time.Duration(rr.Header().Ttl)*time.Second)
		}
	}
	if len(addrs) == 0 {
		errs = append(errs, errors.New("no addresses"))
		return nil, 0, errors.Join(errs...)
	}
	return addrs, max(ttl, minBootstrapTTL), nil
}

// query asks each bootstrap server in turn until one answers.
func (b *bootstrap) query(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
	var err error
	for _, s := range b.servers {
		actx, cancel := context.WithTimeout(ctx, b.timeout)
		var r *dns.Msg
		r, err = exchangeUDP(actx, s, q)
		cancel()
		if err == nil && r.Rcode == dns.RcodeSuccess {
			return r, nil
		}
		if err == nil {
			err = fmt.Errorf("%s: rcode %s", s, dns.RcodeToString[r.Rcode])
		}
	}
	return nil, err
}

// dialer connects to upstreams, resolving host names through bootstrap.
type dialer struct {
	boot *bootstrap
	net  net.Dialer
}

// resolve returns the addresses to try for host and port.
func (d *dialer) resolve(ctx context.Context, host string, port uint16) ([]netip.AddrPort, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.AddrPort{netip.AddrPortFrom(a.Unmap(), port)}, nil
	}
	addrs, err := d.boot.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	out := make([]netip.AddrPort, len(addrs))
	for i, a := range addrs {
		out[i] = netip.AddrPortFrom(a, port)
	}
	return out, nil
}

// dialContext dials addr ("host:port"), trying each resolved address in turn.
func (d *dialer) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := parsePort(p)
	if err != nil {
		return nil, err
	}
	aps, err := d.resolve(ctx, host, port)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, ap := range aps {
		c, err := d.net.DialContext(ctx, network, ap.String())
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}
