package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
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
func blockingEdge() (dns.Handler, error) {
	mode, err := resolver.ParseBlockMode(policy.BlockConfig{TTL: 10 * time.Second})
	if err != nil {
		return nil, err
	}
	block := resolver.NewBlockLink(func(string) blocklist.Matcher { return matchAll{} }, mode)
	forward := resolver.HandlerFunc(func(context.Context, *query.Request) (*query.Response, error) {
		return nil, errors.New("benchmark: nothing is forwarded")
	})
	edge := resolver.NewEdge(resolver.EdgeConfig{}, resolver.Build(resolver.Parts{Block: block, Forward: forward}), metrics.NewUnregistered(), zap.NewNop())
	return edge.For(query.ProtoDoH), nil
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

// benchServerEnv, set, makes the test binary a DoH server for
// BenchmarkDoHServer to measure from outside (see startBenchServer).
const benchServerEnv = "CLEANDNS_DOH_BENCH_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(benchServerEnv) != "" {
		if err := runBenchServer(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runBenchServer serves DoH on 127.0.0.1:0, prints "ADDR CERTFILE", and
// serves until its standard input closes.
func runBenchServer() error {
	dir, err := os.MkdirTemp("", "dohbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	c, k, err := SelfSigned([]string{"dns.test"}, time.Hour, time.Now())
	if err != nil {
		return err
	}
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := errors.Join(os.WriteFile(certFile, c, 0o600), os.WriteFile(keyFile, k, 0o600)); err != nil {
		return err
	}
	s, err := newBenchServer(certFile, keyFile)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	fmt.Println(s.Addr(), certFile)
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := s.Shutdown(context.Background()); err != nil {
		return err
	}
	return <-done
}

func newBenchServer(certFile, keyFile string) (*DoHServer, error) {
	certs, err := LoadCerts(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	h, err := blockingEdge()
	if err != nil {
		return nil, err
	}
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return NewDoHServer(ln, NewDoH(h, nil), TLSConfig(certs, "h2", "http/1.1"), 10, time.Minute, m, zap.NewNop()), nil
}

// benchTarget is the server a benchmark asks: its address, the pool that
// trusts its certificate, and, for one in a process of its own, that
// process's CPU time so far.
type benchTarget struct {
	addr    string
	pool    *x509.CertPool
	cpuTime func() time.Duration // nil when the server shares this process
}

// startBenchServer starts the server in this process, or, with
// DOH_BENCH_PROCESS=1, in a child process (this test binary again, run
// through $DOH_BENCH_WRAP when set, e.g. "valgrind --tool=callgrind"), so
// that its CPU time per query can be read apart from the client's.
func startBenchServer(b *testing.B) benchTarget {
	b.Helper()
	if os.Getenv("DOH_BENCH_PROCESS") == "" {
		certFile, keyFile, pool := writeCert(b, b.TempDir())
		s, err := newBenchServer(certFile, keyFile)
		if err != nil {
			b.Fatal(err)
		}
		serveTest(b, s.Serve, s.Shutdown)
		return benchTarget{addr: s.Addr().String(), pool: pool}
	}
	args := append(strings.Fields(os.Getenv("DOH_BENCH_WRAP")), os.Args[0])
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			b.Errorf("bench server: %v", err)
		}
	})
	var addr, certFile string
	if _, err := fmt.Fscanln(stdout, &addr, &certFile); err != nil {
		b.Fatal(err)
	}
	pem, err := os.ReadFile(certFile)
	if err != nil {
		b.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	pid := cmd.Process.Pid
	return benchTarget{addr: addr, pool: pool, cpuTime: func() time.Duration { return threadsCPU(b, pid) }}
}

// threadsCPU is the time the threads of process pid have spent on a CPU,
// in nanoseconds from /proc's schedstat (the clock-tick figures of
// /proc/PID/stat are too coarse for a short run).
func threadsCPU(tb testing.TB, pid int) time.Duration {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var sum time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(filepath.Join(dir, t.Name(), "schedstat"))
		if err != nil {
			continue // the thread ended
		}
		f := strings.Fields(string(b))
		if len(f) > 0 {
			ns, _ := strconv.ParseInt(f[0], 10, 64)
			sum += time.Duration(ns)
		}
	}
	return sum
}

func benchDoH(b *testing.B, method string, inflight int) {
	srv := startBenchServer(b)
	conn, err := tls.Dial("tcp", srv.addr, &tls.Config{RootCAs: srv.pool, ServerName: "dns.test", NextProtos: []string{"h2"}})
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
	var srv0 time.Duration
	if srv.cpuTime != nil {
		srv0 = srv.cpuTime()
	}
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
	// CPU time, steadier than the wall clock's ns/op on a shared machine:
	// this process's (client and, by default, server), and the server's
	// alone when it runs apart.
	b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
	if srv.cpuTime != nil {
		b.ReportMetric(float64(srv.cpuTime()-srv0)/float64(b.N), "server-cpu-ns/op")
	}
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
