package upstream_test

import (
	"context"
	"fmt"

	"github.com/miekg/dns"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/upstream"
)

// The forward link's use of a Forwarder: build it from the config sections,
// refuse a configuration that points at ourselves, then exchange.
func ExampleForwarder() {
	cfg := upstream.Config{
		Servers:   []string{"tls://1.1.1.1:853#cloudflare-dns.com", "https://dns.quad9.net/dns-query"},
		Bootstrap: []string{"9.9.9.9"},
		Strategy:  upstream.StrategyFastest,
	}
	zones := []upstream.Zone{{Zone: "corp.example", Servers: []string{"10.0.0.53"}}}
	f, err := upstream.NewForwarder(cfg, zones, upstream.Deps{Logger: zap.NewNop(), Metrics: upstream.NewMetrics()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	if err := f.CheckSelf([]string{"127.0.0.1:53"}); err != nil {
		fmt.Println(err)
		return
	}
	q := new(dns.Msg).SetQuestion("example.com.", dns.TypeA)
	reply, from, err := f.Exchange(context.Background(), q)
	if err != nil {
		fmt.Println("SERVFAIL:", err) // the link answers SERVFAIL
		return
	}
	fmt.Println(dns.RcodeToString[reply.Rcode], "from", from)
}
