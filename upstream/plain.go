package upstream

import (
	"context"
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// udpTransport is plain DNS over UDP, retried over TCP when truncated.
type udpTransport struct {
	ep  endpoint
	d   *dialer
	tcp *dotTransport // for truncated replies
	// addr is the upstream's address when it was configured as an IP, so
	// an exchange parses and allocates nothing to find it.
	addr netip.AddrPort
}

func newUDPTransport(ep endpoint, d *dialer) *udpTransport {
	t := &udpTransport{ep: ep, d: d, tcp: &dotTransport{ep: ep, d: d}}
	if a, ok := ep.ip(); ok {
		t.addr = netip.AddrPortFrom(a, ep.port)
	}
	return t
}

func (t *udpTransport) exchange(ctx context.Context, deadline time.Time, q *dns.Msg) (*dns.Msg, error) {
	addr := t.addr
	if !addr.IsValid() {
		addrs, _, err := t.d.resolve(ctx, t.ep.host, t.ep.port)
		if err != nil {
			return nil, err
		}
		addr = addrs[0]
	}
	r, err := t.d.udp.exchange(ctx, deadline, addr, q)
	if err == nil && r.Truncated {
		return t.tcp.exchange(ctx, deadline, q)
	}
	return r, err
}
func (t *udpTransport) close() { t.tcp.close() }
