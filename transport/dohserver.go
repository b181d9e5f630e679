package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/cleandns/cleandns/query"
	"golang.org/x/net/netutil"
)

// DoHServer serves a DoH handler on one listener: over TLS (HTTP/2 and
// HTTP/1.1 by ALPN) when it has a certificate, plain HTTP/1.1 otherwise,
// for a proxy that terminates TLS in front of it. net/http accepts the
// connections and does the TLS handshake; an HTTP/2 connection is then
// served by DoH's own loop (doh2conn.go), an HTTP/1.1 one by net/http.
type DoHServer struct {
	srv *http.Server
	doh *DoH
	ln  net.Listener
	tls bool
	h2t h2Timeouts
	log *zap.Logger

	mu      sync.Mutex
	conns   map[*h2Conn]struct{} // the HTTP/2 connections, for Shutdown
	closing bool                 // Shutdown began: a connection handed over now goes away at once
}

// NewDoHServer serves h on ln; tlsConf nil means plain HTTP. Connections
// beyond maxConns wait to be accepted; idle ones close after idle. h sees
// every path: DoH answers 404 beyond /dns-query and /dns-query/{id}, so a
// ServeMux in front of it would only add a lookup per query.
func NewDoHServer(ln net.Listener, h *DoH, tlsConf *tls.Config, maxConns int, idle time.Duration, m *Metrics, log *zap.Logger) *DoHServer {
	open := m.Open.WithLabelValues(query.ProtoDoH)
	s := &DoHServer{ln: netutil.LimitListener(ln, maxConns), tls: tlsConf != nil, doh: h, h2t: defaultH2Timeouts(idle), log: log,
		conns: make(map[*h2Conn]struct{})}
	s.srv = &http.Server{
		Handler: h,
		// HTTP/2 after the handshake: the connection counts as open (its
		// ConnState was StateNew) until serveH2 returns and net/http
		// closes it.
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){"h2": s.serveH2},
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       idle,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          zap.NewStdLog(log),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, dohConnKey{}, newConnAddrs(c.LocalAddr(), c.RemoteAddr().String()))
		},
		ConnState: func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				open.Inc()
			case http.StateClosed, http.StateHijacked:
				open.Dec()
			}
		},
	}
	s.srv.RegisterOnShutdown(s.goAway)
	return s
}

// serveH2 serves one HTTP/2 connection to its end.
func (s *DoHServer) serveH2(_ *http.Server, tc *tls.Conn, _ http.Handler) { s.serveConn(tc) }

// serveConn serves one HTTP/2 connection, past its TLS handshake, to its
// end.
func (s *DoHServer) serveConn(tc net.Conn) {
	c := newH2Conn(s.doh, tc, s.h2t, s.log)
	s.mu.Lock()
	s.conns[c] = struct{}{}
	if s.closing {
		// Its handshake ended after goAway ran: told now, or it would hold
		// Shutdown until its context ends.
		c.shutdown()
	}
	s.mu.Unlock()
	c.serve()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// goAway starts a graceful close of every HTTP/2 connection; net/http's
// Shutdown waits for them as for its own. A GOAWAY may wait on a slow
// client's write, so the connections are told outside s.mu.
func (s *DoHServer) goAway() {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	for _, c := range s.h2Conns() {
		c.shutdown()
	}
}

// h2Conns are the HTTP/2 connections open now.
func (s *DoHServer) h2Conns() []*h2Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*h2Conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// Addr is the listener's address.
func (s *DoHServer) Addr() net.Addr { return s.ln.Addr() }

// Serve serves until Shutdown; it returns nil then.
func (s *DoHServer) Serve() error {
	var err error
	if s.tls {
		err = s.srv.ServeTLS(s.ln, "", "")
	} else {
		err = s.srv.Serve(s.ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting and waits (within ctx) for requests in flight.
// The listener is closed here too, for a server that never served.
func (s *DoHServer) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		// Out of time: the HTTP/2 connections still open are cut.
		for _, c := range s.h2Conns() {
			c.abort()
		}
	}
	err = errors.Join(err, s.doh.Close()) // DoH's answering goroutines
	if cerr := s.ln.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
		err = errors.Join(err, cerr)
	}
	return err
}
