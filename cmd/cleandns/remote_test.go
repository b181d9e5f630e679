package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cleandns/cleandns/api"
	"github.com/cleandns/cleandns/runstate"
)

type pauser struct{ paused map[string]time.Time }

func (p *pauser) Pause(g string, d time.Duration) (time.Time, error) {
	p.paused[g] = time.Now().Add(d)
	return p.paused[g], nil
}
func (p *pauser) Resume(g string) error        { delete(p.paused, g); return nil }
func (p *pauser) Paused() map[string]time.Time { return p.paused }

// run executes the CLI with args against a fresh API and returns stdout.
type refresher struct{ n int }

func (r *refresher) Refresh(context.Context) error { r.n++; return nil }

type flusher struct{ n int }

func (f *flusher) Flush()   { f.n = 0 }
func (f *flusher) Len() int { return f.n }

func run(t *testing.T, server string, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append(args, "--server", server))
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestRemoteCommands(t *testing.T) {
	dir := t.TempDir()
	state, err := runstate.Open(runstate.NewDir(map[string]string{
		runstate.DocAllow: filepath.Join(dir, "allow.json"), runstate.DocDeny: filepath.Join(dir, "deny.json"), runstate.DocRules: filepath.Join(dir, "rules.json"),
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	refreshed, flushed := &refresher{}, &flusher{n: 3}
	a := api.New(api.Tokens{Admin: "tok"}, api.Deps{Pauser: &pauser{paused: map[string]time.Time{}}, Allow: state.Allowlist(), Refresher: refreshed, Cache: flushed,
		Deny: state.Denylist(), Rules: state.Rules()})
	srv := httptest.NewServer(a)
	defer srv.Close()

	t.Setenv(TokenEnv, "tok")
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"pause", "10m", "--group", "kids"}, "blocking paused for group kids until"},
		{[]string{"resume", "--group", "kids"}, "blocking is active"},
		{[]string{"allow", "add", "Example.com"}, "allowed example.com."},
		{[]string{"allow", "list"}, "example.com."},
		{[]string{"allow", "rm", "example.com"}, "removed example.com"},
		{[]string{"block", "add", "Ads.Example"}, "added ads.example."},
		{[]string{"block", "list"}, "ads.example."},
		{[]string{"block", "rm", "ads.example"}, "removed ads.example"},
		{[]string{"rules", "add", "||tracker.example^$dnstype=AAAA"}, "added ||tracker.example^$dnstype=AAAA"},
		{[]string{"rules", "list"}, "||tracker.example^$dnstype=AAAA"},
		{[]string{"rules", "rm", "||tracker.example^$dnstype=AAAA"}, "removed"},
		{[]string{"lists", "refresh"}, "lists refreshed"},
		{[]string{"cache", "flush"}, "flushed 3 cache entries"},
	}
	for _, s := range steps {
		out, err := run(t, srv.URL, s.args...)
		if err != nil || !strings.Contains(out, s.want) {
			t.Errorf("cleandns %s: %v\n%s\nwant %q", strings.Join(s.args, " "), err, out, s.want)
		}
	}
	for _, bad := range [][]string{{"block", "add", "com"}, {"allow", "add", "not a domain"}, {"rules", "add", "example.com##.ad"}} {
		if _, err := run(t, srv.URL, bad...); err == nil || !strings.Contains(err.Error(), "HTTP 400") {
			t.Errorf("cleandns %s: %v, want HTTP 400", strings.Join(bad, " "), err)
		}
	}
	if refreshed.n != 1 || flushed.n != 0 {
		t.Errorf("refreshes %d, cache entries left %d; want 1 and 0", refreshed.n, flushed.n)
	}
	if _, err := run(t, srv.URL, "querylog", "--since", "1h"); err == nil || !strings.Contains(err.Error(), "HTTP 501") {
		t.Errorf("querylog without a query log: %v", err)
	}
	t.Setenv(TokenEnv, "wrong")
	if _, err := run(t, srv.URL, "pause", "1m"); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("pause with a wrong token: %v", err)
	}
}
