package cache

import (
	"reflect"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestAppendBare checks the bare answer is AppendWire's minus the OPT, and
// that entries whose OPT cannot be cut off say so.
func TestAppendBare(t *testing.T) {
	glue := &dns.A{Hdr: dns.RR_Header{Name: "ns.example.com.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300}, A: []byte{192, 0, 2, 53}}
	tests := []struct {
		name     string
		edit     func(m *dns.Msg)
		wantBare bool
	}{
		{"no OPT", func(m *dns.Msg) {}, true},
		{"OPT last", func(m *dns.Msg) { m.SetEdns0(4096, true) }, true},
		{"OPT after glue", func(m *dns.Msg) { m.Extra = append(m.Extra, glue); m.SetEdns0(4096, false) }, true},
		{"record after OPT", func(m *dns.Msg) { m.SetEdns0(4096, false); m.Extra = append(m.Extra, glue) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, clk, _ := newTestCache(t, testConfig())
			k := keyA("www.example.com.")
			up := answer("www.example.com.", 300)
			tt.edit(up)
			mustSet(t, c, k, up)
			clk.Advance(100 * time.Second)
			e, _ := c.Get(k, clk.Now())
			for _, stale := range []bool{false, true} {
				bare, ok := e.AppendBare(nil, 0x4242, "WWW.example.COM.", clk.Now(), stale)
				if ok != tt.wantBare {
					t.Fatalf("stale=%v: bare %v, want %v", stale, ok, tt.wantBare)
				}
				if !ok {
					continue
				}
				full := e.AppendWire(nil, 0x4242, "WWW.example.COM.", clk.Now())
				if stale {
					full = e.AppendStale(nil, 0x4242, "WWW.example.COM.")
				}
				var b, f dns.Msg
				if err := b.Unpack(bare); err != nil {
					t.Fatal(err)
				}
				if err := f.Unpack(full); err != nil {
					t.Fatal(err)
				}
				if b.IsEdns0() != nil {
					t.Errorf("stale=%v: bare answer has an OPT", stale)
				}
				var extra []dns.RR
				for _, rr := range f.Extra {
					if rr.Header().Rrtype != dns.TypeOPT {
						extra = append(extra, rr)
					}
				}
				f.Extra = extra
				if !reflect.DeepEqual(b, f) {
					t.Errorf("stale=%v:\nbare %v\nfull %v", stale, &b, &f)
				}
			}
		})
	}
}
