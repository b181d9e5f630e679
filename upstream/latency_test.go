package upstream

import (
	"testing"
	"time"

	"github.com/cleandns/cleandns/internal/dnstest"
)

func TestRecentLatency(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tests := []struct {
		name        string
		samples     []time.Duration
		p50, p95    time.Duration
		wantSamples int
	}{
		{name: "none"},
		{name: "one", samples: []time.Duration{ms(7)}, p50: ms(7), p95: ms(7), wantSamples: 1},
		{name: "1 to 100 ms, shuffled", samples: func() []time.Duration {
			var s []time.Duration
			for i := range 100 {
				s = append(s, ms((i*37)%100+1)) // 37 is prime to 100: every value once
			}
			return s
		}(), p50: ms(50), p95: ms(95), wantSamples: 100},
		{name: "only the last 128 count", samples: func() []time.Duration {
			var s []time.Duration
			for range 200 {
				s = append(s, ms(500)) // a slow start, pushed out
			}
			for range recentSamples {
				s = append(s, ms(3))
			}
			return s
		}(), p50: ms(3), p95: ms(3), wantSamples: recentSamples},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r rttRing
			for _, d := range tt.samples {
				r.add(d)
			}
			if got := r.latency(); got != (Latency{P50: tt.p50, P95: tt.p95, Samples: tt.wantSamples}) {
				t.Errorf("latency %+v, want p50 %v p95 %v of %d", got, tt.p50, tt.p95, tt.wantSamples)
			}
		})
	}
}

// TestUpstreamsReportRecentLatency: the status carries the median and 95th
// percentile of real exchanges with an upstream that takes 20 ms.
func TestUpstreamsReportRecentLatency(t *testing.T) {
	slow := dnstest.NewServer(t, dnstest.A("192.0.2.1"), dnstest.Delay(20*time.Millisecond))
	f := newTestForwarder(t, Config{Servers: []string{slow}}, nil, Deps{})
	if got := f.Upstreams()[0].Recent; got.Samples != 0 {
		t.Fatalf("before any exchange: %+v", got)
	}
	for range 5 {
		mustExchange(t, f, "example.com")
	}
	got := f.Upstreams()[0].Recent
	if got.Samples != 5 || got.P50 < 20*time.Millisecond || got.P95 < got.P50 || got.P95 > 2*time.Second {
		t.Errorf("after 5 exchanges of 20 ms: %+v", got)
	}
}
