package runstate

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestDirKeepsFilesAndMemory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "allow.json")
	d := NewDir(map[string]string{DocAllow: path})
	var seen []string
	d.Watch(func(name string) { seen = append(seen, name) })
	for _, tt := range []struct{ name, doc string }{{DocAllow, `["a"]`}, {DocPauses, `{}`}} {
		if err := d.Set(tt.name, []byte(tt.doc)); err != nil {
			t.Fatal(err)
		}
		if b, err := d.Get(tt.name); err != nil || string(b) != tt.doc {
			t.Errorf("Get(%s) = %q, %v", tt.name, b, err)
		}
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != `["a"]` {
		t.Errorf("the allow file holds %q, %v", b, err)
	}
	if b, err := d.Get("deny"); b != nil || err != nil {
		t.Errorf("Get of a missing document = %q, %v", b, err)
	}
	if names, _ := d.List(); !slices.Equal(names, []string{DocAllow, DocPauses}) {
		t.Errorf("List = %v", names)
	}
	if !slices.Equal(seen, []string{DocAllow, DocPauses}) {
		t.Errorf("watchers saw %v", seen)
	}
}
