package transport

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// fakeHandler answers every query with an A record naming how it was
// answered: inline, resumed or through For (TCP, stock UDP).
type fakeHandler struct {
	inline bool
	lanes  *sync.Map // the lanes ServeInline was called with, when set
}

func answer(r *dns.Msg, how string) *dns.Msg {
	m := new(dns.Msg).SetReply(r)
	m.Answer = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{how}}}
	return m
}

func (f fakeHandler) For(protocol string) dns.Handler {
	return dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) { _ = w.WriteMsg(answer(r, protocol)) })
}

func (f fakeHandler) ServeInline(r *dns.Msg, _ netip.Addr, lane int, _ time.Time, buf []byte, send func([]byte) error) func(dns.ResponseWriter) {
	if f.lanes != nil {
		f.lanes.Store(lane, true)
	}
	resume := func(w dns.ResponseWriter) { _ = w.WriteMsg(answer(r, "resumed")) }
	if !f.inline {
		return resume
	}
	out, err := answer(r, "inline").PackBuffer(buf[:cap(buf)])
	if err == nil {
		err = send(out)
	}
	if err != nil {
		return resume
	}
	return nil
}

func TestListenDNSFeedsTheHandler(t *testing.T) {
	for _, tt := range []struct {
		name    string
		h       fakeHandler
		opts    DNSOptions
		net     string
		answers string
	}{
		{"udp inline", fakeHandler{inline: true}, DNSOptions{}, "udp", "inline"},
		{"udp resumed", fakeHandler{}, DNSOptions{}, "udp", "resumed"},
		{"udp stock", fakeHandler{}, DNSOptions{StockUDP: true}, "udp", "udp"},
		{"tcp", fakeHandler{}, DNSOptions{}, "tcp", "tcp"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ListenDNS("127.0.0.1:0", tt.h, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			errc := make(chan error, 4)
			l.Serve(errc)
			c := &dns.Client{Net: tt.net, Timeout: 2 * time.Second}
			r, _, err := c.Exchange(new(dns.Msg).SetQuestion("a.example.", dns.TypeTXT), l.Addr())
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Answer) != 1 || r.Answer[0].(*dns.TXT).Txt[0] != tt.answers {
				t.Errorf("answer %v, want one TXT %q", r.Answer, tt.answers)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if err := l.Shutdown(ctx); err != nil {
				t.Errorf("shutdown: %v", err)
			}
			select {
			case err := <-errc:
				t.Errorf("serve: %v", err)
			default:
			}
		})
	}
}
