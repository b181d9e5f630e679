package transport

import (
	"net"
	"net/netip"
)

// family returns network ("udp" or "tcp") with a 4 appended when addr's
// host is an IPv4 address. Go listens on a wildcard "0.0.0.0" with an IPv6
// socket that also takes IPv4 (dual-stack): every IPv4 datagram then goes
// through the kernel's IPv6 code (udpv6_recvmsg, udpv6_sendmsg, v4-mapped
// addresses) and, on the UDP loop, carries both IP_PKTINFO and
// IPV6_PKTINFO. An IPv4 address asks for IPv4, as unbound and dnsmasq read
// it; "[::]" stays dual-stack.
func family(network, addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return network
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Is4() {
		return network + "4"
	}
	return network
}
