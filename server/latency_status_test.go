package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
)

// TestStatusReportsUpstreamLatency: /status gives each upstream the median
// and 95th percentile of its recent exchanges, from real queries to an
// upstream that takes 25 ms and one that is never asked.
func TestStatusReportsUpstreamLatency(t *testing.T) {
	slow := dnstest.NewServer(t, dnstest.A("192.0.2.1"), dnstest.Delay(25*time.Millisecond))
	idle := dnstest.NewServer(t, dnstest.A("192.0.2.2"))
	s, c := adminClient(t, upstreamYAML(slow, idle)) // failover: the first answers everything
	for i := range 6 {
		if rc := rcodeOf(t, s.Addrs()[0], fmt.Sprintf("n%d.example.", i)); rc != dns.RcodeSuccess {
			t.Fatalf("query %d: %s", i, dns.RcodeToString[rc])
		}
	}
	st, err := c.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Upstreams) != 2 {
		t.Fatalf("upstreams %+v", st.Upstreams)
	}
	for _, tt := range []struct {
		name    string
		samples int
		minP50  float64
	}{
		{slow, 6, 25}, {idle, 0, 0},
	} {
		u := st.Upstreams[map[string]int{slow: 0, idle: 1}[tt.name]]
		if u.Name != tt.name || u.RTTSamples != tt.samples || u.P50Millis < tt.minP50 || u.P95Millis < u.P50Millis || (tt.samples > 0) != (u.RTTMillis > 0) {
			t.Errorf("%s: %+v, want %d samples with p50 at least %v ms", tt.name, u, tt.samples, tt.minP50)
		}
	}
}
