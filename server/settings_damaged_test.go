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
// directory that does not read, or whose settings cannot be built here
// (written by another instance, by hand, by an older version), does not
// stop the instance from starting: the config file serves, blocking on,
// and a console change made after replaces the document.
func TestStartsWithBadConsoleSettings(t *testing.T) {
	up := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
	for _, tc := range []struct{ name, doc string }{
		{"not JSON", `{"upstreams": [`},
		{"a wrong type", `{"upstreams": "9.9.9.9", "lists": {"default": {"remove": ["builtin:clean-apps"]}}}`},
		{"an upstream that does not parse", `{"upstreams": ["tls://no-port"], "lists": {"default": {"remove": ["builtin:clean-apps"]}}}`},
		{"a record that does not parse", `{"local_records": [{"name": "a b", "type": "A", "value": "x"}]}`},
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
			if rc := rcodeOf(t, addr, "tiktok.com."); rc != dns.RcodeNameError {
				t.Errorf("tiktok.com answers %s: the file's blocking is not serving", dns.RcodeToString[rc])
			}
			if got := answerOf(t, addr, "www.example."); got != "192.0.2.1" {
				t.Errorf("www.example answers %s, want the file's upstream's 192.0.2.1", got)
			}
			// The console can still set things right, and its change serves.
			if _, err := s.AddLocalRecord(runstate.LocalRecord{Name: "a b", Type: "A", Value: "x"}, "admin@test"); err == nil {
				t.Error("a bad record was accepted")
			}
			_, _ = s.RemoveUpstream("", "admin@test")
			_, _ = s.RemoveLocalRecord(runstate.LocalRecord{Name: "a b"}, "admin@test")
			if _, err := s.AddLocalRecord(runstate.LocalRecord{Name: "tv.home.arpa", Type: "A", Value: "192.168.1.60"}, "admin@test"); err != nil {
				t.Fatalf("a console change after: %v", err)
			}
			if got := answerOf(t, addr, "tv.home.arpa."); got != "192.168.1.60" {
				t.Errorf("tv.home.arpa answers %s after the change", got)
			}
		})
	}
}
