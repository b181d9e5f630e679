package querylog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// A corrupt log is moved aside with a warning naming both files, and of
// the logs moved aside only the newest keepCorrupt stay: a disk that keeps
// tearing pages must not fill up with them.
func TestCorruptLogMovedAsideLoggedAndPruned(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	var older []string
	for i := range keepCorrupt + 2 { // earlier moves, oldest first; one in the old seconds format
		name := fmt.Sprintf("%s.corrupt-%d", path, 1700000000_000000000+int64(i))
		if i == 0 {
			name = path + ".corrupt-1600000000"
		}
		older = append(older, name)
		for _, f := range []string{name, name + "-wal"} {
			if err := os.WriteFile(f, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database page ", 400)), 0o600); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.WarnLevel)
	l, err := New(Config{Path: path}, Deps{Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Flush(context.Background()); err != nil { // the log is open after
		t.Fatal(err)
	}
	warned := logs.FilterMessageSnippet("corrupt").All()
	if len(warned) != 1 {
		t.Fatalf("log lines about the corrupt log: %v, want one", logs.All())
	}
	moved, _ := warned[0].ContextMap()["moved_to"].(string)
	if !strings.HasPrefix(moved, path+".corrupt-") {
		t.Errorf("the warning names %q as where the log went", moved)
	}
	left, _ := filepath.Glob(path + ".corrupt-*")
	want := append(slices.Clone(older[len(older)-keepCorrupt+1:]), moved)
	var wantFiles []string
	for _, w := range want {
		wantFiles = append(wantFiles, w)
		if w != moved {
			wantFiles = append(wantFiles, w+"-wal")
		}
	}
	slices.Sort(left)
	slices.Sort(wantFiles)
	if !slices.Equal(left, wantFiles) {
		t.Errorf("moved-aside files left: %v, want the newest %d logs: %v", left, keepCorrupt, wantFiles)
	}
}
