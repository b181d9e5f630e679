package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/quic-go/quic-go"

	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/transport"
)

// needTool returns the path of a client no one here wrote. Missing, it
// skips the test on a developer's machine and fails it in CI.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "" {
		t.Skipf("%s not installed (CI installs it)", name)
	}
	t.Fatalf("%s not installed: add its package to .ci/run", name)
	return ""
}

// tlsFiles writes a self-signed pair for dns.test (and *.dns.test) as
// `cleandns cert` does.
func tlsFiles(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	c, k, err := transport.SelfSigned([]string{"dns.test", "127.0.0.1"}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, c, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, k, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// encryptedYAML serves DoT, DoH and DoQ on free loopback ports, blocks
// the default lists for everyone but the device annas-phone, whose group
// blocks nothing.
func encryptedYAML(up, certFile, keyFile string) string {
	return upstreamYAML(up) + fmt.Sprintf(`tls:
  dot: ["127.0.0.1:0"]
  doh: ["127.0.0.1:0"]
  doq: ["127.0.0.1:0"]
  cert_file: %s
  key_file: %s
  server_name: dns.test
groups:
  - name: grown-ups
    clients: [id:annas-phone]
    blocking: false
  - name: kids
    clients: [id:kids-tablet]
`, certFile, keyFile)
}

// kdig runs Knot's dig and returns its output.
func kdig(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, needTool(t, "kdig"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("kdig %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func hostPort(t *testing.T, addr string) (host, port string) {
	t.Helper()
	i := strings.LastIndexByte(addr, ':')
	return addr[:i], addr[i+1:]
}

// TestEncryptedRealClients: kdig over DoT and DoH, curl over DoH and a
// quic-go client over DoQ get the block answer with its EDE; a device that
// names itself (DoH path, TLS server name) gets its own group's answer
// from the same address.
func TestEncryptedRealClients(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	certFile, keyFile := tlsFiles(t)
	s := boot(t, encryptedYAML(up, certFile, keyFile))
	dot, doh, doq := s.EncryptedAddrs("dot")[0], s.EncryptedAddrs("doh")[0], s.EncryptedAddrs("doq")[0]
	ca := []string{"+tls-ca=" + certFile}
	tests := []struct {
		name      string
		args      func() []string
		want      []string
		dontWant  string
		blockedOn bool
	}{
		{"kdig +tls blocked", func() []string {
			h, p := hostPort(t, dot)
			return append([]string{"@" + h, "-p", p, "+tls", "+tls-hostname=dns.test", "tiktok.com", "A"}, ca...)
		}, []string{"status: NXDOMAIN", "EDE: 15 (Blocked)", "builtin:apps-tiktok", "TLS1.3"}, "", true},
		{"kdig +https blocked", func() []string {
			h, p := hostPort(t, doh)
			return append([]string{"@" + h, "-p", p, "+https", "+tls-hostname=dns.test", "tiktok.com", "A"}, ca...)
		}, []string{"status: NXDOMAIN", "EDE: 15 (Blocked)", "HTTP/2", "(status: 200)"}, "", true},
		{"kdig +https GET forwarded", func() []string {
			h, p := hostPort(t, doh)
			return append([]string{"@" + h, "-p", p, "+https-get", "+tls-hostname=dns.test", "example.com", "A"}, ca...)
		}, []string{"status: NOERROR", "192.0.2.1", "HTTP/2-GET"}, "", false},
		{"kdig +https path ID: own group", func() []string {
			h, p := hostPort(t, doh)
			return append([]string{"@" + h, "-p", p, "+https=/dns-query/annas-phone", "+tls-hostname=dns.test", "tiktok.com", "A"}, ca...)
		}, []string{"status: NOERROR", "192.0.2.1"}, "EDE", false},
		{"kdig +https other path ID: its group blocks", func() []string {
			h, p := hostPort(t, doh)
			return append([]string{"@" + h, "-p", p, "+https=/dns-query/kids-tablet", "+tls-hostname=dns.test", "tiktok.com", "A"}, ca...)
		}, []string{"status: NXDOMAIN", "EDE: 15 (Blocked)"}, "", true},
		{"kdig +tls SNI ID: own group", func() []string {
			h, p := hostPort(t, dot)
			return append([]string{"@" + h, "-p", p, "+tls", "+tls-hostname=annas-phone.dns.test", "tiktok.com", "A"}, ca...)
		}, []string{"status: NOERROR", "192.0.2.1"}, "EDE", false},
		{"kdig +tls other SNI ID: its group blocks", func() []string {
			h, p := hostPort(t, dot)
			return append([]string{"@" + h, "-p", p, "+tls", "+tls-hostname=kids-tablet.dns.test", "tiktok.com", "A"}, ca...)
		}, []string{"status: NXDOMAIN", "EDE: 15 (Blocked)"}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := kdig(t, tc.args()...)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("no %q in\n%s", w, out)
				}
			}
			if tc.dontWant != "" && strings.Contains(out, tc.dontWant) {
				t.Errorf("%q in\n%s", tc.dontWant, out)
			}
		})
	}
	t.Run("curl GET", func(t *testing.T) {
		curl := needTool(t, "curl")
		q := new(dns.Msg)
		q.SetQuestion("tiktok.com.", dns.TypeA)
		q.SetEdns0(1232, false)
		q.Id = 0
		b, _ := q.Pack()
		_, port := hostPort(t, doh)
		out, err := exec.Command(curl, "-sS", "--fail", "--cacert", certFile, "--resolve", "dns.test:"+port+":127.0.0.1",
			"-H", "accept: application/dns-message", "-D", "-",
			"https://dns.test:"+port+"/dns-query?dns="+base64.RawURLEncoding.EncodeToString(b)).Output()
		if err != nil {
			t.Fatalf("curl: %v", err)
		}
		head, body, _ := strings.Cut(string(out), "\r\n\r\n")
		if !strings.Contains(strings.ToLower(head), "cache-control: max-age=10") {
			t.Errorf("headers %q: want max-age=10 (the block answer's TTL)", head)
		}
		r := new(dns.Msg)
		if err := r.Unpack([]byte(body)); err != nil {
			t.Fatal(err)
		}
		if ede := findEDE(r); r.Rcode != dns.RcodeNameError || ede == nil || ede.InfoCode != 15 {
			t.Errorf("curl answer %v", r)
		}
	})
	t.Run("DoQ quic-go client", func(t *testing.T) {
		for _, tc := range []struct {
			sni   string
			rcode int
		}{{"dns.test", dns.RcodeNameError}, {"annas-phone.dns.test", dns.RcodeSuccess}} {
			r := doqQuery(t, doq, certFile, tc.sni, "tiktok.com.")
			if r.Rcode != tc.rcode {
				t.Errorf("%s: rcode %s, want %s", tc.sni, dns.RcodeToString[r.Rcode], dns.RcodeToString[tc.rcode])
			}
			if ede := findEDE(r); tc.rcode == dns.RcodeNameError && (ede == nil || ede.InfoCode != 15) {
				t.Errorf("%s: EDE %v, want 15", tc.sni, ede)
			}
		}
	})
	metrics := getBody(t, "http://"+s.HTTPAddr()+"/metrics")
	for _, w := range []string{
		`cleandns_queries_total{protocol="dot",qtype="A",result="blocked"}`,
		`cleandns_queries_total{protocol="doh",qtype="A",result="blocked"}`,
		`cleandns_queries_total{protocol="doq",qtype="A",result="blocked"}`,
		`cleandns_blocked_queries_total{group="kids",list="builtin:apps-tiktok"}`,
	} {
		if !strings.Contains(metrics, w) {
			t.Errorf("/metrics lacks %s", w)
		}
	}
}

// doqQuery asks one question over DoQ with the given server name.
func doqQuery(t *testing.T, addr, caFile, sni, name string) *dns.Msg {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := quic.DialAddr(ctx, addr, &tls.Config{RootCAs: pool, ServerName: sni, NextProtos: []string{"doq"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseWithError(0, "")
	st, err := conn.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	q := new(dns.Msg)
	q.SetQuestion(name, dns.TypeA)
	q.SetEdns0(1232, false)
	q.Id = 0
	b, _ := q.Pack()
	if _, err := st.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(b))), b...)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	resp, err := io.ReadAll(st)
	if err != nil || len(resp) < 2 {
		t.Fatalf("DoQ answer: %v (%d bytes)", err, len(resp))
	}
	r := new(dns.Msg)
	if err := r.Unpack(resp[2:]); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestAppleProfile downloads the .mobileconfig for each protocol from the
// API: a well-formed plist naming the server (and device) as configured.
func TestAppleProfile(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	certFile, keyFile := tlsFiles(t)
	s := boot(t, encryptedYAML(up, certFile, keyFile))
	_, dohPort := hostPort(t, s.EncryptedAddrs("doh")[0])
	tests := []struct {
		query, want string
		status      int
	}{
		{"protocol=doh&id=annas-phone", "<string>https://dns.test:" + dohPort + "/dns-query/annas-phone</string>", 200},
		{"", "<string>HTTPS</string>", 200},
		// The test's DoT port is not 853, which Apple devices cannot use.
		{"protocol=dot", "853", 400},
		{"protocol=doh&id=bad_id", "client ID", 400},
		{"protocol=doq", "want doh or dot", 400},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			resp, err := http.Get("http://" + s.HTTPAddr() + "/api/v1/apple.mobileconfig?" + tc.query)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
				t.Fatalf("%d %s, want %d with %q", resp.StatusCode, body, tc.status, tc.want)
			}
			if tc.status != 200 {
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/x-apple-aspen-config" {
				t.Errorf("Content-Type %q", ct)
			}
			d := xml.NewDecoder(bytes.NewReader(body))
			for {
				if _, err := d.Token(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatalf("not well-formed XML: %v\n%s", err, body)
				}
			}
		})
	}
}
