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
