package dnssec

import (
	"slices"
	"testing"
)

// TestCanonicalOrder checks RFC 4034 §6.1's own example order.
func TestCanonicalOrder(t *testing.T) {
	want := []string{"example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.", "zABC.a.EXAMPLE.", "z.example.", `\001.z.example.`, "*.z.example.", `\200.z.example.`}
	got := slices.Clone(want)
	slices.Reverse(got)
	slices.SortFunc(got, canonicalCompare)
	if !slices.Equal(got, want) {
		t.Errorf("order:\n got %v\nwant %v", got, want)
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct{ fn, a, b, want string }{
		{"parent", "www.example.", "", "example."},
		{"parent", "example.", "", "."},
		{"parent", ".", "", "."},
		{"common", "a.b.example.", "c.b.example.", "b.example."},
		{"common", "a.example.", "b.test.", "."},
		{"childOn", "example.", "a.b.c.example.", "c.example."},
	} {
		var got string
		switch tc.fn {
		case "parent":
			got = parent(tc.a)
		case "common":
			got = commonAncestor(tc.a, tc.b)
		case "childOn":
			got = childOn(tc.a, tc.b)
		}
		if got != tc.want {
			t.Errorf("%s(%q, %q) = %q, want %q", tc.fn, tc.a, tc.b, got, tc.want)
		}
	}
}
