package runstate

import (
	"path/filepath"
	"testing"

	"github.com/cleandns/cleandns/blocklist"
)

func customDir(dir string) *Dir {
	return NewDir(map[string]string{
		DocAllow: filepath.Join(dir, "allow.json"), DocDeny: filepath.Join(dir, "deny.json"), DocRules: filepath.Join(dir, "rules.json"),
	})
}

type noneMatcher struct{}

func (noneMatcher) Match(string) (blocklist.Rule, bool) { return blocklist.Rule{}, false }

// TestDenyAndRules: denied names and custom rules apply in front of the
// lists, the runtime allow list beats both, and all survive a reopen.
func TestDenyAndRules(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(customDir(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	match := st.Wrap(func(string) blocklist.Matcher { return noneMatcher{} })
	if m := match("default"); m != (noneMatcher{}) {
		t.Errorf("with no runtime entries Wrap returned %T, want the lists' matcher itself", m)
	}
	for _, step := range []struct {
		c     Custom
		value string
	}{
		{st.Denylist(), "Ads.Example"}, {st.Denylist(), "bücher.example"},
		{st.Rules(), "||tracker.example^"}, {st.Rules(), "||rw.example^$dnsrewrite=192.0.2.1"}, {st.Rules(), "@@||ok.ads.example^"},
	} {
		if _, err := step.c.Add(step.value, "admin@test"); err != nil {
			t.Fatalf("add %q: %v", step.value, err)
		}
	}
	if _, err := st.Allowlist().Add("fine.ads.example", "admin@test"); err != nil {
		t.Fatal(err)
	}
	check := func(st *State) {
		t.Helper()
		m := st.Wrap(func(string) blocklist.Matcher { return noneMatcher{} })("default")
		for name, want := range map[string]string{
			"ads.example.": "block " + DenyList, "www.ads.example": "block " + DenyList, "xn--bcher-kva.example.": "block " + DenyList,
			"a.tracker.example.": "block " + RulesList, "rw.example.": "rewrite", "ok.ads.example.": "allow " + RulesList,
			"fine.ads.example.": "allow " + AllowList, "other.example.": "none",
		} {
			d := blocklist.MatchQuery(m, blocklist.Query{Name: name, Type: 1})
			got := "none"
			switch {
			case d.Rewrite != nil:
				got = "rewrite"
			case d.Blocked:
				got = "block " + d.Rule.List
			case d.Rule.Allow:
				got = "allow " + d.Rule.List
			}
			if got != want {
				t.Errorf("%s: %s, want %s", name, got, want)
			}
		}
	}
	check(st)
	st2, err := Open(customDir(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	check(st2)
	if ok, err := st2.Denylist().Remove("ADS.example."); !ok || err != nil {
		t.Errorf("remove: %v %v", ok, err)
	}
	if n := len(st2.Denylist().List()); n != 1 {
		t.Errorf("%d deny entries after a remove, want 1", n)
	}
	if ok, _ := st2.Rules().Remove("||nothere.example^"); ok {
		t.Error("removed a rule that was not there")
	}
}

// TestRuntimeEntriesValidated: what is not a domain or a rule is refused,
// in every runtime list.
func TestRuntimeEntriesValidated(t *testing.T) {
	st, err := Open(customDir(t.TempDir()), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"not a domain", "com", "a.com\nb.com", "a\x00.com", ""} {
		if _, err := st.Allowlist().Add(bad, "t"); err == nil {
			t.Errorf("allow add %q accepted", bad)
		}
		if _, err := st.Denylist().Add(bad, "t"); err == nil {
			t.Errorf("block add %q accepted", bad)
		}
	}
	for _, bad := range []string{"example.com##.ad", "||x^$third-party", "! comment", "||a^\n||b^"} {
		if _, err := st.Rules().Add(bad, "t"); err == nil {
			t.Errorf("rules add %q accepted", bad)
		}
	}
	if e, err := st.Allowlist().Add("Bücher.Example.", "t"); err != nil || e.Name != "xn--bcher-kva.example." {
		t.Errorf("allow add of an IDN: %+v, %v", e, err)
	}
}
