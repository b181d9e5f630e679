package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"
)

// StreamConfig configures a StreamServer. Zero values take the defaults.
type StreamConfig struct {
	// Protocol labels the connections in metrics: "tcp" or "dot".
	Protocol string
	// IdleTimeout closes a connection that has no query outstanding and
	// sends none for this long (RFC 7766 §6.2.3); default 10s.
	IdleTimeout time.Duration
	// WriteTimeout bounds writing one answer, so a client that stops
	// reading cannot hold a handler; default 5s.
	WriteTimeout time.Duration
	// MaxConnections caps the connections served at once; one more is
	// closed at once and counted as rejected. Default 1000.
	MaxConnections int
	// MaxInFlight caps the queries of one connection being answered at
	// once; the connection is not read further until one is. Default 100.
	MaxInFlight int
	// ClientID names the device from its TLS handshake (DoT); nil for none.
	ClientID func(*tls.ConnectionState) string
}

func (c *StreamConfig) setDefaults() {
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 10 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 5 * time.Second
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = 1000
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 100
	}
}

// StreamServer serves DNS over a stream listener, TCP or TLS (RFC 7766,
// RFC 7858): any number of queries per connection, read while earlier ones
// are still being answered and answered in the order they complete, so one
// slow upstream does not hold the answers queued behind it.
type StreamServer struct {
	cfg     StreamConfig
	ln      net.Listener
	handler dns.Handler
	metrics *Metrics
	log     *zap.Logger

	closing atomic.Bool
	done    chan struct{} // closed by Shutdown: idle workers exit
	stop    sync.Once
	workers *workers[streamQuery]
	open    atomic.Int64
	mu      sync.Mutex // guards conns
	conns   map[*streamConn]struct{}
	wg      sync.WaitGroup // one per connection
}

// NewStreamServer serves ln (a TCP listener, or a TLS one over it) with h.
func NewStreamServer(ln net.Listener, h dns.Handler, cfg StreamConfig, m *Metrics, log *zap.Logger) *StreamServer {
	cfg.setDefaults()
	if log == nil {
		log = zap.NewNop()
	}
	if m == nil {
		m = unregisteredMetrics()
	}
	s := &StreamServer{cfg: cfg, ln: ln, handler: h, metrics: m, log: log, conns: map[*streamConn]struct{}{}, done: make(chan struct{})}
	s.workers = newWorkers(answerStream, s.done)
	return s
}

// Addr is the listener's address.
func (s *StreamServer) Addr() net.Addr { return s.ln.Addr() }

// Serve accepts connections until Shutdown; it returns nil then.
func (s *StreamServer) Serve() error {
	open := s.metrics.Open.WithLabelValues(s.cfg.Protocol)
	backoff := acceptBackoff{log: s.log}
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return nil
			}
			if backoff.wait(err) {
				continue
			}
			return fmt.Errorf("accept %s: %w", s.ln.Addr(), err)
		}
		backoff.ok()
		tuneAccepted(nc)
		if s.open.Load() >= int64(s.cfg.MaxConnections) {
			s.metrics.Rejected.WithLabelValues(s.cfg.Protocol, "limit").Inc()
			nc.Close()
			continue
		}
		c := &streamConn{srv: s, nc: nc, slots: make(chan struct{}, s.cfg.MaxInFlight)}
		if !s.track(c) {
			nc.Close()
			return nil
		}
		s.open.Add(1)
		open.Inc()
		go func() {
			defer func() {
				s.untrack(c)
				s.open.Add(-1)
				open.Dec()
				s.wg.Done()
			}()
			c.serve()
		}()
	}
}

// track registers c, unless the server is shutting down.
func (s *StreamServer) track(c *streamConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *StreamServer) untrack(c *streamConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Shutdown stops accepting, stops reading every connection, and waits
// (within ctx) for the queries already read to be answered; connections
// still open then are closed.
func (s *StreamServer) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing.Store(true)
	s.stop.Do(func() { close(s.done) })
	err := s.ln.Close()
	for c := range s.conns {
		c.stopReading()
	}
	s.mu.Unlock()
	err = errors.Join(err, wait(ctx, &s.wg, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for c := range s.conns {
			c.nc.Close()
		}
	}))
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
