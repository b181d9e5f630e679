package server

import (
	"testing"

	"github.com/cleandns/cleandns/config"
)

func TestPoliciesPerGroup(t *testing.T) {
	cfg, err := config.Load(config.Source{Name: "test.yaml", Data: []byte(`
blocking: {lists: [builtin:clean-apps], allow: [a.example]}
groups:
  - {name: kids, clients: [192.168.60.0/24], lists: [builtin:clean-cloud], allow: [b.example],
     schedule: {lists: [builtin:apps-tiktok], from: "21:00", to: "07:00"}}
  - {name: staff, clients: [10.0.0.0/8]}
`)}, config.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	ps := policies(cfg)
	if len(ps) != 4 {
		t.Fatalf("policies = %+v", ps)
	}
	want := []struct {
		name, list string
		allow      int
	}{
		{"default", "builtin:clean-apps", 1},
		{"kids", "builtin:clean-cloud", 2},
		{"kids@schedule", "builtin:apps-tiktok", 2},
		{"staff", "builtin:clean-apps", 1}, // no lists: the default group's
	}
	for i, w := range want {
		p := ps[i]
		if p.Name != w.name || len(p.Lists) != 1 || p.Lists[0].Source != w.list || len(p.Allow) != w.allow {
			t.Errorf("policy %d = %+v, want %+v", i, p, w)
		}
	}
}
