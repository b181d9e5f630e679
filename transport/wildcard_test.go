package transport

import (
	"context"
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
				l.Serve(make(chan error, 4))
				t.Cleanup(func() {
					ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
					defer cancel()
					_ = l.Shutdown(ctx)
				})
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
	l.Serve(make(chan error, 4))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = l.Shutdown(ctx)
	})
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
