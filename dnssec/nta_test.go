package dnssec

import (
	"slices"
	"testing"
)

func TestNegativeAnchors(t *testing.T) {
	n, err := NewNegativeAnchors([]string{"Broken.Example"})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Add("other.test."); err != nil {
		t.Fatal(err)
	}
	if err := n.Add("bad..name"); err == nil {
		t.Error("Add accepted bad..name")
	}
	for name, want := range map[string]string{
		"broken.example.":     "broken.example.",
		"www.broken.example.": "broken.example.",
		"example.":            "",
		"notbroken.example.":  "",
		"other.test.":         "other.test.",
	} {
		if got := n.covers(name); got != want {
			t.Errorf("covers(%q) = %q, want %q", name, got, want)
		}
	}
	if !n.Remove("other.test") || n.Remove("other.test") {
		t.Error("Remove should report true once")
	}
	if got := n.List(); !slices.Equal(got, []string{"broken.example."}) {
		t.Errorf("List = %v", got)
	}
	var none *NegativeAnchors
	if none.covers("x.") != "" {
		t.Error("nil set covers a name")
	}
}
