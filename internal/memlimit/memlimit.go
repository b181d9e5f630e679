// Package memlimit decides the Go runtime's soft memory limit (GOMEMLIMIT)
// from the `memory_limit` setting or the container's cgroup limit. Without
// one, the heap may grow to twice the live data before a collection
// (GOGC=100), and a cache filled to cache.max_bytes let the process reach
// about four times that; with one, the collector works harder near the
// limit instead of the kernel killing the process.
package memlimit

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Setting values besides a size.
const (
	Auto = "auto" // from the cgroup limit, when there is one
	Off  = "off"  // no limit
)

// cgroupShare is the part of a cgroup limit given to the Go heap: the rest
// covers stacks, the runtime's own memory and what the kernel counts
// against the cgroup (page cache of the query log, socket buffers).
const cgroupShare = 0.85

// Parse reads a size: bytes, or a number with B, KiB, MiB, GiB (or KB, MB,
// GB, decimal). Auto and Off return 0.
func Parse(s string) (int64, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", Auto, Off:
		return 0, nil
	}
	units := []struct {
		suffix string
		mult   float64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"b", 1}}
	num, mult := strings.ToLower(s), 1.0
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("memory_limit: %q is not a size such as 512MiB, %q or %q", s, Auto, Off)
	}
	if n := v * mult; n < 32<<20 {
		return 0, fmt.Errorf("memory_limit: %q is below the minimum of 32MiB", s)
	}
	return int64(v * mult), nil
}

// Resolve returns the limit to set, in bytes (0: none), and where it came
// from. GOMEMLIMIT in the environment wins: the runtime has applied it.
// root is the cgroup file system, "/sys/fs/cgroup" outside tests.
func Resolve(setting string, getenv func(string) string, root string) (int64, string, error) {
	if v := getenv("GOMEMLIMIT"); v != "" {
		return 0, "GOMEMLIMIT=" + v, nil
	}
	switch strings.ToLower(strings.TrimSpace(setting)) {
	case Off:
		return 0, "memory_limit: off", nil
	case "", Auto:
		limit, file := cgroupLimit(root)
		if limit == 0 {
			return 0, "no cgroup memory limit", nil
		}
		return int64(float64(limit) * cgroupShare), fmt.Sprintf("%.0f%% of the cgroup limit in %s", cgroupShare*100, file), nil
	}
	n, err := Parse(setting)
	return n, "memory_limit", err
}

// cgroupLimit reads the cgroup v2 memory.max, or v1's limit_in_bytes; 0
// when unlimited or absent.
func cgroupLimit(root string) (int64, string) {
	for _, f := range []string{"memory.max", "memory/memory.limit_in_bytes"} {
		path := filepath.Join(root, f)
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || v <= 0 || v >= 1<<60 { // "max", or v1's "unlimited" near MaxInt64
			return 0, ""
		}
		return v, path
	}
	return 0, ""
}
