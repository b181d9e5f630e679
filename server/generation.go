package server

import (
	"context"
	"reflect"
	"time"

	"go.uber.org/zap"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/cache"
	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/resolver"
	"github.com/cleandns/cleandns/upstream"
)

// generation is everything built from one config: the components and the
// pipeline over them. A reload builds the next generation, reusing the parts
// whose config did not change, and swaps it in behind the edge.
type generation struct {
	cfg       *config.Config
	upstream  *upstream.Forwarder
	lists     *blocklist.Manager
	stopLists context.CancelFunc // nil until the lists are started
	cache     *cache.Cache
	cacheLink *resolver.CacheLink
	handler   resolver.Handler
}

// build makes a generation from cfg. prev, when not nil, is the generation
// being replaced: lists and cache whose config is unchanged are taken over,
// so a reload neither downloads lists again nor empties the cache.
func (s *Server) build(cfg *config.Config, prev *generation) (*generation, error) {
	g := &generation{cfg: cfg}
	fwd, err := upstream.NewForwarder(cfg.Upstreams, cfg.ForwardZones, upstream.Deps{Logger: s.log.Named("upstream"), Metrics: s.metrics})
	if err != nil {
		return nil, err
	}
	if err := fwd.CheckSelf(cfg.Listen); err != nil {
		fwd.Close()
		return nil, err
	}
	g.upstream = fwd

	if prev != nil && sameLists(prev.cfg, cfg) {
		g.lists, g.stopLists = prev.lists, prev.stopLists
	} else {
		g.lists, err = blocklist.New(cfg.Blocking.Config, policies(cfg), blocklist.Deps{Logger: s.log.Named("blocklist"), Metrics: s.metrics})
		if err != nil {
			fwd.Close()
			return nil, err
		}
	}
	if cfg.Cache.Enabled {
		if prev != nil && prev.cache != nil && reflect.DeepEqual(prev.cfg.Cache, cfg.Cache) {
			g.cache = prev.cache
		} else if g.cache, err = cache.New(cfg.Cache, s.metrics, nil); err != nil {
			fwd.Close()
			return nil, err
		}
		g.cacheLink = resolver.NewCacheLink(g.cache, s.metrics, s.log.Named("cache"))
	}
	parts, err := g.parts(s)
	if err != nil {
		fwd.Close()
		return nil, err
	}
	g.handler = resolver.Build(parts)
	return g, nil
}

// parts picks the links the config switches on.
func (g *generation) parts(s *Server) (resolver.Parts, error) {
	cfg := g.cfg
	p := resolver.Parts{
		Forward: resolver.NewForward(g.upstream),
		Dedup:   resolver.NewDedup(s.metrics.UpstreamDedup),
	}
	if cfg.Blocking.Enabled {
		mode, err := resolver.ParseBlockMode(cfg.Blocking.BlockConfig)
		if err != nil {
			return p, err
		}
		block := resolver.NewBlockLink(g.lists.Matcher, mode)
		p.Block = block
		p.ResponseFilter = resolver.NewResponseFilter(block, g.lists.Matcher)
	}
	if g.cacheLink != nil {
		p.Cache = g.cacheLink
	}
	return p, nil
}

// start loads the lists if this generation brought new ones.
func (g *generation) start(ctx context.Context) error {
	if g.stopLists != nil {
		return nil // taken over from the previous generation, already running
	}
	ctx, g.stopLists = context.WithCancel(ctx)
	return g.lists.Start(ctx)
}

// retire closes what the next generation did not take over, once queries
// still inside this generation have had time to finish.
func (g *generation) retire(next *generation, log *zap.Logger) {
	grace := g.cfg.Upstreams.Deadline + time.Second
	go func() {
		time.Sleep(grace)
		if next == nil || next.lists != g.lists {
			if g.stopLists != nil {
				g.stopLists()
			}
		}
		if g.cacheLink != nil {
			g.cacheLink.Wait()
		}
		if err := g.upstream.Close(); err != nil {
			log.Debug("close retired upstreams", zap.Error(err))
		}
	}()
}

// close stops everything now (shutdown).
func (g *generation) close() error {
	if g.stopLists != nil {
		g.stopLists()
	}
	if g.cacheLink != nil {
		g.cacheLink.Wait()
	}
	return g.upstream.Close()
}

// sameLists reports whether two configs load the same lists, so the loaded
// sets (and their background refresh) can be kept across a reload.
func sameLists(a, b *config.Config) bool {
	return reflect.DeepEqual(policies(a), policies(b)) && reflect.DeepEqual(a.Blocking.Config, b.Blocking.Config)
}

// policies turns the config's lists into blocklist policies: the implicit
// default group's for now; client groups add theirs.
func policies(cfg *config.Config) []blocklist.Policy {
	return []blocklist.Policy{{Name: resolver.DefaultGroup, Lists: cfg.Blocking.Lists, Allow: cfg.Blocking.Allow}}
}
