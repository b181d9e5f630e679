package transport

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/quic-go/quic-go"
	"go.uber.org/zap"
)

// doqExchange sends one query on a new stream of conn, as RFC 9250 says:
// ID 0, two-byte length, FIN after the query.
func doqExchange(t *testing.T, conn *quic.Conn, m *dns.Msg) *dns.Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := conn.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m.Id = 0
	b, _ := m.Pack()
	out := binary.BigEndian.AppendUint16(nil, uint16(len(b)))
	if _, err := st.Write(append(out, b...)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	_ = st.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := io.ReadAll(st)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp) < 2 || int(binary.BigEndian.Uint16(resp)) != len(resp)-2 {
		t.Fatalf("bad DoQ framing: %d bytes", len(resp))
	}
	r := new(dns.Msg)
	if err := r.Unpack(resp[2:]); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestDoQ(t *testing.T) {
	certFile, keyFile, pool := writeCert(t, t.TempDir())
	certs, err := LoadCerts(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewDoQServer(pc, echo(0), TLSConfig(certs, "doq"), time.Minute, 10, SNIClientID("dns.test"), newMetrics(t), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	serveTest(t, s.Serve, s.Shutdown)
	for _, tc := range []struct{ sni, want string }{
		{"dns.test", "client=127.0.0.1 id="},
		{"annas-phone.dns.test", "client=127.0.0.1 id=annas-phone"},
	} {
		t.Run(tc.sni, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			conn, err := quic.DialAddr(ctx, s.Addr().String(), &tls.Config{RootCAs: pool, ServerName: tc.sni, NextProtos: []string{"doq"}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.CloseWithError(0, "")
			// Two queries on one connection, each on its own stream.
			for _, name := range []string{"a.test", "b.test"} {
				r := doqExchange(t, conn, newQuery(name))
				if got := txtOf(t, r); got != tc.want {
					t.Errorf("%s: %q, want %q", name, got, tc.want)
				}
			}
		})
	}
}
