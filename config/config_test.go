package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cleandns/cleandns/configs"
)

func load(t *testing.T, yaml string, o Overrides) (*Config, error) {
	t.Helper()
	return Load(Source{Name: "test.yaml", Data: []byte(yaml)}, o)
}

func TestEnvironmentOverridesNestedAndListKeys(t *testing.T) {
	t.Setenv("CLEANDNS_RATELIMIT_QPS", "42")
	t.Setenv("CLEANDNS_ACCESS_ALLOW", "10.0.0.0/8,192.168.0.0/16")
	t.Setenv("CLEANDNS_BLOCKING_TTL", "30s")
	t.Setenv("CLEANDNS_BLOCKING_LISTS", "builtin:apps-tiktok,/etc/hosts")
	cfg, err := load(t, "ratelimit:\n  qps: 5\naccess:\n  allow: [127.0.0.0/8]\n", Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RateLimit.QPS != 42 {
		t.Errorf("ratelimit.qps = %v, want 42 from the environment", cfg.RateLimit.QPS)
	}
	if want := []string{"10.0.0.0/8", "192.168.0.0/16"}; !reflect.DeepEqual(cfg.Access.Allow, want) {
		t.Errorf("access.allow = %v, want %v", cfg.Access.Allow, want)
	}
	if cfg.Blocking.TTL != 30*time.Second {
		t.Errorf("blocking.ttl = %v, want 30s", cfg.Blocking.TTL)
	}
	if len(cfg.Blocking.Lists) != 2 || cfg.Blocking.Lists[1].Source != "/etc/hosts" {
		t.Errorf("blocking.lists = %+v", cfg.Blocking.Lists)
	}
}

func TestBypassSwitches(t *testing.T) {
	t.Setenv("CLEANDNS_BLOCKING_BYPASS_PRIVATE_RELAY", "false")
	cfg, err := load(t, "blocking:\n  bypass:\n    firefox_canary: false\n", Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Blocking.Bypass.FirefoxCanary || cfg.Blocking.Bypass.PrivateRelay {
		t.Errorf("bypass = %+v, want both off (file, environment)", cfg.Blocking.Bypass)
	}
}

func TestOverridesReplaceOrAdd(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("hosts.txt", []byte("0.0.0.0 ads.example\n"), 0o600); err != nil {
		t.Fatal(err) // a list file must exist to load
	}
	cfg, err := load(t, "listen: [127.0.0.1:5353]\nupstreams:\n  servers: [9.9.9.9]\nblocking:\n  lists: [builtin:clean-apps]\n",
		Overrides{Listen: []string{"127.0.0.1:1053"}, Upstreams: []string{"127.0.0.1:5300"}, Blocklists: []string{"hosts.txt"}, HTTP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Listen, []string{"127.0.0.1:1053"}) {
		t.Errorf("listen = %v", cfg.Listen)
	}
	if !reflect.DeepEqual(cfg.Upstreams.Servers, []string{"127.0.0.1:5300"}) {
		t.Errorf("--upstream must replace: %v", cfg.Upstreams.Servers)
	}
	if len(cfg.Blocking.Lists) != 2 || cfg.Blocking.Lists[0].Source != "builtin:clean-apps" || cfg.Blocking.Lists[1].Source != "hosts.txt" {
		t.Errorf("--blocklist must add: %+v", cfg.Blocking.Lists)
	}
	if cfg.HTTP.Listen != "127.0.0.1:0" {
		t.Errorf("http.listen = %q", cfg.HTTP.Listen)
	}
}

func TestErrorsNameFileKeyAndReason(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown top-level key", "lisen: [127.0.0.1:53]\n", []string{"test.yaml", "lisen", "unknown key"}},
		{"unknown nested key", "blocking:\n  ttls: 5s\n", []string{"test.yaml", "blocking.ttls", "unknown key"}},
		{"unknown key in a list item", "forward_zones:\n  - zone: corp.example\n    server: [10.0.0.1]\n", []string{"forward_zones[0].server", "unknown key"}},
		{"bare number duration", "blocking:\n  ttl: 10\n", []string{"test.yaml", "blocking.ttl", "unit"}},
		{"bad duration", "blocking:\n  ttl: soon\n", []string{"test.yaml", "blocking.ttl"}},
		{"bad listen", "listen: [localhost]\n", []string{"test.yaml", "listen[0]", "localhost"}},
		{"bad network", "access:\n  allow: [10.0.0.0/33]\n", []string{"access.allow[0]", "not a network"}},
		{"bad access action", "access:\n  action: ignore\n", []string{"test.yaml", "access.action", "ignore"}},
		{"bad ratelimit qps", "ratelimit:\n  qps: 0\n", []string{"test.yaml", "ratelimit.qps"}},
		{"bad ratelimit exempt", "ratelimit:\n  exempt: [10.0.0.0/8, x]\n", []string{"ratelimit.exempt[1]"}},
		{"unknown bypass key", "blocking:\n  bypass:\n    firefox: false\n", []string{"blocking.bypass.firefox", "unknown key"}},
		{"bad block response", "blocking:\n  response: [sinkhole]\n", []string{"blocking.response[0]", "sinkhole"}},
		{"bad yaml", "listen: [\n", []string{"test.yaml"}},
		{"wrong shape", "http: 5\n", []string{"http", "mapping"}},
		{"clear password", "http:\n  password_hash: hunter2\n", []string{"http.password_hash", "not a bcrypt hash", "cleandns password"}},
		{"clear viewer password", "http:\n  viewer_password_hash: hunter2\n", []string{"http.viewer_password_hash", "not a bcrypt hash"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.yaml, Overrides{})
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestDefaultsApplyToAnEmptyFile(t *testing.T) {
	cfg, err := load(t, "", Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Listen, Default().Listen) || cfg.Blocking.TTL != 10*time.Second || !cfg.Blocking.Enabled {
		t.Errorf("defaults not applied: %+v", cfg)
	}
	wantAllow := []string{"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
		"100.64.0.0/10", "169.254.0.0/16", "fc00::/7", "fe80::/10"}
	if !reflect.DeepEqual(cfg.Access.Allow, wantAllow) || cfg.Access.Action != "refuse" {
		t.Errorf("access defaults = %+v", cfg.Access)
	}
	if !cfg.Blocking.Bypass.FirefoxCanary || !cfg.Blocking.Bypass.PrivateRelay {
		t.Errorf("bypass protection is off by default: %+v", cfg.Blocking.Bypass)
	}
	rl := cfg.RateLimit
	if !rl.Enabled || rl.QPS != 1000 || rl.Burst != 2000 || rl.Slip != 2 || !reflect.DeepEqual(rl.Exempt, []string{"127.0.0.0/8", "::1/128"}) {
		t.Errorf("ratelimit defaults = %+v", rl)
	}
}

func TestEmbeddedDefault(t *testing.T) {
	cfg, err := Load(Source{Name: configs.DefaultName, Data: configs.Default()}, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen[0] != "127.0.0.1:5353" || cfg.HTTP.Listen != "127.0.0.1:9153" {
		t.Errorf("default listens on %v, http %q", cfg.Listen, cfg.HTTP.Listen)
	}
	var lists []string
	for _, l := range cfg.Blocking.Lists {
		lists = append(lists, l.Source)
	}
	if !reflect.DeepEqual(lists, []string{"builtin:clean-apps", "builtin:clean-cloud"}) {
		t.Errorf("default lists = %v", lists)
	}
}

// TestShippedConfigsLoad keeps every file in configs/ valid.
func TestShippedConfigsLoad(t *testing.T) {
	files, err := filepath.Glob("../configs/*.yaml")
	if err != nil || len(files) < 3 {
		t.Fatalf("want at least 3 shipped configs, found %v (%v)", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := File(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Load(src, Overrides{}); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestReadmeExamplesLoad keeps the README's YAML examples valid.
func TestReadmeExamplesLoad(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := yamlBlocks(string(b))
	if len(blocks) == 0 {
		t.Fatal("README has no ```yaml examples")
	}
	for i, y := range blocks {
		if _, err := load(t, y, Overrides{}); err != nil {
			t.Errorf("README yaml example %d: %v\n%s", i+1, err, y)
		}
	}
}

func yamlBlocks(md string) []string {
	var out []string
	for {
		i := strings.Index(md, "```yaml\n")
		if i < 0 {
			return out
		}
		md = md[i+len("```yaml\n"):]
		j := strings.Index(md, "```")
		if j < 0 {
			return out
		}
		out = append(out, md[:j])
		md = md[j:]
	}
}
