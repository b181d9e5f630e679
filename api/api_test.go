package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/cleandns/cleandns/runstate"
)

const (
	adminTok = "admin-secret-token"
	readTok  = "read-secret-token"
)

type env struct {
	url   string
	log   *fakeLog
	audit *observer.ObservedLogs
	allow *fakeAllow
	pause *fakePauser
}

// newEnv serves the API with every dependency faked, on loopback.
func newEnv(t *testing.T, tokens Tokens) *env {
	t.Helper()
	core, logs := observer.New(zapcore.InfoLevel)
	e := &env{log: &fakeLog{}, audit: logs, allow: &fakeAllow{m: map[string]AllowEntry{}}, pause: &fakePauser{paused: map[string]time.Time{}}}
	state, err := runstate.Open(runstate.NewDir(map[string]string{}), nil) // documents in memory
	if err != nil {
		t.Fatal(err)
	}
	a := New(tokens, Deps{
		Deny: state.Denylist(), Rules: state.Rules(),
		Logger: zap.New(core), Version: "v9.9.9", Started: t0.Add(-time.Hour), Now: func() time.Time { return t0 },
		Blocking: true, Status: fakeStatus{}, Pauser: e.pause, Refresher: fakeRefresher{}, Explainer: fakeExplainer{},
		QueryLog: e.log, Cache: &fakeCache{n: 7}, Allow: e.allow,
	})
	mux := http.NewServeMux()
	mux.Handle(Prefix, a)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

func (e *env) do(t *testing.T, method, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return resp.StatusCode, string(b)
}

var endpoints = []struct {
	method, path string
	admin        bool
}{
	{"GET", "/api/v1/status", false},
	{"GET", "/api/v1/explain?name=ads.example", false},
	{"GET", "/api/v1/querylog?client=10.0.0.5&since=1h", false},
	{"GET", "/api/v1/top?kind=blocked", false},
	{"GET", "/api/v1/top?kind=lists", false},
	{"GET", "/api/v1/stats?since=1h&step=1m", false},
	{"GET", "/api/v1/categories", false},
	{"POST", "/api/v1/blocking/pause?duration=5m", true},
	{"POST", "/api/v1/blocking/resume", true},
	{"POST", "/api/v1/lists/refresh", true},
	{"POST", "/api/v1/cache/flush", true},
	{"GET", "/api/v1/allow", true},
	{"POST", "/api/v1/allow?name=ok.example", true},
	{"DELETE", "/api/v1/allow?name=ok.example", true},
	{"GET", "/api/v1/deny", true},
	{"POST", "/api/v1/deny?name=ads.example", true},
	{"DELETE", "/api/v1/deny?name=ads.example", true},
	{"GET", "/api/v1/rules", true},
	{"POST", "/api/v1/rules?rule=%7C%7Cads.example%5E", true},
	{"DELETE", "/api/v1/rules?rule=%7C%7Cads.example%5E", true},
}

func TestTokens(t *testing.T) {
	e := newEnv(t, Tokens{Admin: adminTok, Read: readTok})
	for _, ep := range endpoints {
		for _, tc := range []struct {
			token string
			want  int
		}{
			{"", http.StatusUnauthorized},
			{"wrong", http.StatusUnauthorized},
			{readTok, map[bool]int{false: http.StatusOK, true: http.StatusForbidden}[ep.admin]},
			{adminTok, 0}, // 200 or 201
		} {
			name := ep.method + " " + ep.path + " token=" + map[string]string{"": "none", "wrong": "wrong", readTok: "read", adminTok: "admin"}[tc.token]
			t.Run(name, func(t *testing.T) {
				code, body := e.do(t, ep.method, ep.path, tc.token)
				if tc.want == 0 || tc.want == http.StatusOK {
					if code != http.StatusOK && code != http.StatusCreated {
						t.Errorf("status %d, body %s", code, body)
					}
					return
				}
				if code != tc.want || !strings.Contains(body, `"error"`) {
					t.Errorf("status %d, body %s; want %d with a JSON error", code, body, tc.want)
				}
			})
		}
	}
	for _, entry := range e.audit.All() {
		for _, f := range entry.Context {
			if strings.Contains(f.String, "secret") {
				t.Errorf("audit log holds a token: %v", entry.Context)
			}
		}
	}
}

func TestOpenAPIWithoutTokensOnLoopback(t *testing.T) {
	e := newEnv(t, Tokens{})
	for _, ep := range endpoints {
		if code, body := e.do(t, ep.method, ep.path, ""); code != http.StatusOK && code != http.StatusCreated {
			t.Errorf("%s %s: %d %s", ep.method, ep.path, code, body)
		}
	}
}

func TestReadEndpointsNeedAdminWithoutReadToken(t *testing.T) {
	e := newEnv(t, Tokens{Admin: adminTok})
	if code, _ := e.do(t, "GET", "/api/v1/status", "read-secret-token"); code != http.StatusUnauthorized {
		t.Errorf("status with an unknown token: %d", code)
	}
	if code, _ := e.do(t, "GET", "/api/v1/status", adminTok); code != http.StatusOK {
		t.Errorf("status with the admin token: %d", code)
	}
}

func TestCheckListener(t *testing.T) {
	tests := []struct {
		listen string
		tokens Tokens
		ok     bool
	}{
		{"127.0.0.1:9153", Tokens{}, true},
		{"[::1]:9153", Tokens{}, true},
		{"localhost:9153", Tokens{}, true},
		{"0.0.0.0:9153", Tokens{}, false},
		{":9153", Tokens{}, false},
		{"192.168.1.2:9153", Tokens{Read: "r"}, false},
		{"0.0.0.0:9153", Tokens{Admin: "a"}, true},
	}
	for _, tt := range tests {
		if err := CheckListener(tt.listen, tt.tokens); (err == nil) != tt.ok {
			t.Errorf("CheckListener(%q, admin=%v) = %v", tt.listen, tt.tokens.Admin != "", err)
		}
	}
}

func TestBadParameters(t *testing.T) {
	e := newEnv(t, Tokens{Admin: adminTok})
	tests := []struct {
		method, path string
		want         int
		msg          string
	}{
		{"POST", "/api/v1/blocking/pause", 400, "duration is required"},
		{"POST", "/api/v1/blocking/pause?duration=soon", 400, "duration"},
		{"POST", "/api/v1/blocking/pause?duration=-5m", 400, "duration"},
		{"POST", "/api/v1/blocking/pause?duration=10000h", 400, "duration"},
		{"POST", "/api/v1/blocking/pause?duration=5m&group=nosuch", 400, "nosuch"},
		{"GET", "/api/v1/explain", 400, "name is required"},
		{"GET", "/api/v1/explain?name=a..b", 400, "not a domain name"},
		{"GET", "/api/v1/explain?name=x.example&client=10.0.0", 400, "client"},
		{"GET", "/api/v1/querylog?client=nobody", 400, "client"},
		{"GET", "/api/v1/querylog?client_id=bad_id", 400, "client_id"},
		{"GET", "/api/v1/querylog?result=eaten", 400, "result"},
		{"GET", "/api/v1/querylog?since=yesterday", 400, "since"},
		{"GET", "/api/v1/querylog?limit=0", 400, "limit"},
		{"GET", "/api/v1/querylog?limit=999999", 400, "limit"},
		{"GET", "/api/v1/top", 400, "kind"},
		{"GET", "/api/v1/top?kind=cats", 400, "kind"},
		{"POST", "/api/v1/allow", 400, "name is required"},
		{"DELETE", "/api/v1/allow?name=never.added", 404, "not in the runtime allow list"},
		{"POST", "/api/v1/deny?name=com", 400, "top-level domain alone"},
		{"POST", "/api/v1/deny?name=not%20a%20domain", 400, "not a domain name"},
		{"POST", "/api/v1/deny?name=a.example%0Ab.example", 400, "line break"},
		{"POST", "/api/v1/deny", 400, "name is required"},
		{"DELETE", "/api/v1/deny?name=never.added", 404, "not in the runtime deny entries"},
		{"POST", "/api/v1/rules?rule=example.com%23%23.ad", 400, "cannot honour"},
		{"POST", "/api/v1/rules?rule=%21%20comment", 400, "holds no rule"},
		{"DELETE", "/api/v1/rules?rule=%7C%7Cnever.added%5E", 404, "not in the custom rules"},
		{"GET", "/api/v1/nosuch", 404, "no such endpoint"},
		{"DELETE", "/api/v1/status", 404, "no such endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			code, body := e.do(t, tt.method, tt.path, adminTok)
			var eb ErrorBody
			if err := json.Unmarshal([]byte(body), &eb); err != nil || code != tt.want || !strings.Contains(eb.Error, tt.msg) {
				t.Errorf("got %d %s; want %d with an error about %q", code, body, tt.want, tt.msg)
			}
		})
	}
}

func TestEndpoints(t *testing.T) {
	e := newEnv(t, Tokens{Admin: adminTok, Read: readTok})
	get := func(method, path string, want int, v any) {
		t.Helper()
		code, body := e.do(t, method, path, adminTok)
		if code != want {
			t.Fatalf("%s %s: %d %s", method, path, code, body)
		}
		if err := json.NewDecoder(bytes.NewBufferString(body)).Decode(v); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, body)
		}
	}
	var st Status
	get("GET", "/api/v1/status", 200, &st)
	if st.Version != "v9.9.9" || st.Uptime != "1h0m0s" || !st.Blocking.Enabled || len(st.Lists) != 1 || st.Cache.Entries != 7 {
		t.Errorf("status = %+v", st)
	}

	var pr PauseResult
	get("POST", "/api/v1/blocking/pause?duration=10m&group=kids", 200, &pr)
	if !pr.Paused["kids"].Equal(t0.Add(10 * time.Minute)) {
		t.Errorf("pause = %+v", pr)
	}
	get("GET", "/api/v1/status", 200, &st)
	if len(st.Blocking.Paused) != 1 {
		t.Errorf("status after pause: %+v", st.Blocking)
	}
	var resumed PauseResult
	get("POST", "/api/v1/blocking/resume?group=kids", 200, &resumed)
	if len(resumed.Paused) != 0 {
		t.Errorf("resume = %+v", resumed)
	}

	var ex Explanation
	get("GET", "/api/v1/explain?name=ADS.example", 200, &ex)
	if !ex.Blocked || ex.List != "builtin:ads" || ex.Name != "ads.example." {
		t.Errorf("explain = %+v", ex)
	}

	var ql struct{ Records []map[string]any }
	get("GET", "/api/v1/querylog?client=10.0.0.5&name=Ads&result=blocked&since=1h&limit=5", 200, &ql)
	if len(ql.Records) != 1 || e.log.got.Client != "10.0.0.5" || e.log.got.Name != "ads" || e.log.got.Result != "blocked" ||
		!e.log.got.Since.Equal(t0.Add(-time.Hour)) || e.log.got.Limit != 5 {
		t.Errorf("querylog searched %+v, answered %+v", e.log.got, ql)
	}
	get("GET", "/api/v1/querylog?client_id=Annas-Phone", 200, &ql)
	if e.log.got.ClientID != "annas-phone" {
		t.Errorf("client_id searched as %q, want it lowercased", e.log.got.ClientID)
	}
	get("GET", "/api/v1/querylog?since=2026-03-01T10:00:00Z", 200, &ql)
	if !e.log.got.Since.Equal(t0.Add(-2 * time.Hour)) {
		t.Errorf("since as RFC 3339: %v", e.log.got.Since)
	}

	var top struct{ Top []struct{ Key string } }
	get("GET", "/api/v1/top?kind=clients&limit=3", 200, &top)
	if len(top.Top) != 1 || top.Top[0].Key != "clients" {
		t.Errorf("top = %+v", top)
	}

	var fl map[string]int
	get("POST", "/api/v1/cache/flush", 200, &fl)
	if fl["flushed"] != 7 {
		t.Errorf("flush = %v", fl)
	}

	var ae AllowEntry
	get("POST", "/api/v1/allow?name=Good.Example", 201, &ae)
	if ae.Name != "good.example." || !strings.HasPrefix(ae.By, "admin@127.0.0.1:") {
		t.Errorf("allow add = %+v", ae)
	}
	var al struct{ Allow []AllowEntry }
	get("GET", "/api/v1/allow", 200, &al)
	if len(al.Allow) != 1 {
		t.Errorf("allow list = %+v", al)
	}
	var rm map[string]string
	get("DELETE", "/api/v1/allow?name=good.example", 200, &rm)
	if rm["removed"] != "good.example." {
		t.Errorf("allow rm = %v", rm)
	}

	// The audit trail names the action, the token kind and the address.
	var actions []string
	for _, entry := range e.audit.FilterMessage("api audit").All() {
		m := entry.ContextMap()
		if m["action"] == "allow" && m["status"] != int64(http.StatusCreated) {
			t.Errorf("audit of allow: status %v, want 201", m["status"])
		}
		if m["token"] != "admin" || !strings.HasPrefix(m["remote"].(string), "127.0.0.1:") {
			t.Errorf("audit entry %v", m)
		}
		actions = append(actions, m["action"].(string))
	}
	if got := strings.Join(actions, ","); got != "pause,resume,flush cache,allow,list allow,unallow" {
		t.Errorf("audit actions = %s", got)
	}
}

func TestMissingDependenciesAnswer501(t *testing.T) {
	a := New(Tokens{}, Deps{})
	srv := httptest.NewServer(a)
	defer srv.Close()
	for _, ep := range endpoints[1:] {
		if ep.path == "/api/v1/categories" {
			continue // built into the binary: no dependency
		}
		req, _ := http.NewRequest(ep.method, srv.URL+ep.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotImplemented {
			t.Errorf("%s %s without its dependency: %d", ep.method, ep.path, resp.StatusCode)
		}
	}
}
