package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/metrics"
	"github.com/cleandns/cleandns/policy"
	"github.com/cleandns/cleandns/query"
	"github.com/cleandns/cleandns/resolver"
)

// blockingEdge is the pipeline as a blocked name meets it: the real edge
// in front of a block link that matches every name (the default answer,
// NXDOMAIN with the SOA), written packed as a cache hit or block is.
func blockingEdge(tb testing.TB) dns.Handler {
	tb.Helper()
	mode, err := resolver.ParseBlockMode(policy.BlockConfig{TTL: 10 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	block := resolver.NewBlockLink(func(string) blocklist.Matcher { return matchAll{} }, mode)
	forward := resolver.HandlerFunc(func(context.Context, *query.Request) (*query.Response, error) {
		return nil, errors.New("benchmark: nothing is forwarded")
	})
	edge := resolver.NewEdge(resolver.EdgeConfig{}, resolver.Build(resolver.Parts{Block: block, Forward: forward}), metrics.NewUnregistered(), zap.NewNop())
	return edge.For(query.ProtoDoH)
}

type matchAll struct{}

func (matchAll) Match(string) (blocklist.Rule, bool) {
	return blocklist.Rule{List: "bench", Text: "*"}, true
}

// BenchmarkDoHServer measures the DoH server's cost per query: one HTTP/2
// connection over loopback TLS with inflight streams open at once, as a
// DoH stub or dnsperf keeps them. The client is a bare HTTP/2 framer, not
// net/http's transport, so that most of what is measured is the server's.
func BenchmarkDoHServer(b *testing.B) {
	for _, method := range []string{"GET", "POST"} {
		for _, inflight := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/streams=%d", method, inflight), func(b *testing.B) {
				benchDoH(b, method, inflight)
			})
		}
	}
}

func benchDoH(b *testing.B, method string, inflight int) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	certFile, keyFile, pool := writeCert(b, b.TempDir())
	certs, err := LoadCerts(certFile, keyFile)
	if err != nil {
		b.Fatal(err)
	}
	s := NewDoHServer(ln, NewDoH(blockingEdge(b), nil), TLSConfig(certs, "h2", "http/1.1"), 10, time.Minute, newMetrics(b), zap.NewNop())
	serveTest(b, s.Serve, s.Shutdown)

	conn, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "dns.test", NextProtos: []string{"h2"}})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	c := newH2Client(b, conn)
	q := new(dns.Msg)
	q.SetQuestion("blocked.test.", dns.TypeA)
	q.Id = 0
	wire, err := q.Pack()
	if err != nil {
		b.Fatal(err)
	}

	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime(b)
	errc := make(chan error, 1)
	tokens := make(chan struct{}, inflight)
	go func() { errc <- c.readAnswers(b.N, tokens) }()
	for i := 0; i < b.N; i++ {
		tokens <- struct{}{}
		// Each query differs (its ID), as a load tool's do, so the path
		// of a GET is not a repeat the header table holds.
		wire[0], wire[1] = byte(i>>8), byte(i)
		if err := c.send(method, wire, len(tokens) == inflight || i == b.N-1); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	// The process's CPU time, client and server together: on a shared
	// machine a steadier figure than the wall clock's ns/op.
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// h2Client speaks just enough HTTP/2 to send DoH queries and count the
// answers: one connection, its own header table, no flow control beyond
// giving back what it reads.
type h2Client struct {
	w      *bufio.Writer
	fr     *http2.Framer
	enc    *hpack.Encoder
	hbuf   bytes.Buffer
	next   uint32 // the next stream ID
	path   []byte
	dec    *hpack.Decoder
	status string
}

func newH2Client(tb testing.TB, conn net.Conn) *h2Client {
	tb.Helper()
	if p := conn.(*tls.Conn).ConnectionState().NegotiatedProtocol; p != "h2" {
		tb.Fatalf("ALPN %q, want h2", p)
	}
	c := &h2Client{w: bufio.NewWriterSize(conn, 16<<10), next: 1}
	c.fr = http2.NewFramer(c.w, bufio.NewReaderSize(conn, 16<<10))
	c.enc = hpack.NewEncoder(&c.hbuf)
	c.dec = hpack.NewDecoder(4096, func(f hpack.HeaderField) {
		if f.Name == ":status" {
			c.status = f.Value
		}
	})
	if _, err := io.WriteString(c.w, http2.ClientPreface); err != nil {
		tb.Fatal(err)
	}
	if err := c.fr.WriteSettings(); err != nil {
		tb.Fatal(err)
	}
	// A large connection window, so the answers never wait for ours.
	if err := c.fr.WriteWindowUpdate(0, 1<<30); err != nil {
		tb.Fatal(err)
	}
	if err := c.w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return c
}

// send writes one query on a new stream, flushing when asked.
func (c *h2Client) send(method string, wire []byte, flush bool) error {
	c.hbuf.Reset()
	hf := func(k, v string) { _ = c.enc.WriteField(hpack.HeaderField{Name: k, Value: v}) }
	hf(":method", method)
	hf(":scheme", "https")
	hf(":authority", "dns.test")
	if method == "GET" {
		c.path = append(c.path[:0], "/dns-query?dns="...)
		c.path = base64.RawURLEncoding.AppendEncode(c.path, wire)
		hf(":path", string(c.path))
		hf("accept", dohType)
	} else {
		hf(":path", dohPath)
		hf("accept", dohType)
		hf("content-type", dohType)
		hf("content-length", strconv.Itoa(len(wire)))
	}
	id := c.next
	c.next += 2
	err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.hbuf.Bytes(), EndStream: method == "GET", EndHeaders: true})
	if err == nil && method != "GET" {
		err = c.fr.WriteData(id, true, wire)
	}
	if err == nil && flush {
		err = c.w.Flush()
	}
	return err
}

// readAnswers reads until n streams have ended, taking a token for each.
// It runs alone on the read side; writes go through send only, so the
// connection-level WINDOW_UPDATE it owes is sent once, up front.
func (c *h2Client) readAnswers(n int, tokens <-chan struct{}) error {
	for done := 0; done < n; {
		f, err := c.fr.ReadFrame()
		if err != nil {
			return fmt.Errorf("after %d answers: %w", done, err)
		}
		switch f := f.(type) {
		case *http2.HeadersFrame:
			if _, err := c.dec.Write(f.HeaderBlockFragment()); err != nil {
				return err
			}
			if c.status != "200" {
				return fmt.Errorf("status %s", c.status)
			}
			if f.StreamEnded() {
				return fmt.Errorf("stream %d: no body", f.StreamID)
			}
		case *http2.DataFrame:
			if f.StreamEnded() {
				done++
				<-tokens
			}
		case *http2.GoAwayFrame, *http2.RSTStreamFrame:
			return fmt.Errorf("after %d answers: %v", done, f)
		}
	}
	return nil
}
