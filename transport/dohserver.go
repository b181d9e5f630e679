package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/cleandns/cleandns/query"
	"golang.org/x/net/netutil"
)

// DoHServer serves a DoH handler on one listener: over TLS (HTTP/2 and
// HTTP/1.1 by ALPN) when it has a certificate, plain HTTP/1.1 otherwise,
// for a proxy that terminates TLS in front of it.
type DoHServer struct {
	srv *http.Server
	ln  net.Listener
	tls bool
}

// NewDoHServer serves h on ln; tlsConf nil means plain HTTP. Connections
// beyond maxConns wait to be accepted; idle ones close after idle. h sees
// every path: DoH answers 404 beyond /dns-query and /dns-query/{id}, so a
// ServeMux in front of it would only add a lookup per query.
func NewDoHServer(ln net.Listener, h http.Handler, tlsConf *tls.Config, maxConns int, idle time.Duration, m *Metrics, log *zap.Logger) *DoHServer {
	open := m.Open.WithLabelValues(query.ProtoDoH)
	s := &DoHServer{ln: netutil.LimitListener(ln, maxConns), tls: tlsConf != nil}
	s.srv = &http.Server{
		Handler:           h,
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
	return s
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
	if c, ok := s.srv.Handler.(io.Closer); ok { // DoH's answering goroutines
		err = errors.Join(err, c.Close())
	}
	if cerr := s.ln.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
		err = errors.Join(err, cerr)
	}
	return err
}
