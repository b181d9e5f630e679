package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cleandns/cleandns/api"
)

func TestDialable(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"127.0.0.1:9153", "127.0.0.1:9153"},
		{"0.0.0.0:9153", "127.0.0.1:9153"},
		{"[::]:9153", "[::1]:9153"},
		{":9153", "127.0.0.1:9153"},
		{"10.0.0.2:80", "10.0.0.2:80"},
	} {
		if got := dialable(c.in); got != c.want {
			t.Errorf("dialable(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestRemoteFollowsConfig is the issue's case: `cleandns -c other.yaml
// pause 1m` must pause the instance other.yaml configures, and say so.
func TestRemoteFollowsConfig(t *testing.T) {
	p := &pauser{paused: map[string]time.Time{}}
	srv := httptest.NewServer(api.New(api.Tokens{}, api.Deps{Pauser: p}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	cfg := filepath.Join(t.TempDir(), "other.yaml")
	if err := os.WriteFile(cfg, []byte("listen: [\"127.0.0.1:0\"]\nhttp:\n  listen: \""+addr+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		args   []string
		origin string
	}{
		{"config", []string{"-c", cfg, "pause", "1m"}, "http.listen of " + cfg},
		{"http flag", []string{"--http", addr, "pause", "2m"}, "--http"},
		{"server flag", []string{"pause", "3m", "--server", srv.URL}, "--server"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			delete(p.paused, "")
			root := newRoot()
			var out, errOut bytes.Buffer
			root.SetOut(&out)
			root.SetErr(&errOut)
			root.SetArgs(c.args)
			if err := root.ExecuteContext(context.Background()); err != nil {
				t.Fatalf("%v: %v", c.args, err)
			}
			if _, ok := p.paused[""]; !ok {
				t.Fatalf("%v did not pause the instance at %s", c.args, addr)
			}
			want := "instance " + srv.URL + " (from " + c.origin + ")"
			if !strings.Contains(errOut.String(), want) {
				t.Errorf("stderr %q, want %q", errOut.String(), want)
			}
		})
	}
}

func TestRemoteNoAPI(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "noapi.yaml")
	if err := os.WriteFile(cfg, []byte("listen: [\"127.0.0.1:0\"]\nhttp:\n  listen: \"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	root := newRoot()
	root.SetOut(&bytes.Buffer{})
	root.SetErr(&bytes.Buffer{})
	root.SetArgs([]string{"-c", cfg, "resume"})
	err := root.ExecuteContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), "serves no API") {
		t.Fatalf("resume against a config without an API: %v", err)
	}
}
