package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"

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
	// UDP says how many sockets and reading loops serve UDP.
	UDP UDPConfig
	// V6Only binds an IPv6 address IPv6-only (IPV6_V6ONLY), so that an
	// IPv4 wildcard can bind the same port beside it (see V6Only).
	V6Only bool
}

// dnsListener is one configured address: a UDP and a TCP socket on the same
// address and port. UDP is served by our own loop (udploop.go), or by
// miekg's server when stock is asked for.
type dnsListener struct {
	addr  string           // as configured
	pcs   []net.PacketConn // one per loop, SO_REUSEPORT when more than one
	loops []*udpLoop       // empty when udp is set
	udp   *dns.Server      // miekg's UDP server, when stock
	tcp   *StreamServer
	v6    bool // bound IPv6-only (DNSOptions.V6Only)
}

// udpReadBuffer is the receive (and send) buffer asked for each UDP socket.
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
	n := opts.UDP.loops()
	if opts.StockUDP {
		n = 1
	}
	var lastErr error
	for try := 0; try < 10; try++ {
		pcs, err := listenUDP(addr, n, opts.V6Only)
		if err != nil {
			return nil, err
		}
		l, err := net.Listen(family("tcp", addr, opts.V6Only), pcs[0].LocalAddr().String())
		if err != nil {
			closeAll(pcs)
			lastErr = bindError(err)
			if _, port, _ := net.SplitHostPort(addr); port == "0" {
				continue
			}
			return nil, lastErr
		}
		ln := &dnsListener{addr: addr, pcs: pcs, v6: opts.V6Only}
		if opts.StockUDP {
			ln.udp = &dns.Server{
				PacketConn:    pcs[0],
				Handler:       h.For(query.ProtoUDP),
				MsgAcceptFunc: resolver.AcceptFunc,
				UDPSize:       dns.MaxMsgSize, // read whatever a client sends; answers are sized by the edge
			}
		} else {
			for i, pc := range pcs {
				loop, err := newUDPLoop(pc.(*net.UDPConn), h, log, i)
				if err != nil {
					closeAll(pcs)
					l.Close()
					return nil, err
				}
				ln.loops = append(ln.loops, loop)
			}
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

// listenUDP binds n sockets on addr: with n > 1 all with SO_REUSEPORT, so
// the kernel spreads the queries over them by source address and port,
// and each has a reading loop of its own. With port 0 the first socket's
// port is the others'.
func listenUDP(addr string, n int, v6only bool) ([]net.PacketConn, error) {
	var pcs []net.PacketConn
	for i := 0; i < n; i++ {
		a := addr
		if i > 0 {
			a = pcs[0].LocalAddr().String()
		}
		lc := net.ListenConfig{}
		if n > 1 {
			lc.Control = reusePort
		}
		pc, err := lc.ListenPacket(context.Background(), family("udp", addr, v6only), a)
		if err != nil {
			closeAll(pcs)
			return nil, bindError(err)
		}
		if uc, ok := pc.(*net.UDPConn); ok {
			// Room for bursts: a busy moment must queue queries in the
			// kernel, not drop them. The kernel caps it at net.core.rmem_max.
			_ = uc.SetReadBuffer(udpReadBuffer)
			// And answers: with the default 208 KB, a flood's answers filled
			// it, every writer queued on the socket's write lock, the reader
			// among them, and other clients' queries waited behind.
			_ = uc.SetWriteBuffer(udpReadBuffer)
		}
		pcs = append(pcs, pc)
	}
	return pcs, nil
}

func closeAll(pcs []net.PacketConn) {
	for _, pc := range pcs {
		pc.Close()
	}
}

// Serve starts both servers and returns once both are accepting.
func (l *dnsListener) Serve(errc chan<- error) {
	for _, loop := range l.loops {
		go func() {
			if err := loop.serve(); err != nil {
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
func (l *dnsListener) Addr() string { return l.pcs[0].LocalAddr().String() }

// IPv6Only reports whether the sockets were bound IPv6-only.
func (l *dnsListener) IPv6Only() bool { return l.v6 }

// Shutdown stops reading, waits (within ctx) for queries being answered,
// then closes the sockets.
func (l *dnsListener) Shutdown(ctx context.Context) error {
	if l.udp != nil {
		return errors.Join(l.udp.ShutdownContext(ctx), l.tcp.Shutdown(ctx))
	}
	// Every loop stops reading first, then each waits for its queries.
	done := make(chan error, len(l.loops))
	for _, loop := range l.loops {
		go func() { done <- loop.shutdown(ctx) }()
	}
	var err error
	for range l.loops {
		err = errors.Join(err, <-done)
	}
	return errors.Join(err, l.tcp.Shutdown(ctx))
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

// bindError is a failed bind as the admin should read it: net's error
// already says "listen udp ADDR: ...", so it is not wrapped again, and a
// port below 1024 refused for want of privilege says what grants it.
func bindError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && errors.Is(err, syscall.EACCES) {
		if a, ok := op.Addr.(interface{ String() string }); ok {
			if _, port, perr := net.SplitHostPort(a.String()); perr == nil {
				if n, _ := strconv.Atoi(port); n > 0 && n < 1024 {
					return fmt.Errorf("%w (ports below 1024 need CAP_NET_BIND_SERVICE: see the README's \"Port 53\")", err)
				}
			}
		}
	}
	return err
}
