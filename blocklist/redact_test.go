package blocklist

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestDisplayNameRedactsSecrets(t *testing.T) {
	tests := []struct{ in, want string }{
		{"builtin:apps-tiktok", "builtin:apps-tiktok"},
		{"/etc/cleandns/hosts.txt", "/etc/cleandns/hosts.txt"},
		{"https://lists.example/hosts.txt", "https://lists.example/hosts.txt"},
		{"https://lists.example/hosts.txt?token=SECRET", "https://lists.example/hosts.txt?…"},
		{"https://user:SECRET@lists.example/a.txt", "https://lists.example/a.txt?…"},
	}
	for _, tt := range tests {
		if got := displayName(tt.in); got != tt.want {
			t.Errorf("displayName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestListSecretNeverShown: the token in a list URL reaches the list server
// but not block answers (Rule.List), the status or error texts.
func TestListSecretNeverShown(t *testing.T) {
	var fail atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("token") != "SECRET" || fail.Load() {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		fmt.Fprintln(w, "bad.example")
	}))
	t.Cleanup(srv.Close)
	src := srv.URL + "/list.txt?token=SECRET"
	m, err := New(Config{StoreDir: t.TempDir(), Retries: -1}, []Policy{{Name: "p", Lists: []ListSpec{{Source: src}}}}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	rule, blocked := m.Matcher("p").Match("bad.example")
	if !blocked || strings.Contains(rule.List, "SECRET") {
		t.Errorf("blocked %v by %q", blocked, rule.List)
	}
	fail.Store(true)
	err = m.Refresh(ctx)
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("refresh error %v", err)
	}
	for _, st := range m.Status() {
		if strings.Contains(st.Name+st.LastError, "SECRET") {
			t.Errorf("status shows the secret: %+v", st)
		}
	}
}
