package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cleandns/cleandns/api"
	"github.com/cleandns/cleandns/internal/dnstest"
)

// TestStatusListsHostsFile: /status lists the hosts file's records after
// the config's, marked hosts_file; a config CNAME hides a hosts address of
// its name (it is not answered, so not listed); past api.HostsListed the
// count says how many there are.
func TestStatusListsHostsFile(t *testing.T) {
	for _, tt := range []struct {
		name      string
		extra     int // hosts lines beyond the two
		wantTotal int // Status.HostsRecords
	}{
		{name: "a few", extra: 0, wantTotal: 0},
		{name: "more than listed", extra: api.HostsListed, wantTotal: api.HostsListed + 3}, // nas: a name, an alias, an IPv6 address
	} {
		t.Run(tt.name, func(t *testing.T) {
			hosts := filepath.Join(t.TempDir(), "hosts")
			text := "192.168.1.10 nas.home.arpa nas\n# a comment\nfd00::10 nas.home.arpa\n192.168.1.11 tv.home.arpa\n"
			for i := range tt.extra {
				text += fmt.Sprintf("10.1.%d.%d h%d.home.arpa\n", i/250, i%250+1, i)
			}
			if err := os.WriteFile(hosts, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			up := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
			yaml := upstreamYAML(up) + "local_records:\n  hosts_file: " + hosts + "\n  records:\n    - {name: tv.home.arpa, type: CNAME, value: nas.home.arpa}\n"
			_, c := adminClient(t, yaml)
			st, err := c.Status(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range st.LocalRecords {
				got = append(got, r.Origin+" "+r.Name+" "+r.Type+" "+r.Value)
			}
			head := strings.Join(got[:min(len(got), 4)], "; ")
			want := " tv.home.arpa CNAME nas.home.arpa; hosts_file nas.home.arpa A 192.168.1.10; hosts_file nas A 192.168.1.10; hosts_file nas.home.arpa AAAA fd00::10"
			if head != want {
				t.Errorf("records %q\nwant first %q", head, want)
			}
			for _, r := range st.LocalRecords {
				if r.Origin == "hosts_file" && r.Name == "tv.home.arpa" {
					t.Errorf("tv.home.arpa's hosts address is listed, but the config's CNAME answers it")
				}
			}
			if n := len(st.LocalRecords); n > api.HostsListed+1 {
				t.Errorf("%d records listed, want at most %d", n, api.HostsListed+1)
			}
			if st.HostsRecords != tt.wantTotal {
				t.Errorf("hosts_records %d, want %d", st.HostsRecords, tt.wantTotal)
			}
		})
	}
}
