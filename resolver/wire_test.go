package resolver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/cache"
	"github.com/cleandns/cleandns/internal/fakeclock"
	"github.com/cleandns/cleandns/metrics"
	"github.com/cleandns/cleandns/query"
)

// captureWriter is a UDP client's ResponseWriter that keeps what was sent.
type captureWriter struct {
	out    []byte
	packed bool // written with Write, not WriteMsg
}

func (w *captureWriter) LocalAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53}
}
func (w *captureWriter) RemoteAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
}
func (w *captureWriter) WriteMsg(m *dns.Msg) error {
	b, err := m.Pack()
	w.out = b
	return err
}
func (w *captureWriter) Write(b []byte) (int, error) {
	w.out, w.packed = append([]byte(nil), b...), true
	return len(b), nil
}
func (w *captureWriter) Close() error        { return nil }
func (w *captureWriter) TsigStatus() error   { return nil }
func (w *captureWriter) TsigTimersOnly(bool) {}
func (w *captureWriter) Hijack()             {}

// corpusUpstream answers like a real upstream would: with its own OPT and
// AD set, a CNAME chain for cname.*, 100 records for big.*, NXDOMAIN for nx.*.
func corpusUpstream(_ context.Context, req *query.Request) (*query.Response, error) {
	q := req.Msg.Question[0]
	m := new(dns.Msg)
	m.SetReply(req.Msg)
	m.AuthenticatedData = true
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			panic(err)
		}
		return r
	}
	switch {
	case dns.IsSubDomain("nx.example.", req.Name):
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{rr("example. 300 IN SOA ns.example. host.example. 1 2 3 4 60")}
	case dns.IsSubDomain("big.example.", req.Name):
		for i := range 100 {
			m.Answer = append(m.Answer, rr(fmt.Sprintf("%s 300 IN A 192.0.2.%d", q.Name, i+1)))
		}
	case dns.IsSubDomain("cname.example.", req.Name):
		m.Answer = append(m.Answer, rr(q.Name+" 300 IN CNAME edge.cdn.example."), rr("edge.cdn.example. 60 IN A 192.0.2.7"))
	default:
		m.Answer = append(m.Answer, rr(q.Name+" 300 IN A 192.0.2.1"))
		m.Extra = append(m.Extra, rr("ns.example. 300 IN A 192.0.2.53"))
	}
	m.SetEdns0(4096, true)
	return &query.Response{Msg: m, Result: query.Forwarded, Upstream: "fake"}, nil
}

// unpackLink turns packed answers into messages, so the edge takes the
// path every answer took before Response.Wire existed.
type unpackLink struct{}

func (unpackLink) Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error) {
	resp, err := next.Resolve(ctx, req)
	if err == nil && resp != nil {
		_, err = resp.Message()
	}
	return resp, err
}

// TestEdgeWireMatchesMsg checks a cache hit written packed (finishWire)
// says exactly what the same hit says through finish and miekg's packing.
func TestEdgeWireMatchesMsg(t *testing.T) {
	var cfg cache.Config
	cfg.SetDefaults()
	clk := fakeclock.New(time.Unix(1_700_000_000, 0))
	m := metrics.NewUnregistered()
	c, err := cache.New(cfg, m.Cache(), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	link := NewCacheLink(c, m, zap.NewNop())
	t.Cleanup(link.Wait)
	var down atomic.Bool // upstream failing: expired entries are served stale
	up := HandlerFunc(func(ctx context.Context, req *query.Request) (*query.Response, error) {
		if down.Load() {
			return nil, errors.New("upstream down")
		}
		return corpusUpstream(ctx, req)
	})
	fast := NewEdge(EdgeConfig{}, Build(Parts{Cache: link, Forward: up}), m, zap.NewNop())
	slow := NewEdge(EdgeConfig{}, Build(Parts{Any: unpackLink{}, Cache: link, Forward: up}), m, zap.NewNop())
	for _, stale := range []bool{false, true} {
		down.Store(stale)
		if stale {
			clk.Advance(time.Hour)
		}
		testWireCorpus(t, fast, slow, clk, stale)
	}
}

func testWireCorpus(t *testing.T, fast, slow *Edge, clk *fakeclock.Clock, stale bool) {
	for _, q := range wireCorpus() {
		t.Run(q.String(), func(t *testing.T) {
			packed := false
			ask := func(e *Edge) *dns.Msg {
				w := &captureWriter{}
				e.For("udp").ServeDNS(w, q.Copy())
				packed = w.packed
				var out dns.Msg
				if err := out.Unpack(w.out); err != nil {
					t.Fatal(err)
				}
				return &out
			}
			if !stale {
				ask(slow) // fills the cache
				clk.Advance(7 * time.Second)
			}
			got := ask(fast)
			fastPacked := packed
			want := ask(slow)
			name := q.Question[0].Name
			if wantPacked := name != `we\.ird.example.` && !(got.Truncated || want.Truncated); fastPacked != wantPacked {
				t.Errorf("written packed: %v, want %v", fastPacked, wantPacked)
			}
			// Compare what the messages say: compression may differ, and
			// with it each record's Rdlength.
			if stale && (len(got.Answer)+len(got.Ns) == 0 || (got.Answer != nil && got.Answer[0].Header().Ttl != 30)) {
				t.Errorf("not a stale answer: %v", got)
			}
			if got.String() != want.String() {
				t.Errorf("packed path:\n%v\nmessage path:\n%v", got, want)
			}
		})
	}
}

// wireCorpus is a set of queries that exercises every header bit and OPT
// case the edge sets.
func wireCorpus() []*dns.Msg {
	var out []*dns.Msg
	add := func(name string, qtype uint16, edit func(*dns.Msg)) {
		m := new(dns.Msg).SetQuestion(name, qtype)
		m.Id = uint16(len(out) + 1)
		edit(m)
		out = append(out, m)
	}
	for _, name := range []string{"www.example.", "WwW.ExAmPlE.", "a.cname.example.", "a.big.example.", "a.nx.example.", `we\.ird.example.`} {
		add(name, dns.TypeA, func(*dns.Msg) {})
		add(name, dns.TypeA, func(m *dns.Msg) { m.SetEdns0(1232, false) })
		add(name, dns.TypeA, func(m *dns.Msg) { m.SetEdns0(4096, true) })
		add(name, dns.TypeA, func(m *dns.Msg) { m.SetEdns0(512, false); m.CheckingDisabled = true })
		add(name, dns.TypeA, func(m *dns.Msg) { m.RecursionDesired = false })
	}
	return out
}

func unpackOrFail(t *testing.T, b []byte) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	if err := m.Unpack(b); err != nil {
		t.Fatal(err)
	}
	return m
}
