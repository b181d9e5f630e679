package cache

import (
	"testing"

	"github.com/miekg/dns"
)

// TestPatchCase checks the stored question name takes the client's
// spelling when it is the same name, and is left alone otherwise.
func TestPatchCase(t *testing.T) {
	tests := []struct {
		name, stored, asked, want string
	}{
		{"same spelling", "www.example.com.", "www.example.com.", "www.example.com."},
		{"0x20 case", "www.example.com.", "WwW.ExAmPlE.cOm.", "WwW.ExAmPlE.cOm."},
		{"last label's case", "www.example.com.", "www.example.COM.", "www.example.COM."},
		{"root", ".", ".", "."},
		{"another name", "www.example.com.", "www.example.org.", "www.example.com."},
		{"a longer name", "example.com.", "example.com.x.", "example.com."},
		{"a shorter name", "www.example.com.", "www.example.", "www.example.com."},
		{"labels split otherwise", "ab.c.", "a.bc.", "ab.c."},
		{"escaped", "a.b.example.", `a\.b.example.`, "a.b.example."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := make([]byte, 256)
			off, err := dns.PackDomainName(tt.stored, w, 0, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			w = w[:off]
			patchCase(w, tt.asked)
			got, _, err := dns.UnpackDomainName(w, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("patched to %q, want %q", got, tt.want)
			}
		})
	}
}
