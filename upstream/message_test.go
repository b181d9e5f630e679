package upstream

import (
	"net"
	"testing"

	"github.com/miekg/dns"
)

func TestNewQueryBuildsCleanEDNS(t *testing.T) {
	ecs := &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, Address: net.ParseIP("198.51.100.0")}
	cookie := &dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0123456789abcdef"}
	tests := []struct {
		name       string
		client     func() *dns.Msg
		do, cd, rd bool
	}{
		{"no EDNS", func() *dns.Msg { return new(dns.Msg).SetQuestion("a.example.", dns.TypeA) }, false, false, true},
		{"DO and CD pass through", func() *dns.Msg {
			m := new(dns.Msg).SetQuestion("a.example.", dns.TypeA)
			m.SetEdns0(4096, true)
			m.CheckingDisabled = true
			return m
		}, true, true, true},
		{"ECS and cookie dropped", func() *dns.Msg {
			m := new(dns.Msg).SetQuestion("a.example.", dns.TypeAAAA)
			m.SetEdns0(512, false)
			o := m.IsEdns0()
			o.Option = append(o.Option, ecs, cookie)
			m.RecursionDesired = false
			return m
		}, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.client()
			q := newQuery(c)
			if q.Question[0] != c.Question[0] {
				t.Errorf("question %v, want %v", q.Question[0], c.Question[0])
			}
			o := q.IsEdns0()
			if o == nil {
				t.Fatal("no OPT record upstream")
			}
			if o.UDPSize() != 1232 || o.Do() != tt.do || len(o.Option) != 0 {
				t.Errorf("OPT size %d DO %v options %v; want 1232, %v, none", o.UDPSize(), o.Do(), o.Option, tt.do)
			}
			if q.CheckingDisabled != tt.cd || q.RecursionDesired != tt.rd {
				t.Errorf("CD %v RD %v, want %v %v", q.CheckingDisabled, q.RecursionDesired, tt.cd, tt.rd)
			}
			if len(q.Extra) != 1 || len(q.Answer)+len(q.Ns) != 0 {
				t.Errorf("extra sections leaked: %v", q)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	q := new(dns.Msg).SetQuestion("a.example.", dns.TypeA)
	q.Id = 7
	tests := []struct {
		name  string
		reply func() *dns.Msg
		want  bool
	}{
		{"match", func() *dns.Msg { return new(dns.Msg).SetReply(q) }, true},
		{"case differs", func() *dns.Msg {
			m := new(dns.Msg).SetReply(q)
			m.Question[0].Name = "A.EXAMPLE."
			return m
		}, true},
		{"id", func() *dns.Msg { m := new(dns.Msg).SetReply(q); m.Id = 8; return m }, false},
		{"class", func() *dns.Msg { m := new(dns.Msg).SetReply(q); m.Question[0].Qclass = dns.ClassCHAOS; return m }, false},
		{"no question", func() *dns.Msg { m := new(dns.Msg).SetReply(q); m.Question = nil; return m }, false},
		{"query not reply", func() *dns.Msg { m := q.Copy(); return m }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matches(q, tt.reply()); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
