package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestBadReloadsKeepServing sends the real binary SIGHUP after writing each
// broken config of the check-config corpus over its file: every reload is
// rejected, the old config keeps blocking, and a client asking all along
// loses no query.
func TestBadReloadsKeepServing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir := filepath.Dir(bin)
	addr := freeUDP(t)
	good := fmt.Sprintf("listen: [%q]\nhttp:\n  listen: \"127.0.0.1:0\"\nupstreams:\n  servers: [\"127.0.0.1:9\"]\nblocking:\n  lists: [builtin:clean-apps]\nquerylog:\n  enabled: false\n", addr)
	cfg := filepath.Join(dir, "cleandns.yaml")
	if err := os.WriteFile(cfg, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", cfg)
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+filepath.Join(dir, "state"))
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if rc := waitBlocked(addr, "tiktok.com.", 30*time.Second); rc != dns.RcodeNameError {
		t.Fatalf("not serving: rcode %d", rc)
	}

	stop := make(chan struct{})
	var asked, failed atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c := &dns.Client{Timeout: 2 * time.Second}
		for {
			select {
			case <-stop:
				return
			default:
			}
			r, _, err := c.Exchange(new(dns.Msg).SetQuestion("tiktok.com.", dns.TypeA), addr)
			asked.Add(1)
			if err != nil || r.Rcode != dns.RcodeNameError {
				failed.Add(1)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	broken := []string{
		"",
		"listen: [\"0.0.0.0:5399\", \"127.0.0.1:5399\"]\n",
		"blocking:\n  lists: [\"htp://example.com/l\"]\n",
		"blocking:\n  lists: [\"/nonexistent/list.txt\"]\n",
		"blocking:\n  ttl: 10\n",
		"log:\n  level: loud\n",
		"listen: [\n",
	}
	for _, b := range broken {
		if err := os.WriteFile(cfg, []byte(b), 0o600); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Process.Signal(syscall.SIGHUP)
		time.Sleep(300 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if failed.Load() != 0 || asked.Load() < 100 {
		t.Errorf("%d of %d queries failed or were not blocked during the bad reloads", failed.Load(), asked.Load())
	}
	if n := strings.Count(logs.String(), "reload rejected"); n < len(broken) {
		t.Errorf("%d reloads rejected in the log, want at least %d:\n%s", n, len(broken), logs.String())
	}
}
