package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckConfigHidesSecrets: check-config's verdict names the file, the
// key and the reason, never a URL's user information or token.
func TestCheckConfigHidesSecrets(t *testing.T) {
	for _, text := range []string{
		"upstreams:\n  servers: [\"https://user:SECRET@dns.example/dns-query?token=SECRET\"]\n",
		"upstreams:\n  servers: [\"https://dns.example/dns-query?token=SECRET\", \"udp://\"]\n",
		"blocking:\n  lists: [\"https://user:SECRET@lists.example/l?token=SECRET\"]\n  ede: nope\n",
	} {
		path := filepath.Join(t.TempDir(), "cleandns.yaml")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := checkConfig(path)
		if err == nil {
			t.Errorf("check-config accepted %q", text)
			continue
		}
		if shown := out + err.Error(); strings.Contains(shown, "SECRET") {
			t.Errorf("check-config shows a secret: %s", shown)
		}
	}
}
