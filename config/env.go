package config

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// notConfig are CLEANDNS_ variables that are read by something other than
// the config: the CLI's API token and the benchmark scripts' command.
var notConfig = map[string]bool{"CLEANDNS_TOKEN": true, "CLEANDNS_CMD": true}

// envName is the variable that sets key: ratelimit.qps is
// CLEANDNS_RATELIMIT_QPS.
func envName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// checkEnv refuses a CLEANDNS_ variable that sets nothing: a typo such as
// CLEANDNS_RATELIMIT_QSP would otherwise be silently ignored, and the admin
// would believe the limit is set.
func checkEnv(keys []string) error {
	known := make(map[string]bool, len(keys))
	for _, k := range keys {
		known[envName(k)] = true
	}
	var bad []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix+"_") || known[name] || notConfig[name] {
			continue
		}
		msg := "environment " + name + ": no such setting"
		if s := closest(name, known); s != "" {
			msg += " (did you mean " + s + "?)"
		}
		bad = append(bad, msg)
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("%s", strings.Join(bad, "; "))
}

// fromEnv says which variable set key, if one did, so that an error in
// its value names the variable and not a file that never mentions it.
func fromEnv(key string) (string, bool) {
	name := envName(key)
	_, ok := os.LookupEnv(name)
	return name, ok
}

// closest is the known variable nearest to name, when a typo explains it.
func closest(name string, known map[string]bool) string {
	best, bestD := "", 3
	for k := range known {
		if d := editDistance(name, k); d < bestD || (d == bestD && best != "" && k < best) {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
