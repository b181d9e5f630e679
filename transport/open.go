package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"go.uber.org/zap"

	"github.com/cleandns/cleandns/query"
)

// server is what every encrypted listener is.
type server interface {
	Serve() error
	Shutdown(ctx context.Context) error
	Addr() net.Addr
}

// Listeners are the encrypted listeners of the `tls` section, opened and
// closed together. The handler they feed is the edge, which a reload swaps
// the pipeline behind: the listeners and their connections stay.
type Listeners struct {
	servers []named
	certs   *Certs
}

type named struct {
	protocol string
	server
}

// Open binds every configured address, each listener feeding
// h.For(its protocol). On error nothing stays open.
func Open(cfg Config, h Handler, m *Metrics, log *zap.Logger) (_ *Listeners, err error) {
	ls := &Listeners{}
	if !cfg.Enabled() {
		return ls, nil
	}
	defer func() {
		if err != nil {
			_ = ls.Shutdown(context.Background())
		}
	}()
	if cfg.CertFile != "" {
		if ls.certs, err = LoadCerts(cfg.CertFile, cfg.KeyFile); err != nil {
			return nil, err
		}
	}
	trusted, err := ParseTrusted(cfg.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("tls.trusted_proxies%w", err)
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = defaultIdle
	}
	sni := SNIClientID(cfg.ServerName)
	for _, a := range cfg.DoT {
		ln, err := listenTCP(WithPort(a, "853"), trusted)
		if err != nil {
			return nil, fmt.Errorf("tls.dot: %w", err)
		}
		ln = tls.NewListener(ln, TLSConfig(ls.certs, "dot"))
		sc := StreamConfig{Protocol: query.ProtoDoT, IdleTimeout: cfg.IdleTimeout, MaxConnections: cfg.MaxConnections, ClientID: sni}
		ls.add(query.ProtoDoT, NewStreamServer(ln, h.For(query.ProtoDoT), sc, m, log))
	}
	for _, a := range cfg.DoH {
		ln, err := listenTCP(WithPort(a, "443"), trusted)
		if err != nil {
			return nil, fmt.Errorf("tls.doh: %w", err)
		}
		var tc *tls.Config
		if ls.certs != nil {
			tc = TLSConfig(ls.certs, "h2", "http/1.1")
		}
		ls.add(query.ProtoDoH, NewDoHServer(ln, NewDoH(h.For(query.ProtoDoH), trusted), tc, maxConns(cfg), cfg.IdleTimeout, m, log))
	}
	for _, a := range cfg.DoQ {
		pc, err := net.ListenPacket("udp", WithPort(a, "853"))
		if err != nil {
			return nil, fmt.Errorf("tls.doq: %w", err)
		}
		s, err := NewDoQServer(pc, h.For(query.ProtoDoQ), TLSConfig(ls.certs, "doq"), cfg.IdleTimeout, cfg.MaxConnections, sni, m, log)
		if err != nil {
			pc.Close()
			return nil, err
		}
		ls.add(query.ProtoDoQ, s)
	}
	return ls, nil
}

// defaultIdle is the encrypted listeners' idle timeout: longer than plain
// TCP's, since a handshake costs more than a query.
const defaultIdle = 30 * time.Second

func maxConns(cfg Config) int {
	if cfg.MaxConnections > 0 {
		return cfg.MaxConnections
	}
	return 1000
}

// listenTCP binds addr; connections from trusted proxies may start with a
// PROXY protocol v2 header.
func listenTCP(addr string, trusted Trusted) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if len(trusted) > 0 {
		ln = ProxyListener(ln, trusted)
	}
	return ln, nil
}

func (l *Listeners) add(protocol string, s server) {
	l.servers = append(l.servers, named{protocol, s})
}

// Serve starts every listener; one that stops with an error reports it
// on errc.
func (l *Listeners) Serve(errc chan<- error) {
	for _, s := range l.servers {
		go func() {
			if err := s.Serve(); err != nil {
				errc <- fmt.Errorf("%s %s: %w", s.protocol, s.Addr(), err)
			}
		}()
	}
}

// Addrs are the bound addresses of one protocol, in config order.
func (l *Listeners) Addrs(protocol string) []string {
	var out []string
	for _, s := range l.servers {
		if s.protocol == protocol {
			out = append(out, s.Addr().String())
		}
	}
	return out
}

// Shutdown closes every listener, waiting (within ctx) for the queries in
// flight.
func (l *Listeners) Shutdown(ctx context.Context) error {
	var err error
	for _, s := range l.servers {
		err = errors.Join(err, s.Shutdown(ctx))
	}
	l.servers = nil
	return err
}
