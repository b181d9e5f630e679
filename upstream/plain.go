package upstream

import (
	"context"
	"time"

	"github.com/miekg/dns"
)

// udpTransport is plain DNS over UDP, retried over TCP when truncated.
type udpTransport struct {
	ep  endpoint
	d   *dialer
	tcp *dotTransport // for truncated replies
}

func (t *udpTransport) exchange(ctx context.Context, deadline time.Time, q *dns.Msg) (*dns.Msg, error) {
	addrs, _, err := t.d.resolve(ctx, t.ep.host, t.ep.port)
	if err != nil {
		return nil, err
	}
	r, err := t.d.udp.exchange(ctx, deadline, addrs[0], q)
	if err == nil && r.Truncated {
		return t.tcp.exchange(ctx, deadline, q)
	}
	return r, err
}
func (t *udpTransport) close() { t.tcp.close() }
