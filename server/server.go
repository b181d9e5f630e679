// Package server assembles a running cleandns from a config: it builds the
// components, wires the pipeline and owns the sockets. cmd/cleandns only
// parses flags and signals around it; tests boot the same wiring.
package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/cache"
	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/metrics"
	"github.com/cleandns/cleandns/resolver"
	"github.com/cleandns/cleandns/upstream"
)

// Deps are what the process gives the server.
type Deps struct {
	Logger  *zap.Logger
	Version string
}

// Server is a configured cleandns: pipeline, DNS listeners, HTTP listener.
type Server struct {
	cfg       *config.Config
	log       *zap.Logger
	registry  *prometheus.Registry
	metrics   *metrics.Metrics
	lists     *blocklist.Manager
	upstream  *upstream.Forwarder
	cache     *cache.Cache
	cacheLink *resolver.CacheLink
	edge      *resolver.Edge

	listeners []*listener
	http      *http.Server
	httpAddr  string
	errc      chan error
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

// New builds every component from cfg. It opens no socket and loads no list.
func New(cfg *config.Config, deps Deps) (*Server, error) {
	log := deps.Logger
	if log == nil {
		log = zap.NewNop()
	}
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	m.BuildInfo.WithLabelValues(deps.Version, runtime.Version()).Set(1)
	s := &Server{cfg: cfg, log: log, registry: reg, metrics: m, errc: make(chan error, 8)}

	fwd, err := upstream.NewForwarder(cfg.Upstreams, cfg.ForwardZones, upstream.Deps{Logger: log.Named("upstream"), Metrics: m})
	if err != nil {
		return nil, err
	}
	if err := fwd.CheckSelf(cfg.Listen); err != nil {
		fwd.Close()
		return nil, err
	}
	s.upstream = fwd

	s.lists, err = blocklist.New(cfg.Blocking.Config, policies(cfg), blocklist.Deps{Logger: log.Named("blocklist"), Metrics: m})
	if err != nil {
		fwd.Close()
		return nil, err
	}
	parts, err := s.parts()
	if err != nil {
		fwd.Close()
		return nil, err
	}
	s.edge = resolver.NewEdge(resolver.EdgeConfig{}, resolver.Build(parts), m, log.Named("edge"))
	return s, nil
}

// parts builds the links the config switches on.
func (s *Server) parts() (resolver.Parts, error) {
	cfg := s.cfg
	p := resolver.Parts{
		Forward: resolver.NewForward(s.upstream),
		Dedup:   resolver.NewDedup(s.metrics.UpstreamDedup),
	}
	if cfg.Blocking.Enabled {
		mode, err := resolver.ParseBlockMode(cfg.Blocking.BlockConfig)
		if err != nil {
			return p, err
		}
		block := resolver.NewBlockLink(s.lists.Matcher, mode)
		p.Block = block
		p.ResponseFilter = resolver.NewResponseFilter(block, s.lists.Matcher)
	}
	if cfg.Cache.Enabled {
		c, err := cache.New(cfg.Cache, s.metrics, nil)
		if err != nil {
			return p, err
		}
		s.cache = c
		s.cacheLink = resolver.NewCacheLink(c, s.metrics, s.log.Named("cache"))
		p.Cache = s.cacheLink
	}
	return p, nil
}

// policies turns the config's lists into blocklist policies: the implicit
// default group's for now; client groups add theirs.
func policies(cfg *config.Config) []blocklist.Policy {
	return []blocklist.Policy{{Name: resolver.DefaultGroup, Lists: cfg.Blocking.Lists, Allow: cfg.Blocking.Allow}}
}

// Start loads the lists (local ones before the first query is answered,
// remote ones in the background), then opens the DNS and HTTP listeners.
func (s *Server) Start(ctx context.Context) error {
	ctx, s.cancel = context.WithCancel(ctx)
	if err := s.lists.Start(ctx); err != nil {
		return fmt.Errorf("blocklists: %w", err)
	}
	for _, addr := range s.cfg.Listen {
		l, err := listen(addr, s.edge)
		if err != nil {
			s.closeListeners()
			return err
		}
		s.listeners = append(s.listeners, l)
	}
	for _, l := range s.listeners {
		l.serve(s.errc)
	}
	if s.cfg.HTTP.Listen != "" {
		srv, l, err := listenHTTP(s.cfg.HTTP.Listen, httpHandler(s.registry))
		if err != nil {
			s.closeListeners()
			return fmt.Errorf("http.listen %s: %w", s.cfg.HTTP.Listen, err)
		}
		s.http, s.httpAddr = srv, l.Addr().String()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.errc <- fmt.Errorf("http: %w", err)
			}
		}()
	}
	s.logStart()
	return nil
}

// Errors reports listeners that stopped unexpectedly.
func (s *Server) Errors() <-chan error { return s.errc }

// Addrs are the bound DNS addresses, in config order.
func (s *Server) Addrs() []string {
	out := make([]string, len(s.listeners))
	for i, l := range s.listeners {
		out[i] = l.Addr()
	}
	return out
}

// HTTPAddr is the bound HTTP address, or "" when it is off.
func (s *Server) HTTPAddr() string { return s.httpAddr }

// Shutdown stops accepting queries, lets in-flight ones finish, and stops
// the background work, within ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.closeListeners()
	if s.http != nil {
		err = errors.Join(err, s.http.Shutdown(ctx))
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	if s.cacheLink != nil {
		s.cacheLink.Wait() // background refreshes end within their own timeout
	}
	return errors.Join(err, s.upstream.Close())
}

func (s *Server) closeListeners() error {
	var err error
	for _, l := range s.listeners {
		err = errors.Join(err, l.shutdown())
	}
	s.listeners = nil
	return err
}

func (s *Server) logStart() {
	var lists []zap.Field
	total := 0
	for _, st := range s.lists.Status() {
		total += st.Entries
		lists = append(lists, zap.Int(st.Name, st.Entries))
	}
	s.log.Info("cleandns started",
		zap.Strings("listen", s.Addrs()),
		zap.String("http", s.httpAddr),
		zap.Int("domains", total),
		zap.Dict("lists", lists...),
		zap.Strings("upstreams", s.cfg.Upstreams.Servers),
		zap.Bool("blocking", s.cfg.Blocking.Enabled),
		zap.Bool("cache", s.cfg.Cache.Enabled),
	)
}
