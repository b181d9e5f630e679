package dnstest

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func TestNewServerOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    []Option
		net     string
		rcode   int // -1: expect an error (no usable reply)
		answers int
		trunc   bool
	}{
		{"answers udp", nil, "udp", dns.RcodeSuccess, 1, false},
		{"answers tcp", nil, "tcp", dns.RcodeSuccess, 1, false},
		{"servfail", []Option{Rcode(dns.RcodeServerFailure)}, "udp", dns.RcodeServerFailure, 0, false},
		{"truncate udp", []Option{Truncate()}, "udp", dns.RcodeSuccess, 0, true},
		{"truncate answers tcp", []Option{Truncate()}, "tcp", dns.RcodeSuccess, 1, false},
		{"drop", []Option{Drop()}, "udp", -1, 0, false},
		{"garbage", []Option{Garbage()}, "udp", -1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			addr := NewServer(t, A("192.0.2.1"), append(tt.opts, Count(&n))...)
			c := &dns.Client{Net: tt.net, Timeout: 200 * time.Millisecond}
			r, _, err := c.Exchange(new(dns.Msg).SetQuestion("a.example.", dns.TypeA), addr)
			if tt.rcode < 0 {
				if err == nil {
					t.Fatalf("want an error, got %v", r)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if r.Rcode != tt.rcode || len(r.Answer) != tt.answers || r.Truncated != tt.trunc {
				t.Errorf("rcode %d, %d answers, TC %v", r.Rcode, len(r.Answer), r.Truncated)
			}
			if n.Load() != 1 {
				t.Errorf("counted %d queries, want 1", n.Load())
			}
		})
	}
}
