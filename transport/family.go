package transport

import (
	"net"
	"net/netip"
)

// family returns network ("udp" or "tcp") with a 4 appended when addr's
// host is an IPv4 address, and a 6 when it is an IPv6 one and v6only is
// asked for (Go then sets IPV6_V6ONLY). Go listens on a wildcard "0.0.0.0" with an IPv6
// socket that also takes IPv4 (dual-stack): every IPv4 datagram then goes
// through the kernel's IPv6 code (udpv6_recvmsg, udpv6_sendmsg, v4-mapped
// addresses) and, on the UDP loop, carries both IP_PKTINFO and
// IPV6_PKTINFO. An IPv4 address asks for IPv4, as unbound and dnsmasq read
// it; "[::]" stays dual-stack unless v6only.
func family(network, addr string, v6only bool) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return network
	}
	a, err := netip.ParseAddr(host)
	switch {
	case err != nil:
		return network
	case a.Is4():
		return network + "4"
	case v6only:
		return network + "6"
	}
	return network
}

// V6Only reports whether addr, an IPv6 wildcard, must be bound IPv6-only
// because addrs also list an IPv4 address on its port: a dual-stack "[::]:53"
// takes the IPv4 port too, and "0.0.0.0:53" beside it could not bind.
func V6Only(addr string, addrs []string) bool {
	host, port, err := net.SplitHostPort(addr)
	if a, perr := netip.ParseAddr(host); err != nil || perr != nil || !a.Is6() || !a.IsUnspecified() || port == "0" {
		return false
	}
	for _, o := range addrs {
		h, p, err := net.SplitHostPort(o)
		if a, perr := netip.ParseAddr(h); err == nil && perr == nil && a.Is4() && p == port {
			return true
		}
	}
	return false
}
