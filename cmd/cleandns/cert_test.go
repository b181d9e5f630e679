package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCertCommand: the pair loads, is valid for the host and its client-ID
// subnames, and the printed fingerprint is the certificate's.
func TestCertCommand(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	run := func(args ...string) (string, error) {
		root := newRoot()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(append([]string{"cert", "--cert", certFile, "--key", keyFile}, args...))
		err := root.Execute()
		return out.String(), err
	}
	out, err := run("--host", "dns.home.test", "--host", "192.168.1.2")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"dns.home.test", "annas-phone.dns.home.test", "192.168.1.2"} {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
	fp := regexp.MustCompile(`SHA-256 fingerprint: ([0-9A-F:]{95})`).FindStringSubmatch(out)
	if fp == nil {
		t.Fatalf("no fingerprint in %q", out)
	}
	sum := fingerprintOf(leaf.Raw)
	if fp[1] != sum {
		t.Errorf("printed %s, certificate's is %s", fp[1], sum)
	}
	if fi, _ := os.Stat(keyFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v", fi.Mode().Perm())
	}
	if _, err := run("--host", "x.test"); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("second run without --force: %v", err)
	}
	if _, err := run(); err == nil {
		t.Error("no --host accepted")
	}
}

func fingerprintOf(der []byte) string {
	sum := sha256.Sum256(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}
