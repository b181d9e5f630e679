package runstate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// damagedSettings are settings documents another instance (an older or a
// buggy version), a partial write or a hand edit could leave behind.
var damagedSettings = []struct{ name, doc string }{
	{"not JSON", `{"upstreams": [`},
	{"a wrong type", `{"upstreams": "9.9.9.9"}`},
	{"an array", `[1, 2, 3]`},
	{"a wrong nested type", `{"local_records": [{"name": 5}]}`},
	{"binary", "\x00\xff\xfe"},
	{"past MaxUpstreams", `{"upstreams": [` + strings.Repeat(`"9.9.9.9",`, MaxUpstreams) + `"1.1.1.1"]}`},
	{"past MaxSettingsBytes", `{"audit": [{"by": "` + strings.Repeat("x", MaxSettingsBytes) + `"}]}`},
}

// TestSettingsDamagedAtStart: a damaged document does not stop the store
// from opening (an instance that cannot start is worse than one serving
// the file's config): it starts with no settings, says why, and the next
// Save replaces the document.
func TestSettingsDamagedAtStart(t *testing.T) {
	for _, tc := range damagedSettings {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "console-settings.json")
			if err := os.WriteFile(path, []byte(tc.doc), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := OpenSettings(NewDir(map[string]string{DocSettings: path}), nil)
			if err != nil {
				t.Fatalf("a damaged document stopped the store: %v", err)
			}
			if !s.Get().Empty() {
				t.Errorf("settings %+v from a damaged document", s.Get())
			}
			if err := s.Damaged(); !errors.Is(err, ErrDamaged) {
				t.Errorf("Damaged() = %v, want ErrDamaged", err)
			}
			if err := s.Save(s.Get().WithUpstreams([]string{"9.9.9.9"}, nil), Change{By: "test"}); err != nil {
				t.Fatal(err)
			}
			again, err := OpenSettings(NewDir(map[string]string{DocSettings: path}), nil)
			if err != nil || again.Damaged() != nil || len(again.Get().Upstreams) != 1 {
				t.Errorf("after a Save: %v, damaged %v, %+v", err, again.Damaged(), again.Get())
			}
		})
	}
}

// TestSettingsDamagedByAnother: a damaged document written by another
// instance keeps the last good settings here, and is reported.
func TestSettingsDamagedByAnother(t *testing.T) {
	for _, tc := range damagedSettings {
		t.Run(tc.name, func(t *testing.T) {
			b := NewDir(map[string]string{DocSettings: filepath.Join(t.TempDir(), "settings.json")})
			s, err := OpenSettings(b, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Save(s.Get().WithUpstreams([]string{"9.9.9.9"}, nil), Change{By: "test"}); err != nil {
				t.Fatal(err)
			}
			var changed int
			var damage error
			s.OnChange(func() { changed++ })
			s.OnDamaged(func(err error) { damage = err })
			if err := b.Set(DocSettings, []byte(tc.doc)); err != nil {
				t.Fatal(err)
			}
			if changed != 0 || len(s.Get().Upstreams) != 1 {
				t.Errorf("a damaged document was applied: %d changes, %+v", changed, s.Get())
			}
			if !errors.Is(damage, ErrDamaged) {
				t.Errorf("OnDamaged heard %v, want ErrDamaged", damage)
			}
		})
	}
}

// TestSettingsSaveKeepsUnderTheLimit: within the count limits, values that
// JSON escapes swell (each "<" is six bytes) could still make a document
// no instance reads back; Save refuses it and keeps the last one.
func TestSettingsSaveKeepsUnderTheLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console-settings.json")
	s, err := OpenSettings(NewDir(map[string]string{DocSettings: path}), nil)
	if err != nil {
		t.Fatal(err)
	}
	next := s.Get()
	for i := range MaxLocalRecords {
		next = next.WithLocalRecord(LocalRecord{Name: "big.home.arpa", Type: "TXT", Value: fmt.Sprint(i) + strings.Repeat("<", 1000)})
	}
	if err := next.CheckLimits(); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(next, Change{By: "test"}); err == nil {
		t.Fatal("a document over MaxSettingsBytes was saved")
	}
	if !s.Get().Empty() {
		t.Error("a refused Save changed the settings")
	}
	again, err := OpenSettings(NewDir(map[string]string{DocSettings: path}), nil)
	if err != nil || again.Damaged() != nil || !again.Get().Empty() {
		t.Errorf("after a refused Save: %v, damaged %v", err, again.Damaged())
	}
}
