package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// issueGroups is the example of issue 7, key for key.
const issueGroups = `
groups:
  - name: guests
    clients: [192.168.50.0/24, "2001:db8:50::/56"]
    lists: [builtin:clean-apps, builtin:clean-cloud, https://example.org/ads.txt]
    allow: [weixin.qq.com]
  - name: kids
    clients: [192.168.60.0/24]
    macs: ["aa:bb:cc:dd:ee:01"]
    lists: [builtin:clean-apps]
    schedule: {lists: [builtin:apps-tiktok], days: [mon, tue, wed, thu, fri, sat, sun], from: "21:00", to: "07:00", timezone: UTC}
  - name: lab
    clients: [10.9.0.0/16]
    blocking: false
groups_identity:
  trusted: [192.168.1.1]
local_records:
  records:
    - {name: nas.home.arpa, type: A, value: 192.168.1.10}
    - {name: files.home.arpa, type: CNAME, value: nas.home.arpa, ttl: 1m}
`

func TestGroupsLoad(t *testing.T) {
	cfg, err := load(t, issueGroups, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Groups) != 3 {
		t.Fatalf("groups = %+v", cfg.Groups)
	}
	g, k, l := cfg.Groups[0], cfg.Groups[1], cfg.Groups[2]
	if g.Name != "guests" || len(g.Clients) != 2 || len(g.Lists) != 3 || g.Lists[2].Source != "https://example.org/ads.txt" || g.Allow[0] != "weixin.qq.com" || g.Blocking != nil {
		t.Errorf("guests = %+v", g)
	}
	if k.Schedule == nil || k.Schedule.Lists[0].Source != "builtin:apps-tiktok" || len(k.Schedule.Days) != 7 || k.Schedule.From != "21:00" || k.Schedule.To != "07:00" || k.Schedule.Timezone != "UTC" || k.MACs[0] != "aa:bb:cc:dd:ee:01" {
		t.Errorf("kids = %+v schedule %+v", k, k.Schedule)
	}
	if l.Blocking == nil || *l.Blocking {
		t.Errorf("lab.blocking = %v", l.Blocking)
	}
	if cfg.GroupsIdentity.Trusted[0] != "192.168.1.1" {
		t.Errorf("groups_identity = %+v", cfg.GroupsIdentity)
	}
	lr := cfg.LocalRecords
	if len(lr.Records) != 2 || lr.Records[1].TTL != time.Minute || lr.TTL != 5*time.Minute || lr.HostsPoll != 5*time.Second {
		t.Errorf("local_records = %+v", lr)
	}
}

func TestGroupsErrorsNameTheKey(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"groups:\n  - {name: a, clients: [10.0.0.0/8]}\n  - {name: b, clients: [10.1.0.0/16, nonsense]}\n", "groups[1].clients[1]: "},
		{"groups:\n  - {name: a, clients: [10.0.0.0/8], schedule: {lists: [x], from: \"9pm\", to: \"07:00\"}}\n", "groups[0].schedule.from: "},
		{"groups:\n  - {name: a, clients: [10.0.0.0/8], colour: red}\n", "groups[0].colour: unknown key"},
		{"groups_identity:\n  trusted: [bad]\n", "groups_identity.trusted[0]: "},
		{"local_records:\n  records: [{name: a.lan, type: A, value: nope}]\n", "local_records.records[0].value: "},
	}
	for _, tt := range tests {
		_, err := load(t, tt.yaml, Overrides{})
		if err == nil || !strings.Contains(err.Error(), "test.yaml: "+tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.yaml, err, tt.want)
		}
	}
}

// TestListSpecMatch: a list map takes `match` (blocklist checks its value).
func TestListSpecMatch(t *testing.T) {
	list := filepath.Join(t.TempDir(), "pihole.txt")
	if err := os.WriteFile(list, []byte("ads.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := load(t, "blocking:\n  lists:\n    - {source: "+list+", match: exact}\n", Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Blocking.Lists[0]; got.Source != list || got.Match != "exact" {
		t.Errorf("list = %+v, want match exact", got)
	}
}

// TestSafeSearchValidated: a bad safe_search value is an error naming it.
func TestSafeSearchValidated(t *testing.T) {
	for _, yaml := range []string{
		"blocking:\n  safe_search: {enabled: true, youtube: loose}\n",
		"groups:\n  - name: kids\n    clients: [10.0.0.0/8]\n    safe_search: {enabled: true, providers: [altavista]}\n",
	} {
		if _, err := load(t, yaml, Overrides{}); err == nil || !strings.Contains(err.Error(), "safe_search") {
			t.Errorf("%q: %v, want an error naming safe_search", yaml, err)
		}
	}
}
