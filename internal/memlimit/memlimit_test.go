package memlimit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{
		{"512MiB", 512 << 20, false}, {"1GiB", 1 << 30, false}, {"1.5 GiB", 3 << 29, false},
		{"200MB", 200e6, false}, {"268435456", 1 << 28, false}, {"auto", 0, false}, {"off", 0, false}, {"", 0, false},
		{"lots", 0, true}, {"-1GiB", 0, true}, {"1MiB", 0, true},
	} {
		got, err := Parse(tc.in)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("Parse(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestResolve(t *testing.T) {
	v2 := t.TempDir()
	if err := os.WriteFile(filepath.Join(v2, "memory.max"), []byte("1073741824\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	unlimited := t.TempDir()
	if err := os.WriteFile(filepath.Join(unlimited, "memory.max"), []byte("max\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	v1 := t.TempDir()
	if err := os.MkdirAll(filepath.Join(v1, "memory"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(v1, "memory", "memory.limit_in_bytes"), []byte("536870912\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) string { return "" }
	for _, tc := range []struct {
		name, setting, root string
		env                 func(string) string
		want                int64
		source              string
	}{
		{"auto from cgroup v2", "auto", v2, noEnv, share(1 << 30), "cgroup"},
		{"auto from cgroup v1", "", v1, noEnv, share(1 << 29), "cgroup"},
		{"auto, unlimited", "auto", unlimited, noEnv, 0, "no cgroup"},
		{"auto, no cgroup", "auto", t.TempDir(), noEnv, 0, "no cgroup"},
		{"set", "768MiB", v2, noEnv, 768 << 20, "memory_limit"},
		{"off", "off", v2, noEnv, 0, "off"},
		{"GOMEMLIMIT wins", "768MiB", v2, func(k string) string {
			if k == "GOMEMLIMIT" {
				return "300MiB"
			}
			return ""
		}, 0, "GOMEMLIMIT=300MiB"},
	} {
		got, source, err := Resolve(tc.setting, tc.env, tc.root)
		if err != nil || got != tc.want || !strings.Contains(source, tc.source) {
			t.Errorf("%s: %d, %q, %v; want %d from %q", tc.name, got, source, err, tc.want, tc.source)
		}
	}
}

func share(n int64) int64 { return int64(float64(n) * cgroupShare) }
