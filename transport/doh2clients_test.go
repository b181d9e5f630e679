package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/http2"
)

// TestDoH2RealClients: curl and kdig, which no one here wrote, get their
// answers over HTTP/2 from the loop.
func TestDoH2RealClients(t *testing.T) {
	s := startH2(t, echo(0), nil)
	host, port, _ := net.SplitHostPort(s.addr)
	q := packed(t, "x.test")
	qfile := filepath.Join(t.TempDir(), "q")
	if err := os.WriteFile(qfile, q, 0o600); err != nil {
		t.Fatal(err)
	}
	url := "https://dns.test:" + port + "/dns-query"
	curl := func(args ...string) []string {
		return append([]string{"curl", "--http2", "-sS", "--fail", "--cacert", s.certFile, "--resolve", "dns.test:" + port + ":127.0.0.1",
			"-w", "\nHTTP/%{http_version}"}, args...)
	}
	kdig := func(args ...string) []string {
		return append([]string{"kdig", "@" + host, "-p", port, "+tls-ca=" + s.certFile, "+tls-hostname=dns.test"}, args...)
	}
	tests := []struct {
		name string
		args []string
		want []string // in the output
	}{
		{"curl GET", curl(url + "/annas-phone?dns=" + base64.RawURLEncoding.EncodeToString(q)), []string{"client=127.0.0.1 id=annas-phone", "HTTP/2"}},
		{"curl POST", curl("-H", "Content-Type: "+dohType, "--data-binary", "@"+qfile, url), []string{"client=127.0.0.1 id=", "HTTP/2"}},
		{"curl 404", []string{"curl", "--http2", "-sS", "--cacert", s.certFile, "--resolve", "dns.test:" + port + ":127.0.0.1",
			"-w", "\n%{http_code} HTTP/%{http_version}", "https://dns.test:" + port + "/other"}, []string{"404 page not found", "404 HTTP/2"}},
		{"kdig +https", kdig("+https", "x.test", "A"), []string{"192.0.2.1", "client=127.0.0.1 id="}},
		{"kdig +https-get, ID", kdig("+https-get=/dns-query/kids-tablet", "x.test", "A"), []string{"192.0.2.1", "id=kids-tablet"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, needTool(t, tc.args[0]), tc.args[1:]...).CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %v\n%s", tc.args, err, out)
			}
			for _, w := range tc.want {
				if !bytes.Contains(out, []byte(w)) {
					t.Errorf("no %q in\n%s", w, out)
				}
			}
		})
	}
}

// TestDoH2GoClient: Go's HTTP/2 client, many requests at once on one
// connection (more than the stream limit, which it respects), GET and
// POST, and POST bodies past the stream window and past the largest DNS
// message.
func TestDoH2GoClient(t *testing.T) {
	s := startH2(t, echo(20*time.Millisecond), nil)
	// HTTP/2 only. Past the stream limit it opens another connection (with
	// StrictMaxConcurrentStreams, x/net's client deadlocked once more
	// requests waited than the limit: their reservations count as streams).
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.pool, ServerName: "dns.test"}, Protocols: new(http.Protocols)}
	tr.Protocols.SetHTTP2(true)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	base := "https://" + s.addr + "/dns-query"
	ask := func(method, name string, body io.Reader) (int, *dns.Msg, error) {
		var req *http.Request
		var err error
		if method == "GET" {
			req, err = http.NewRequest(method, base+"?dns="+base64.RawURLEncoding.EncodeToString(packed(t, name)), nil)
		} else if req, err = http.NewRequest(method, base, body); err == nil {
			req.Header.Set("Content-Type", dohType)
		}
		if err != nil {
			return 0, nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		if resp.ProtoMajor != 2 {
			return 0, nil, fmt.Errorf("HTTP/%d", resp.ProtoMajor)
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			return resp.StatusCode, nil, err
		}
		m := new(dns.Msg)
		return resp.StatusCode, m, m.Unpack(b)
	}

	t.Run("300 at once", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 300)
		for i := range 300 {
			wg.Go(func() {
				name := fmt.Sprintf("slow.q%d.test", i)
				method := []string{"GET", "POST"}[i%2]
				status, m, err := ask(method, name, bytes.NewReader(packed(t, name)))
				switch {
				case err != nil:
					errs <- fmt.Errorf("%s %s: %w", method, name, err)
				case status != 200:
					errs <- fmt.Errorf("%s %s: status %d", method, name, status)
				case m.Question[0].Name != name+".":
					errs <- fmt.Errorf("%s %s: answer for %s", method, name, m.Question[0].Name)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})

	big := func(size int) []byte {
		m := newQuery("big.test")
		m.Id = 0
		opt := &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT, Class: 1232}}
		opt.Option = append(opt.Option, &dns.EDNS0_PADDING{Padding: make([]byte, size-len(packed(t, "big.test"))-15)})
		m.Extra = append(m.Extra, opt)
		b, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// Unknown length: no Content-Length, so the size is found in the DATA.
	unknown := func(b []byte) io.Reader { return io.MultiReader(bytes.NewReader(b)) }
	tests := []struct {
		name string
		body io.Reader
		want int
	}{
		{"past the stream window", bytes.NewReader(big(40000)), 200},
		{"past the window, unknown length", unknown(big(40000)), 200},
		{"too large, by Content-Length", bytes.NewReader(make([]byte, 70000)), 413},
		{"too large, unknown length", unknown(make([]byte, 200000)), 413},
		{"too short", bytes.NewReader(make([]byte, 5)), 400},
		{"not a query", bytes.NewReader(make([]byte, 40)), 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, err := ask("POST", "", tc.body)
			if err != nil && status == 0 {
				t.Fatal(err)
			}
			if status != tc.want {
				t.Errorf("status %d, want %d", status, tc.want)
			}
		})
	}
	// After all that, the connection still answers.
	if status, _, err := ask("GET", "after.test", nil); err != nil || status != 200 {
		t.Errorf("after: %d %v", status, err)
	}
}

// TestDoH2StreamLimit: streams past SETTINGS_MAX_CONCURRENT_STREAMS are
// refused, the others answered.
func TestDoH2StreamLimit(t *testing.T) {
	s := startH2(t, echo(300*time.Millisecond), nil)
	c := dialRaw(t, s, []http2.Setting{})
	const n = h2MaxStreams + 20
	for i := range n {
		if err := c.get(uint32(2*i+1), "slow.test"); err != nil {
			t.Fatal(err)
		}
	}
	status, bodies := c.answers(n, 10*time.Second)
	counts := map[string]int{}
	for id, st := range status {
		counts[st]++
		if st == "200" && len(bodies[id]) == 0 {
			t.Errorf("stream %d: no body", id)
		}
	}
	if counts["200"] != h2MaxStreams || counts["RST REFUSED_STREAM"] != n-h2MaxStreams {
		t.Errorf("%v, want %d answered and %d refused", counts, h2MaxStreams, n-h2MaxStreams)
	}
}

// TestDoH2FlowControl: a client with a tiny or closed window still gets
// its answers, in DATA frames no larger than the window it gives; one that
// never opens it loses the connection after the write timeout.
func TestDoH2FlowControl(t *testing.T) {
	s := startH2(t, echo(0), func(t *h2Timeouts) { t.write = 500 * time.Millisecond })
	tests := []struct {
		name   string
		window uint32
		grow   uint32 // a SETTINGS frame's new initial window, after the query
		stall  bool   // never give window
	}{
		{"window 7", 7, 0, false},
		{"window 0, then 1000 by SETTINGS", 0, 1000, false},
		{"window 0 for ever", 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, s, []http2.Setting{{ID: http2.SettingInitialWindowSize, Val: tc.window}})
			if err := c.get(1, "x.test"); err != nil {
				t.Fatal(err)
			}
			if tc.grow > 0 {
				time.Sleep(50 * time.Millisecond)
				if err := c.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: tc.grow}); err != nil {
					t.Fatal(err)
				}
			}
			var body []byte
			_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			for {
				f, err := c.fr.ReadFrame()
				if err != nil {
					if tc.stall {
						return // closed, as it should be
					}
					t.Fatalf("after %d bytes: %v", len(body), err)
				}
				d, ok := f.(*http2.DataFrame)
				if !ok {
					continue
				}
				if tc.stall {
					t.Fatalf("DATA with no window: %v", d)
				}
				if max := max(tc.window, tc.grow); uint32(len(d.Data())) > max {
					t.Fatalf("DATA of %d bytes, window %d", len(d.Data()), max)
				}
				body = append(body, d.Data()...)
				if d.StreamEnded() {
					break
				}
				if tc.grow == 0 {
					_ = c.fr.WriteWindowUpdate(1, uint32(len(d.Data())))
				}
				_ = c.fr.WriteWindowUpdate(0, uint32(len(d.Data())))
			}
			m := new(dns.Msg)
			if err := m.Unpack(body); err != nil || !strings.HasPrefix(txtOf(t, m), "client=127.0.0.1") {
				t.Fatalf("answer %v: %v", m, err)
			}
		})
	}
}
