package transport

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// dialH2 starts a DoH server over TLS answering with h and returns a raw
// HTTP/2 connection to it, preface and SETTINGS sent.
func dialH2(t *testing.T, h dns.Handler) (*http2.Framer, *bufio.Writer, net.Conn) {
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
	return fr, w, conn
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
			fr, w, _ := dialH2(t, echoGate(0, gate))
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

// postHeaders is the header block of a DoH POST of n bytes.
func postHeaders(n int) []byte {
	var hbuf bytes.Buffer
	enc := hpack.NewEncoder(&hbuf)
	for _, f := range [][2]string{
		{":method", "POST"}, {":scheme", "https"}, {":authority", "dns.test"},
		{":path", "/dns-query"}, {"content-type", dohType}, {"content-length", strconv.Itoa(n)},
	} {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	return hbuf.Bytes()
}

// h2Result is how a stream ended: its status and body, or the code it was
// reset with.
type h2Result struct {
	status string
	body   []byte
	reset  http2.ErrCode
	wasRST bool
}

// readStream reads frames until stream id ends, and fails the test on a
// GOAWAY.
func readStream(t *testing.T, fr *http2.Framer, id uint32) h2Result {
	t.Helper()
	var r h2Result
	dec := hpack.NewDecoder(4096, func(f hpack.HeaderField) {
		if f.Name == ":status" {
			r.status = f.Value
		}
	})
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading stream %d: %v", id, err)
		}
		switch f := f.(type) {
		case *http2.HeadersFrame:
			if _, err := dec.Write(f.HeaderBlockFragment()); err != nil {
				t.Fatal(err)
			}
			if f.StreamID == id && f.StreamEnded() {
				return r
			}
		case *http2.DataFrame:
			if f.StreamID == id {
				r.body = append(r.body, f.Data()...)
				if f.StreamEnded() {
					return r
				}
			}
		case *http2.RSTStreamFrame:
			if f.StreamID == id {
				r.reset, r.wasRST = f.ErrCode, true
				return r
			}
		case *http2.GoAwayFrame:
			t.Fatalf("GOAWAY %v while waiting for stream %d", f.ErrCode, id)
		}
	}
}

// TestH2FlowAndLimits checks the HTTP/2 loop's own flow control and stream
// limit against a client speaking raw frames: a POST body in pieces with
// padding, an answer held back (whole, or past the first bytes) by the
// client's window until its WINDOW_UPDATE, and a stream past
// SETTINGS_MAX_CONCURRENT_STREAMS refused while the others are answered.
func TestH2FlowAndLimits(t *testing.T) {
	q := packed(t, "x.test")
	get := func(id uint32, wire []byte) func(fr *http2.Framer) {
		return func(fr *http2.Framer) {
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: getHeaders(wire), EndHeaders: true, EndStream: true})
		}
	}
	tests := []struct {
		name    string
		window  int  // the client's initial stream window; -1 leaves the default
		refused bool // the last stream sent is refused; stream 1 is answered once it is
		send    func(fr *http2.Framer)
	}{
		{"POST in pieces, padded", -1, false, func(fr *http2.Framer) {
			_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: postHeaders(len(q)), EndHeaders: true})
			_ = fr.WriteData(1, false, q[:5])
			_ = fr.WriteDataPadded(1, true, q[5:], make([]byte, 30))
		}},
		{"window 0", 0, false, get(1, q)},
		{"window 10", 10, false, get(1, q)},
		{"one stream too many", -1, true, func(fr *http2.Framer) {
			slow := packed(t, "slow.x.test")
			for i := range h2MaxStreams + 1 {
				get(uint32(2*i+1), slow)(fr)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gate := make(chan struct{}) // holds slow.* answers
			if !tt.refused {
				close(gate)
			}
			fr, w, conn := dialH2(t, echoGate(0, gate))
			if tt.window >= 0 {
				_ = fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: uint32(tt.window)})
			}
			tt.send(fr)
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if tt.refused {
				last := uint32(2*h2MaxStreams + 1)
				if got := readStream(t, fr, last); !got.wasRST || got.reset != http2.ErrCodeRefusedStream {
					t.Fatalf("stream %d: %+v, want it refused", last, got)
				}
				close(gate)
			}
			var before []byte
			if tt.window >= 0 {
				if before = dataBefore(t, fr, conn, 1); len(before) != tt.window {
					t.Fatalf("%d bytes of the answer came with a window of %d", len(before), tt.window)
				}
				_ = fr.WriteWindowUpdate(1, 1000)
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			got := readStream(t, fr, 1)
			m := new(dns.Msg)
			if err := m.Unpack(append(before, got.body...)); got.wasRST || err != nil || len(m.Answer) == 0 {
				t.Fatalf("stream 1: %+v (%v), want an answer", got, err)
			}
		})
	}
}

// dataBefore reads stream id's 200 HEADERS and whatever DATA follows
// within a moment, and returns the body bytes that came: all the client's
// window allows, and no more, is what the server may send.
func dataBefore(t *testing.T, fr *http2.Framer, conn net.Conn, id uint32) []byte {
	t.Helper()
	var body []byte
	headers := false
	status := ""
	dec := hpack.NewDecoder(4096, func(f hpack.HeaderField) {
		if f.Name == ":status" {
			status = f.Value
		}
	})
	for {
		if headers {
			_ = conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		}
		f, err := fr.ReadFrame()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			if status != "200" {
				t.Fatalf("status %q, want 200", status)
			}
			return body
		}
		if err != nil {
			t.Fatalf("reading: %v", err)
		}
		switch f := f.(type) {
		case *http2.HeadersFrame:
			if _, err := dec.Write(f.HeaderBlockFragment()); err != nil {
				t.Fatal(err)
			}
			headers = headers || f.StreamID == id
		case *http2.DataFrame:
			if f.StreamID == id {
				body = append(body, f.Data()...)
			}
		case *http2.GoAwayFrame, *http2.RSTStreamFrame:
			t.Fatalf("%v before the window opened", f)
		}
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
