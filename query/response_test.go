package query

import (
	"slices"
	"testing"

	"github.com/miekg/dns"
)

// TestResponseAccessorsAgreeOnBothForms: a consumer reads rcode, CNAME
// targets and truncation the same way whether the answer came as a message
// or packed.
func TestResponseAccessorsAgreeOnBothForms(t *testing.T) {
	m := new(dns.Msg).SetQuestion("www.example.", dns.TypeA)
	m.Response, m.Truncated, m.Rcode = true, true, dns.RcodeNameError
	m.Answer = []dns.RR{
		&dns.CNAME{Hdr: dns.RR_Header{Name: "www.example.", Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 60}, Target: "edge.cdn.example."},
		&dns.A{Hdr: dns.RR_Header{Name: "edge.cdn.example.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: []byte{192, 0, 2, 1}},
	}
	wire, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		r      *Response
		packed bool
	}{
		{"message", &Response{Msg: m}, false},
		{"packed", &Response{Wire: wire, Targets: []string{"edge.cdn.example."}}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := slices.Collect(tt.r.CNAMETargets()); !slices.Equal(got, []string{"edge.cdn.example."}) {
				t.Errorf("CNAMETargets = %v", got)
			}
			if tt.r.Rcode() != dns.RcodeNameError || !tt.r.Truncated() || !tt.r.Sends() {
				t.Errorf("rcode %d, truncated %v, sends %v", tt.r.Rcode(), tt.r.Truncated(), tt.r.Sends())
			}
			if _, packed := tt.r.Packed(); packed != tt.packed {
				t.Errorf("Packed reports %v", packed)
			}
		})
	}
	if r := (&Response{}); r.Sends() || r.Rcode() != -1 || r.Truncated() {
		t.Error("an empty response claims an answer")
	}
}
