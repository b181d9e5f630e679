package transport

import (
	"bytes"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// TestH2GetEndedApart checks that a GET whose END_STREAM comes after its
// HEADERS (an empty DATA frame, or trailers), as HTTP/2 allows, is
// answered while its worker still has it, not reset as a stream closed.
func TestH2GetEndedApart(t *testing.T) {
	tests := []struct {
		name string
		end  func(c *rawH2, id uint32) error
	}{
		{"empty DATA", func(c *rawH2, id uint32) error { return c.fr.WriteData(id, true, nil) }},
		{"trailers", func(c *rawH2, id uint32) error {
			c.hbuf.Reset()
			_ = c.enc.WriteField(hpack.HeaderField{Name: "x-trailer", Value: "1"})
			return c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: bytes.Clone(c.hbuf.Bytes()), EndStream: true, EndHeaders: true})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gate := make(chan struct{}) // holds the answer to slow.*
			c := dialRaw(t, startH2(t, echoGate(0, gate), nil), []http2.Setting{})
			const id = 1
			if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.headers("GET", getPath(t, "slow.x.test")), EndHeaders: true}); err != nil {
				t.Fatal(err)
			}
			// The query is with a worker, held by the gate, when the
			// request ends.
			time.Sleep(50 * time.Millisecond)
			if err := tt.end(c, id); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
			close(gate)
			status, bodies := c.answers(1, 5*time.Second)
			m := new(dns.Msg)
			if err := m.Unpack(bodies[id]); status[id] != "200" || err != nil || len(m.Answer) == 0 {
				t.Fatalf("stream %d: %q, answer %v (%v); want 200 and an answer", id, status[id], m, err)
			}
		})
	}
}

// TestH2ConnDuringShutdown checks that an HTTP/2 connection handed over
// after Shutdown began (its TLS handshake ended just after the GOAWAYs
// went out) is told at once, our SETTINGS first, then GOAWAY, and closed,
// rather than left to hold Shutdown until its context ends.
func TestH2ConnDuringShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := NewDoH(echo(0), nil)
	defer d.Close()
	s := NewDoHServer(ln, d, nil, 10, time.Minute, newMetrics(t), zap.NewNop())
	s.goAway() // what Shutdown runs first
	client, server := net.Pipe()
	defer client.Close()
	served := make(chan struct{})
	go func() {
		s.serveConn(server)
		close(served)
	}()
	go func() {
		_, _ = io.WriteString(client, http2.ClientPreface)
		_ = http2.NewFramer(client, nil).WriteSettings()
	}()
	_ = client.SetReadDeadline(time.Now().Add(5 * time.Second))
	fr := http2.NewFramer(io.Discard, client)
	var got []http2.FrameType
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			break
		}
		got = append(got, f.Header().Type)
	}
	if len(got) < 2 || got[0] != http2.FrameSettings || !slices.Contains(got, http2.FrameGoAway) {
		t.Fatalf("frames %v, want SETTINGS first and a GOAWAY", got)
	}
	select {
	case <-served:
	case <-time.After(5 * time.Second):
		t.Fatal("the connection is still served")
	}
}
