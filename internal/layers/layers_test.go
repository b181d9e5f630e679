package layers

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/cleandns/cleandns/"

// engines know no server: they may use the vocabulary (query) and each
// other, never the pipeline, the metrics package, the config file or a
// command. A new engine package belongs on this list.
var engines = []string{
	"blocklist", "cache", "groups", "localrecords", "policy",
	"query", "querylog", "runstate", "upstream",
}

// forbidden are the packages above the engines.
var forbidden = []string{"resolver", "metrics", "config", "server", "api", "cmd/"}

// deps returns each of the module's packages with the module packages it
// depends on, directly or not (tests excluded).
func deps(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "../../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	m := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(f[0], module)
		for _, d := range f[1:] {
			if strings.HasPrefix(d, module) {
				m[pkg] = append(m[pkg], strings.TrimPrefix(d, module))
			}
		}
		if _, ok := m[pkg]; !ok {
			m[pkg] = nil
		}
	}
	return m
}

func TestEnginesDoNotImportTheLayersAbove(t *testing.T) {
	all := deps(t)
	for _, e := range engines {
		ds, ok := all[e]
		if !ok {
			t.Errorf("engine %q is not a package of the module: update the list", e)
			continue
		}
		for _, d := range ds {
			for _, f := range forbidden {
				if d == strings.TrimSuffix(f, "/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(d, f)) {
					t.Errorf("%s depends on %s", e, d)
				}
			}
		}
	}
}

func TestVocabularyIsALeaf(t *testing.T) {
	if ds := deps(t)["query"]; len(ds) != 0 {
		t.Errorf("query depends on %v; it must import nothing of cleandns", ds)
	}
}
