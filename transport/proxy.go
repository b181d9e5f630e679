package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Trusted are the proxies and load balancers whose word about a client's
// address is taken: the PROXY protocol header on DoT and DoH connections,
// X-Forwarded-For and Forwarded on DoH requests. Everyone else's is ignored.
type Trusted []netip.Prefix

// ParseTrusted reads networks (CIDR) or single addresses.
func ParseTrusted(list []string) (Trusted, error) {
	var t Trusted
	for i, s := range list {
		if a, err := netip.ParseAddr(s); err == nil {
			a = a.Unmap()
			t = append(t, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %q is neither a network (CIDR) nor an address", i, s)
		}
		t = append(t, p.Masked())
	}
	return t, nil
}

// Contains reports whether a is a trusted proxy.
func (t Trusted) Contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func addrOf(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	if a == nil {
		return netip.Addr{}
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap.Addr().Unmap()
}

// ProxyListener reads a PROXY protocol v2 header from connections that come
// from a trusted proxy and reports the address it names as RemoteAddr.
// Connections from elsewhere are passed through untouched: a client cannot
// claim another's address by sending a header itself.
func ProxyListener(l net.Listener, trusted Trusted) net.Listener {
	return &proxyListener{Listener: l, trusted: trusted}
}

type proxyListener struct {
	net.Listener
	trusted Trusted
}

func (l *proxyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil || !l.trusted.Contains(addrOf(c.RemoteAddr())) {
		return c, err
	}
	// The header is read on first use, on the connection's own goroutine,
	// so a slow proxy does not hold up the accept loop.
	return &proxyConn{Conn: c}, nil
}

// proxyHeaderTimeout bounds reading the header.
const proxyHeaderTimeout = 5 * time.Second

type proxyConn struct {
	net.Conn
	once   sync.Once
	remote net.Addr
	err    error
}

func (c *proxyConn) init() {
	c.once.Do(func() {
		c.remote = c.Conn.RemoteAddr()
		_ = c.Conn.SetReadDeadline(time.Now().Add(proxyHeaderTimeout))
		var a net.Addr
		a, c.err = readProxyHeader(c.Conn)
		_ = c.Conn.SetReadDeadline(time.Time{})
		if a != nil {
			c.remote = a
		}
	})
}

func (c *proxyConn) Read(b []byte) (int, error) {
	c.init()
	if c.err != nil {
		return 0, c.err
	}
	return c.Conn.Read(b)
}

func (c *proxyConn) RemoteAddr() net.Addr {
	c.init()
	return c.remote
}

var (
	proxySig       = []byte("\r\n\r\n\x00\r\nQUIT\n")
	errProxyHeader = errors.New("bad PROXY protocol v2 header")
)

// readProxyHeader reads a PROXY v2 header exactly (no byte of the stream
// after it). A LOCAL command (the proxy's own health check) or an unknown
// family names no client: nil, and the proxy's address stands.
func readProxyHeader(r io.Reader) (net.Addr, error) {
	var hdr [16]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("%w: %w", errProxyHeader, err)
	}
	if !bytes.Equal(hdr[:12], proxySig) || hdr[12]>>4 != 2 {
		return nil, errProxyHeader
	}
	body := make([]byte, binary.BigEndian.Uint16(hdr[14:]))
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("%w: %w", errProxyHeader, err)
	}
	if hdr[12]&0x0f == 0 { // LOCAL
		return nil, nil
	}
	switch hdr[13] >> 4 {
	case 1: // AF_INET: src, dst, src port, dst port
		if len(body) < 12 {
			return nil, errProxyHeader
		}
		a := netip.AddrFrom4([4]byte(body[:4]))
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(a, binary.BigEndian.Uint16(body[8:]))), nil
	case 2: // AF_INET6
		if len(body) < 36 {
			return nil, errProxyHeader
		}
		a := netip.AddrFrom16([16]byte(body[:16])).Unmap()
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(a, binary.BigEndian.Uint16(body[32:]))), nil
	}
	return nil, nil
}
