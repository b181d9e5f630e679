package configs_test

import (
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cleandns/cleandns/config"
)

// TestProductionDocumentsEveryOption: configs/production.yaml says it shows
// every option; this keeps it true as options are added. An option counts
// as shown when its key is there, set or commented out ("# key: value").
func TestProductionDocumentsEveryOption(t *testing.T) {
	b, err := os.ReadFile("production.yaml")
	if err != nil {
		t.Fatal(err)
	}
	shown := yamlKeys(string(b))
	if _, err := config.Load(config.Source{Name: "production.yaml", Data: b}, config.Overrides{}); err != nil {
		t.Fatalf("production.yaml does not load: %v", err)
	}
	var missing []string
	for _, k := range leafKeys(reflect.TypeOf(config.Config{}), "") {
		if !shown[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	for _, k := range missing {
		t.Errorf("configs/production.yaml does not show %s: add it, set or as a comment with its default and why one would change it", k)
	}
}

var durationType = reflect.TypeOf(time.Duration(0))

// leafKeys lists the config's keys as dotted paths; list items' fields sit
// under the list's key (forward_zones.zone).
func leafKeys(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == durationType {
		return []string{prefix}
	}
	if _, text := reflect.PointerTo(t).MethodByName("UnmarshalText"); text && prefix != "" {
		// A list entry that is a string or a map (blocking.lists): its
		// fields are optional forms, shown by the string form.
		return []string{prefix}
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "squash") {
			out = append(out, leafKeys(f.Type, prefix)...)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		out = append(out, leafKeys(f.Type, key)...)
	}
	return out
}

var keyLine = regexp.MustCompile(`^(\s*)(#\s*)?(-\s+)?([a-z0-9_]+):(\s|$)`)

// yamlKeys reads the dotted key paths of a YAML text, commented-out keys
// included, from indentation alone.
func yamlKeys(text string) map[string]bool {
	type level struct {
		indent int
		key    string
	}
	var stack []level
	out := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		m := keyLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		indent := len(m[1]) + len(m[3])
		if m[2] != "" && len(stack) == 0 && len(m[1]) == 0 {
			// A comment at the top level names a top-level key.
			indent = 0
		}
		for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		path := m[4]
		if len(stack) > 0 {
			path = stack[len(stack)-1].key + "." + m[4]
		}
		stack = append(stack, level{indent, path})
		out[path] = true
	}
	return out
}
