package server

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/dnstest"
)

// TestConsoleSettingsOverTheFile: a list switched on or off in the console
// changes the answers at once, wins over the file across a reload, is
// dropped when switched back to what the file says, and a list that cannot
// be built changes nothing.
func TestConsoleSettingsOverTheFile(t *testing.T) {
	var hits atomic.Int64
	up := dnstest.NewServer(t, answerA(&hits))
	s := boot(t, upstreamYAML(up)) // the file: blocking.lists [builtin:clean-apps]
	addr := s.Addrs()[0]
	steps := []struct {
		name   string
		group  string
		list   string
		on     bool
		reload bool
		want   map[string]int // name → rcode after the step
	}{
		{"doh-resolvers on", "default", "builtin:doh-resolvers", true, false,
			map[string]int{"dns.google.": dns.RcodeNameError, "tiktok.com.": dns.RcodeNameError}},
		{"clean-apps off", "default", "builtin:clean-apps", false, false,
			map[string]int{"tiktok.com.": dns.RcodeSuccess, "dns.google.": dns.RcodeNameError}},
		{"a reload keeps the console's lists", "", "", false, true,
			map[string]int{"tiktok.com.": dns.RcodeSuccess, "dns.google.": dns.RcodeNameError}},
		{"clean-apps back on, as the file says", "default", "builtin:clean-apps", true, false,
			map[string]int{"tiktok.com.": dns.RcodeNameError}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.reload {
				file := s.fileCfg.Load()
				if err := s.Reload(func() (*config.Config, error) { return file, nil }); err != nil {
					t.Fatal(err)
				}
			} else if _, err := s.SetList(st.group, st.list, st.on, "admin@test"); err != nil {
				t.Fatal(err)
			}
			for name, want := range st.want {
				if got := rcodeOf(t, addr, name); got != want {
					t.Errorf("%s: %s, want %s", name, dns.RcodeToString[got], dns.RcodeToString[want])
				}
			}
		})
	}
	set := s.Settings()
	if ch := set.Lists["default"]; len(ch.Add) != 1 || ch.Add[0] != "builtin:doh-resolvers" || len(ch.Remove) != 0 {
		t.Errorf("settings %+v: want only doh-resolvers added (clean-apps is back to the file)", set.Lists)
	}
	if len(set.Audit) != 3 || set.Audit[1].List != "builtin:clean-apps" || set.Audit[1].Old != true || set.Audit[1].New != false || set.Audit[1].By != "admin@test" {
		t.Errorf("audit %+v", set.Audit)
	}
	y, err := s.ExportSettings()
	if err != nil || !strings.Contains(string(y), "builtin:doh-resolvers") || !strings.Contains(string(y), "builtin:clean-apps") {
		t.Errorf("export: %v\n%s", err, y)
	}
	if _, err := s.SetList("default", "builtin:no-such-category", true, "admin@test"); err == nil {
		t.Error("a list that cannot be read was accepted")
	}
	if _, err := s.SetList("nosuch", "builtin:doh-resolvers", true, "admin@test"); err == nil {
		t.Error("an unknown group was accepted")
	}
	if got := len(s.Settings().Audit); got != 3 {
		t.Errorf("refused changes were stored: %d audit entries", got)
	}
	if got := rcodeOf(t, addr, "dns.google."); got != dns.RcodeNameError {
		t.Errorf("after refused changes dns.google answers %s", dns.RcodeToString[got])
	}
}
