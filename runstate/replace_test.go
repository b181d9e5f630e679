package runstate

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cleandns/cleandns/blocklist"
)

// TestReplaceRules: a set replaced whole keeps the entries of rules it
// still holds, adds and removes the rest in one write, survives a reopen,
// and a bad rule refuses the whole set.
func TestReplaceRules(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(customDir(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := st.Rules().Add("||kept.example^", "admin@first")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Rules().Add("||gone.example^", "admin@first"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		rules   []string
		wantErr string
		want    []string // the set afterwards
		added   []string
		removed []string
	}{
		{name: "a bad rule changes nothing", rules: []string{"||new.example^", "||bad..example^"}, wantErr: "bad..example",
			want: []string{"||kept.example^", "||gone.example^"}},
		{name: "replace", rules: []string{"||new.example^", " ||kept.example^", "||new.example^", "@@||ok.new.example^"},
			want: []string{"||new.example^", "||kept.example^", "@@||ok.new.example^"}, added: []string{"||new.example^", "@@||ok.new.example^"},
			removed: []string{"||gone.example^"}},
		{name: "the same set again changes nothing", rules: []string{"||new.example^", "||kept.example^", "@@||ok.new.example^"},
			want: []string{"||new.example^", "||kept.example^", "@@||ok.new.example^"}, added: []string{}, removed: []string{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := st.Rules().Replace(textOf(tt.rules...), "admin@second", "")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one naming %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if !slices.Equal(got.Added, tt.added) || !slices.Equal(got.Removed, tt.removed) || got.Rules != len(tt.want) {
				t.Errorf("replaced %+v, want added %q removed %q", got, tt.added, tt.removed)
			}
			var rules []string
			for _, e := range st.Rules().List() {
				rules = append(rules, e.Rule)
			}
			if !slices.Equal(rules, tt.want) {
				t.Errorf("set %q, want %q", rules, tt.want)
			}
		})
	}
	st2, err := Open(customDir(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range st2.Rules().List() {
		if e.Rule == kept.Rule && (e.By != kept.By || !e.Added.Equal(kept.Added)) {
			t.Errorf("kept rule's entry %+v, want %+v", e, kept)
		}
		if e.Rule == "||new.example^" && e.By != "admin@second" {
			t.Errorf("new rule by %q", e.By)
		}
	}
	m := st2.Wrap(func(string) blocklist.Matcher { return noneMatcher{} })("default")
	for name, blocked := range map[string]bool{"new.example.": true, "ok.new.example.": false, "gone.example.": false, "kept.example.": true} {
		if d := blocklist.MatchQuery(m, blocklist.Query{Name: name, Type: 1}); d.Blocked != blocked {
			t.Errorf("%s blocked %v, want %v", name, d.Blocked, blocked)
		}
	}
	v := st2.Rules().Version()
	if _, err := st2.Rules().Add("||meanwhile.example^", "admin@third"); err != nil {
		t.Fatal(err)
	}
	before := st2.Rules().List()
	if _, err := st2.Rules().Replace(textOf("||new.example^"), "admin@second", v); !errors.Is(err, ErrRulesChanged) {
		t.Errorf("replacing a set changed since its version: %v, want ErrRulesChanged", err)
	}
	if got := st2.Rules().List(); len(got) != len(before) {
		t.Errorf("a refused replace changed the set: %d rules, want %d", len(got), len(before))
	}
	if _, err := st2.Rules().Replace(textOf("||new.example^"), "admin@second", st2.Rules().Version()); err != nil {
		t.Errorf("replacing the current version: %v", err)
	}
	if _, err := st2.Denylist().Replace(textOf("||a.example^"), "x", ""); err == nil {
		t.Error("the deny list was replaced whole")
	}
}

// textOf is a rules text of rules without comments.
func textOf(rules ...string) blocklist.RulesText {
	var t blocklist.RulesText
	for _, r := range rules {
		t.Rules = append(t.Rules, blocklist.TextRule{Rule: r})
	}
	return t
}

// TestReplaceKeepsComments: the comments of a rules text are stored with
// the rules below them, written back as they were typed (trimmed), survive
// a reopen, and a change to a comment alone is a new version.
func TestReplaceKeepsComments(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(customDir(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	in := "! ads\n||ads.example^\n||ads.example^\n\n# trackers, kept since 2026\n  ||t.example^\n@@||ok.t.example^\n! the end\n"
	want := "! ads\n||ads.example^\n\n# trackers, kept since 2026\n||t.example^\n@@||ok.t.example^\n! the end\n"
	text, errs := blocklist.CheckRules(in)
	if errs != nil {
		t.Fatal(errs)
	}
	if _, err := st.Rules().Replace(text, "admin@x", ""); err != nil {
		t.Fatal(err)
	}
	v := st.Rules().Version()
	st2, err := Open(customDir(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	var back blocklist.RulesText
	for _, e := range st2.Rules().List() {
		back.Rules = append(back.Rules, blocklist.TextRule{Rule: e.Rule, Comment: e.Comment})
		back.Trailing = e.Trailing
	}
	if got := back.String(); got != want {
		t.Errorf("written back:\n%s\nwant:\n%s", got, want)
	}
	edited, _ := blocklist.CheckRules(strings.Replace(want, "# trackers", "# trackers, all of them", 1))
	if _, err := st2.Rules().Replace(edited, "admin@x", v); err != nil {
		t.Fatal(err)
	}
	if st2.Rules().Version() == v {
		t.Error("a comment changed and the version did not")
	}
	if _, err := st2.Rules().Replace(textOf("||x.example^"), "admin@x", v); !errors.Is(err, ErrRulesChanged) {
		t.Errorf("replace over the old version: %v, want ErrRulesChanged", err)
	}
}
