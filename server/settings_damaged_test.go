package server

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/runstate"
)

// TestStartsWithBadConsoleSettings: a settings document in the state
// directory that does not read, or holds settings that cannot be built
// (written by another instance, by hand, by an older version), does not
// stop the instance from starting: what of it is valid serves over the
// config file, blocking on, and the next console change works at once,
// dropping what could never build.
func TestStartsWithBadConsoleSettings(t *testing.T) {
	up := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
	good := `{"name": "ok.home.arpa", "type": "A", "value": "192.168.1.5"}`
	for _, tc := range []struct {
		name, doc string
		ok        string // what ok.home.arpa answers
	}{
		{"not JSON", `{"upstreams": [`, "NXDOMAIN"},
		{"a wrong type", `{"upstreams": "9.9.9.9", "lists": {"default": {"remove": ["builtin:clean-apps"]}}, "local_records": [` + good + `]}`, "NXDOMAIN"},
		{"an upstream that does not parse", `{"upstreams": ["tls://no-port"], "local_records": [` + good + `]}`, "192.168.1.5"},
		{"a record that does not parse", `{"local_records": [{"name": "a b", "type": "A", "value": "x"}, ` + good + `]}`, "192.168.1.5"},
		{"both", `{"upstreams": ["tls://no-port"], "local_records": [{"name": "a b", "type": "A", "value": "x"}, ` + good + `]}`, "192.168.1.5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Load(config.Source{Name: "test.yaml", Data: []byte(upstreamYAML(up))},
				config.Overrides{Listen: []string{"127.0.0.1:0"}, HTTP: "127.0.0.1:0"})
			if err != nil {
				t.Fatal(err)
			}
			cfg.HTTP.AllowFile = filepath.Join(t.TempDir(), "allow.json")
			if err := os.WriteFile(settingsFile(cfg), []byte(tc.doc), 0o600); err != nil {
				t.Fatal(err)
			}
			s := bootConfig(t, cfg)
			addr := s.Addrs()[0]
			want := map[string]string{"www.example.": "192.0.2.1", "ok.home.arpa.": tc.ok}
			check := func(when string) {
				t.Helper()
				if rc := rcodeOf(t, addr, "tiktok.com."); rc != dns.RcodeNameError {
					t.Errorf("%s: tiktok.com answers %s: the file's blocking is not serving", when, dns.RcodeToString[rc])
				}
				for name, w := range want {
					if got := answerOf(t, addr, name); got != w {
						t.Errorf("%s: %s answers %s, want %s", when, name, got, w)
					}
				}
			}
			check("at start")
			if _, err := s.AddLocalRecord(runstate.LocalRecord{Name: "tv.home.arpa", Type: "A", Value: "192.168.1.60"}, "admin@test"); err != nil {
				t.Fatalf("the next console change: %v", err)
			}
			want["tv.home.arpa."] = "192.168.1.60"
			check("after a change")
		})
	}
}
