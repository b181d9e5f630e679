package groups

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestChooseSaysWhy: Choose names the same group as Select, with what
// chose it and a reason that names the network, ID, MAC or ECS address.
func TestChooseSaysWhy(t *testing.T) {
	g := newGroups(t, []cfgGroup{
		{Name: "kids", Clients: []string{"192.168.60.0/24", "id:kids-tablet"}, MACs: []string{"aa:bb:cc:dd:ee:01"}},
		{Name: "router", Clients: []string{"10.0.0.1"}},
	}, Identity{Trusted: []string{"10.0.0.1"}}, nil, nil)
	mac := &dns.EDNS0_LOCAL{Code: 65001, Data: []byte{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x01}}
	tests := []struct {
		name, src, id string
		opts          []dns.EDNS0
		group         string
		by            By
		reason        []string
	}{
		{"network", "192.168.60.7", "", nil, "kids", ByNetwork, []string{"192.168.60.7 is in 192.168.60.0/24"}},
		{"client ID", "203.0.113.9", "kids-tablet", nil, "kids", ByID, []string{"client ID kids-tablet", "id:kids-tablet"}},
		{"unknown client ID", "192.168.60.7", "nobody", nil, "kids", ByNetwork, []string{"client ID nobody is in no group", "192.168.60.0/24"}},
		{"nothing", "203.0.113.9", "", nil, "default", ByDefault, []string{"no group names it"}},
		{"MAC", "10.0.0.1", "", []dns.EDNS0{mac}, "kids", ByMAC, []string{"MAC aa:bb:cc:dd:ee:01", "trusted forwarder 10.0.0.1"}},
		{"ECS", "10.0.0.1", "", []dns.EDNS0{ecs("192.168.60.9", 32)}, "kids", ByECS, []string{"ECS address 192.168.60.9", "10.0.0.1", "192.168.60.0/24"}},
		{"ECS unmatched", "10.0.0.1", "", []dns.EDNS0{ecs("172.16.0.1", 32)}, "default", ByDefault, []string{"ECS address 172.16.0.1"}},
		{"forwarder without options", "10.0.0.1", "", nil, "router", ByNetwork, []string{"10.0.0.1 is in 10.0.0.1/32", "trusted forwarder"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m *dns.Msg
			if tt.opts != nil {
				m = new(dns.Msg).SetQuestion("example.com.", dns.TypeA)
				m.SetEdns0(1232, false)
				m.IsEdns0().Option = tt.opts
			}
			sel := g.Choose(mustAddr(t, tt.src), tt.id, m)
			if sel.Group != tt.group || sel.By != tt.by || g.Select(mustAddr(t, tt.src), tt.id, m) != sel.Group {
				t.Errorf("Choose = %s by %s, want %s by %s", sel.Group, sel.By, tt.group, tt.by)
			}
			for _, w := range tt.reason {
				if !strings.Contains(sel.Reason(), w) {
					t.Errorf("reason %q does not say %q", sel.Reason(), w)
				}
			}
		})
	}
}
