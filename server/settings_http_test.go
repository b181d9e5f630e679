package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/runstate"
)

// TestSettingsEndpoints: the upstream and local-record endpoints take only
// the admin token, answer the audited change or a 400 that says why, and
// the DNS answers follow over a real socket.
func TestSettingsEndpoints(t *testing.T) {
	up := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
	s := boot(t, upstreamYAML(up)+"http:\n  admin_token: "+testAdminToken+"\n  read_token: read-token\n")
	base, addr := "http://"+s.HTTPAddr()+"/api/v1/settings/", s.Addrs()[0]
	rec := url.Values{"name": {"tv.home.arpa"}, "type": {"A"}, "value": {"192.168.1.60"}, "ttl": {"1m"}}.Encode()
	tests := []struct {
		name, method, path, token string
		wantCode                  int
		wantBody                  string
		want                      map[string]string // DNS answers after
	}{
		{"no token", "POST", "local-records?" + rec, "", http.StatusUnauthorized, "", map[string]string{"tv.home.arpa.": "NXDOMAIN"}},
		{"read token", "POST", "local-records?" + rec, "read-token", http.StatusForbidden, "", map[string]string{"tv.home.arpa.": "NXDOMAIN"}},
		{"a bad ttl", "POST", "local-records?name=tv.home.arpa&type=A&value=192.168.1.60&ttl=forever", testAdminToken, http.StatusBadRequest, `ttl: \"forever\"`, nil},
		{"no value", "POST", "local-records?name=tv.home.arpa&type=A", testAdminToken, http.StatusBadRequest, "type and value are required", nil},
		{"a bad value", "POST", "local-records?name=tv.home.arpa&type=AAAA&value=192.168.1.60", testAdminToken, http.StatusBadRequest, "not an IPv6 address", nil},
		{"add a record", "POST", "local-records?" + rec, testAdminToken, http.StatusOK, `"new_value":"tv.home.arpa A 192.168.1.60 (ttl 60s)"`,
			map[string]string{"tv.home.arpa.": "192.168.1.60"}},
		{"remove it", "DELETE", "local-records?name=tv.home.arpa", testAdminToken, http.StatusOK, `"old_value":"tv.home.arpa A 192.168.1.60 (ttl 60s)"`,
			map[string]string{"tv.home.arpa.": "NXDOMAIN"}},
		{"a bad upstream", "POST", "upstreams?server=" + url.QueryEscape("tls://no-port.example"), testAdminToken, http.StatusBadRequest, "upstreams.servers[1]", nil},
		{"no upstream", "POST", "upstreams", testAdminToken, http.StatusBadRequest, "server is required", nil},
		{"upstreams, read token", "DELETE", "upstreams", "read-token", http.StatusForbidden, "", nil},
		{"add an upstream", "POST", "upstreams?server=" + url.QueryEscape("udp://"+up), testAdminToken, http.StatusOK, `"what":"upstreams"`,
			map[string]string{"a.example.": "192.0.2.1"}},
		{"back to the file's", "DELETE", "upstreams", testAdminToken, http.StatusOK, `"new_value":"` + up + `"`, map[string]string{"b.example.": "192.0.2.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, base+tt.path, nil)
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var body bytes.Buffer
			if json.Compact(&body, raw) != nil {
				body.Write(raw)
			}
			if resp.StatusCode != tt.wantCode || !strings.Contains(body.String(), tt.wantBody) {
				t.Errorf("%d %s, want %d with %s", resp.StatusCode, body.String(), tt.wantCode, tt.wantBody)
			}
			for name, want := range tt.want {
				if got := answerOf(t, addr, name); got != want {
					t.Errorf("%s answers %s, want %s", name, got, want)
				}
			}
		})
	}
	var audit []runstate.Change
	b, _ := json.Marshal(s.Settings().Audit)
	_ = json.Unmarshal(b, &audit)
	if len(audit) != 4 || !strings.HasPrefix(audit[0].By, "admin@127.0.0.1:") || audit[0].At.IsZero() || audit[0].What != "local_record" {
		t.Errorf("audit %s: want 4 changes by admin@127.0.0.1", b)
	}
}
