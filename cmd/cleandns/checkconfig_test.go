package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckConfigCorpus: check-config refuses each config serve would fail
// on, naming the file, the key and the reason, all problems in one run and
// no secret among them.
func TestCheckConfigCorpus(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"bad scheme", `blocking: {lists: ["htp://example.com/l"]}`, []string{`blocking.lists[0]`, `scheme "htp"`}},
		{"bad port", `blocking: {lists: ["http://example.com:99999/l"]}`, []string{`blocking.lists[0]`, `port "99999"`}},
		{"space in host", `blocking: {lists: ["http://exa mple.com/l"]}`, []string{`blocking.lists[0]`, `host`}},
		{"missing file", `blocking: {lists: ["/nonexistent/list.txt"]}`, []string{`blocking.lists[0]`, `no such file`}},
		{"group list", "groups:\n  - name: kids\n    clients: [10.0.0.0/8]\n    lists: [\"/nonexistent/k.txt\"]\n", []string{`groups[0].lists[0]`, `no such file`}},
		{"overlapping listen", `listen: ["0.0.0.0:5399", "127.0.0.1:5399"]`, []string{`listen[1]`, `overlaps listen[0]`}},
		{"empty file", ``, []string{`no setting`}},
		{"every problem at once", "listen: [\"0.0.0.0:5399\", \"127.0.0.1:5399\"]\nblocking:\n  lists: [\"htp://u:sekrit@x/a\", \"/nonexistent/b\"]\nlog:\n  level: loud\n",
			[]string{`listen[1]`, `blocking.lists[0]`, `blocking.lists[1]`, `log.level`}},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".yaml")
			if err := os.WriteFile(file, []byte(c.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := checkConfig(file)
			if err == nil {
				t.Fatalf("check-config accepted it: %s", out)
			}
			msg := err.Error()
			if !strings.Contains(msg, file) {
				t.Errorf("error does not name the file: %s", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, "sekrit") {
				t.Errorf("error shows the secret: %s", msg)
			}
		})
	}
}
