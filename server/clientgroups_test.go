package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/api"
	"github.com/cleandns/cleandns/internal/dnstest"
)

// getJSON calls the API with the admin token and decodes the answer.
func getJSON(t *testing.T, s *Server, path string, v any) {
	t.Helper()
	req, err := http.NewRequest("GET", "http://"+s.HTTPAddr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// TestClientGroupsAndWhy: a device naming itself over DoH, and one over
// DoT whose ID no group lists, appear in the top clients and the query
// log with their group and what chose it; explain for a client ID says
// what that device's own queries get.
func TestClientGroupsAndWhy(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	certFile, keyFile := tlsFiles(t)
	s, c := adminClient(t, encryptedYAML(up, certFile, keyFile))
	doh, dot := s.EncryptedAddrs("doh")[0], s.EncryptedAddrs("dot")[0]
	phone := dnstest.AskDoH(t, "https://"+doh+"/dns-query/annas-phone", trusting(t, certFile, "dns.test"), "tiktok.com")
	laptop := dnstest.AskDoT(t, dot, trusting(t, certFile, "laptop.dns.test"), "tiktok.com")
	plain := dnstest.AskDoT(t, dot, trusting(t, certFile, "dns.test"), "tiktok.com")
	ctx := context.Background()

	t.Run("explain agrees with the answers", func(t *testing.T) {
		for _, tt := range []struct {
			id     string
			answer *dns.Msg
			group  string
			by     string
			reason string
		}{
			{"annas-phone", phone, "grown-ups", "id", "client ID annas-phone"},
			{"laptop", laptop, "default", "default", "client ID laptop is in no group"},
			{"", plain, "default", "default", "no group names it"},
		} {
			ex, err := c.ExplainFor(ctx, "tiktok.com", "127.0.0.1", tt.id)
			if err != nil {
				t.Fatal(err)
			}
			blocked := tt.answer.Rcode == dns.RcodeNameError
			if ex.Blocked != blocked || ex.Group != tt.group || ex.GroupBy != tt.by || !strings.Contains(ex.GroupReason, tt.reason) || ex.ClientID != tt.id {
				t.Errorf("explain for %q: blocked %v in %s by %s (%q); the server answered %s, want group %s by %s (%q)",
					tt.id, ex.Blocked, ex.Group, ex.GroupBy, ex.GroupReason, dns.RcodeToString[tt.answer.Rcode], tt.group, tt.by, tt.reason)
			}
		}
	})

	want := map[string]api.ClientGroup{
		"id:annas-phone": {Group: "grown-ups", By: "id"},
		"id:laptop":      {Group: "default", By: "default"},
		"127.0.0.1":      {Group: "default", By: "default"},
	}
	t.Run("top clients", func(t *testing.T) {
		var top struct{ Top []api.TopEntry }
		eventually(t, func() bool {
			_ = s.qlog.Flush(ctx)
			getJSON(t, s, "/api/v1/top?kind=clients&since=1h", &top)
			return len(top.Top) == 3
		})
		for _, tc := range top.Top {
			w, ok := want[tc.Key]
			if !ok || tc.ClientGroup == nil || tc.Group != w.Group || tc.By != w.By || tc.Reason == "" {
				t.Errorf("top client %s: %+v, want %+v", tc.Key, tc.ClientGroup, w)
			}
		}
	})

	t.Run("query log rows", func(t *testing.T) {
		var log struct{ Records []api.LogRecord }
		getJSON(t, s, "/api/v1/querylog?since=1h&name=tiktok", &log)
		if len(log.Records) != 3 {
			t.Fatalf("%d records, want 3", len(log.Records))
		}
		for _, r := range log.Records {
			key := r.Client
			if r.ClientID != "" {
				key = "id:" + r.ClientID
			}
			if w := want[key]; r.Group != w.Group || r.GroupBy != w.By || r.GroupReason == "" {
				t.Errorf("record of %s: group %s by %s (%q), want %s by %s", key, r.Group, r.GroupBy, r.GroupReason, w.Group, w.By)
			}
		}
	})
}
