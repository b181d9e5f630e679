package policy

import (
	"net/netip"
	"strings"
	"testing"
)

func TestAccessDefaults(t *testing.T) {
	a, err := NewAccess(DefaultAccessConfig())
	if err != nil {
		t.Fatal(err)
	}
	if a.Drop() {
		t.Error("default action drops")
	}
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "::1": true, "10.9.8.7": true, "172.31.0.1": true, "172.32.0.1": false,
		"192.168.0.1": true, "100.64.0.1": true, "169.254.1.1": true, "fd00::1": true, "fe80::1": true,
		"8.8.8.8": false, "2001:4860:4860::8888": false, "::ffff:192.168.0.1": true,
	} {
		if got := a.Allowed(netip.MustParseAddr(addr), ""); got != want {
			t.Errorf("Allowed(%s) = %v, want %v", addr, got, want)
		}
	}
}

// TestAccessClientID: a device allowed by its client ID is answered from
// any address; other IDs do not widen the networks.
func TestAccessClientID(t *testing.T) {
	a, err := NewAccess(AccessConfig{Allow: []string{"10.0.0.0/8", "id:Annas-Phone"}, Action: "refuse"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr, id string
		want     bool
	}{
		{"203.0.113.9", "annas-phone", true},
		{"203.0.113.9", "toms-phone", false},
		{"203.0.113.9", "", false},
		{"10.1.2.3", "", true},
	}
	for _, tt := range tests {
		if got := a.Allowed(netip.MustParseAddr(tt.addr), tt.id); got != tt.want {
			t.Errorf("Allowed(%s, %q) = %v, want %v", tt.addr, tt.id, got, tt.want)
		}
	}
	if _, err := NewAccess(AccessConfig{Allow: []string{"id:only"}, Action: "refuse"}); err != nil {
		t.Errorf("an allow list of IDs only: %v", err)
	}
}

func TestAccessConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  AccessConfig
		want string // "" for valid
	}{
		{"defaults", DefaultAccessConfig(), ""},
		{"drop, any case", AccessConfig{Allow: []string{"10.0.0.0/8"}, Action: "DROP"}, ""},
		{"bad network", AccessConfig{Allow: []string{"10.0.0.0/8", "::1/128", "fe80::/129"}, Action: "refuse"}, "access.allow[2]"},
		{"empty allow", AccessConfig{Action: "refuse"}, "access.allow: empty"},
		{"bad action", AccessConfig{Allow: []string{"10.0.0.0/8"}, Action: "ignore"}, "access.action"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}
