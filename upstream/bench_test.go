package upstream

import (
	"context"
	"testing"

	"github.com/cleandns/cleandns/internal/dnstest"
)

// BenchmarkExchangeUDP measures one forwarded query over loopback UDP,
// socket set-up and the fake server's work included.
func BenchmarkExchangeUDP(b *testing.B) {
	addr := dnstest.NewServer(b, dnstest.A("192.0.2.1"))
	f, err := NewForwarder(Config{Servers: []string{addr}}, nil, Deps{Metrics: NewMetrics()})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	q := query("example.com")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := f.Exchange(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
}
