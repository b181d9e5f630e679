package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/server"
)

func TestMain(m *testing.M) { os.Exit(dnstest.RunIsolated(m)) }

const (
	adminToken = "console-test-admin-token"
	password   = "correct horse battery"
	// passwordHash is bcrypt(password), as `cleandns password` prints it.
	passwordHash = "$2a$10$7gCxaRxP4P1eOaRUsuo.YOb9U95Rp6NIds/X8x2l22zZSrZGeazue"
)

// boot starts the real wiring from YAML on loopback ports, with its state
// in a temporary folder, and returns it serving.
func boot(t testing.TB, yaml string) *server.Server {
	t.Helper()
	cfg, err := config.Load(config.Source{Name: "test.yaml", Data: []byte(yaml)},
		config.Overrides{Listen: []string{"127.0.0.1:0"}, HTTP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg.QueryLog.Path = filepath.Join(dir, "querylog.db")
	cfg.HTTP.AllowFile = filepath.Join(dir, "allow.json")
	s, err := server.New(cfg, server.Deps{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s
}

// rcode asks addr for name's A record over UDP.
func rcode(t *testing.T, addr, name string) int {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), dns.TypeA)
	r, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(q, addr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r.Rcode
}

// apiGet calls the API with the admin token and decodes the answer.
func apiGet(t *testing.T, base, path string, v any) {
	t.Helper()
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// waitFor retries cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func yamlConfig(upstream, listURL, hostsFile string) string {
	return fmt.Sprintf(`local_records:
  hosts_file: %s
upstreams:
  servers: [%s]
  timeout: 300ms
blocking:
  lists: [builtin:clean-apps, %s]
groups:
  - name: lab            # the clients view's group reason: queries asked from 127.0.0.2
    clients: [127.0.0.2/32]
querylog:
  flush_interval: 50ms
http:
  admin_token: %s
  password_hash: %q
`, hostsFile, upstream, listURL, adminToken, passwordHash)
}
