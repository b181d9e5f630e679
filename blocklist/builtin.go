package blocklist

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"sort"
	"strings"
)

// builtinPrefix starts the source of every list embedded in the binary.
const builtinPrefix = "builtin:"

//go:embed builtin/*.txt
var builtinFS embed.FS

// builtinAliases are the Clean Network groups: one name for several lists.
// Each member is loaded once, however many aliases and policies name it.
func builtinAliases() map[string][]string {
	return map[string][]string{
		"clean-apps":    {"apps-tiktok", "apps-wechat", "apps-other"},
		"clean-cloud":   {"cloud-alibaba", "cloud-tencent", "cloud-baidu", "cloud-huawei"},
		"clean-carrier": {"carrier-china"},
		"clean-store":   {"store-huawei"},
	}
}

// BuiltinInfo describes one built-in category or group, for `cleandns lists`.
type BuiltinInfo struct {
	Name        string   // "builtin:apps-tiktok"
	Description string   // the "Category:" line of the list's header
	Entries     int      // rules in the list, or in all members of a group
	Members     []string // for a group, the categories it stands for; nil otherwise
}

// Builtins lists every built-in category, then every group, by name.
func Builtins() []BuiltinInfo {
	var out []BuiltinInfo
	counts := map[string]int{}
	for _, name := range builtinNames() {
		data, _ := builtinData(name)
		st, _ := parseList(bytes.NewReader(data), func(Entry) {})
		counts[name] = st.Entries
		out = append(out, BuiltinInfo{Name: builtinPrefix + name, Description: headerField(data, "Category:"), Entries: st.Entries})
	}
	aliases := builtinAliases()
	var groups []string
	for g := range aliases {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		info := BuiltinInfo{Name: builtinPrefix + g, Description: "group of " + strings.Join(aliases[g], ", ")}
		for _, m := range aliases[g] {
			info.Members = append(info.Members, builtinPrefix+m)
			info.Entries += counts[m]
		}
		out = append(out, info)
	}
	return out
}

// builtinNames returns the embedded categories, sorted.
func builtinNames() []string {
	entries, _ := builtinFS.ReadDir("builtin")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".txt"))
	}
	sort.Strings(names)
	return names
}

func builtinData(name string) ([]byte, error) {
	data, err := builtinFS.ReadFile("builtin/" + name + ".txt")
	if err != nil {
		return nil, fmt.Errorf("unknown built-in list %q", builtinPrefix+name)
	}
	return data, nil
}

// openBuiltin opens the embedded list of a "builtin:name" source for
// reading from the binary, without copying it to the heap.
func openBuiltin(source string) (io.ReadSeekCloser, error) {
	name := strings.TrimPrefix(source, builtinPrefix)
	f, err := builtinFS.Open("builtin/" + name + ".txt")
	if err != nil {
		return nil, fmt.Errorf("unknown built-in list %q", source)
	}
	// embed.FS files are seekable; the assertion documents what the two
	// passes over a list need.
	rs, ok := f.(io.ReadSeekCloser)
	if !ok {
		f.Close()
		return nil, fmt.Errorf("built-in list %q cannot be reread", source)
	}
	return rs, nil
}

// expandBuiltin returns the categories a builtin: source stands for.
func expandBuiltin(source string) ([]string, error) {
	name := strings.TrimPrefix(source, builtinPrefix)
	if members, ok := builtinAliases()[name]; ok {
		return members, nil
	}
	if _, err := builtinData(name); err != nil {
		return nil, fmt.Errorf("%w (known: %s)", err, strings.Join(knownBuiltins(), ", "))
	}
	return []string{name}, nil
}

func knownBuiltins() []string {
	var names []string
	for _, b := range Builtins() {
		names = append(names, b.Name)
	}
	return names
}

// headerField returns the rest of the first comment line holding field.
func headerField(data []byte, field string) string {
	for line := range strings.Lines(string(data)) {
		if !strings.HasPrefix(line, "#") {
			break
		}
		if _, rest, ok := strings.Cut(line, field); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}
