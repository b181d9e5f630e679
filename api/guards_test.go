package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cleandns/cleandns/cache"
	"github.com/cleandns/cleandns/querylog"
	"github.com/cleandns/cleandns/runstate"
)

// The real components satisfy the API's interfaces as they are, so server
// wires them without adapters.
var (
	_ QueryLog     = (*querylog.Logger)(nil)
	_ CacheFlusher = (*cache.Cache)(nil)
	_ AllowStore   = runstate.Allowlist{}
)

// TestBrowserRequestsRefused: a web page in the admin's browser must not
// drive the API, by a cross-site POST or through a rebound host name.
func TestBrowserRequestsRefused(t *testing.T) {
	srv := httptest.NewServer(New(Tokens{}, Deps{}))
	t.Cleanup(srv.Close)
	tests := []struct {
		name    string
		method  string
		host    string
		headers map[string]string
		want    int
	}{
		{"cross-site POST", "POST", "", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"cross-origin POST without Sec-Fetch-Site", "POST", "", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"rebound host name", "GET", "evil.example:9153", nil, http.StatusForbidden},
		{"CLI request", "GET", "", nil, http.StatusOK},
		{"localhost", "GET", "localhost:9153", nil, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/api/v1/status"
			if tt.method == "POST" {
				path = "/api/v1/cache/flush"
			}
			req, err := http.NewRequest(tt.method, srv.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.host != "" {
				req.Host = tt.host
			}
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}
