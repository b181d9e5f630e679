package server

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/dnstest"
)

// TestReloadToATakenHTTPPortKeepsTheGuard is issue 15's scenario: the API
// listens on the wildcard with an admin token; a reload moves it to a
// loopback port that is taken and drops the token. The bind fails, so the
// reload must fail whole: the wildcard listener keeps its token and the
// reload metric says 0. Traffic goes to 127.0.0.1 only.
func TestReloadToATakenHTTPPortKeepsTheGuard(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	yaml := fmt.Sprintf("listen: [127.0.0.1:0]\nupstreams:\n  servers: [%s]\nhttp:\n  listen: 0.0.0.0:0\n  admin_token: secret-admin\n", up)
	cfg, err := config.Load(config.Source{Name: "guard.yaml", Data: []byte(yaml)}, config.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	s := bootConfig(t, cfg)
	_, port, _ := net.SplitHostPort(s.HTTPAddr())
	pause := "http://127.0.0.1:" + port + "/api/v1/blocking/pause?duration=1m"

	next := fmt.Sprintf("listen: [127.0.0.1:0]\nupstreams:\n  servers: [%s]\nhttp:\n  listen: %s\n", up, taken.Addr())
	if err := s.Reload(loader(next, config.Overrides{})); err == nil || !strings.Contains(err.Error(), "http.listen") {
		t.Errorf("reload onto a taken http.listen: %v, want an error naming http.listen", err)
	}
	if v := testutil.ToFloat64(s.metrics.ConfigReloadSuccess); v != 0 {
		t.Errorf("cleandns_config_last_reload_successful = %v after a failed bind, want 0", v)
	}
	resp, err := http.Post(pause, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST /api/v1/blocking/pause without a token on the old listener: %s, want 401", resp.Status)
	}
	if got := s.current().cfg.HTTP.AdminToken; got != "secret-admin" {
		t.Errorf("the serving config's admin token is %q after the failed reload", got)
	}
}
