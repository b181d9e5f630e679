package signedtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/miekg/dns"
)

// StartUnbound runs Unbound as a validating forwarder to env's named, with
// the test root's DS as its only trust anchor, and returns its address:
// the reference the scenarios' verdicts are compared with.
func StartUnbound(t testing.TB, env *Env) string {
	t.Helper()
	Need(t, "unbound")
	port := freePort(t)
	dir := t.TempDir()
	conf := fmt.Sprintf(`server:
	interface: 127.0.0.1
	port: %d
	do-ip6: no
	username: ""
	chroot: ""
	directory: %q
	pidfile: ""
	use-syslog: no
	logfile: ""
	num-threads: 1
	so-reuseport: no
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: no
	module-config: "validator iterator"
	trust-anchor-file: %q
	ede: yes
	val-log-level: 2
	qname-minimisation: no
	minimal-responses: yes
forward-zone:
	name: "."
	forward-addr: %s
remote-control:
	control-enable: no
`, port, dir, env.AnchorFile, dnsAddr(env.Addr))
	path := filepath.Join(dir, "unbound.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	bin, err := lookPath("unbound")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-d", "-c", path)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("signedtest: start unbound: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("unbound log:\n%s", log.String())
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	WaitReady(t, addr, "tld.", dns.TypeSOA)
	return addr
}

// dnsAddr writes host:port as Unbound's host@port.
func dnsAddr(hostport string) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	return host + "@" + port
}
