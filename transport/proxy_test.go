package transport

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func proxyV2(src netip.AddrPort) []byte {
	b := append([]byte(nil), proxySig...)
	if src.Addr().Is4() {
		b = append(b, 0x21, 0x11)
		b = binary.BigEndian.AppendUint16(b, 12)
		a := src.Addr().As4()
		b = append(b, a[:]...)
		b = append(b, 127, 0, 0, 1)
	} else {
		b = append(b, 0x21, 0x21)
		b = binary.BigEndian.AppendUint16(b, 36)
		a := src.Addr().As16()
		b = append(b, a[:]...)
		b = append(b, make([]byte, 16)...)
	}
	b = binary.BigEndian.AppendUint16(b, src.Port())
	return binary.BigEndian.AppendUint16(b, 53)
}

// TestProxyProtocol: a trusted proxy's header names the client; an
// untrusted peer's "header" is just bytes on the stream.
func TestProxyProtocol(t *testing.T) {
	tests := []struct {
		name    string
		trusted []string
		header  []byte
		want    string // the client the handler sees; "" for no answer
	}{
		{"trusted v4", []string{"127.0.0.0/8"}, proxyV2(netip.MustParseAddrPort("192.0.2.9:4000")), "client=192.0.2.9 id="},
		{"trusted v6", []string{"127.0.0.1"}, proxyV2(netip.MustParseAddrPort("[2001:db8::9]:4000")), "client=2001:db8::9 id="},
		{"trusted LOCAL", []string{"127.0.0.1"}, append(append(append([]byte(nil), proxySig...), 0x20, 0x00), 0, 0), "client=127.0.0.1 id="},
		{"trusted, no header", []string{"127.0.0.1"}, nil, ""},
		{"untrusted", []string{"10.0.0.0/8"}, proxyV2(netip.MustParseAddrPort("192.0.2.9:4000")), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			trusted, err := ParseTrusted(tc.trusted)
			if err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			s := NewStreamServer(ProxyListener(ln, trusted), echo(0), StreamConfig{Protocol: "tcp", IdleTimeout: time.Second}, newMetrics(t), nil)
			go s.Serve()
			defer s.Shutdown(t.Context())
			c, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			q, _ := newQuery("x.test").Pack()
			var buf bytes.Buffer
			buf.Write(tc.header)
			buf.Write(binary.BigEndian.AppendUint16(nil, uint16(len(q))))
			buf.Write(q)
			if _, err := c.Write(buf.Bytes()); err != nil {
				t.Fatal(err)
			}
			dc := &dns.Conn{Conn: c}
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			r, err := dc.ReadMsg()
			if tc.want == "" {
				if err == nil {
					t.Errorf("answered %q, want the stream refused", txtOf(t, r))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := txtOf(t, r); got != tc.want {
				t.Errorf("%q, want %q", got, tc.want)
			}
		})
	}
}
