package config

import (
	"fmt"
	"net"
	"net/netip"
)

// listenOverlaps finds listen addresses that the kernel will refuse to bind
// together: the same address twice, or a specific address beside a wildcard
// of its family on the same port (0.0.0.0:53 already holds 127.0.0.1:53).
// 0.0.0.0 beside [::] is fine: each family's wildcard is its own socket.
func listenOverlaps(listen []string) []error {
	type bound struct {
		i    int
		addr netip.Addr
		port string
	}
	var seen []bound
	var errs []error
	for i, a := range listen {
		host, port, err := net.SplitHostPort(a)
		if err != nil {
			continue // reported by Validate
		}
		addr, err := netip.ParseAddr(host)
		if host == "" {
			addr, err = netip.IPv4Unspecified(), nil
		}
		if err != nil {
			continue // a host name; resolved at bind time
		}
		addr = addr.Unmap()
		for _, b := range seen {
			if b.port != port || b.addr.Is4() != addr.Is4() {
				continue
			}
			if b.addr == addr || b.addr.IsUnspecified() || addr.IsUnspecified() {
				errs = append(errs, fmt.Errorf("listen[%d]: %q overlaps listen[%d] %q: both cannot be bound (a wildcard address already covers every address of its family on that port)",
					i, a, b.i, listen[b.i]))
				break
			}
		}
		seen = append(seen, bound{i, addr, port})
	}
	return errs
}
