package dnssec

import (
	"strings"
	"testing"
)

func TestRootAnchors(t *testing.T) {
	a := RootAnchors()
	root := a["."]
	if root == nil || len(root.ds) != 2 {
		t.Fatalf("root anchors: %+v", a)
	}
	tags := map[uint16]bool{}
	for _, d := range root.ds {
		tags[d.KeyTag] = true
	}
	if !tags[20326] || !tags[38696] {
		t.Errorf("root anchor key tags %v, want 20326 and 38696", tags)
	}
}

func TestParseAnchors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		zones      int
		err        string
	}{
		{"DS", ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n", 1, ""},
		{"DNSKEY and comments", "; a private root\n$TTL 3600\nexample. DNSKEY 257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4= ; ksk\n", 1, ""},
		{"two zones", ". DS 1 8 2 AB\nexample. DS 2 13 2 CD\n", 2, ""},
		{"wrong type", "example. A 192.0.2.1\n", 0, "only DS and DNSKEY"},
		{"no zone bit", "example. DNSKEY 1 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=\n", 0, "zone-key bit"},
		{"empty", "; nothing\n", 0, "no DS or DNSKEY"},
		{"garbage", "this is not a zone file\n", 0, "trust anchors"},
		{"include", "$INCLUDE /etc/passwd\n", 0, "trust anchors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParseAnchors(strings.NewReader(tc.text), "test")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(a) != tc.zones {
				t.Errorf("%d zones, want %d", len(a), tc.zones)
			}
		})
	}
}

// FuzzParseAnchors: a trust-anchor file never panics the parser, and what
// it accepts holds only DS and zone DNSKEY records.
func FuzzParseAnchors(f *testing.F) {
	f.Add(". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n")
	f.Add("example. DNSKEY 257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=\n")
	f.Add("$TTL 60\n; c\nx. DS 1 2 3 00\n")
	f.Fuzz(func(t *testing.T, text string) {
		a, err := ParseAnchors(strings.NewReader(text), "fuzz")
		if err != nil {
			return
		}
		for zone, an := range a {
			if len(an.ds)+len(an.keys) == 0 {
				t.Fatalf("zone %q accepted with no records", zone)
			}
			for _, k := range an.keys {
				if k.Flags&256 == 0 {
					t.Fatalf("DNSKEY without the zone bit accepted")
				}
			}
		}
	})
}
