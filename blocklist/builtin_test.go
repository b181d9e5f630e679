package blocklist

import (
	"strings"
	"testing"
)

func TestBuiltins(t *testing.T) {
	want := map[string]int{ // entries from the reference README; -1 = just non-empty
		"builtin:apps-tiktok": 197, "builtin:apps-wechat": 28, "builtin:apps-other": 98,
		"builtin:cloud-alibaba": 56, "builtin:cloud-tencent": 288, "builtin:cloud-baidu": 25,
		"builtin:cloud-huawei": 254, "builtin:carrier-china": 162, "builtin:store-huawei": 9,
		"builtin:apps-bytedance-other": 789, "builtin:vendor-huawei": 59, "builtin:vendor-zte": 7,
		"builtin:doh-resolvers": -1,
		"builtin:clean-apps":    197 + 28 + 98, "builtin:clean-cloud": 56 + 288 + 25 + 254,
		"builtin:clean-carrier": 162, "builtin:clean-store": 9,
	}
	got := map[string]BuiltinInfo{}
	for _, b := range Builtins() {
		got[b.Name] = b
	}
	for name, n := range want {
		b, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s missing", name)
		case n >= 0 && b.Entries != n:
			t.Errorf("%s has %d entries, want %d", name, b.Entries, n)
		case b.Entries < 30:
			if n < 0 {
				t.Errorf("%s has only %d entries", name, b.Entries)
			}
		}
		if ok && b.Description == "" {
			t.Errorf("%s has no description", name)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d builtins, want %d", len(got), len(want))
	}
	if m := got["builtin:clean-apps"].Members; len(m) != 3 {
		t.Errorf("clean-apps members %v", m)
	}
}

func TestBuiltinListsParseCleanly(t *testing.T) {
	for _, name := range builtinNames() {
		data, err := builtinData(name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "# ") {
			t.Errorf("%s has no provenance header", name)
		}
		if st := listStats(t, string(data)); st.Invalid+st.Skipped != 0 {
			t.Errorf("%s: %d invalid, %d skipped: %+v", name, st.Invalid, st.Skipped, st.InvalidLines)
		}
	}
}

func TestExpandBuiltin(t *testing.T) {
	if got, err := expandBuiltin("builtin:clean-cloud"); err != nil || len(got) != 4 {
		t.Errorf("clean-cloud = %v, %v", got, err)
	}
	if _, err := expandBuiltin("builtin:nope"); err == nil || !strings.Contains(err.Error(), "builtin:nope") {
		t.Errorf("unknown builtin error %v does not name it", err)
	}
}
