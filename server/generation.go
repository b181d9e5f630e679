package server

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/cache"
	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/dnssec"
	"github.com/cleandns/cleandns/groups"
	"github.com/cleandns/cleandns/internal/statedir"
	"github.com/cleandns/cleandns/localrecords"
	"github.com/cleandns/cleandns/policy"
	"github.com/cleandns/cleandns/query"
	"github.com/cleandns/cleandns/resolver"
	"github.com/cleandns/cleandns/upstream"
)

// generation is everything built from one config: the components and the
// pipeline over them. A reload builds the next generation, reusing the parts
// whose config did not change, and swaps it in behind the edge. held lists
// what it owns and what it borrowed (lifecycle.go).
type generation struct {
	cfg       *config.Config
	held      holdings
	upstream  *upstream.Forwarder
	lists     *blocklist.Manager
	stopLists context.CancelFunc // nil until the lists are started
	cache     *cache.Cache
	cacheLink *resolver.CacheLink
	limiter   *policy.Limiter // nil when rate limiting is off
	groups    *groups.Groups
	local     *localrecords.Records // nil when there are none
	stopLocal context.CancelFunc
	validator *dnssec.Validator // nil when dnssec.validate is off
	handler   resolver.Handler
	// decide is the request side of handler, the very same links, ending
	// where a query would go upstream: what explain asks (see Explain).
	decide resolver.Handler
}

// build makes a generation from cfg. prev, when not nil, is the generation
// being replaced: the upstreams, lists, cache and rate limiter whose config
// is unchanged are borrowed, so a reload neither drops upstream connections
// and health, nor downloads lists again, nor empties the cache. When build
// fails, what it built is closed in one step; what it borrowed stays with
// prev.
func (s *Server) build(cfg *config.Config, prev *generation) (_ *generation, err error) {
	g := &generation{cfg: cfg}
	var prevHeld *holdings
	if prev != nil {
		prevHeld = &prev.held
	}
	defer func() {
		if err != nil {
			_ = g.held.release(prevHeld)
		}
	}()
	if prev != nil && sameUpstreams(prev.cfg, cfg) {
		g.upstream = prev.upstream
		g.held.borrow(prevHeld, g.upstream)
	} else {
		if g.upstream, err = upstream.NewForwarder(cfg.Upstreams, cfg.ForwardZones, upstream.Deps{Logger: s.log.Named("upstream"), Metrics: s.metrics.Upstream()}); err != nil {
			return nil, err
		}
		g.held.own("upstreams", g.upstream, g.upstream.Close)
	}
	if err := g.upstream.CheckSelf(cfg.Listen); err != nil {
		return nil, err
	}
	if prev != nil && sameLists(prev.cfg, cfg) {
		g.lists, g.stopLists = prev.lists, prev.stopLists
		g.held.borrow(prevHeld, g.lists)
	} else {
		if g.lists, err = blocklist.New(listConfig(cfg), policies(cfg), blocklist.Deps{Logger: s.log.Named("blocklist"), Metrics: s.metrics.Blocklist()}); err != nil {
			return nil, err
		}
		g.held.own("blocklists", g.lists, func() error {
			if g.stopLists != nil {
				g.stopLists()
			}
			return nil
		})
	}
	if cfg.Cache.Enabled {
		if prev != nil && prev.cache != nil && reflect.DeepEqual(prev.cfg.Cache, cfg.Cache) {
			g.cache = prev.cache
			g.held.borrow(prevHeld, g.cache)
		} else {
			if g.cache, err = cache.New(cfg.Cache, s.metrics.Cache(), nil); err != nil {
				return nil, err
			}
			g.held.own("cache", g.cache, nil)
		}
		g.cacheLink = resolver.NewCacheLink(g.cache, s.metrics, s.log.Named("cache"))
	}
	if cfg.RateLimit.Enabled {
		// Keep the buckets across a reload that does not change the limits,
		// so a flooding client is not forgiven by an unrelated edit.
		if prev != nil && prev.limiter != nil && reflect.DeepEqual(prev.cfg.RateLimit, cfg.RateLimit) {
			g.limiter = prev.limiter
			g.held.borrow(prevHeld, g.limiter)
		} else {
			if g.limiter, err = policy.NewLimiter(cfg.RateLimit, policy.LimiterDeps{}); err != nil {
				return nil, err
			}
			g.held.own("rate limiter", g.limiter, nil)
		}
	}
	if g.groups, err = groups.New(cfg.Groups, cfg.GroupsIdentity, groups.Deps{Lists: g.lists.Matcher, Pauses: s.state, Off: !cfg.Blocking.Enabled}); err != nil {
		return nil, err
	}
	if cfg.LocalRecords.Enabled() {
		if g.local, err = localrecords.New(cfg.LocalRecords, s.log.Named("local")); err != nil {
			return nil, err
		}
		// Each generation watches the hosts file itself (start).
		g.held.own("local records", g.local, func() error {
			if g.stopLocal != nil {
				g.stopLocal()
			}
			return nil
		})
	}
	parts, err := g.parts(s)
	if err != nil {
		return nil, err
	}
	g.handler = resolver.Build(parts)
	g.decide = resolver.Build(resolver.Parts{Group: parts.Group, Special: parts.Special, Local: parts.Local,
		Block: parts.Block, Forward: wouldForward{}})
	return g, nil
}

// sameUpstreams reports whether two configs forward the same way, so the
// forwarder (its connections and its upstreams' health) can be kept.
func sameUpstreams(a, b *config.Config) bool {
	return reflect.DeepEqual(a.Upstreams, b.Upstreams) && reflect.DeepEqual(a.ForwardZones, b.ForwardZones)
}

// parts picks the links the config switches on.
func (g *generation) parts(s *Server) (resolver.Parts, error) {
	cfg := g.cfg
	access, err := policy.NewAccess(cfg.Access)
	if err != nil {
		return resolver.Parts{}, err
	}
	p := resolver.Parts{
		Loop:    resolver.NewLoopLink(upstream.LoopProbeZone, s.loops.Observe),
		Access:  resolver.NewAccessLink(access),
		Any:     resolver.AnyLink{},
		Forward: resolver.NewForward(g.upstream),
		Dedup:   resolver.NewDedup(s.metrics.UpstreamDedup),
	}
	if g.limiter != nil {
		p.RateLimit = resolver.NewRateLimitLink(g.limiter)
	}
	// Bypass protection is part of blocking: off when blocking is off.
	bypass := policy.BypassConfig{}
	if cfg.Blocking.Enabled {
		bypass = cfg.Blocking.Bypass
	}
	// Special-use names stay local unless the admin said otherwise: a forward
	// zone covers them, or a local record names them (home.arpa, reverse
	// names of the LAN), which the local-records link below then answers.
	// Another instance's loop probe, which the loop link passed on (see
	// upstream.LoopDetector.Observe), goes upstream too, though it is
	// under .invalid: answered here it would hide a loop through both.
	local := func(string) bool { return false }
	if g.local != nil {
		local = g.local.Has
	}
	covered := func(name string) bool {
		return g.upstream.Covers(name) || local(name) || dns.IsSubDomain(upstream.LoopProbeZone, name)
	}
	p.Special = resolver.NewSpecialLink(bypass, covered)
	if len(cfg.Groups) > 0 {
		p.Group = resolver.NewGroupLink(g.groups.Select)
	}
	if g.local != nil {
		p.Local = resolver.NewLocalLink(g.local)
	}
	if cfg.Blocking.Enabled {
		mode, err := resolver.ParseBlockMode(cfg.Blocking.BlockConfig)
		if err != nil {
			return p, err
		}
		// The groups' matcher honours blocking: false, pauses and schedules;
		// the runtime allow list (API, `cleandns allow`) goes in front of it.
		match := s.state.Wrap(g.groups.Matcher) // runtime allow, custom rules, deny list, then the lists
		block := resolver.NewBlockLink(match, mode).WithPauses(func(group string) bool { return s.state.Paused(group, time.Now()) })
		safe, err := safeSearchTables(cfg)
		if err != nil {
			return p, err
		}
		if safe != nil {
			block.WithSafeSearch(safe)
		}
		p.Block = block
		p.ResponseFilter = resolver.NewResponseFilter(block, match)
	}
	if g.cacheLink != nil {
		p.Cache = g.cacheLink
	}
	if cfg.DNSSEC.Enabled {
		v, err := g.newValidator(s)
		if err != nil {
			return p, err
		}
		g.validator = v
		p.Validate = resolver.NewValidateLink(v, s.dnssec.Observe)
	}
	return p, nil
}

// newValidator builds the DNSSEC validator over this generation's
// upstreams, adding the config's negative trust anchors to the server's set.
func (g *generation) newValidator(s *Server) (*dnssec.Validator, error) {
	anchors, err := g.cfg.DNSSEC.Anchors()
	if err != nil {
		return nil, fmt.Errorf("dnssec.trust_anchors: %w", err)
	}
	for _, d := range g.cfg.DNSSEC.NegativeTrustAnchors {
		if err := s.negative.Add(d); err != nil {
			return nil, fmt.Errorf("dnssec.negative_trust_anchors: %w", err)
		}
	}
	exchange := func(ctx context.Context, q *dns.Msg) (*dns.Msg, error) {
		reply, _, err := g.upstream.Exchange(ctx, q)
		return reply, err
	}
	return dnssec.New(dnssec.Deps{Exchange: exchange, Anchors: anchors, Negative: s.negative})
}

// start loads the lists if this generation brought new ones, and starts
// watching the local hosts file.
func (g *generation) start(ctx context.Context) error {
	if g.local != nil {
		var lctx context.Context
		lctx, g.stopLocal = context.WithCancel(ctx)
		go g.local.Run(lctx)
	}
	if g.stopLists != nil {
		return nil // taken over from the previous generation, already running
	}
	ctx, g.stopLists = context.WithCancel(ctx)
	return g.lists.Start(ctx)
}

// retire closes, once queries still inside g have had time to finish, what
// keep (the generation that replaced it) does not hold. Shutdown cuts the
// wait short and waits for it.
func (s *Server) retire(g, keep *generation) {
	grace := g.cfg.Upstreams.Deadline + time.Second
	s.retiring.Add(1)
	go func() {
		defer s.retiring.Done()
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.shuttingDown:
		}
		// Background cache refreshes go through g's upstreams: let them end
		// before the upstreams close.
		if g.cacheLink != nil {
			g.cacheLink.Wait()
		}
		if err := g.held.release(&keep.held); err != nil {
			s.log.Debug("close retired generation", zap.Error(err))
		}
	}()
}

// close stops everything now (shutdown).
func (g *generation) close(ctx context.Context) error {
	// Closing the upstreams first makes background cache refreshes fail
	// fast; then wait for them, but no longer than the shutdown allows.
	err := g.held.release(nil)
	if g.cacheLink != nil {
		done := make(chan struct{})
		go func() { g.cacheLink.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
	return err
}

// listConfig is the blocklist config with the store defaulted: remote lists
// always keep a last good copy on disk, so a restart during an outage, or a
// reload that changes the lists (and so builds a new manager, which starts
// from the store), still blocks with what was last downloaded.
func listConfig(cfg *config.Config) blocklist.Config {
	c := cfg.Blocking.Config
	if c.StoreDir == "" {
		if d := statedir.Path(); d != "" {
			c.StoreDir = filepath.Join(d, "lists")
		}
	}
	return c
}

// sameLists reports whether two configs load the same lists, so the loaded
// sets (and their background refresh) can be kept across a reload.
func sameLists(a, b *config.Config) bool {
	return reflect.DeepEqual(policies(a), policies(b)) && reflect.DeepEqual(a.Blocking.Config, b.Blocking.Config)
}

// policies turns the config's lists into blocklist policies: the implicit
// default group's, one per client group, and NAME@schedule for a group's
// schedule lists. blocking.allow applies to every group; a group without
// lists uses the default group's.
func policies(cfg *config.Config) []blocklist.Policy {
	out := []blocklist.Policy{{Name: query.DefaultGroup, Lists: cfg.Blocking.Lists, Allow: cfg.Blocking.Allow}}
	for _, g := range cfg.Groups {
		lists := g.Lists
		if len(lists) == 0 {
			lists = cfg.Blocking.Lists
		}
		allow := append(append([]string(nil), cfg.Blocking.Allow...), g.Allow...)
		out = append(out, blocklist.Policy{Name: g.Name, Lists: lists, Allow: allow})
		if g.Schedule != nil {
			out = append(out, blocklist.Policy{Name: groups.SchedulePolicy(g.Name), Lists: g.Schedule.Lists, Allow: allow})
		}
	}
	return out
}
