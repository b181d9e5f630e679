package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/query"
	"github.com/cleandns/cleandns/resolver"
)

// DNSOptions tune a plain DNS listener.
type DNSOptions struct {
	// StockUDP serves UDP with miekg's server instead of the reading loop
	// (udploop.go): tests compare the two.
	StockUDP bool
	Logger   *zap.Logger // the UDP loop's; nil: none
	// TCP tunes the TCP side: idle timeout and connection cap (RFC 7766).
	TCP TCPConfig
	// Metrics count the TCP connections; nil: counted nowhere.
	Metrics *Metrics
}

// TCPConfig is the `tcp` section: how plain DNS over TCP connections are
// kept. Any number of queries may be sent on one connection, and they are
// answered as they complete (RFC 7766 §6.2.1.1), not in order.
type TCPConfig struct {
	// IdleTimeout closes a connection with no query outstanding after this
	// long; default 10s.
	IdleTimeout time.Duration `mapstructure:"idle_timeout"`
	// MaxConnections caps the open TCP connections of each address; more
	// are closed at once and counted in cleandns_connections_rejected_total.
	// Default 1000, or a quarter of the descriptor limit if that is lower.
	MaxConnections int `mapstructure:"max_connections"`
}

// Validate checks the section.
func (c TCPConfig) Validate() error {
	if c.IdleTimeout < 0 {
		return fmt.Errorf("tcp.idle_timeout: %v is negative", c.IdleTimeout)
	}
	if c.MaxConnections < 0 {
		return fmt.Errorf("tcp.max_connections: %d is negative", c.MaxConnections)
	}
	return nil
}

// dnsListener is one configured address: a UDP and a TCP socket on the same
// address and port. UDP is served by our own loop (udploop.go), or by
// miekg's server when stock is asked for.
type dnsListener struct {
	addr string // as configured
	pc   net.PacketConn
	loop *udpLoop    // nil when udp is set
	udp  *dns.Server // miekg's UDP server, when stock
	tcp  *StreamServer
}

// udpReadBuffer is the receive buffer asked for each UDP socket.
const udpReadBuffer = 4 << 20

var _ Listener = (*dnsListener)(nil)

// ListenDNS binds UDP and TCP on addr, feeding h. With port 0 the kernel
// picks a UDP port and TCP takes the same one, retried a few times in case
// it is taken.
func ListenDNS(addr string, h Handler, opts DNSOptions) (Listener, error) {
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	var lastErr error
	for try := 0; try < 10; try++ {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, fmt.Errorf("listen udp %s: %w", addr, err)
		}
		if uc, ok := pc.(*net.UDPConn); ok {
			// Room for bursts: a busy moment must queue queries in the
			// kernel, not drop them. The kernel caps it at net.core.rmem_max.
			_ = uc.SetReadBuffer(udpReadBuffer)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil {
			pc.Close()
			lastErr = fmt.Errorf("listen tcp %s: %w", pc.LocalAddr(), err)
			if _, port, _ := net.SplitHostPort(addr); port == "0" {
				continue
			}
			return nil, lastErr
		}
		ln := &dnsListener{addr: addr, pc: pc}
		if opts.StockUDP {
			ln.udp = &dns.Server{
				PacketConn:    pc,
				Handler:       h.For(query.ProtoUDP),
				MsgAcceptFunc: resolver.AcceptFunc,
				UDPSize:       dns.MaxMsgSize, // read whatever a client sends; answers are sized by the edge
			}
		} else if ln.loop, err = newUDPLoop(pc.(*net.UDPConn), h, log); err != nil {
			pc.Close()
			l.Close()
			return nil, err
		}
		m := opts.Metrics
		if m == nil {
			m, _ = NewMetrics(prometheus.NewRegistry()) // a registry of its own cannot clash
		}
		ln.tcp = NewStreamServer(l, h.For(query.ProtoTCP), StreamConfig{
			Protocol:       query.ProtoTCP,
			IdleTimeout:    opts.TCP.IdleTimeout,
			MaxConnections: defaultConnections(opts.TCP.MaxConnections),
		}, m, log)
		return ln, nil
	}
	return nil, lastErr
}

// Serve starts both servers and returns once both are accepting.
func (l *dnsListener) Serve(errc chan<- error) {
	if l.loop != nil {
		go func() {
			if err := l.loop.serve(); err != nil {
				errc <- fmt.Errorf("serve %s: %w", l.addr, err)
			}
		}()
	}
	go func() {
		// The socket is bound and listening: connections made before Accept
		// runs wait in the kernel's backlog.
		if err := l.tcp.Serve(); err != nil {
			errc <- fmt.Errorf("serve %s: %w", l.addr, err)
		}
	}()
	if l.udp != nil {
		started := make(chan struct{})
		l.udp.NotifyStartedFunc = func() { close(started) }
		go func() {
			if err := l.udp.ActivateAndServe(); err != nil {
				errc <- fmt.Errorf("serve %s: %w", l.addr, err)
			}
		}()
		<-started
	}
}

// Addr is the bound address (the real port when 0 was configured).
func (l *dnsListener) Addr() string { return l.pc.LocalAddr().String() }

// Shutdown stops reading, waits (within ctx) for queries being answered,
// then closes the sockets.
func (l *dnsListener) Shutdown(ctx context.Context) error {
	udp := l.udp.ShutdownContext
	if l.loop != nil {
		udp = l.loop.shutdown
	}
	return errors.Join(udp(ctx), l.tcp.Shutdown(ctx))
}

// defaultConnections is n, or when n is 0 the default TCP cap: 1000 or a
// quarter of the descriptor limit, so that idle connections cannot take
// the descriptors upstream sockets need.
func defaultConnections(n int) int {
	if n > 0 {
		return n
	}
	return CapConnections(1000, 4)
}
