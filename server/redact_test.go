package server

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/cleandns/cleandns/config"
)

// TestSecretsInURLsAreShownNowhere is issue 15 item 5: every URL that
// carries a secret (user information, a token in the query) goes through
// one redaction wherever cleandns shows it. Each source below holds
// distinct secrets; each surface is read whole and searched for all of
// them.
func TestSecretsInURLsAreShownNowhere(t *testing.T) {
	lists := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "http://127.0.0.1:1/next?token=SECRET-LOCATION", http.StatusFound)
			return
		}
		fmt.Fprintln(w, "bad.example")
	}))
	t.Cleanup(lists.Close)
	host := strings.TrimPrefix(lists.URL, "http://")
	sources := map[string]string{
		"a stored list's credentials and token":                                   "http://user:SECRET-STORED-PASS@" + host + "/list?token=SECRET-STORED-TOKEN",
		"a download error (Go rewrites the URL: scheme lowercased, password ***)": "HTTP://user:SECRET-DIAL-PASS@127.0.0.1:1/list?token=SECRET-DIAL-TOKEN",
		"a redirect's Location":                                                   lists.URL + "/redirect?token=SECRET-REDIRECT",
		"a DoH upstream's token":                                                  "https://127.0.0.1:1/dns-query?token=SECRET-DOH",
	}
	// A URL that does not parse never reaches the server: the config is
	// refused, and the refusal shows neither secret.
	unparsed := "http://user:SECRET-PARSE-PASS@127.0.0.1:notaport/list?token=SECRET-PARSE-TOKEN"
	_, perr := config.Load(config.Source{Name: "secrets.yaml", Data: []byte(fmt.Sprintf("blocking:\n  lists: [%q]\n", unparsed))}, config.Overrides{})
	if perr == nil || strings.Contains(perr.Error(), "SECRET") {
		t.Errorf("a list URL that does not parse: %v", perr)
	}
	var listURLs []string
	for what, u := range sources {
		if !strings.HasPrefix(what, "a DoH") {
			listURLs = append(listURLs, fmt.Sprintf("%q", u))
		}
	}
	storeDir := t.TempDir()
	yaml := fmt.Sprintf("upstreams:\n  servers: [%q]\nblocking:\n  lists: [%s]\n  download_retries: -1\n  store_dir: %s\nhttp:\n  admin_token: %s\n",
		sources["a DoH upstream's token"], strings.Join(listURLs, ", "), storeDir, testAdminToken)
	o := config.Overrides{Listen: []string{"127.0.0.1:0"}, HTTP: "127.0.0.1:0"}
	cfg, err := config.Load(config.Source{Name: "secrets.yaml", Data: []byte(yaml)}, o)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	s := bootDeps(t, cfg, Deps{Version: "test", Logger: zap.New(core)})
	// Every remote list tried once: one loaded, two failed.
	if !eventually(t, func() bool {
		tried := 0
		for _, st := range s.current().lists.Status() {
			if st.Loaded || st.LastError != "" {
				tried++
			}
		}
		return tried == 3
	}) {
		t.Fatalf("lists not all tried: %+v", s.current().lists.Status())
	}
	for _, st := range s.current().lists.Status() {
		if strings.HasPrefix(st.Name, "HTTP://127.0.0.1:1/") && !strings.Contains(st.LastError, "connect") {
			t.Errorf("the HTTP:// list was not downloaded (Go's client quotes its URL rewritten): %q", st.LastError)
		}
	}
	if err := s.Reload(loader(yaml, o)); err != nil {
		t.Fatal(err)
	}

	get := func(path, token string) string {
		req, _ := http.NewRequest(http.MethodGet, "http://"+s.HTTPAddr()+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	post := func(path string) string {
		req, _ := http.NewRequest(http.MethodPost, "http://"+s.HTTPAddr()+path, nil)
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Status
	}
	post("/api/v1/blocking/pause?duration=1s&token=SECRET-AUDIT")

	surfaces := map[string]string{
		"/metrics":       get("/metrics", ""),
		"/api/v1/status": get("/api/v1/status", testAdminToken),
		"/readyz":        get("/readyz", ""),
	}
	var logText strings.Builder
	for _, e := range logs.All() {
		fmt.Fprintf(&logText, "%s %v\n", e.Message, e.ContextMap())
	}
	surfaces["logs (start-up, downloads, reload, audit)"] = logText.String()
	var stored strings.Builder
	_ = filepath.Walk(storeDir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(path)
			fmt.Fprintf(&stored, "%s:\n%s\n", path, b)
		}
		return nil
	})
	surfaces["store_dir files"] = stored.String()
	if !strings.Contains(stored.String(), "bad.example") {
		t.Fatalf("the stored list is missing; the test proves nothing: %s", stored.String())
	}
	for name, text := range surfaces {
		for _, secret := range []string{"SECRET-STORED-PASS", "SECRET-STORED-TOKEN", "SECRET-DIAL-PASS", "SECRET-DIAL-TOKEN",
			"SECRET-REDIRECT", "SECRET-LOCATION", "SECRET-PARSE-PASS", "SECRET-PARSE-TOKEN", "SECRET-DOH", "SECRET-AUDIT"} {
			if i := strings.Index(text, secret); i >= 0 {
				t.Errorf("%s shows %s: …%s…", name, secret, text[max(0, i-120):min(len(text), i+40)])
			}
		}
	}
}
