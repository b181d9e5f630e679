package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileRejectsEmpty is issue 15 item 4: a file with no settings in it (a
// truncated save) is refused with its path and the reason, never read as
// "all defaults", which switch every list off.
func TestFileRejectsEmpty(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		wantErr    bool
	}{
		{"zero bytes", "", true},
		{"whitespace", " \n\t\n\n", true},
		{"comments only", "# cleandns\n\n  # upstreams:\n", true},
		{"document markers only", "---\n...\n", true},
		{"one setting", "blocking:\n  ttl: 20s\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cleandns.yaml")
			if err := os.WriteFile(path, []byte(tc.text), 0o600); err != nil {
				t.Fatal(err)
			}
			src, err := File(path)
			if err == nil {
				_, err = Load(src, Overrides{})
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("File+Load: %v, want an error: %v", err, tc.wantErr)
			}
			if tc.wantErr && (!strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "empty")) {
				t.Errorf("error %q does not name the file and say it is empty", err)
			}
		})
	}
}
