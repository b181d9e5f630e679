package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/server"
)

// TestTopClientsSaysWhy: `cleandns top clients` prints each client's group
// and why, as the running instance's groups select it.
func TestTopClientsSaysWhy(t *testing.T) {
	up := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
	dir := t.TempDir()
	yaml := fmt.Sprintf(`listen: ["127.0.0.1:0"]
http:
  listen: "127.0.0.1:0"
  allow_file: %q
upstreams:
  servers: [%q]
groups:
  - name: kids
    clients: [127.0.0.4/32]
querylog:
  path: %q
  flush_interval: 20ms
`, filepath.Join(dir, "allow.json"), up, filepath.Join(dir, "querylog.db"))
	cfg, err := config.Load(config.Source{Name: "top.yaml", Data: []byte(yaml)}, config.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(cfg, server.Deps{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	serverVerdict(t, srv.Addrs()[0], "a.example", "127.0.0.4")
	serverVerdict(t, srv.Addrs()[0], "b.example", "127.0.0.1")
	base := "http://" + srv.HTTPAddr()
	var out string
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if out, err = run(t, base, "top", "clients", "--since", "1h"); err == nil && strings.Count(out, "\n") >= 3 {
			break
		}
	}
	for _, want := range []string{"GROUP", "127.0.0.4  kids     address 127.0.0.4 is in 127.0.0.4/32", "127.0.0.1  default  no group names it"} {
		if !strings.Contains(out, want) {
			t.Errorf("top clients does not say %q:\n%s", want, out)
		}
	}
}
