package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestStartsWithoutWritableHome boots the real binary as a user whose home
// does not exist, and once more with a read-only STATE_DIRECTORY: DNS must
// start and block either way. As root the binary runs as nobody, so the
// missing home really cannot be created.
func TestStartsWithoutWritableHome(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	ro := filepath.Join(filepath.Dir(bin), "ro-state")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  []string
	}{
		{"no home", []string{"HOME=/nonexistent"}},
		{"read-only state directory", []string{"HOME=/nonexistent", "STATE_DIRECTORY=" + ro}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr, httpAddr := freeUDP(t), freeUDP(t)
			cmd := exec.Command(bin, "serve", "--listen", addr, "--http", httpAddr, "--upstream", "127.0.0.1:9")
			cmd.Env = append([]string{"PATH=/usr/bin:/bin", "TMPDIR=" + filepath.Dir(bin)}, c.env...)
			cmd.Dir = filepath.Dir(bin)
			if os.Getuid() == 0 {
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			}
			var logs bytes.Buffer
			cmd.Stderr = &logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			rc := waitBlocked(addr, "tiktok.com.", 30*time.Second)
			ready := ""
			if resp, err := http.Get("http://" + httpAddr + "/readyz"); err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				ready = string(b)
			}
			// The logs are read once the process is gone and exec has
			// copied all of its stderr.
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			if rc != dns.RcodeNameError {
				t.Fatalf("tiktok.com: rcode %d, want NXDOMAIN; logs:\n%s", rc, logs.String())
			}
			if !strings.Contains(logs.String(), "state directory falls back") {
				t.Errorf("no log line says where state went:\n%s", logs.String())
			}
			if !strings.Contains(ready, "state directory: using") || !strings.Contains(ready, "passed over") {
				t.Errorf("/readyz does not say where state went: %q", ready)
			}
		})
	}
}

// buildBinary builds cleandns into a folder any user can read and run.
func buildBinary(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "cleandns-bin-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "cleandns")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// freeUDP returns a loopback port free for both UDP and TCP, as cleandns
// binds both.
func freeUDP(t *testing.T) string {
	t.Helper()
	for try := 0; try < 20; try++ {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := c.LocalAddr().String()
		l, err := net.Listen("tcp", addr)
		c.Close()
		if err == nil {
			l.Close()
			return addr
		}
	}
	t.Fatal("no port free for both UDP and TCP")
	return ""
}

// waitBlocked asks name until the server answers or the time is up.
func waitBlocked(addr, name string, within time.Duration) int {
	c := &dns.Client{Timeout: 200 * time.Millisecond}
	m := new(dns.Msg).SetQuestion(name, dns.TypeA)
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if r, _, err := c.Exchange(m, addr); err == nil {
			return r.Rcode
		}
		time.Sleep(100 * time.Millisecond)
	}
	return -1
}
