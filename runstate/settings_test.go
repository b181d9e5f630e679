package runstate

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// oldSettings is a document written before upstreams and local records
// were settings: lists and list-only audit entries.
const oldSettings = `{
  "lists": {"default": {"add": ["builtin:doh-resolvers"]}},
  "audit": [{"at": "2026-12-05T10:00:00Z", "by": "admin@127.0.0.1", "group": "default", "list": "builtin:doh-resolvers", "old": false, "new": true}]
}`

// TestSettingsDocument: an old document still loads; upstreams and local
// records are stored and read back; each edit keeps the other settings.
func TestSettingsDocument(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console-settings.json")
	if err := os.WriteFile(path, []byte(oldSettings), 0o600); err != nil {
		t.Fatal(err)
	}
	open := func() *SettingsStore {
		s, err := OpenSettings(NewDir(map[string]string{DocSettings: path}), nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	st := s.Get()
	if got := st.Lists["default"].Add; !slices.Equal(got, []string{"builtin:doh-resolvers"}) || len(st.Audit) != 1 || !st.Audit[0].New {
		t.Fatalf("old document read as %+v", st)
	}
	file := []string{"9.9.9.9"}
	steps := []struct {
		name string
		edit func(*Settings) *Settings
		want func(*Settings) bool
	}{
		{"upstreams set", func(st *Settings) *Settings { return st.WithUpstreams([]string{"9.9.9.9", "1.1.1.1"}, file) },
			func(st *Settings) bool { return slices.Equal(st.Upstreams, []string{"9.9.9.9", "1.1.1.1"}) }},
		{"a record added, normalised", func(st *Settings) *Settings {
			return st.WithLocalRecord(LocalRecord{Name: "NAS.home.arpa.", Type: "a", Value: " 192.168.1.10 "})
		}, func(st *Settings) bool {
			return slices.Equal(st.LocalRecords, []LocalRecord{{Name: "nas.home.arpa", Type: "A", Value: "192.168.1.10"}})
		}},
		{"the same record again replaces it", func(st *Settings) *Settings {
			return st.WithLocalRecord(LocalRecord{Name: "nas.home.arpa", Type: "A", Value: "192.168.1.10", TTL: 60})
		}, func(st *Settings) bool { return len(st.LocalRecords) == 1 && st.LocalRecords[0].TTL == 60 }},
		{"a list switched keeps upstreams and records", func(st *Settings) *Settings { return st.WithList("default", "builtin:doh-resolvers", false, false) },
			func(st *Settings) bool {
				return len(st.Lists) == 0 && len(st.Upstreams) == 2 && len(st.LocalRecords) == 1
			}},
		{"upstreams back to the file's drop the setting", func(st *Settings) *Settings { return st.WithUpstreams(file, file) },
			func(st *Settings) bool { return st.Upstreams == nil && len(st.LocalRecords) == 1 }},
		{"the record removed", func(st *Settings) *Settings {
			next, gone := st.WithoutLocalRecords(LocalRecord{Name: "NAS.home.arpa"})
			if len(gone) != 1 {
				return st
			}
			return next
		}, func(st *Settings) bool { return st.Empty() }},
	}
	for _, tt := range steps {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Save(tt.edit(s.Get()), Change{By: "test", What: tt.name}); err != nil {
				t.Fatal(err)
			}
			if !tt.want(s.Get()) {
				t.Errorf("after the change: %+v", s.Get())
			}
			if again := open().Get(); !tt.want(again) {
				t.Errorf("read back: %+v", again)
			}
		})
	}
	if got := len(s.Get().Audit); got != 1+len(steps) {
		t.Errorf("%d audit entries, want %d", got, 1+len(steps))
	}
}
