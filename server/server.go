// Package server assembles a running cleandns from a config: it builds the
// components and wires the pipeline into generations, swaps them on reload,
// serves the admin API, and opens and closes the listeners (package
// transport owns the sockets). cmd/cleandns only parses flags and signals
// around it; tests boot the same wiring.
package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cleandns/cleandns/internal/statedir"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/api"
	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/console"
	"github.com/cleandns/cleandns/dnssec"
	"github.com/cleandns/cleandns/internal/redact"
	"github.com/cleandns/cleandns/metrics"
	"github.com/cleandns/cleandns/querylog"
	"github.com/cleandns/cleandns/resolver"
	"github.com/cleandns/cleandns/runstate"
	"github.com/cleandns/cleandns/transport"
	"github.com/cleandns/cleandns/upstream"
)

// Deps are what the process gives the server.
type Deps struct {
	Logger  *zap.Logger
	Version string
}

// Server is a configured cleandns: pipeline, DNS listeners, HTTP listener.
type Server struct {
	log      *zap.Logger
	registry *prometheus.Registry
	metrics  *metrics.Metrics
	edge     *resolver.Edge
	loops    *upstream.LoopDetector // shared by every generation

	gaugeMu   sync.Mutex                    // serialises syncBlockingEnabled
	mu        sync.Mutex                    // guards what reload changes below
	serving   atomic.Bool                   // listeners up, not shutting down: /readyz
	gen       atomic.Pointer[generation]    // the serving generation; written under mu, read without it
	listeners map[string]transport.Listener // by configured address
	conns     *transport.Metrics            // every listener's connection series
	encrypted *transport.Listeners          // DoT, DoH, DoQ; opened once, at Start
	http      *http.Server
	httpAddr  string
	ctx       context.Context // Start's context, for the lists of later generations
	stop      context.CancelFunc

	errc chan error
	wg   sync.WaitGroup

	// Retiring generations close what their successor did not take over
	// after a grace period (generation.retire); shuttingDown cuts it short
	// and Shutdown waits for them.
	retiring     sync.WaitGroup
	shuttingDown chan struct{}
	shutdownOnce sync.Once

	// The admin API and what it keeps; set up once, at New and Start.
	version string
	started time.Time
	state   *runstate.State // pauses and the runtime allow list: outlives every generation
	shared  *runstate.Redis // the fleet's store behind state, when sync.redis is set
	// refreshes pass list-refresh requests to the rest of the fleet (nil
	// without sync.redis); fleet kicks and follows (fleet.go) apply what
	// another instance changed.
	refreshes *runstate.Refreshes
	fleet     fleetKicks
	follow    sync.WaitGroup
	// stateNote says where state went when the first choice of state
	// directory was not writable, for /readyz; "" when it was.
	stateNote string
	qlog      *querylog.Logger // nil when the query log is off
	api       *guard           // the current HTTP listener's; nil without one
	// sessions are the console's logins; they outlive the API a reload rebuilds.
	sessions *api.Sessions
	// settings are the console's, over the file's config (fileCfg, the
	// last loaded); settingsMu serialises their changes.
	settings   *runstate.SettingsStore
	fileCfg    atomic.Pointer[config.Config]
	settingsMu sync.Mutex
	console    *console.Handler

	// dnssec counts validated answers; negative are the negative trust
	// anchors, which the API changes at run time and reloads add to.
	dnssec   *dnssec.Metrics
	negative *dnssec.NegativeAnchors

	stockUDP bool // serve UDP with miekg's server, not udpLoop: for tests comparing the two
	// beforeSwap, when a test sets it, runs in a reload after the next
	// generation has loaded its lists and before it is swapped in.
	beforeSwap func()
}

// New builds every component from cfg. It opens no socket and loads no list.
func New(cfg *config.Config, deps Deps) (*Server, error) {
	log := deps.Logger
	if log == nil {
		log = zap.NewNop()
	}
	reg := prometheus.NewRegistry()
	s := &Server{
		log: log, registry: reg, metrics: metrics.New(reg), loops: upstream.NewLoopDetector(),
		errc: make(chan error, 8), listeners: map[string]transport.Listener{}, shuttingDown: make(chan struct{}),
		version: deps.Version, started: time.Now(), sessions: api.NewSessions(nil),
	}
	var err error
	if s.conns, err = transport.NewMetrics(reg); err != nil {
		return nil, err
	}
	s.metrics.BuildInfo.WithLabelValues(deps.Version, runtime.Version()).Set(1)
	s.dnssec = dnssec.NewMetrics(reg)
	s.negative, _ = dnssec.NewNegativeAnchors(nil)
	// The runtime state is read before the pipeline that applies it is
	// built; a missing allow file is an empty list.
	if s.console, err = console.New(); err != nil {
		return nil, err
	}
	backend, err := s.stateBackend(cfg)
	if err != nil {
		return nil, err
	}
	if s.state, err = runstate.Open(backend, nil); err != nil {
		return nil, fmt.Errorf("http.allow_file: %w", err)
	}
	s.state.OnChange(s.syncBlockingEnabled)
	if dir, skipped := statedir.Resolve(); len(skipped) > 0 {
		s.stateNote = fmt.Sprintf("state directory: %s (passed over: %s)", orNone(dir), strings.Join(skipped, "; "))
	}
	if s.settings, err = runstate.OpenSettings(backend, nil); err != nil {
		return nil, err
	}
	if err := s.joinFleet(backend); err != nil {
		return nil, err
	}
	s.fileCfg.Store(cfg)
	g, err := s.buildFirst(cfg)
	if err != nil {
		return nil, err
	}
	s.gen.Store(g)
	s.syncBlockingEnabled()
	s.edge = resolver.NewEdge(resolver.EdgeConfig{}, g.handler, s.metrics, log.Named("edge"))
	return s, nil
}

// Start loads the lists (local ones before the first query is answered,
// remote ones in the background), then opens the DNS and HTTP listeners.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, s.stop = context.WithCancel(ctx)
	s.ctx = ctx
	if err := s.gen.Load().start(ctx); err != nil {
		return fmt.Errorf("blocklists: %w", err)
	}
	if err := s.openQueryLog(s.gen.Load().cfg.QueryLog); err != nil {
		return fmt.Errorf("querylog: %w", err)
	}
	if err := s.openListeners(s.gen.Load().cfg.Listen); err != nil {
		s.closeListeners(context.Background(), nil)
		_ = s.closeQueryLog()
		return err
	}
	if err := s.openEncrypted(s.gen.Load().cfg.TLS); err != nil {
		s.closeListeners(context.Background(), nil)
		_ = s.closeQueryLog()
		return err
	}
	if err := s.openHTTP(s.gen.Load().cfg); err != nil {
		s.closeListeners(context.Background(), nil)
		_ = s.closeQueryLog()
		return err
	}
	s.followFleet(ctx)
	s.serving.Store(true)
	s.metrics.ConfigReloadSuccess.Set(1)
	s.metrics.ConfigReloadTimestamp.SetToCurrentTime()
	s.logStart()
	// With the listeners up, send one probe through every upstream: one that
	// comes back is a loop, logged and counted, never fatal.
	s.wg.Add(1)
	go func(fwd *upstream.Forwarder) {
		defer s.wg.Done()
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		fwd.ProbeLoop(pctx, s.loops)
	}(s.gen.Load().upstream)
	return nil
}

// openListeners binds every address in addrs that is not open yet.
func (s *Server) openListeners(addrs []string) error {
	for _, addr := range addrs {
		if _, ok := s.listeners[addr]; ok {
			continue
		}
		l, err := transport.ListenDNS(addr, s.edge, transport.DNSOptions{
			StockUDP: s.stockUDP, Logger: s.log.Named("udp"), TCP: s.gen.Load().cfg.TCP, UDP: s.gen.Load().cfg.UDP, Metrics: s.conns,
			V6Only: transport.V6Only(addr, addrs),
		})
		if err != nil {
			return err
		}
		l.Serve(s.errc)
		s.listeners[addr] = l
	}
	return nil
}

func (s *Server) openHTTP(cfg *config.Config) error {
	h, err := s.bindHTTP(cfg)
	if err != nil || h == nil {
		return err
	}
	s.serveHTTP(h)
	return nil
}

// boundHTTP is an HTTP listener bound but not serving yet, with its guard.
type boundHTTP struct {
	srv   *http.Server
	l     net.Listener
	guard *guard
}

// bindHTTP binds cfg's http.listen with cfg's guard, without serving yet,
// so a reload can bind first and commit the listener and its guard
// together. An empty http.listen binds nothing.
func (s *Server) bindHTTP(cfg *config.Config) (*boundHTTP, error) {
	addr := cfg.HTTP.Listen
	if addr == "" {
		s.logAPI(cfg, "", nil)
		return nil, nil
	}
	g := &guard{}
	srv, l, err := listenHTTP(addr, httpHandler(s.registry, http.HandlerFunc(g.serveAPI), http.HandlerFunc(g.serveConsole), g.guardMetrics, s.ready, s.readyDetail), s.conns)
	if err != nil {
		return nil, fmt.Errorf("http.listen %s: %w", addr, err)
	}
	g.box.Store(s.newBox(cfg, l.Addr().String()))
	return &boundHTTP{srv: srv, l: l, guard: g}, nil
}

// serveHTTP makes h the HTTP listener.
func (s *Server) serveHTTP(h *boundHTTP) {
	s.http, s.httpAddr, s.api = h.srv, h.l.Addr().String(), h.guard
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := h.srv.Serve(h.l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.errc <- fmt.Errorf("http: %w", err)
		}
	}()
}

// Errors reports listeners that stopped unexpectedly.
func (s *Server) Errors() <-chan error { return s.errc }

// Addrs are the bound DNS addresses, in config order.
func (s *Server) Addrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, a := range s.gen.Load().cfg.Listen {
		if l, ok := s.listeners[a]; ok {
			out = append(out, l.Addr())
		}
	}
	return out
}

// HTTPAddr is the bound HTTP address, or "" when it is off.
func (s *Server) HTTPAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.httpAddr
}

// Shutdown stops accepting queries, lets in-flight ones finish, and stops
// the background work, within ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.serving.Store(false) // orchestrators stop sending traffic first
	s.mu.Lock()
	defer func() {
		s.mu.Unlock()
		// The fleet's follower may be waiting for mu to reload; with ctx
		// done its reload is refused and it ends.
		s.follow.Wait()
	}()
	err := s.closeListeners(ctx, nil)
	if s.stop != nil {
		s.stop() // background work: list refreshes, the loop probe
	}
	if s.http != nil {
		err = errors.Join(err, s.http.Shutdown(ctx))
	}
	s.wg.Wait()
	s.shutdownOnce.Do(func() { close(s.shuttingDown) })
	s.retiring.Wait()
	// The listeners are closed: every answered query has been recorded.
	err = errors.Join(err, s.closeQueryLog())
	if s.shared != nil {
		err = errors.Join(err, s.shared.Close())
	}
	return errors.Join(err, s.gen.Load().close(ctx))
}

// closeListeners shuts down every listener whose address is not in keep,
// and, with keep nil, the encrypted ones.
func (s *Server) closeListeners(ctx context.Context, keep map[string]bool) error {
	var err error
	if keep == nil && s.encrypted != nil {
		err = s.encrypted.Shutdown(ctx)
		s.encrypted = nil
	}
	for addr, l := range s.listeners {
		if keep[addr] {
			continue
		}
		err = errors.Join(err, l.Shutdown(ctx))
		delete(s.listeners, addr)
	}
	return err
}

func (s *Server) logStart() {
	var lists []zap.Field
	for _, st := range s.gen.Load().lists.Status() {
		lists = append(lists, zap.Int(st.Name, st.Entries))
	}
	cfg := s.gen.Load().cfg
	var addrs []string
	for _, l := range s.listeners {
		addrs = append(addrs, l.Addr())
	}
	s.log.Info("cleandns started",
		zap.Strings("listen", addrs),
		zap.Strings("dot", s.encrypted.Addrs("dot")),
		zap.Strings("doh", s.encrypted.Addrs("doh")),
		zap.Strings("doq", s.encrypted.Addrs("doq")),
		zap.String("http", s.httpAddr),
		zap.Int("domains", s.gen.Load().lists.Domains()), // distinct names, across lists
		zap.Dict("lists", lists...),
		zap.Strings("upstreams", redact.Strings(cfg.Upstreams.Servers)),
		zap.Bool("blocking", cfg.Blocking.Enabled),
		zap.Bool("cache", cfg.Cache.Enabled),
	)
}
