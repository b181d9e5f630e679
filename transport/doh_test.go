package transport

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"
)

// startDoH serves echo over DoH with TLS on 127.0.0.1:0 and returns its
// base URL and a client that trusts its certificate.
func startDoH(t *testing.T, trusted Trusted, tlsOn bool) (string, *http.Client) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conf *tls.Config
	client := &http.Client{Timeout: 5 * time.Second}
	scheme := "http"
	if tlsOn {
		certFile, keyFile, pool := writeCert(t, t.TempDir())
		certs, err := LoadCerts(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		conf = TLSConfig(certs, "h2", "http/1.1")
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "dns.test"}, ForceAttemptHTTP2: true}
		scheme = "https"
	}
	s := NewDoHServer(ln, NewDoH(echo(0), trusted), conf, 10, time.Minute, newMetrics(t), zap.NewNop())
	serveTest(t, s.Serve, s.Shutdown)
	return scheme + "://" + s.Addr().String(), client
}

func packed(t *testing.T, name string) []byte {
	t.Helper()
	m := newQuery(name)
	m.Id = 0
	b, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDoH(t *testing.T) {
	base, client := startDoH(t, nil, true)
	q := packed(t, "x.test")
	get := base64.RawURLEncoding.EncodeToString(q)
	tests := []struct {
		name, method, path, ctype string
		body                      []byte
		wantStatus                int
		wantTXT                   string
	}{
		{"GET", "GET", "/dns-query?dns=" + get, "", nil, 200, "client=127.0.0.1 id="},
		{"POST", "POST", "/dns-query", dohType, q, 200, "client=127.0.0.1 id="},
		{"GET with ID", "GET", "/dns-query/annas-phone?dns=" + get, "", nil, 200, "client=127.0.0.1 id=annas-phone"},
		{"POST with ID", "POST", "/dns-query/Kids-Tablet", dohType, q, 200, "client=127.0.0.1 id=kids-tablet"},
		{"bad ID", "GET", "/dns-query/no_underscores?dns=" + get, "", nil, 404, ""},
		{"other path", "GET", "/resolve?dns=" + get, "", nil, 404, ""},
		{"no dns param", "GET", "/dns-query", "", nil, 400, ""},
		{"bad base64", "GET", "/dns-query?dns=!!!", "", nil, 400, ""},
		{"wrong type", "POST", "/dns-query", "text/plain", q, 415, ""},
		{"PUT", "PUT", "/dns-query", dohType, q, 405, ""},
		{"dropped", "GET", "/dns-query?dns=" + base64.RawURLEncoding.EncodeToString(packed(t, "drop.test")), "", nil, 403, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, base+tc.path, bytes.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tc.wantStatus, body)
			}
			if tc.wantStatus != 200 {
				return
			}
			if resp.ProtoMajor != 2 {
				t.Errorf("HTTP/%d, want HTTP/2", resp.ProtoMajor)
			}
			if ct := resp.Header.Get("Content-Type"); ct != dohType {
				t.Errorf("Content-Type %q", ct)
			}
			if d, err := http.ParseTime(resp.Header.Get("Date")); err != nil || time.Since(d) > time.Minute || time.Until(d) > time.Second {
				t.Errorf("Date %q: %v", resp.Header.Get("Date"), err)
			}
			// The smallest TTL of the answer is the TXT's 60.
			if cc := resp.Header.Get("Cache-Control"); cc != "max-age=60" {
				t.Errorf("Cache-Control %q, want max-age=60", cc)
			}
			m := new(dns.Msg)
			if err := m.Unpack(body); err != nil {
				t.Fatal(err)
			}
			if got := txtOf(t, m); got != tc.wantTXT {
				t.Errorf("%q, want %q", got, tc.wantTXT)
			}
		})
	}
}

// TestDoHForwardedFor: the client address comes from the headers only when
// the peer is a trusted proxy, and is the nearest address not itself a
// trusted proxy.
func TestDoHForwardedFor(t *testing.T) {
	trusted, err := ParseTrusted([]string{"127.0.0.1", "10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		trusted Trusted
		header  [2]string
		want    string
	}{
		{"untrusted peer: headers ignored", nil, [2]string{"X-Forwarded-For", "192.0.2.7"}, "127.0.0.1"},
		{"X-Forwarded-For", trusted, [2]string{"X-Forwarded-For", "192.0.2.7"}, "192.0.2.7"},
		{"spoofed first hop skipped", trusted, [2]string{"X-Forwarded-For", "198.51.100.1, 192.0.2.7, 10.1.1.1"}, "192.0.2.7"},
		{"Forwarded", trusted, [2]string{"Forwarded", `for="[2001:db8::7]:4711";proto=https`}, "2001:db8::7"},
		{"no header", trusted, [2]string{"X-Other", "1"}, "127.0.0.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base, client := startDoH(t, tc.trusted, false)
			req, _ := http.NewRequest("POST", base+"/dns-query", bytes.NewReader(packed(t, "x.test")))
			req.Header.Set("Content-Type", dohType)
			req.Header.Set(tc.header[0], tc.header[1])
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			m := new(dns.Msg)
			if err := m.Unpack(body); err != nil {
				t.Fatalf("%d %s: %v", resp.StatusCode, body, err)
			}
			if got := txtOf(t, m); !strings.HasPrefix(got, "client="+tc.want+" ") {
				t.Errorf("%q, want client %s", got, tc.want)
			}
		})
	}
}

func TestMinTTL(t *testing.T) {
	rr := func(s string) dns.RR { r, _ := dns.NewRR(s); return r }
	tests := []struct {
		name string
		msg  func(m *dns.Msg)
		want uint32
		ok   bool
	}{
		{"answers", func(m *dns.Msg) { m.Answer = []dns.RR{rr("x.test. 300 A 192.0.2.1"), rr("x.test. 30 A 192.0.2.2")} }, 30, true},
		{"negative: the SOA", func(m *dns.Msg) {
			m.Ns = []dns.RR{rr("test. 900 SOA ns.test. h.test. 1 2 3 4 10")}
			m.SetEdns0(1232, false)
		}, 900, true},
		{"OPT only", func(m *dns.Msg) { m.SetEdns0(1232, false) }, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newQuery("x.test")
			m.Response = true
			tc.msg(m)
			b, err := m.Pack() // compressed: names are pointers
			if err != nil {
				t.Fatal(err)
			}
			got, ok := minTTL(b)
			if got != tc.want || ok != tc.ok {
				t.Errorf("minTTL = %d, %v; want %d, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestQueryParam: the dns parameter is found as url.Values.Get finds it.
func TestQueryParam(t *testing.T) {
	for _, raw := range []string{
		"dns=AAAB", "a=1&dns=AAAB&dns=CCCC", "dns=&dns=AAAB", "d%6Es=AA%41B", "dns=AA+B",
		"x=1;dns=AAAB&dns=CCCC", "dns=%zz&dns=AAAB", "%zz=1&dns=AAAB", "", "dnsx=1", "&&dns=AAAB&",
	} {
		want := ""
		if v, err := url.ParseQuery(raw); err == nil || v != nil {
			want = v.Get("dns")
		}
		if got, _ := queryParam(raw, "dns"); got != want {
			t.Errorf("%q: %q, want %q", raw, got, want)
		}
	}
}

// TestReadBody: a body is read whole into the buffer, growing it, up to the
// limit.
func TestReadBody(t *testing.T) {
	tests := []struct {
		name       string
		size, bufc int
		want       int
	}{
		{"fits", 100, 512, 100},
		{"grows", 5000, 512, 5000},
		{"empty", 0, 512, 0},
		{"at the limit", 70000, 16, 65536},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := bytes.Repeat([]byte{7}, tc.size)
			b, err := readBody(iotest.OneByteReader(bytes.NewReader(body)), make([]byte, 0, tc.bufc), dns.MaxMsgSize+1)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) != tc.want || !bytes.Equal(b, body[:tc.want]) {
				t.Errorf("read %d bytes, want %d", len(b), tc.want)
			}
		})
	}
}

// TestDoHWorkers: queries are answered on kept goroutines, a panic while
// answering fails that request only (net/http resets its stream, as it did
// when the handler ran on the request's goroutine), and after Close each
// query still gets an answer.
func TestDoHWorkers(t *testing.T) {
	certFile, keyFile, pool := writeCert(t, t.TempDir())
	certs, err := LoadCerts(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if strings.HasPrefix(r.Question[0].Name, "panic.") {
			panic("answering " + r.Question[0].Name)
		}
		echo(0)(w, r)
	})
	doh := NewDoH(h, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewDoHServer(ln, doh, TLSConfig(certs, "h2"), 10, time.Minute, newMetrics(t), zap.NewNop())
	serveTest(t, s.Serve, s.Shutdown)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "dns.test"}, ForceAttemptHTTP2: true}}
	ask := func(name string) error {
		q := base64.RawURLEncoding.EncodeToString(packed(t, name))
		resp, err := client.Get("https://" + s.Addr().String() + "/dns-query?dns=" + q)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.ReadAll(resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	steps := []struct {
		name    string
		close   bool
		wantErr bool
	}{
		{"x.test", false, false},
		{"panic.test", false, true},
		{"y.test", false, false},
		{"z.test", true, false},
	}
	for _, st := range steps {
		if st.close {
			if err := doh.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if err := ask(st.name); (err != nil) != st.wantErr {
			t.Errorf("%s (closed %v): error %v, want an error %v", st.name, st.close, err, st.wantErr)
		}
	}
}
