package transport

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// dialH2 starts a DoH server over TLS answering with h and returns a raw
// HTTP/2 connection to it, preface and SETTINGS sent.
func dialH2(t *testing.T, h dns.Handler) (*http2.Framer, *bufio.Writer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, pool := writeCert(t, t.TempDir())
	certs, err := LoadCerts(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	s := NewDoHServer(ln, NewDoH(h, nil), TLSConfig(certs, "h2"), 10, time.Minute, newMetrics(t), zap.NewNop())
	serveTest(t, s.Serve, s.Shutdown)
	conn, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "dns.test", NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	w := bufio.NewWriter(conn)
	fr := http2.NewFramer(w, bufio.NewReader(conn))
	if _, err := io.WriteString(w, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return fr, w
}

// getHeaders is the header block of a DoH GET for wire.
func getHeaders(wire []byte) []byte {
	var hbuf bytes.Buffer
	enc := hpack.NewEncoder(&hbuf)
	for _, f := range [][2]string{
		{":method", "GET"}, {":scheme", "https"}, {":authority", "dns.test"},
		{":path", "/dns-query?dns=" + base64.RawURLEncoding.EncodeToString(wire)},
	} {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	return hbuf.Bytes()
}

// TestH2GetEndedApart checks that a GET whose END_STREAM comes after its
// HEADERS (an empty DATA frame, or trailers), as HTTP/2 allows, is
// answered while its worker still has it, not reset as a stream closed.
func TestH2GetEndedApart(t *testing.T) {
	tests := []struct {
		name string
		end  func(fr *http2.Framer, id uint32) error
	}{
		{"empty DATA", func(fr *http2.Framer, id uint32) error { return fr.WriteData(id, true, nil) }},
		{"trailers", func(fr *http2.Framer, id uint32) error {
			var hbuf bytes.Buffer
			_ = hpack.NewEncoder(&hbuf).WriteField(hpack.HeaderField{Name: "x-trailer", Value: "1"})
			return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hbuf.Bytes(), EndStream: true, EndHeaders: true})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gate := make(chan struct{})
			fr, w := dialH2(t, echoGate(0, gate))
			const id = 1
			if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: getHeaders(packed(t, "slow.x.test")), EndHeaders: true}); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			// The query is with a worker (held by the gate) when the
			// request ends.
			time.Sleep(50 * time.Millisecond)
			if err := tt.end(fr, id); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
			close(gate)
			for {
				f, err := fr.ReadFrame()
				if err != nil {
					t.Fatalf("reading: %v", err)
				}
				if f.Header().StreamID != id {
					continue
				}
				switch f := f.(type) {
				case *http2.RSTStreamFrame:
					t.Fatalf("stream reset with %v before its answer", f.ErrCode)
				case *http2.DataFrame:
					m := new(dns.Msg)
					if err := m.Unpack(f.Data()); err != nil || len(m.Answer) == 0 {
						t.Fatalf("answer %v (%v)", m, err)
					}
					return
				}
			}
		})
	}
}
