package upstream

import (
	"strings"
	"testing"
	"time"
)

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in                   string
		proto, host, srvName string
		port                 uint16
		err                  string
	}{
		{in: "1.1.1.1", proto: ProtoUDP, host: "1.1.1.1", port: 53},
		{in: "1.1.1.1:5353", proto: ProtoUDP, host: "1.1.1.1", port: 5353},
		{in: "[::1]:53", proto: ProtoUDP, host: "::1", port: 53},
		{in: "::1", proto: ProtoUDP, host: "::1", port: 53},
		{in: "udp://9.9.9.9", proto: ProtoUDP, host: "9.9.9.9", port: 53},
		{in: "tcp://9.9.9.9:54", proto: ProtoTCP, host: "9.9.9.9", port: 54},
		{in: "tls://dns.quad9.net:853", proto: ProtoDoT, host: "dns.quad9.net", port: 853, srvName: "dns.quad9.net"},
		{in: "tls://9.9.9.9:853#dns.quad9.net", proto: ProtoDoT, host: "9.9.9.9", port: 853, srvName: "dns.quad9.net"},
		{in: "tls://[2620:fe::fe]:853#dns.quad9.net", proto: ProtoDoT, host: "2620:fe::fe", port: 853, srvName: "dns.quad9.net"},
		{in: "https://dns.example/dns-query", proto: ProtoDoH, host: "dns.example", port: 443, srvName: "dns.example"},
		{in: "https://127.0.0.1:8443/q", proto: ProtoDoH, host: "127.0.0.1", port: 8443, srvName: "127.0.0.1"},
		{in: "tls://x", err: "missing port"},
		{in: "ftp://1.1.1.1", err: "unknown scheme"},
		{in: "1.1.1.1:0", err: "invalid port"},
		{in: "1.1.1.1:99999", err: "invalid port"},
		{in: "udp://", err: "missing host"},
		{in: "https:///dns-query", err: "missing host"},
		{in: "https://dns.example:70000/dns-query", err: "invalid port"},
		{in: "bad host:53", err: "invalid host"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := parseEndpoint(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.proto != tt.proto || e.host != tt.host || e.port != tt.port || e.serverName != tt.srvName {
				t.Errorf("got %s %s %d %q, want %s %s %d %q", e.proto, e.host, e.port, e.serverName,
					tt.proto, tt.host, tt.port, tt.srvName)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		err  string // "" for valid
	}{
		{"defaults", Config{Servers: []string{"1.1.1.1"}}, ""},
		{"no servers", Config{}, "upstreams.servers: at least one"},
		{"bad server names index", Config{Servers: []string{"1.1.1.1", "tls://x"}}, `upstreams.servers[1]: "tls://x": missing port`},
		{"bad strategy", Config{Servers: []string{"1.1.1.1"}, Strategy: "best"}, "upstreams.strategy"},
		{"host needs bootstrap", Config{Servers: []string{"tls://dns.quad9.net:853"}}, "upstreams.bootstrap: required"},
		{"host with bootstrap", Config{Servers: []string{"tls://dns.quad9.net:853"}, Bootstrap: []string{"9.9.9.9"}}, ""},
		{"bad bootstrap", Config{Servers: []string{"1.1.1.1"}, Bootstrap: []string{"dns.google"}}, "upstreams.bootstrap[0]"},
		{"deadline under timeout", Config{Servers: []string{"1.1.1.1"}, Timeout: 3 * time.Second, Deadline: time.Second}, "upstreams.deadline"},
		{"negative cap", Config{Servers: []string{"1.1.1.1"}, MaxConcurrent: -1}, "upstreams.max_concurrent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.SetDefaults()
			err := tt.cfg.Validate()
			if tt.err == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}

func TestValidateZones(t *testing.T) {
	tests := []struct {
		name  string
		zones []Zone
		err   string
	}{
		{"valid", []Zone{{Zone: "corp.example", Servers: []string{"10.0.0.1"}}, {Zone: "10.in-addr.arpa.", Servers: []string{"10.0.0.1"}, Strategy: "random"}}, ""},
		{"no servers", []Zone{{Zone: "corp.example"}}, "forward_zones[0].servers"},
		{"bad server", []Zone{{Zone: "corp.example", Servers: []string{"10.0.0.1", "tls://x"}}}, `forward_zones[0].servers[1]: "tls://x"`},
		{"duplicate", []Zone{{Zone: "corp.example", Servers: []string{"10.0.0.1"}}, {Zone: "CORP.example.", Servers: []string{"10.0.0.2"}}}, "forward_zones[1].zone"},
		{"empty zone", []Zone{{Servers: []string{"10.0.0.1"}}}, "forward_zones[0].zone"},
		{"bad strategy", []Zone{{Zone: "a.example", Servers: []string{"10.0.0.1"}, Strategy: "x"}}, "forward_zones[0].strategy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateZones(tt.zones, nil)
			if tt.err == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}
