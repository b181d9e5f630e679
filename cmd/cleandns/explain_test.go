package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/server"
)

const explainYAML = `listen: ["127.0.0.1:0"]
http:
  listen: "127.0.0.1:0"
  allow_file: %q
upstreams:
  servers: [%q]
blocking:
  lists: [builtin:clean-apps]
groups:
  - name: lab
    clients: [127.0.0.3/32]
    blocking: false
  - name: kids
    clients: [127.0.0.4/32]
  - name: phones
    clients: [id:annas-phone]
    blocking: false
  - name: night
    clients: [127.0.0.5/32]
    lists: [builtin:apps-wechat]
    schedule: {lists: [builtin:apps-tiktok], from: "00:00", to: "00:00"}
local_records:
  records:
    - {name: nas.home.arpa, type: A, value: 192.168.1.10}
querylog:
  enabled: false
`

// TestExplainAgreesWithTheServer is issue #19's table: for each case the
// server's real answer (a query from the client's own address), the API's
// explain, and `cleandns explain` asking the instance and evaluating the
// config locally must give the same verdict.
func TestExplainAgreesWithTheServer(t *testing.T) {
	up := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "explain.yaml")
	if err := os.WriteFile(cfgFile, []byte(fmt.Sprintf(explainYAML, filepath.Join(dir, "allow.json"), up)), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := config.File(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(src, config.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(cfg, server.Deps{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	base := "http://" + srv.HTTPAddr()

	steps := []struct {
		name, client, want string
		id                 string // a client ID given (plain DNS gives none, so the server is not asked)
		before             string // an API call made first
		noLocal            bool   // a pause lives in the running instance only
	}{
		{name: "tiktok.com", id: "annas-phone", want: "forwarded"},                      // its group blocks nothing
		{name: "tiktok.com", client: "127.0.0.5", id: "Annas-Phone", want: "forwarded"}, // an ID beats the address
		{name: "tiktok.com", client: "127.0.0.3", id: "nobody", want: "forwarded"},      // an unknown ID: by address (lab)
		{name: "tiktok.com", id: "nobody", want: "blocked"},
		{name: "tiktok.com", want: "blocked"},
		{name: "example.org", want: "forwarded"},
		{name: "tiktok.com", client: "127.0.0.3", want: "forwarded"}, // group with blocking off
		{name: "tiktok.com", client: "127.0.0.5", want: "blocked"},   // the schedule's list
		{name: "weixin.qq.com", client: "127.0.0.5", want: "blocked"},
		{name: "nas.home.arpa", want: "local"},
		{name: "localhost", want: "local"},
		{name: "www.tiktok.com", want: "forwarded", before: "POST /api/v1/allow?name=www.tiktok.com"},
		{name: "tiktok.com", want: "blocked"},
		{name: "example.net", want: "blocked", before: "POST /api/v1/deny?name=example.net"},
		{name: "tiktok.com", client: "127.0.0.4", want: "forwarded", before: "POST /api/v1/blocking/pause?duration=10m&group=kids", noLocal: true},
		{name: "tiktok.com", client: "127.0.0.2", want: "blocked"}, // another group is not paused
	}
	for i, st := range steps {
		t.Run(fmt.Sprintf("%d %s from %s", i, st.name, st.client), func(t *testing.T) {
			if st.before != "" {
				method, path, _ := strings.Cut(st.before, " ")
				req, _ := http.NewRequest(method, base+path, nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil || resp.StatusCode/100 != 2 {
					t.Fatalf("%s: %v %v", st.before, resp, err)
				}
				resp.Body.Close()
			}
			got := map[string]string{
				"api":        apiVerdict(t, base, st.name, st.client, st.id),
				"cli remote": cliVerdict(t, "explain", st.name, "--client", st.client, "--client-id", st.id, "--server", base),
			}
			if st.id == "" {
				got["server"] = serverVerdict(t, srv.Addrs()[0], st.name, st.client)
			}
			if !st.noLocal {
				got["cli local"] = cliVerdict(t, "-c", cfgFile, "explain", "--local", st.name, "--client", st.client, "--client-id", st.id)
			}
			for who, v := range got {
				if v != st.want {
					t.Errorf("%s says %s, want %s (all: %v)", who, v, st.want, got)
				}
			}
		})
	}
	for _, mode := range [][]string{{"--server", base}, {"-c", cfgFile, "--local"}} {
		out := cliOutput(t, append([]string{"explain", "tiktok.com", "--client-id", "annas-phone"}, mode...)...)
		if !strings.Contains(out, "in group phones: client ID annas-phone") {
			t.Errorf("explain %v does not say why annas-phone is in phones:\n%s", mode, out)
		}
	}
	if _, err := run(t, base, "explain", "tiktok.com", "--client-id", "not_an_id"); err == nil || !strings.Contains(err.Error(), "--client-id") {
		t.Errorf("a bad --client-id: %v", err)
	}
}

// serverVerdict asks the server itself, from the client's own address.
func serverVerdict(t *testing.T, addr, name, client string) string {
	t.Helper()
	c := &dns.Client{Timeout: 3 * time.Second}
	if client != "" {
		c.Dialer = &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(client)}}
	}
	q := new(dns.Msg).SetQuestion(dns.Fqdn(name), dns.TypeA)
	r, _, err := c.Exchange(q, addr)
	if err != nil {
		t.Fatalf("asking %s from %s: %v", name, client, err)
	}
	switch {
	case r.Rcode == dns.RcodeNameError:
		return "blocked"
	case len(r.Answer) > 0 && strings.HasSuffix(r.Answer[0].String(), "192.0.2.1"):
		return "forwarded"
	}
	return "local"
}

func apiVerdict(t *testing.T, base, name, client, id string) string {
	t.Helper()
	resp, err := http.Get(base + "/api/v1/explain?name=" + url.QueryEscape(name) + "&client=" + client + "&client_id=" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ex struct{ Answer string }
	if err := json.NewDecoder(resp.Body).Decode(&ex); err != nil {
		t.Fatal(err)
	}
	return ex.Answer
}

func cliVerdict(t *testing.T, args ...string) string {
	t.Helper()
	first, _, _ := strings.Cut(cliOutput(t, args...), "\n")
	switch {
	case strings.Contains(first, "BLOCKED"):
		return "blocked"
	case strings.Contains(first, "answered locally"):
		return "local"
	}
	return "forwarded"
}

// cliOutput runs cleandns with args and returns what it printed.
func cliOutput(t *testing.T, args ...string) string {
	t.Helper()
	root := newRoot()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("cleandns %v: %v\n%s", args, err, errOut.String())
	}
	return out.String()
}
