package api

import (
	"os"
	"strings"
	"testing"

	"github.com/cleandns/cleandns/blocklist"
)

// TestCategoriesMatchREADME: the console's "what else it breaks" lines are
// the README's table, word for word, and every built-in category has one.
func TestCategoriesMatchREADME(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "### Built-in categories")
	if !ok {
		t.Fatal("README has no Built-in categories section")
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "| `builtin:") {
			if len(seen) > 0 && !strings.HasPrefix(line, "|") {
				break
			}
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 3 {
			t.Fatalf("row %q: %d cells", line, len(cells))
		}
		name, optIn := strings.CutSuffix(cells[0], " (opt-in)")
		name = strings.Trim(name, "`")
		seen[name] = true
		got, ok := categoryText[name]
		if !ok {
			t.Errorf("%s is in the README, not in categoryText", name)
			continue
		}
		if got.blocks != cells[1] || got.breaks != cells[2] || got.optIn != optIn {
			t.Errorf("%s: categoryText %+v, README %q", name, got, cells[1:])
		}
	}
	for name := range categoryText {
		if !seen[name] {
			t.Errorf("%s is in categoryText, not in the README table", name)
		}
	}
	for _, c := range blocklist.Builtins() {
		if c.Members == nil && !seen[c.Name] {
			t.Errorf("built-in category %s has no row in the README table", c.Name)
		}
	}
}
