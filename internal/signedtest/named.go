package signedtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/miekg/dns"
)

// startNamed runs named in the foreground (-g) with a config in dir, as
// the current user, authoritative for every test zone, the root included.
// Recursion is on only so that named follows a CNAME from one of its zones
// into another, as the recursive upstream of a forwarder would; with the
// root its own, it never sends a query anywhere.
func startNamed(t testing.TB, dir, zones string) string {
	t.Helper()
	port := freePort(t)
	conf := fmt.Sprintf(`options {
	directory %q;
	pid-file none;
	listen-on port %d { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion yes;
	allow-recursion { 127.0.0.1; };
	dnssec-validation no;
	minimal-responses yes;
	notify no;
	session-keyfile none;
	managed-keys-directory %q;
};
controls { };
%s`, dir, port, dir, zones)
	path := filepath.Join(dir, "named.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	bin, err := lookPath("named")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-g", "-c", path, "-n", "1")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("signedtest: start named: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("named log:\n%s", log.String())
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	WaitReady(t, addr, "tld.", dns.TypeSOA)
	return addr
}
