package cache

import (
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/cleandns/cleandns/internal/fakeclock"
)

func newClock() *fakeclock.Clock { return fakeclock.New(time.Unix(1_700_000_000, 0)) }

func testConfig() Config {
	var cfg Config
	cfg.SetDefaults()
	return cfg
}

func newTestCache(t testing.TB, cfg Config) (*Cache, *fakeclock.Clock, Metrics) {
	t.Helper()
	clk := newClock()
	m := NewMetrics()
	c, err := New(cfg, m, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	return c, clk, m
}

func value(t testing.TB, c prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := c.Write(&d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}

// answer builds an upstream reply to name/A with one A record per TTL.
func answer(name string, ttls ...uint32) *dns.Msg {
	q := new(dns.Msg).SetQuestion(name, dns.TypeA)
	m := new(dns.Msg).SetReply(q)
	for i, ttl := range ttls {
		m.Answer = append(m.Answer, &dns.A{
			Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl},
			A:   net.IPv4(192, 0, 2, byte(i+1)),
		})
	}
	return m
}

// negative builds an NXDOMAIN (or NODATA) reply with an SOA, or none when soaTTL is 0.
func negative(name string, rcode int, soaTTL, minimum uint32) *dns.Msg {
	q := new(dns.Msg).SetQuestion(name, dns.TypeA)
	m := new(dns.Msg).SetRcode(q, rcode)
	if soaTTL > 0 {
		m.Ns = append(m.Ns, &dns.SOA{
			Hdr: dns.RR_Header{Name: "example.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: soaTTL},
			Ns:  "ns.example.", Mbox: "host.example.", Serial: 1, Refresh: 2, Retry: 3, Expire: 4, Minttl: minimum,
		})
	}
	return m
}

func keyA(name string) Key { return NewKey(name, dns.TypeA, dns.ClassINET, false, false) }

// hit returns the unpacked answer a client with id and qname would get.
func hit(t testing.TB, e *Entry, id uint16, qname string, now time.Time) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	if err := m.Unpack(e.AppendWire(nil, id, qname, now)); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustSet(t testing.TB, c *Cache, k Key, m *dns.Msg) {
	t.Helper()
	ok, err := c.Set(k, m)
	if err != nil || !ok {
		t.Fatalf("Set(%v) = %v, %v; want stored", k, ok, err)
	}
}
