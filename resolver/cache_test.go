package resolver

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/cache"
	"github.com/cleandns/cleandns/internal/fakeclock"
	"github.com/cleandns/cleandns/metrics"
	"github.com/cleandns/cleandns/query"
)

// fakeNext stands in for dedup and the forwarder: it counts calls and
// answers with A records of the given TTL, or fails, or blocks, as told.
type fakeNext struct {
	calls atomic.Int32
	ttl   atomic.Uint32
	fail  atomic.Bool   // return an error
	sfail atomic.Bool   // answer SERVFAIL
	gate  chan struct{} // when set, wait on it before answering
	res   atomic.Int32  // Result to report
}

func newFakeNext(ttl uint32) *fakeNext {
	f := &fakeNext{}
	f.ttl.Store(ttl)
	return f
}

func (f *fakeNext) Resolve(ctx context.Context, req *query.Request) (*query.Response, error) {
	f.calls.Add(1)
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.fail.Load() {
		return nil, errors.New("upstream timeout")
	}
	m := new(dns.Msg).SetReply(req.Msg)
	if f.sfail.Load() {
		m.Rcode = dns.RcodeServerFailure
		return &query.Response{Msg: m, Result: query.Forwarded, Upstream: "fake"}, nil
	}
	m.Answer = []dns.RR{&dns.A{
		Hdr: dns.RR_Header{Name: req.Msg.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: f.ttl.Load()},
		A:   net.IPv4(192, 0, 2, 1),
	}}
	return &query.Response{Msg: m, Result: query.Result(f.res.Load()), Upstream: "fake"}, nil
}

type linkEnv struct {
	link  *CacheLink
	clock *fakeclock.Clock
	next  *fakeNext
	m     *metrics.Metrics
}

func newLinkEnv(t testing.TB, edit func(*cache.Config), ttl uint32) *linkEnv {
	t.Helper()
	var cfg cache.Config
	cfg.SetDefaults()
	cfg.ClientTimeout = 50 * time.Millisecond // real time: the timer is not on the fake clock
	if edit != nil {
		edit(&cfg)
	}
	clk := fakeclock.New(time.Unix(1_700_000_000, 0))
	m := metrics.NewUnregistered()
	c, err := cache.New(cfg, m.Cache(), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	env := &linkEnv{link: NewCacheLink(c, m, zap.NewNop()), clock: clk, next: newFakeNext(ttl), m: m}
	t.Cleanup(env.link.Wait)
	return env
}

func newReq(name string, id uint16, do bool) *query.Request {
	m := new(dns.Msg).SetQuestion(name, dns.TypeA)
	m.Id = id
	if do {
		m.SetEdns0(1232, true)
	}
	return &query.Request{Msg: m, Name: strings.ToLower(name), Type: dns.TypeA, Group: query.DefaultGroup}
}

func (env *linkEnv) ask(t testing.TB, req *query.Request) *query.Response {
	t.Helper()
	resp, err := env.link.Resolve(context.Background(), req, env.next)
	if err != nil {
		t.Fatalf("Resolve(%s): %v", req.Name, err)
	}
	return resp
}

func ttlOf(r *query.Response) uint32 {
	m, err := r.Message()
	if err != nil || m == nil || len(m.Answer) == 0 {
		return 0
	}
	return m.Answer[0].Header().Ttl
}

// msgOf is the answer of r as a message, unpacked if it came packed.
func msgOf(t testing.TB, r *query.Response) *dns.Msg {
	t.Helper()
	m, err := r.Message()
	if err != nil || m == nil {
		t.Fatalf("answer: %v, %v", m, err)
	}
	return m
}

func value(t testing.TB, c interface{ Write(*dto.Metric) error }) float64 {
	t.Helper()
	var d dto.Metric
	if err := c.Write(&d); err != nil {
		t.Fatal(err)
	}
	return d.GetCounter().GetValue()
}
