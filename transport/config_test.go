package transport

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // error prefix; "" for valid
	}{
		{"off", Config{}, ""},
		{"DoH without a certificate: plain HTTP behind a proxy", Config{DoH: []string{"127.0.0.1:8080"}}, ""},
		{"bare hosts get ports", Config{DoT: []string{"0.0.0.0", "[::]"}, CertFile: "c", KeyFile: "k"}, ""},
		{"DoT needs a certificate", Config{DoT: []string{"0.0.0.0:853"}}, "tls.cert_file: "},
		{"DoQ needs a certificate", Config{DoQ: []string{"0.0.0.0"}}, "tls.cert_file: "},
		{"cert without key", Config{CertFile: "c"}, "tls: cert_file and key_file"},
		{"bad address", Config{DoH: []string{"1.2.3.4:5:6"}}, "tls.doh[0]: "},
		{"bad proxy", Config{TrustedProxies: []string{"10.0.0.0/8", "proxy"}}, "tls.trusted_proxies[1]: "},
		{"bad server name", Config{ServerName: "dns_example.net"}, "tls.server_name: "},
		{"negative idle", Config{IdleTimeout: -1}, "tls.idle_timeout: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want prefix %q", err, tc.want)
			}
		})
	}
}

func TestWithPort(t *testing.T) {
	for in, want := range map[string]string{
		"0.0.0.0": "0.0.0.0:853", "[::]": "[::]:853", "::1": "[::1]:853", "127.0.0.1:8853": "127.0.0.1:8853",
	} {
		if got := WithPort(in, "853"); got != want {
			t.Errorf("WithPort(%q) = %q, want %q", in, got, want)
		}
	}
}
