package transport

import (
	"bytes"
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestCertRotation replaces the files under a running DoT listener: the
// open connection keeps working, the next handshake shows the new
// certificate, and a half-written rotation keeps the old one.
func TestCertRotation(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := writeCert(t, dir)
	certs, err := LoadCerts(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	certs.now = func() time.Time { return clock }
	s, _ := startStream(t, echo(0), StreamConfig{Protocol: "dot"}, TLSConfig(certs, "dot"))
	leaf := func() []byte {
		t.Helper()
		c, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"dot"}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].Raw
	}
	old := leaf()
	held, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()

	// A new cert with the old key: the pair does not match, the old stays.
	newDir := t.TempDir()
	newCert, newKey, _ := writeCert(t, newDir)
	copyFile(t, newCert, certFile)
	clock = clock.Add(2 * time.Second)
	if got := leaf(); !bytes.Equal(got, old) {
		t.Error("a mismatched pair replaced the certificate")
	}
	if certs.Err() == nil {
		t.Error("no error for the mismatched pair")
	}
	copyFile(t, newKey, keyFile)
	clock = clock.Add(2 * time.Second)
	got := leaf()
	if bytes.Equal(got, old) {
		t.Error("the new pair was not picked up")
	}
	if certs.Err() != nil {
		t.Errorf("error after a good rotation: %v", certs.Err())
	}
	// The connection made before the rotation still answers.
	dc := &dns.Conn{Conn: held}
	if err := dc.WriteMsg(newQuery("x.test")); err != nil {
		t.Fatal(err)
	}
	_ = held.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := dc.ReadMsg(); err != nil {
		t.Errorf("old connection after rotation: %v", err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(filepath.Dir(to), ".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// Different modification times even on a coarse clock.
	future := time.Now().Add(time.Duration(len(b)) * time.Millisecond)
	_ = os.Chtimes(tmp, future, future)
	if err := os.Rename(tmp, to); err != nil {
		t.Fatal(err)
	}
}
