package server

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/dnstest"
)

// TestSettingsShowNoSecrets: an upstream or a list URL carrying a token
// (the file's or one added in the console) is never shown whole: not to
// the read token (GET settings, the YAML export, status), nor in a
// refusal, nor in the log; and the console, which only knows the redacted
// name, can still remove it.
func TestSettingsShowNoSecrets(t *testing.T) {
	up := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
	fileDoH := "https://127.0.0.1:1/dns-query?token=FILESECRET"
	consoleDoH := "https://127.0.0.1:2/dns-query?token=CONSOLESECRET"
	list := "http://127.0.0.1:1/list.txt?token=LISTSECRET"
	cfg, err := config.Load(config.Source{Name: "test.yaml", Data: []byte(upstreamYAML(up, `"`+fileDoH+`"`) +
		"http:\n  admin_token: " + testAdminToken + "\n  read_token: read-token\n")},
		config.Overrides{Listen: []string{"127.0.0.1:0"}, HTTP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	s := bootDeps(t, cfg, Deps{Version: "test", Logger: zap.New(core)})
	base := "http://" + s.HTTPAddr() + "/api/v1/"
	call := func(method, path, token string, body ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(strings.Join(body, "")))
		if len(body) > 0 {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	q := func(k, v string) string { return url.Values{k: {v}}.Encode() }
	// As the console sends them: the URL in the body, out of the request
	// line (a proxy's access log).
	for _, step := range []struct{ method, path, body string }{
		{"POST", "settings/upstreams", `{"server": "` + consoleDoH + `"}`},
		{"POST", "settings/lists?on=true", `{"list": "` + list + `"}`},
	} {
		if code, body := call(step.method, step.path, testAdminToken, step.body); code != http.StatusOK {
			t.Fatalf("%s %s: %d %s", step.method, step.path, code, body)
		}
	}
	if code, body := call("POST", "settings/upstreams", testAdminToken, `{"server": 5}`); code != http.StatusBadRequest || !strings.Contains(body, "JSON object") {
		t.Errorf("a body that is not strings: %d %s", code, body)
	}
	secrets := []string{"FILESECRET", "CONSOLESECRET", "LISTSECRET"}
	for _, tc := range []struct{ name, method, path, token string }{
		{"settings, read token", "GET", "settings", "read-token"},
		{"settings, admin token", "GET", "settings", testAdminToken},
		{"export, read token", "GET", "settings/export", "read-token"},
		{"export, admin token", "GET", "settings/export", testAdminToken},
		{"status", "GET", "status", "read-token"},
		{"a refused upstream", "POST", "settings/upstreams?" + q("server", "https://127.0.0.1:bad/dns-query?token=FILESECRET"), testAdminToken},
		{"a refused list", "POST", "settings/lists?group=nosuch&on=true&" + q("list", list), testAdminToken},
		{"a refused removal", "DELETE", "settings/upstreams?" + q("server", "https://127.0.0.1:9/dns-query?token=CONSOLESECRET"), testAdminToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := call(tc.method, tc.path, tc.token)
			for _, sec := range secrets {
				if strings.Contains(body, sec) {
					t.Errorf("%d: %s shows %s:\n%s", code, tc.path, sec, body)
				}
			}
		})
	}
	// What the console shows is all it can send back.
	for _, step := range []struct{ method, path string }{
		{"DELETE", "settings/upstreams?" + q("server", "https://127.0.0.1:2/dns-query?…")},
		{"DELETE", "settings/upstreams?" + q("server", "https://127.0.0.1:1/dns-query?…")},
		{"POST", "settings/lists?on=false&" + q("list", "http://127.0.0.1:1/list.txt?…")},
	} {
		if code, body := call(step.method, step.path, testAdminToken); code != http.StatusOK {
			t.Errorf("%s %s: %d %s", step.method, step.path, code, body)
		}
	}
	for _, e := range logs.All() {
		line := e.Message
		for k, v := range e.ContextMap() {
			line += fmt.Sprintf(" %s=%v", k, v)
		}
		for _, sec := range secrets {
			if strings.Contains(line, sec) {
				t.Errorf("the log shows %s: %s", sec, line)
			}
		}
	}
	if got := s.Settings(); len(got.Upstreams) != 1 || got.Upstreams[0] != up || len(got.Lists) != 0 {
		t.Errorf("after removing by the shown names: %+v", got)
	}
}
