package server

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/dnstest"
)

// TestReloadKeepsUnchangedUpstreams: a reload that changes an unrelated key
// keeps the forwarder, so its open DoT connection is reused (no new TLS
// handshake) and its health with it; a reload that changes the upstreams
// builds a new one, which connects anew.
func TestReloadKeepsUnchangedUpstreams(t *testing.T) {
	cert := dnstest.NewCert(t, "dns.test")
	dot := dnstest.NewDoTServer(t, cert, dnstest.A("192.0.2.53"))
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, cert.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := func(ttl, extra string) string {
		return fmt.Sprintf("upstreams:\n  servers: [\"tls://%s#dns.test\"%s]\n  ca_file: %s\ncache:\n  enabled: false\nblocking:\n  ttl: %s\n", dot.Addr, extra, ca, ttl)
	}
	s := boot(t, yaml("10s", ""))
	addr := s.Addrs()[0]
	o := config.Overrides{Listen: []string{"127.0.0.1:0"}, HTTP: "127.0.0.1:0"}
	for i, step := range []struct {
		name, yaml string
		handshakes int64 // TLS connections the DoT server accepted so far
	}{
		{"first query", "", 1},
		{"unrelated change", yaml("20s", ""), 1},
		{"another unrelated change", yaml("30s", ""), 1},
		{"upstreams changed", yaml("30s", `, "tls://`+dot.Addr+`#dns.test"`), 2},
	} {
		before := s.gen.Load().upstream
		if step.yaml != "" {
			if err := s.Reload(loader(step.yaml, o)); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
		}
		if r := ask(t, "udp", addr, fmt.Sprintf("q%d.example.", i), dns.TypeA, false); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Fatalf("%s: answer %v", step.name, r)
		}
		if got := dot.Accepted.Load(); got != step.handshakes {
			t.Errorf("%s: %d TLS connections, want %d", step.name, got, step.handshakes)
		}
		if kept := s.gen.Load().upstream == before; step.yaml != "" && kept != (step.handshakes == 1) {
			t.Errorf("%s: forwarder kept %v", step.name, kept)
		}
	}
}
