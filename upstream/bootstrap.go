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
	udp     *udpPools

	mu    sync.Mutex
	cache map[string]bootEntry
}

type bootEntry struct {
	addrs   []netip.Addr
	expires time.Time
}

func newBootstrap(servers []string, timeout time.Duration, now func() time.Time, udp *udpPools) (*bootstrap, error) {
	b := &bootstrap{timeout: timeout, now: now, udp: udp, cache: map[string]bootEntry{}}
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

// lookup returns the addresses of host, IPv4 first, and when they expire.
// When a refresh fails, the expired addresses are kept for minBootstrapTTL
// rather than failing the upstream.
func (b *bootstrap) lookup(ctx context.Context, host string) ([]netip.Addr, time.Time, error) {
	b.mu.Lock()
	e, ok := b.cache[host]
	b.mu.Unlock()
	if ok && b.now().Before(e.expires) {
		return e.addrs, e.expires, nil
	}
	addrs, ttl, err := b.resolve(ctx, host)
	if err != nil && !ok {
		return nil, time.Time{}, fmt.Errorf("bootstrap %q: %w", host, err)
	}
	if err != nil {
		// Keep the stale addresses a little longer rather than none, and
		// without asking the failing bootstrap servers on every dial.
		addrs, ttl = e.addrs, minBootstrapTTL
	}
	e = bootEntry{addrs: addrs, expires: b.now().Add(ttl)}
	b.mu.Lock()
	b.cache[host] = e
	b.mu.Unlock()
	return addrs, e.expires, nil
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
		var r *dns.Msg
		r, err = b.udp.exchange(ctx, time.Now().Add(b.timeout), s, q)
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
	udp  *udpPools
	net  net.Dialer
}

// resolve returns the addresses to try for host and port, and when they
// expire (zero for an IP address, which never does).
func (d *dialer) resolve(ctx context.Context, host string, port uint16) ([]netip.AddrPort, time.Time, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.AddrPort{netip.AddrPortFrom(a.Unmap(), port)}, time.Time{}, nil
	}
	addrs, expires, err := d.boot.lookup(ctx, host)
	if err != nil {
		return nil, time.Time{}, err
	}
	out := make([]netip.AddrPort, len(addrs))
	for i, a := range addrs {
		out[i] = netip.AddrPortFrom(a, port)
	}
	return out, expires, nil
}

// dial dials addr ("host:port"), trying each resolved address in turn, and
// says when the address used stops being valid: a connection kept longer
// than that should be replaced, so that a moved upstream is followed.
func (d *dialer) dial(ctx context.Context, network, addr string) (net.Conn, time.Time, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, time.Time{}, err
	}
	port, err := parsePort(p)
	if err != nil {
		return nil, time.Time{}, err
	}
	aps, expires, err := d.resolve(ctx, host, port)
	if err != nil {
		return nil, time.Time{}, err
	}
	var errs []error
	for _, ap := range aps {
		c, err := d.net.DialContext(ctx, network, ap.String())
		if err == nil {
			return c, expires, nil
		}
		errs = append(errs, err)
	}
	return nil, time.Time{}, errors.Join(errs...)
}

// expired reports whether an address valid until expires (zero: forever)
// should no longer be used.
func (d *dialer) expired(expires time.Time) bool {
	return !expires.IsZero() && !d.boot.now().Before(expires)
}
