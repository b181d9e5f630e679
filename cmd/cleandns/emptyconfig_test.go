package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestCheckConfigRejectsEmpty: check-config says "ok" only to a file that
// configures something.
func TestCheckConfigRejectsEmpty(t *testing.T) {
	for _, text := range []string{"", "\n  \n", "# all commented out\n# blocking:\n"} {
		path := filepath.Join(t.TempDir(), "cleandns.yaml")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := checkConfig(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "empty") {
			t.Errorf("check-config on %q: %v (output %q), want an error naming the file", text, err, out)
		}
	}
}

// checkConfig runs `cleandns check-config path` and returns its output.
func checkConfig(path string) (string, error) {
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs([]string{"check-config", path})
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// TestEmptyConfigNeverReloaded is issue 15 item 4 on the real binary: the
// config file is truncated (the watcher sees it), then holds only a comment
// (a SIGHUP follows). Both reloads are rejected with the file and the
// reason, and blocking goes on.
func TestEmptyConfigNeverReloaded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "cleandns.yaml")
	if err := os.WriteFile(path, []byte("upstreams:\n  servers: [127.0.0.1:9]\nblocking:\n  lists: [builtin:apps-tiktok]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeUDP(t)
	// --upstream keeps every upstream on loopback even if an empty file
	// were applied (its defaults are public resolvers).
	cmd := exec.Command(bin, "serve", "--config", path, "--listen", addr, "--http", "127.0.0.1:0", "--upstream", "127.0.0.1:9")
	cmd.Env = append(os.Environ(), "STATE_DIRECTORY="+dir)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if rc := waitBlocked(addr, "tiktok.com.", 10*time.Second); rc != dns.RcodeNameError {
		t.Fatalf("tiktok.com: rcode %d before any reload, want NXDOMAIN", rc)
	}
	steps := []struct {
		name, text string
		hup        bool
	}{{"truncated, watcher", "", false}, {"comment only, SIGHUP", "# saved by mistake\n", true}}
	for _, st := range steps {
		if err := os.WriteFile(path, []byte(st.text), 0o600); err != nil {
			t.Fatal(err)
		}
		if st.hup {
			_ = cmd.Process.Signal(syscall.SIGHUP)
		}
		time.Sleep(time.Second) // the watcher settles for 300 ms
		if rc := waitBlocked(addr, "tiktok.com.", 2*time.Second); rc != dns.RcodeNameError {
			t.Errorf("%s: tiktok.com rcode %d, want NXDOMAIN: the old config must keep serving", st.name, rc)
		}
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if n := strings.Count(logs.String(), "reload rejected"); n < 2 || !strings.Contains(logs.String(), "empty") {
		t.Errorf("%d rejected reloads logged, want 2 naming the empty file:\n%s", n, logs.String())
	}
}
