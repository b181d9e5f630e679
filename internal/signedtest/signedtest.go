// Package signedtest builds DNSSEC test zones with a different
// implementation than the one under test (BIND's dnssec-keygen and
// dnssec-signzone) and serves them with BIND's named on loopback: a test
// root, a TLD, and signed, unsigned and broken zones below it. Tests point
// a validator at Env.Addr with Env.Anchors as its only trust anchor.
package signedtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Env is a running named serving the test zones.
type Env struct {
	Addr       string // named's host:port, UDP and TCP
	AnchorFile string // the test root's DS record, in trust-anchor-file form
	Dir        string
}

// Tools are the binaries Start needs.
var Tools = []string{"named", "dnssec-keygen", "dnssec-signzone", "dnssec-dsfromkey"}

// Need skips the test when a tool is missing, outside CI; in CI (CI set)
// it fails instead, so a missing package never passes silently.
func Need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := lookPath(tool); err != nil {
			if os.Getenv("CI") == "" {
				t.Skipf("%s not installed (Debian: bind9 bind9-utils unbound)", tool)
			}
			t.Fatalf("%s not installed: .ci/run must install it", tool)
		}
	}
}

func lookPath(tool string) (string, error) {
	if p, err := exec.LookPath(tool); err == nil {
		return p, nil
	}
	p := filepath.Join("/usr/sbin", tool) // named and unbound live here, outside a user's PATH
	if _, err := os.Stat(p); err != nil {
		return "", err
	}
	return p, nil
}

// Start signs the zones in a temporary directory and starts named on a
// free loopback port; named stops when the test ends.
func Start(t testing.TB) *Env {
	t.Helper()
	Need(t, Tools...)
	dir := t.TempDir()
	b := &builder{dir: dir, ds: map[string]string{}}
	all := zones(time.Now())
	var conf strings.Builder
	for _, z := range all {
		var children []zone
		for _, c := range all {
			if c.name != z.name && parent(c.name) == z.name {
				children = append(children, c)
			}
		}
		file, err := b.build(z, children, 300)
		if err != nil {
			t.Fatalf("signedtest: zone %s: %v", z.name, err)
		}
		fmt.Fprintf(&conf, "zone %q { type primary; file %q; };\n", z.name, filepath.Join(dir, file))
	}
	anchor := filepath.Join(dir, "anchor.ds")
	if err := os.WriteFile(anchor, []byte(b.ds["."]), 0o644); err != nil {
		t.Fatal(err)
	}
	env := &Env{AnchorFile: anchor, Dir: dir}
	env.Addr = startNamed(t, dir, conf.String())
	return env
}

func parent(name string) string {
	i, end := dns.NextLabel(name, 0)
	if end {
		return "."
	}
	return name[i:]
}

// freePort finds a port free for both UDP and TCP on 127.0.0.1.
func freePort(t testing.TB) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("signedtest: no free port")
	return 0
}

// WaitReady polls addr until it answers name/qtype, or fails the test.
func WaitReady(t testing.TB, addr, name string, qtype uint16) {
	t.Helper()
	c := &dns.Client{Timeout: 500 * time.Millisecond}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		m := new(dns.Msg).SetQuestion(name, qtype)
		if r, _, err := c.Exchange(m, addr); err == nil && r.Rcode != dns.RcodeServerFailure {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("signedtest: %s did not answer %s in time", addr, name)
}
