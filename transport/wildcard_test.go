package transport

import (
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestWildcardAnswersFromTheQueriedAddress: on 0.0.0.0 and [::] each
// answer leaves from the address its query was sent to. The clients are
// connected sockets, which drop a datagram from any other source, so a
// wrong source is a lost answer. Inline answers go out in the batch,
// resumed ones from their own goroutine; both carry the packet info.
func TestWildcardAnswersFromTheQueriedAddress(t *testing.T) {
	tests := []struct {
		listen string
		to     []string
	}{
		{"0.0.0.0:0", []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}},
		{"[::]:0", []string{"::1", "127.0.0.2"}}, // the second is v4-mapped on a dual-stack socket
	}
	for _, tc := range tests {
		for _, h := range []fakeHandler{{inline: true}, {}} {
			name := tc.listen + "/resumed"
			if h.inline {
				name = tc.listen + "/inline"
			}
			t.Run(name, func(t *testing.T) {
				l, err := ListenDNS(tc.listen, h, DNSOptions{UDP: UDPConfig{Loops: 1}})
				if err != nil {
					t.Skipf("cannot bind %s: %v", tc.listen, err)
				}
				serveDNS(t, l)
				_, port, _ := net.SplitHostPort(l.Addr())
				for _, to := range tc.to {
					conn, err := net.Dial("udp", net.JoinHostPort(to, port))
					if err != nil {
						t.Fatal(err)
					}
					c := &dns.Client{Net: "udp", Timeout: time.Second}
					r, _, err := c.ExchangeWithConn(new(dns.Msg).SetQuestion("a.example.", dns.TypeA), &dns.Conn{Conn: conn})
					conn.Close()
					if err != nil || r == nil || len(r.Answer) != 1 {
						t.Errorf("to %s: %v (an answer from another source is dropped)", to, err)
					}
				}
			})
		}
	}
}

// TestIPv4WildcardIsIPv4: 0.0.0.0 binds IPv4 sockets, not Go's default
// dual-stack IPv6 socket, whose IPv4 datagrams take the kernel's IPv6 path
// and carry two packet infos each. [::1] gets no answer on UDP or TCP.
func TestIPv4WildcardIsIPv4(t *testing.T) {
	if ln, err := net.ListenPacket("udp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		ln.Close()
	}
	l, err := ListenDNS("0.0.0.0:0", fakeHandler{inline: true}, DNSOptions{UDP: UDPConfig{Loops: 1}})
	if err != nil {
		t.Fatal(err)
	}
	serveDNS(t, l)
	_, port, _ := net.SplitHostPort(l.Addr())
	for _, tc := range []struct {
		net, to string
		answer  bool
	}{
		{"udp", "127.0.0.1", true},
		{"tcp", "127.0.0.1", true},
		{"udp", "::1", false},
		{"tcp", "::1", false},
	} {
		t.Run(tc.net+"/"+tc.to, func(t *testing.T) {
			c := &dns.Client{Net: tc.net, Timeout: 300 * time.Millisecond}
			r, _, err := c.Exchange(new(dns.Msg).SetQuestion("a.example.", dns.TypeA), net.JoinHostPort(tc.to, port))
			if got := err == nil && r != nil; got != tc.answer {
				t.Errorf("answered: %v, want %v (err %v)", got, tc.answer, err)
			}
		})
	}
}

// TestBothWildcardsOnOnePort: "0.0.0.0:P" and "[::]:P" listed together
// both bind, [::] IPv6-only, and each family is answered over UDP and TCP.
func TestBothWildcardsOnOnePort(t *testing.T) {
	if ln, err := net.ListenPacket("udp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		ln.Close()
	}
	serve := func(addr string, opts DNSOptions) Listener {
		l, err := ListenDNS(addr, fakeHandler{inline: true}, opts)
		if err != nil {
			t.Fatalf("listen %s: %v", addr, err)
		}
		serveDNS(t, l)
		return l
	}
	l4 := serve("0.0.0.0:0", DNSOptions{UDP: UDPConfig{Loops: 1}})
	_, port, _ := net.SplitHostPort(l4.Addr())
	v6 := net.JoinHostPort("::", port)
	serve(v6, DNSOptions{UDP: UDPConfig{Loops: 1}, V6Only: V6Only(v6, []string{l4.Addr(), v6})})
	for _, nw := range []string{"udp", "tcp"} {
		for _, to := range []string{"127.0.0.1", "::1"} {
			c := &dns.Client{Net: nw, Timeout: time.Second}
			if _, _, err := c.Exchange(new(dns.Msg).SetQuestion("a.example.", dns.TypeA), net.JoinHostPort(to, port)); err != nil {
				t.Errorf("%s to %s: %v", nw, to, err)
			}
		}
	}
}

func TestV6Only(t *testing.T) {
	tests := []struct {
		addr  string
		addrs []string
		want  bool
	}{
		{"[::]:53", []string{"0.0.0.0:53", "[::]:53"}, true},
		{"[::]:53", []string{"192.168.1.1:53", "[::]:53"}, true},
		{"[::]:53", []string{"[::]:53"}, false},
		{"[::]:53", []string{"0.0.0.0:5353", "[::]:53"}, false},
		{"[::]:0", []string{"0.0.0.0:0", "[::]:0"}, false}, // ports the kernel picks differ
		{"[::1]:53", []string{"0.0.0.0:53", "[::1]:53"}, false},
		{"0.0.0.0:53", []string{"0.0.0.0:53", "[::]:53"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.addr+"/"+tc.addrs[0], func(t *testing.T) {
			if got := V6Only(tc.addr, tc.addrs); got != tc.want {
				t.Errorf("V6Only(%q, %q) = %v, want %v", tc.addr, tc.addrs, got, tc.want)
			}
		})
	}
}
