package server

import (
	"context"
	"errors"
	"net"

	"go.uber.org/zap"

	"github.com/cleandns/cleandns/transport"
)

// unbindFamilies shuts down, before a reload binds anything, the DNS
// listeners that addrs need bound anew rather than kept: a kept "[::]:P"
// whose IPv6-only flag changes (an IPv4 address on port P added or removed,
// see transport.V6Only), and the addresses on P that addrs drop, which a
// dual-stack "[::]:P" could not bind beside. The sockets cannot be kept:
// the flag is fixed at bind time, and "0.0.0.0:P" cannot bind beside a
// dual-stack socket on P. Queries that reach P between the shutdown and
// the new bind are lost; only a reload that changes a port's families pays
// that. It returns the addresses shut down, for undo to bind again.
func (s *Server) unbindFamilies(ctx context.Context, addrs []string) ([]string, error) {
	want := map[string]bool{}
	for _, a := range addrs {
		want[a] = true
	}
	ports := map[string]bool{} // ports with a listener to rebind
	for _, a := range addrs {
		l, ok := s.listeners[a].(interface{ IPv6Only() bool })
		if ok && l.IPv6Only() != transport.V6Only(a, addrs) {
			ports[portOf(a)] = true
		}
	}
	if len(ports) == 0 {
		return nil, nil
	}
	var down []string
	var err error
	for a, l := range s.listeners {
		if !ports[portOf(a)] {
			continue
		}
		if _, dns := l.(interface{ IPv6Only() bool }); !dns {
			continue
		}
		err = errors.Join(err, l.Shutdown(ctx))
		delete(s.listeners, a)
		down = append(down, a)
		if want[a] {
			s.log.Warn("reload: rebinding a listener whose port's address families changed; queries reaching it meanwhile may be lost", zap.String("listen", a))
		}
	}
	return down, err
}

func portOf(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	return port
}
