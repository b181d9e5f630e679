package transport

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// needTool returns the path of a client no one here wrote. Missing, it
// skips the test, or fails it under CI.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "" {
		t.Skipf("%s not installed (CI installs it)", name)
	}
	t.Fatalf("%s not installed", name)
	return ""
}

// h2Server is a DoH server over TLS for the HTTP/2 tests.
type h2Server struct {
	*DoHServer
	addr     string
	pool     *x509.CertPool
	certFile string
	metrics  *Metrics
}

// startH2 serves h over DoH with TLS on 127.0.0.1:0; tweak, if set, may
// shorten the HTTP/2 timeouts before it serves.
func startH2(t *testing.T, h dns.Handler, tweak func(*h2Timeouts)) h2Server {
	t.Helper()
	s := newH2(t, h, tweak)
	serveTest(t, s.Serve, s.Shutdown)
	return s
}

// newH2 is startH2's server, bound and not serving yet: for a test that
// serves and shuts it down itself.
func newH2(t *testing.T, h dns.Handler, tweak func(*h2Timeouts)) h2Server {
	t.Helper()
	certFile, keyFile, pool := writeCert(t, t.TempDir())
	certs, err := LoadCerts(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := newMetrics(t)
	s := NewDoHServer(ln, NewDoH(h, nil), TLSConfig(certs, "h2", "http/1.1"), 10, time.Minute, m, zap.NewNop())
	if tweak != nil {
		tweak(&s.h2t)
	}
	return h2Server{DoHServer: s, addr: s.Addr().String(), pool: pool, certFile: certFile, metrics: m}
}

// rawH2 is a bare HTTP/2 client for the tests that must send what no
// well-behaved client would.
type rawH2 struct {
	t    *testing.T
	conn *tls.Conn
	fr   *http2.Framer
	enc  *hpack.Encoder
	hbuf bytes.Buffer
	dec  *hpack.Decoder
}

// dialRaw connects, sends the preface and, unless settings is nil, a
// SETTINGS frame with them.
func dialRaw(t *testing.T, s h2Server, settings []http2.Setting) *rawH2 {
	t.Helper()
	conn, err := tls.Dial("tcp", s.addr, &tls.Config{RootCAs: s.pool, ServerName: "dns.test", NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &rawH2{t: t, conn: conn, fr: http2.NewFramer(conn, conn)}
	c.enc = hpack.NewEncoder(&c.hbuf)
	c.dec = hpack.NewDecoder(4096, nil)
	c.fr.ReadMetaHeaders = c.dec
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if settings != nil {
		if err := c.fr.WriteSettings(settings...); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// headers encodes a request's header block: a GET of x.test by default,
// with extra fields after.
func (c *rawH2) headers(method, path string, extra ...string) []byte {
	c.hbuf.Reset()
	f := func(k, v string) { _ = c.enc.WriteField(hpack.HeaderField{Name: k, Value: v}) }
	f(":method", method)
	f(":scheme", "https")
	f(":authority", "dns.test")
	f(":path", path)
	for i := 0; i+1 < len(extra); i += 2 {
		f(extra[i], extra[i+1])
	}
	return bytes.Clone(c.hbuf.Bytes())
}

// getPath is the /dns-query path of a GET for name.
func getPath(t *testing.T, name string) string {
	q := packed(t, name)
	return "/dns-query?dns=" + base64.RawURLEncoding.EncodeToString(q)
}

// get opens stream id with a GET for name.
func (c *rawH2) get(id uint32, name string) error {
	return c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.headers("GET", getPath(c.t, name)), EndStream: true, EndHeaders: true})
}

// untilGoAway reads frames until GOAWAY, returning its code, or until the
// connection ends (ok false). Other frames are passed to each, if set.
func (c *rawH2) untilGoAway(within time.Duration, each func(http2.Frame)) (code http2.ErrCode, ok bool) {
	_ = c.conn.SetReadDeadline(time.Now().Add(within))
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				c.t.Fatalf("neither GOAWAY nor a close within %v", within)
			}
			return 0, false
		}
		if g, isGA := f.(*http2.GoAwayFrame); isGA {
			return g.ErrCode, true
		}
		if each != nil {
			each(f)
		}
	}
}

// answers reads frames until n streams have ended, and returns their
// statuses and bodies by stream; the windows it took are given back.
func (c *rawH2) answers(n int, within time.Duration) (map[uint32]string, map[uint32][]byte) {
	c.t.Helper()
	status, bodies := map[uint32]string{}, map[uint32][]byte{}
	_ = c.conn.SetReadDeadline(time.Now().Add(within))
	for ended := 0; ended < n; {
		f, err := c.fr.ReadFrame()
		if err != nil {
			c.t.Fatalf("after %d answers: %v", ended, err)
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			status[f.StreamID] = f.PseudoValue("status")
			if f.StreamEnded() {
				ended++
			}
		case *http2.DataFrame:
			bodies[f.StreamID] = append(bodies[f.StreamID], f.Data()...)
			if n := uint32(len(f.Data())); n > 0 {
				_ = c.fr.WriteWindowUpdate(0, n)
				_ = c.fr.WriteWindowUpdate(f.StreamID, n)
			}
			if f.StreamEnded() {
				ended++
			}
		case *http2.RSTStreamFrame:
			status[f.StreamID] = "RST " + f.ErrCode.String()
			ended++
		case *http2.GoAwayFrame:
			c.t.Fatalf("GOAWAY %v after %d answers", f.ErrCode, ended)
		}
	}
	return status, bodies
}
