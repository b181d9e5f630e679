package blocklist

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// TestLoadsAreLogged: a list that loads says so with its counts, and one
// that never loaded is not said to "keep serving" entries it never had.
func TestLoadsAreLogged(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.txt")
	if err := os.WriteFile(good, []byte("ads.example\nbad line here\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.txt")
	core, logs := observer.New(zap.InfoLevel)
	m, err := New(Config{}, []Policy{{Name: "p", Lists: []ListSpec{{Source: good}, {Source: missing}}}},
		Deps{Logger: zap.New(core), Now: fixedClock()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	_ = m.Start(ctx)
	t.Cleanup(func() { cancel(); m.Wait() })

	loaded := logs.FilterMessage("list loaded").FilterField(zap.String("list", good)).All()
	if len(loaded) != 1 {
		t.Fatalf("want one 'list loaded' line for %s, got %v", good, logs.All())
	}
	f := loaded[0].ContextMap()
	if f["entries"] != int64(1) || f["invalid"] != int64(1) {
		t.Errorf("list loaded fields = %v, want entries 1, invalid 1", f)
	}
	if _, ok := f["took"]; !ok {
		t.Errorf("list loaded has no took: %v", f)
	}
	if n := logs.FilterMessageSnippet("previous entries keep serving").Len(); n != 0 {
		t.Errorf("a list that never loaded is said to keep serving (%d lines)", n)
	}
	if n := logs.FilterMessageSnippet("never loaded").FilterField(zap.String("list", missing)).Len(); n != 1 {
		t.Errorf("no 'never loaded' warning for %s: %v", missing, logs.All())
	}
}
