package groups

import (
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/fakeclock"
)

// BenchmarkSelect is the group link's cost per query: a client by its
// network, and one behind a trusted forwarder by its ECS address.
func BenchmarkSelect(b *testing.B) {
	list, lists := kidsConfig()
	g, err := New(list, Identity{Trusted: []string{"127.0.0.1"}}, Deps{Lists: lists.Matcher, Clock: fakeclock.New(time.Date(2025, 3, 3, 22, 0, 0, 0, time.UTC))})
	if err != nil {
		b.Fatal(err)
	}
	m := new(dns.Msg).SetQuestion("example.com.", dns.TypeA)
	m.SetEdns0(1232, false)
	m.IsEdns0().Option = []dns.EDNS0{ecs("192.168.60.9", 32)}
	src, fwd := mustAddr(b, "192.168.60.7"), mustAddr(b, "127.0.0.1")
	b.ReportAllocs()
	for b.Loop() {
		_ = g.Select(src, "", nil)
		_ = g.Select(fwd, "", m)
	}
}
