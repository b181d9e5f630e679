package dnstest

import (
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// AskDoH sends an A query for name by POST to url (https://HOST:PORT/dns-query,
// or with a client ID, /dns-query/ID) over HTTP/2, trusting what tc says,
// and returns the answer.
func AskDoH(t testing.TB, url string, tc *tls.Config, name string) *dns.Msg {
	t.Helper()
	q := new(dns.Msg).SetQuestion(dns.Fqdn(name), dns.TypeA)
	q.Id = 0 // RFC 8484 §4.1: cache-friendly
	b, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true}}
	defer c.CloseIdleConnections()
	resp, err := c.Post(url, "application/dns-message", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("dnstest: DoH %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("dnstest: DoH %s: %d %v %q", url, resp.StatusCode, err, body)
	}
	r := new(dns.Msg)
	if err := r.Unpack(body); err != nil {
		t.Fatalf("dnstest: DoH %s answer: %v", url, err)
	}
	return r
}

// AskDoT sends an A query for name over DNS over TLS to addr, with tc's
// server name (its first label a client ID, if the test wants one), and
// returns the answer.
func AskDoT(t testing.TB, addr string, tc *tls.Config, name string) *dns.Msg {
	t.Helper()
	c := &dns.Client{Net: "tcp-tls", TLSConfig: tc, Timeout: 5 * time.Second}
	r, _, err := c.Exchange(new(dns.Msg).SetQuestion(dns.Fqdn(name), dns.TypeA), addr)
	if err != nil {
		t.Fatalf("dnstest: DoT %s (%s): %v", addr, tc.ServerName, err)
	}
	return r
}
