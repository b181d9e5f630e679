package policy

import (
	"net/netip"
	"strings"
	"testing"
)

func TestNetworksContains(t *testing.T) {
	n, err := ParseNetworks("access.allow", []string{
		"10.0.0.0/8", "192.168.1.0/24", "192.168.2.0/24", "203.0.113.7",
		"fc00::/7", "2001:db8:1::/48", "::ffff:198.51.100.0/120", "::1/128",
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr string
		want bool
	}{
		{"10.0.0.0", true},
		{"10.255.255.255", true},
		{"11.0.0.0", false},
		{"9.255.255.255", false},
		{"192.168.1.77", true},
		{"192.168.2.1", true}, // merged with the /24 before it
		{"192.168.3.1", false},
		{"203.0.113.7", true},
		{"203.0.113.8", false},
		{"::ffff:10.1.2.3", true}, // IPv4-mapped: unmapped first
		{"::ffff:11.1.2.3", false},
		{"198.51.100.9", true}, // a mapped prefix matches plain IPv4
		{"fd12:3456::1", true},
		{"fe80::1", false},
		{"2001:db8:1:ffff::1", true},
		{"2001:db8:2::1", false},
		{"::1", true},
		{"::2", false},
		{"0.0.0.0", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := n.Contains(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("Contains(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
	if n.Contains(netip.Addr{}) {
		t.Error("the zero address matched")
	}
}

func TestNetworksEdges(t *testing.T) {
	all := MustParseNetworks("0.0.0.0/0", "::/0")
	for _, a := range []string{"0.0.0.0", "255.255.255.255", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"} {
		if !all.Contains(netip.MustParseAddr(a)) {
			t.Errorf("/0 does not contain %s", a)
		}
	}
	var empty *Networks
	if empty.Contains(netip.MustParseAddr("10.0.0.1")) || empty.Len() != 0 {
		t.Error("a nil set is not empty")
	}
	// Overlaps and adjacency merge into one range each.
	m := MustParseNetworks("10.0.0.0/9", "10.128.0.0/9", "10.1.0.0/16", "2001:db8::/33", "2001:db8:8000::/33")
	if m.Len() != 2 {
		t.Errorf("Len = %d, want 2 merged ranges", m.Len())
	}
	// Host bits are ignored: 10.1.2.3/8 is 10.0.0.0/8.
	if !MustParseNetworks("10.1.2.3/8").Contains(netip.MustParseAddr("10.200.0.1")) {
		t.Error("unmasked prefix not masked")
	}
}

func TestParseNetworksErrorNamesKey(t *testing.T) {
	_, err := ParseNetworks("access.allow", []string{"10.0.0.0/8", "::1/128", "10.0.0.0/33"})
	if err == nil || !strings.Contains(err.Error(), "access.allow[2]") || !strings.Contains(err.Error(), "not a network") {
		t.Errorf("err = %v, want it to name access.allow[2]", err)
	}
}

func BenchmarkNetworksContains(b *testing.B) {
	n, _ := ParseNetworks("access.allow", DefaultAccessConfig().Allow)
	v4, v6 := netip.MustParseAddr("192.168.7.9"), netip.MustParseAddr("2001:db8::1")
	b.ReportAllocs()
	for b.Loop() {
		n.Contains(v4)
		n.Contains(v6)
	}
}

// FuzzParseNetworks checks the parser never panics and that every address
// a parsed prefix holds is contained, its first and last included.
func FuzzParseNetworks(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "::1/128", "fe80::/10", "::ffff:10.0.0.0/104", "0.0.0.0/0", "192.0.2.1", "1.2.3.4/33", "::/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNetworks("fuzz", []string{s})
		if err != nil {
			return
		}
		p, err := parsePrefix(strings.TrimSpace(s))
		if err != nil {
			t.Fatalf("ParseNetworks accepted %q, parsePrefix did not: %v", s, err)
		}
		p = p.Masked()
		if !n.Contains(p.Addr()) {
			t.Errorf("%q does not contain its first address %s", s, p.Addr())
		}
		last := p.Addr().As16()
		hostBits := p.Addr().BitLen() - p.Bits()
		for i := 15; i >= 0 && hostBits > 0; i-- {
			k := min(8, hostBits)
			last[i] |= byte(1<<k - 1)
			hostBits -= k
		}
		la := netip.AddrFrom16(last)
		if p.Addr().Is4() {
			la = la.Unmap()
		}
		if !n.Contains(la) {
			t.Errorf("%q does not contain its last address %s", s, la)
		}
	})
}
