package upstream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"
)

// CheckSelf returns an error naming every upstream that is one of listen,
// cleandns's own listen addresses, so a configuration that forwards to
// itself is refused at start-up. Bootstrap servers are checked too. A wildcard listen address (`0.0.0.0:53`,
// `[::]:53`, `:53`) covers every local address on its port, loopback
// included. Upstreams given by host name are left to ProbeLoop.
func (f *Forwarder) CheckSelf(listen []string) error {
	local, err := localAddrs()
	if err != nil {
		return fmt.Errorf("upstream: list local addresses: %w", err)
	}
	var errs []error
	check := func(what, name string, target netip.AddrPort) {
		for _, l := range listen {
			if listensOn(l, target, local) {
				errs = append(errs, fmt.Errorf("%s %q is this server's own listen address %q: queries would loop", what, name, l))
			}
		}
	}
	for _, u := range f.all {
		if a, ok := u.ep.ip(); ok {
			check("upstream", u.ep.name, netip.AddrPortFrom(a, u.ep.port))
		}
	}
	for _, b := range f.bootstrap {
		check("bootstrap", b.String(), b)
	}
	return errors.Join(errs...)
}

// listensOn reports whether the listen address l receives packets sent to
// target, given the host's local addresses.
func listensOn(l string, target netip.AddrPort, local []netip.Addr) bool {
	host, port, err := net.SplitHostPort(l)
	if err != nil || port != fmt.Sprint(target.Port()) {
		return false
	}
	if host == "" {
		host = "::"
	}
	la, err := netip.ParseAddr(host)
	if err != nil {
		return strings.EqualFold(host, "localhost") && target.Addr().IsLoopback()
	}
	la = la.Unmap()
	if !la.IsUnspecified() {
		return la == target.Addr()
	}
	if target.Addr().IsLoopback() || target.Addr().IsUnspecified() {
		return true
	}
	for _, a := range local {
		if a == target.Addr() {
			return true
		}
	}
	return false
}

func localAddrs() ([]netip.Addr, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr().Unmap())
		}
	}
	return out, nil
}

// LoopProbeZone is the reserved zone of start-up loop probes. It is under
// .invalid (RFC 6761), so no real resolver answers it and a probe query
// reaching this server again can only have come round a loop.
const LoopProbeZone = "loop-check.cleandns.invalid."

// LoopDetector pairs the probes ProbeLoop sends with the queries the server
// sees. The server calls Observe for every query name; ProbeLoop reads what
// it recorded. It is safe for concurrent use.
type LoopDetector struct {
	mu     sync.Mutex
	names  map[string]string    // probe name → upstream it was sent to
	looped map[string]bool      // upstreams whose probe came back
	passed map[string]time.Time // other instances' probes forwarded, when
	now    func() time.Time
}

// Bounds on the other instances' probes passed on: each is one query at an
// instance's start, so a handful is normal and more is someone sending
// names in the zone, which are then answered here.
const (
	maxPassedProbes = 256
	passedProbeAge  = time.Minute
)

// NewLoopDetector returns an empty detector.
func NewLoopDetector() *LoopDetector {
	return &LoopDetector{names: map[string]string{}, looped: map[string]bool{}, passed: map[string]time.Time{}, now: time.Now}
}

// Observe reports whether the server must answer name itself (NXDOMAIN)
// instead of forwarding it: names under LoopProbeZone but not other
// instances' probes met for the first time.
//
// A probe of ours is recorded as having come back, and answered here so
// the loop does not carry it round again. Another instance's probe (a
// second cleandns, or a router, whose upstream we are) is forwarded, once:
// answering it here would hide a loop through both instances (A forwards
// to B, B to A) from the one that sent it. Seen again within a minute, it
// has come round a loop that does not pass its sender, and is answered
// here. The zone's bare name, and probes beyond maxPassedProbes, are
// answered here too.
func (d *LoopDetector) Observe(name string) bool {
	name = dns.Fqdn(strings.ToLower(name))
	if !dns.IsSubDomain(LoopProbeZone, name) {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if u, ok := d.names[name]; ok {
		d.looped[u] = true
		return true
	}
	if name == LoopProbeZone {
		return true
	}
	now := d.now()
	if at, ok := d.passed[name]; ok && now.Sub(at) < passedProbeAge {
		return true
	}
	if len(d.passed) >= maxPassedProbes {
		for n, at := range d.passed {
			if now.Sub(at) >= passedProbeAge {
				delete(d.passed, n)
			}
		}
		if len(d.passed) >= maxPassedProbes {
			return true
		}
	}
	d.passed[name] = now
	return false
}

func (d *LoopDetector) issue(upstream string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	name := hex.EncodeToString(b[:]) + "." + LoopProbeZone
	d.mu.Lock()
	d.names[name] = upstream
	d.mu.Unlock()
	return name
}

func (d *LoopDetector) came(upstream string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.looped[upstream]
}

// ProbeLoop sends one probe under LoopProbeZone to every upstream, each
// under its own random name, and waits for the exchanges to end. Each
// upstream whose probe reached d (the server's Observe) is logged as an
// error, counted in cleandns_upstream_loops_detected_total and returned.
// It never stops the server: a crash loop would be worse than a loop.
// Call it once the listeners are up, typically in its own goroutine.
func (f *Forwarder) ProbeLoop(ctx context.Context, d *LoopDetector) []string {
	var wg sync.WaitGroup
	for _, u := range f.all {
		name := d.issue(u.ep.raw)
		wg.Go(func() {
			q := newQuery(new(dns.Msg).SetQuestion(name, dns.TypeA))
			_, _ = u.t.exchange(ctx, time.Now().Add(f.cfg.Timeout), q)
		})
	}
	wg.Wait()
	var loops []string
	for _, u := range f.all {
		if d.came(u.ep.raw) {
			loops = append(loops, u.ep.name)
			f.m.Loops.Inc()
			f.log.Error("forwarding loop: a probe sent to this upstream came back to cleandns; "+
				"the upstream forwards to us, so queries to it will loop until they time out",
				zapUpstream(u), zap.String("probe_zone", LoopProbeZone))
		}
	}
	return loops
}
