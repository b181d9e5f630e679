package runstate

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/internal/fakeclock"
)

func allowDir(path string) *Dir { return NewDir(map[string]string{DocAllow: path}) }

type blockAll struct{}

func (blockAll) Match(name string) (blocklist.Rule, bool) {
	return blocklist.Rule{List: "ads", Text: name}, true
}

func TestAllowUnblocksAndSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "allow.json")
	clock := fakeclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	st, err := Open(allowDir(path), clock)
	s := st.Allowlist()
	if err != nil {
		t.Fatal(err)
	}
	match := s.Wrap(func(string) blocklist.Matcher { return blockAll{} })
	if _, blocked := match("default").Match("www.example.com."); !blocked {
		t.Fatal("not blocked before any allow entry")
	}
	if _, err := s.Add("Example.COM", "admin@127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"example.com.", "www.example.com", "A.B.EXAMPLE.COM."} {
		if rule, blocked := match("default").Match(name); blocked || !rule.Allow || rule.List != AllowList {
			t.Errorf("%s: blocked=%v rule=%+v after allowing example.com", name, blocked, rule)
		}
	}
	if _, blocked := match("default").Match("notexample.com."); !blocked {
		t.Error("notexample.com. unblocked by example.com")
	}

	// A restart: a new Store reads the file.
	st2, err := Open(allowDir(path), clock)
	if err != nil {
		t.Fatal(err)
	}
	s2 := st2.Allowlist()
	if l := s2.List(); len(l) != 1 || l[0].Name != "example.com." || l[0].By != "admin@127.0.0.1:1" {
		t.Fatalf("after reopen: %+v", l)
	}
	if ok, err := s2.Remove("example.com"); !ok || err != nil {
		t.Fatalf("Remove = %v, %v", ok, err)
	}
	if ok, _ := s2.Remove("example.com"); ok {
		t.Error("removed twice")
	}
	st3, _ := Open(allowDir(path), clock)
	if len(st3.Allowlist().List()) != 0 {
		t.Errorf("removal not saved: %+v", st3.Allowlist().List())
	}
	if _, err := s.Add("bad..name", ""); err == nil {
		t.Error("added an invalid name")
	}
}

func TestOpenRejectsCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "allow.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(allowDir(path), nil); err == nil {
		t.Error("opened a corrupt file")
	}
}

func BenchmarkWrapEmpty(b *testing.B) {
	s, _ := Open(allowDir(filepath.Join(b.TempDir(), "allow.json")), nil)
	f := s.Allowlist().Wrap(func(string) blocklist.Matcher { return blockAll{} })
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_, _ = f("default").Match("www.example.com.")
	}
}

// rewriter rewrites every AAAA query, so a wrapper that dropped the query
// type would lose it.
type rewriter struct{}

func (rewriter) Match(string) (blocklist.Rule, bool) { return blocklist.Rule{}, false }

func (rewriter) MatchQuery(q blocklist.Query) blocklist.Decision {
	if q.Type == 28 {
		return blocklist.Decision{Rewrite: []blocklist.Rewrite{{RCode: 5}}}
	}
	return blocklist.Decision{}
}

// TestAllowWrapperPassesQueries: with runtime exceptions present, names
// they do not cover still get the lists' rewrites and modifiers.
func TestAllowWrapperPassesQueries(t *testing.T) {
	st, err := Open(allowDir(filepath.Join(t.TempDir(), "allow.json")), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Allowlist().Add("ok.example", "test"); err != nil {
		t.Fatal(err)
	}
	m := st.Allowlist().Wrap(func(string) blocklist.Matcher { return rewriter{} })("default")
	if d := blocklist.MatchQuery(m, blocklist.Query{Name: "other.example.", Type: 28}); d.Rewrite == nil {
		t.Errorf("the rewrite was lost through the allow wrapper: %+v", d)
	}
	if d := blocklist.MatchQuery(m, blocklist.Query{Name: "ok.example.", Type: 28}); d.Rewrite != nil || !d.Rule.Allow {
		t.Errorf("an allowed name was rewritten: %+v", d)
	}
}
