package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"sync/atomic"
	"testing"

	"github.com/cleandns/cleandns/api"
	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/querylog"
)

// trusting is a TLS client config that trusts the certificate in caFile
// and asks for serverName.
func trusting(t *testing.T, caFile, serverName string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", caFile)
	}
	return &tls.Config{RootCAs: pool, ServerName: serverName}
}

// TestClientIDsInTheQueryLog: a DoH query with a path ID and a DoT query
// with an ID in the server name are logged with their IDs and protocols,
// found through the API's client_id search, and counted by ID in the top
// clients.
func TestClientIDsInTheQueryLog(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	certFile, keyFile := tlsFiles(t)
	s, c := adminClient(t, encryptedYAML(up, certFile, keyFile))
	doh, dot := s.EncryptedAddrs("doh")[0], s.EncryptedAddrs("dot")[0]
	dnstest.AskDoH(t, "https://"+doh+"/dns-query/annas-phone", trusting(t, certFile, "dns.test"), "tiktok.com")
	dnstest.AskDoT(t, dot, trusting(t, certFile, "laptop.dns.test"), "tiktok.com")
	dnstest.AskDoT(t, dot, trusting(t, certFile, "dns.test"), "example.com")

	ctx := context.Background()
	tests := []struct {
		id, protocol, group, result string
	}{
		{"annas-phone", "doh", "grown-ups", "forwarded"}, // its group blocks nothing
		{"laptop", "dot", "default", "blocked"},          // an ID no group lists: grouped by address
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			var recs []querylog.Record
			eventually(t, func() bool {
				_ = s.qlog.Flush(ctx)
				var err error
				recs, err = c.QueryLog(ctx, api.QueryLogParams{ClientID: tc.id, Since: "1h"})
				return err == nil && len(recs) > 0
			})
			if len(recs) != 1 {
				t.Fatalf("client_id %s: %+v, want one record", tc.id, recs)
			}
			r := recs[0]
			if r.ClientID != tc.id || r.Client != "127.0.0.1" || r.Protocol != tc.protocol || r.Group != tc.group ||
				r.Result != tc.result || r.Name != "tiktok.com." {
				t.Errorf("record %+v, want ID %s over %s in group %s, %s", r, tc.id, tc.protocol, tc.group, tc.result)
			}
		})
	}
	var recs []querylog.Record
	var err error
	eventually(t, func() bool {
		_ = s.qlog.Flush(ctx)
		recs, err = c.QueryLog(ctx, api.QueryLogParams{Name: "example.com", Since: "1h"})
		return err == nil && len(recs) > 0
	})
	if err != nil || len(recs) != 1 || recs[0].ClientID != "" || recs[0].Protocol != "dot" {
		t.Errorf("DoT without an ID: %+v %v", recs, err)
	}
	// Every record is written now, so the counters have them all.
	top, err := c.Top(ctx, "clients", "1h", 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, k := range top {
		got[k.Key] = k.Count
	}
	if got["id:annas-phone"] != 1 || got["id:laptop"] != 1 || got["127.0.0.1"] != 1 {
		t.Errorf("top clients %v: want id:annas-phone, id:laptop and the bare 127.0.0.1 once each", top)
	}
}
