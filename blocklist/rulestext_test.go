package blocklist

import (
	"slices"
	"strings"
	"testing"
)

func TestCheckRules(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		rules      []string
		errLines   []int
		errHas     string
	}{
		{name: "empty", text: ""},
		{name: "comments and blanks", text: "! adblock comment\n# hosts comment\n\n   \n[Adblock Plus 2.0]\n"},
		{name: "every syntax", text: "||ads.example^\n@@||ok.example^\n0.0.0.0 tracker.example\nplain.example\r\n",
			rules: []string{"||ads.example^", "@@||ok.example^", "0.0.0.0 tracker.example", "plain.example"}},
		{name: "duplicates kept once, trimmed", text: "  ||a.example^\n||a.example^  \n||b.example^",
			rules: []string{"||a.example^", "||b.example^"}},
		{name: "bad lines numbered", text: "||good.example^\n||bad..example^\n\nexample.com##.ad\n",
			rules: []string{"||good.example^"}, errLines: []int{2, 4}, errHas: "cannot honour"},
		{name: "a line that names nothing", text: "0.0.0.0 localhost", errLines: []int{1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			text, errs := CheckRules(tt.text)
			if rules := text.Names(); !slices.Equal(rules, tt.rules) && len(rules)+len(tt.rules) > 0 {
				t.Errorf("rules %q, want %q", rules, tt.rules)
			}
			var lines []int
			all := ""
			for _, e := range errs {
				lines = append(lines, e.Line)
				all += e.Error + "\n"
				if e.Text == "" || e.Error == "" {
					t.Errorf("line %d: empty text or error: %+v", e.Line, e)
				}
			}
			if !slices.Equal(lines, tt.errLines) {
				t.Errorf("error lines %v, want %v (%s)", lines, tt.errLines, all)
			}
			if !strings.Contains(all, tt.errHas) {
				t.Errorf("errors %q do not say %q", all, tt.errHas)
			}
		})
	}
	t.Run("comments written back in place", func(t *testing.T) {
		in := "\ufeff! list\r\n\n  # a\n||a.example^  \n||a.example^\n# b\n||b.example^\n\n! end"
		want := "! list\n\n# a\n||a.example^\n# b\n||b.example^\n\n! end\n"
		text, errs := CheckRules(in)
		if errs != nil || text.String() != want {
			t.Errorf("written back %q (%v), want %q", text.String(), errs, want)
		}
		if text.Rules[1].Comment != "# b\n" || text.Trailing != "\n! end\n" {
			t.Errorf("b's comment %q, trailing %q", text.Rules[1].Comment, text.Trailing)
		}
	})
	t.Run("too many lines", func(t *testing.T) {
		_, errs := CheckRules(strings.Repeat("a.example\n", MaxRulesText))
		if len(errs) != 1 || !strings.Contains(errs[0].Error, "too many lines") {
			t.Errorf("errors %+v, want one saying too many lines", errs)
		}
	})
}

// FuzzCheckRules: whatever the text, every rule CheckRules keeps is one
// ValidateRule accepts, kept once, and every error names a line the text has.
func FuzzCheckRules(f *testing.F) {
	for _, s := range []string{"||a.example^\n@@||b.example^", "0.0.0.0 x.example\n! c\n\n||bad..x^", "\ufeff/re[gex/\r\n$dnsrewrite"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		read, errs := CheckRules(text)
		lines := strings.Count(text, "\n") + 1
		seen := map[string]bool{}
		if errs == nil {
			// Every line is kept, trimmed, in its place: only repeated rules go.
			again, _ := CheckRules(read.String())
			if again.String() != read.String() {
				t.Fatalf("written back and read again: %q, then %q", read.String(), again.String())
			}
		}
		for _, r := range read.Names() {
			if err := ValidateRule(r); err != nil || seen[r] {
				t.Fatalf("kept %q (seen before: %v): %v", r, seen[r], err)
			}
			seen[r] = true
		}
		for _, e := range errs {
			if e.Line < 1 || e.Line > lines || e.Error == "" {
				t.Fatalf("error %+v for a text of %d lines", e, lines)
			}
		}
	})
}
