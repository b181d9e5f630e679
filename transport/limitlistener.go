package transport

import (
	"net"
	"sync"
	"sync/atomic"
)

// LimitListener caps the connections accepted from l that are open at once,
// for servers that run their own accept loop (net/http). One over the cap
// is closed at once and counted as rejected, as StreamServer does: unlike
// x/net's LimitListener, which stops accepting, it keeps the backlog
// moving, so a client holding many idle connections cannot stall new ones
// for ever, only be refused.
func LimitListener(l net.Listener, max int, protocol string, m *Metrics) net.Listener {
	if m == nil {
		m = unregisteredMetrics()
	}
	return &limitListener{Listener: l, max: int64(max), open: m.Open.WithLabelValues(protocol),
		rejected: m.Rejected.WithLabelValues(protocol, "limit")}
}

type limitListener struct {
	net.Listener
	max  int64
	n    atomic.Int64
	open interface {
		Inc()
		Dec()
	}
	rejected interface{ Inc() }
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.n.Add(1) > l.max {
			l.n.Add(-1)
			l.rejected.Inc()
			c.Close()
			continue
		}
		tuneAccepted(c)
		l.open.Inc()
		return &limitConn{Conn: c, l: l}, nil
	}
}

type limitConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.n.Add(-1)
		c.l.open.Dec()
	})
	return err
}
