package upstream

import (
	"strings"
	"testing"
)

func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"1.1.1.1", "[::1]:53", "udp://9.9.9.9:53", "tcp://a.example",
		"tls://9.9.9.9:853#dns.quad9.net", "https://dns.example/dns-query", "tls://x", "::1", ":53"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseEndpoint(s)
		if err != nil {
			return
		}
		if e.host == "" || e.port == 0 || e.raw != s {
			t.Fatalf("%q parsed to %+v", s, e)
		}
		if (e.proto == ProtoDoT || e.proto == ProtoDoH) && e.serverName == "" {
			t.Fatalf("%q: TLS without a server name", s)
		}
		if strings.ContainsAny(e.host, "/#?@ ") {
			t.Fatalf("%q: host %q", s, e.host)
		}
	})
}
