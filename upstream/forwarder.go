package upstream

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"
)

// Deps are the Forwarder's injected collaborators.
type Deps struct {
	Logger  *zap.Logger      // default: a no-op logger
	Metrics *Metrics         // required
	Now     func() time.Time // default: time.Now
	// TLSConfig is the base client configuration for DoT and DoH; its
	// RootCAs replace the system roots (tests inject their own CA). Default:
	// system roots plus Config.CAFile.
	TLSConfig *tls.Config
	// ProbeBase is the first back-off before probing a down upstream,
	// doubled after each failed probe up to 30s (default 500ms; tests
	// shorten it).
	ProbeBase time.Duration
}

// Forwarder sends queries to upstream resolvers: the zone's servers when a
// forward zone covers the name, the default servers otherwise. It is safe
// for concurrent use.
type Forwarder struct {
	cfg       Config
	def       *group
	zones     map[string]*group // by lowercased FQDN
	all       []*upstream
	bootstrap []netip.AddrPort
	sem       chan struct{} // one token per query in flight
	udp       *udpPools     // the sockets of every plain-DNS exchange
	log       *zap.Logger
	m         *Metrics
	now       func() time.Time
	realClock bool // now is time.Now (Deps.Now unset)
	probeBase time.Duration

	ctx    context.Context // cancelled by Close, ends background probes
	cancel context.CancelFunc
	mu     sync.Mutex // guards closed against wg.Add after Close
	closed bool
	wg     sync.WaitGroup
}

// NewForwarder validates cfg (defaults applied) and zones and builds the
// transports; it dials nothing until the first query.
func NewForwarder(cfg Config, zones []Zone, deps Deps) (*Forwarder, error) {
	cfg.SetDefaults()
	if err := errors.Join(cfg.Validate(), ValidateZones(zones, cfg.Bootstrap)); err != nil {
		return nil, err
	}
	if deps.Metrics == nil {
		return nil, errors.New("upstream: Deps.Metrics is required")
	}
	f := &Forwarder{
		cfg: cfg, zones: map[string]*group{}, sem: make(chan struct{}, cfg.MaxConcurrent),
		log: deps.Logger, m: deps.Metrics, now: deps.Now, probeBase: deps.ProbeBase,
	}
	if f.log == nil {
		f.log = zap.NewNop()
	}
	if f.now == nil {
		f.now, f.realClock = time.Now, true
	}
	if f.probeBase <= 0 {
		f.probeBase = defaultProbeBase
	}
	tlsConf, err := baseTLSConfig(deps.TLSConfig, cfg.CAFile)
	if err != nil {
		return nil, err
	}
	f.udp = newUDPPools(f.now)
	boot, err := newBootstrap(cfg.Bootstrap, cfg.Timeout, f.now, f.udp)
	if err != nil {
		return nil, err
	}
	f.bootstrap = boot.servers
	d := &dialer{boot: boot, udp: f.udp}
	if f.def, err = f.newGroup("", cfg.Strategy, cfg.Servers, d, tlsConf); err != nil {
		return nil, err
	}
	for _, z := range zones {
		name, _ := normalizeZone(z.Zone)
		if f.zones[name], err = f.newGroup(name, z.Strategy, z.Servers, d, tlsConf); err != nil {
			return nil, err
		}
	}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	return f, nil
}

func (f *Forwarder) newGroup(zone, strategy string, servers []string, d *dialer, tlsConf *tls.Config) (*group, error) {
	if strategy == "" {
		strategy = StrategyFailover
	}
	g := &group{zone: zone, strategy: strategy}
	for _, s := range servers {
		ep, err := parseEndpoint(s)
		if err != nil {
			return nil, fmt.Errorf("upstream %q: %w", s, err)
		}
		u := &upstream{ep: ep, t: newTransport(ep, d, tlsConf), probe: "."}
		if zone != "" {
			u.probe = zone
		}
		f.m.Healthy.WithLabelValues(ep.name).Set(1)
		// Every reason at 0 from the start, so increase() in an alert
		// sees the first failure.
		for _, r := range reasons {
			f.m.Errors.WithLabelValues(ep.name, r)
		}
		g.ups = append(g.ups, u)
		f.all = append(f.all, u)
	}
	return g, nil
}

// Covers reports whether a forward zone covers name (at or under the zone),
// so that special-use names such as .local are forwarded, not answered
// locally, when an administrator configured a zone for them.
func (f *Forwarder) Covers(name string) bool { return f.zoneFor(name) != nil }

// zoneFor returns the group of the longest forward zone covering name.
func (f *Forwarder) zoneFor(name string) *group {
	if len(f.zones) == 0 {
		return nil
	}
	name = dns.Fqdn(strings.ToLower(name))
	for off, end := 0, false; !end; off, end = dns.NextLabel(name, off) {
		if g := f.zones[name[off:]]; g != nil {
			return g
		}
	}
	return nil
}

// Status is one upstream as the status API shows it.
type Status struct {
	Name     string `json:"name"`     // as configured
	Protocol string `json:"protocol"` // udp, tcp, dot or doh
	Zone     string `json:"zone"`     // the forward zone, "" for the default servers
	Healthy  bool   `json:"healthy"`
	// RTT is the smoothed round-trip time of good exchanges (EWMA, 1/8), 0
	// before the first one.
	RTT time.Duration `json:"rtt_ns,omitempty"`
	// Recent is the median and 95th percentile of the last good exchanges.
	Recent Latency `json:"recent"`
}

// Upstreams returns every upstream with its health, defaults first.
func (f *Forwarder) Upstreams() []Status {
	var out []Status
	add := func(g *group) {
		for _, u := range g.ups {
			out = append(out, Status{Name: u.ep.name, Protocol: u.ep.proto, Zone: g.zone, Healthy: u.healthy(), RTT: u.latency(), Recent: u.recentLatency()})
		}
	}
	add(f.def)
	for _, z := range slices.Sorted(maps.Keys(f.zones)) {
		add(f.zones[z])
	}
	return out
}

// Close stops the background probes and closes pooled connections. Queries
// still in flight fail.
func (f *Forwarder) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.cancel()
	f.wg.Wait()
	for _, u := range f.all {
		u.t.close()
	}
	f.udp.close()
	return nil
}

func zapUpstream(u *upstream) zap.Field { return zap.String("upstream", u.ep.name) }

// MaxConcurrent is the number of queries that may be in flight at once;
// more are rejected with ErrOverloaded.
func (f *Forwarder) MaxConcurrent() int { return f.cfg.MaxConcurrent }
