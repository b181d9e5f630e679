package upstream

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
)

func TestFailoverFirstDead(t *testing.T) {
	tests := []struct {
		name    string
		dead    func(t *testing.T) string
		maxTime time.Duration
	}{
		// Port unreachable: the connected UDP socket learns it at once.
		{"closed port", func(t *testing.T) string { return dnstest.ClosedAddr(t) }, 150 * time.Millisecond},
		// Silent: costs one per-attempt timeout (200ms here).
		{"silent", func(t *testing.T) string { return dnstest.NewServer(t, nil, dnstest.Drop()) }, 450 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dead := tt.dead(t)
			good := dnstest.NewServer(t, dnstest.A("192.0.2.2"))
			f := newTestForwarder(t, Config{Servers: []string{dead, good}, Timeout: 200 * time.Millisecond}, nil, Deps{})
			start := time.Now()
			if _, from := mustExchange(t, f, "example.com"); from != good {
				t.Errorf("answered by %s, want %s", from, good)
			}
			if d := time.Since(start); d > tt.maxTime {
				t.Errorf("failover took %v, want under %v", d, tt.maxTime)
			}
		})
	}
}

// TestMarkedDownThenRecovers: after MaxFails failures the first upstream
// is skipped (no more time lost on it); once it answers again, the
// background probe brings it back and failover order resumes.
func TestMarkedDownThenRecovers(t *testing.T) {
	var broken atomic.Bool
	broken.Store(true)
	var firstHits atomic.Int64
	first := dnstest.NewServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		if broken.Load() {
			_ = w.WriteMsg(new(dns.Msg).SetRcode(r, dns.RcodeRefused))
			return
		}
		dnstest.A("192.0.2.1")(w, r)
	}, dnstest.Count(&firstHits))
	second := dnstest.NewServer(t, dnstest.A("192.0.2.2"))
	m := NewMetrics()
	f := newTestForwarder(t, Config{Servers: []string{first, second}, MaxFails: 2}, nil, Deps{Metrics: m})

	for range 2 {
		if _, from := mustExchange(t, f, "example.com"); from != second {
			t.Fatalf("answered by %s, want failover to %s", from, second)
		}
	}
	if value(t, m.Healthy.WithLabelValues(first)) != 0 || f.Upstreams()[0].Healthy {
		t.Fatal("first upstream not marked down after MaxFails failures")
	}
	broken.Store(false)
	waitFor(t, "probe to bring the first upstream back", func() bool { return f.Upstreams()[0].Healthy })
	if _, from := mustExchange(t, f, "example.com"); from != first {
		t.Errorf("answered by %s after recovery, want %s", from, first)
	}
	if value(t, m.Healthy.WithLabelValues(first)) != 1 {
		t.Error("healthy gauge not back to 1")
	}
}

func TestAllDown(t *testing.T) {
	for _, failFast := range []bool{false, true} {
		t.Run(map[bool]string{false: "still tries", true: "fail fast"}[failFast], func(t *testing.T) {
			var ok atomic.Bool
			addr := dnstest.NewServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
				if !ok.Load() {
					_ = w.WriteMsg(new(dns.Msg).SetRcode(r, dns.RcodeRefused))
					return
				}
				dnstest.A("192.0.2.1")(w, r)
			})
			f := newTestForwarder(t, Config{Servers: []string{addr}, MaxFails: 1, FailFast: failFast},
				nil, Deps{ProbeBase: time.Hour})
			if _, _, err := f.Exchange(context.Background(), query("a.example")); err == nil {
				t.Fatal("REFUSED should be an error")
			}
			ok.Store(true)
			_, _, err := f.Exchange(context.Background(), query("a.example"))
			if failFast && !errors.Is(err, ErrAllDown) {
				t.Errorf("err = %v, want ErrAllDown", err)
			}
			if !failFast && err != nil {
				t.Errorf("err = %v, want the down upstream tried and answering", err)
			}
		})
	}
}

func TestDeadlineBoundsQuery(t *testing.T) {
	var servers []string
	for range 4 {
		servers = append(servers, dnstest.NewServer(t, nil, dnstest.Drop()))
	}
	f := newTestForwarder(t, Config{Servers: servers, Timeout: 200 * time.Millisecond, Deadline: 300 * time.Millisecond}, nil, Deps{})
	start := time.Now()
	_, _, err := f.Exchange(context.Background(), query("a.example"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 450*time.Millisecond {
		t.Errorf("took %v, want about the 300ms deadline", d)
	}
}

func TestServfailTriesNextUpstream(t *testing.T) {
	sf := dnstest.NewServer(t, nil, dnstest.Rcode(dns.RcodeServerFailure))
	good := dnstest.NewServer(t, dnstest.A("192.0.2.2"))
	f := newTestForwarder(t, Config{Servers: []string{sf, good}}, nil, Deps{})
	if _, from := mustExchange(t, f, "example.com"); from != good {
		t.Errorf("answered by %s, want %s", from, good)
	}
}

func TestFastestPrefersFaster(t *testing.T) {
	slow := dnstest.NewServer(t, dnstest.A("192.0.2.1"), dnstest.Delay(60*time.Millisecond))
	fast := dnstest.NewServer(t, dnstest.A("192.0.2.2"))
	f := newTestForwarder(t, Config{Servers: []string{slow, fast}, Strategy: StrategyFastest}, nil, Deps{})
	wins := map[string]int{}
	for range 10 {
		_, from := mustExchange(t, f, "example.com")
		wins[from]++
	}
	if wins[fast] < 9 {
		t.Errorf("fast upstream answered %d of 10, want nearly all: %v", wins[fast], wins)
	}
}

func TestPickWeightedFavoursLowLatency(t *testing.T) {
	fast := &upstream{rtt: time.Millisecond}
	slow := &upstream{rtt: 100 * time.Millisecond}
	third := &upstream{rtt: 100 * time.Millisecond}
	first := 0
	for range 1000 {
		ups := []*upstream{slow, third, fast}
		pickWeighted(ups, 2)
		if ups[0] == fast || ups[1] == fast {
			first++
		}
		if ups[0] == ups[1] {
			t.Fatal("picked the same upstream twice")
		}
	}
	if first < 950 {
		t.Errorf("fastest raced in %d of 1000 plans, want nearly all", first)
	}
}

func TestRandomSpreads(t *testing.T) {
	a := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
	b := dnstest.NewServer(t, dnstest.A("192.0.2.2"))
	f := newTestForwarder(t, Config{Servers: []string{a, b}, Strategy: StrategyRandom}, nil, Deps{})
	seen := map[string]int{}
	for range 40 {
		_, from := mustExchange(t, f, "example.com")
		seen[from]++
	}
	if seen[a] == 0 || seen[b] == 0 {
		t.Errorf("random strategy used %v", seen)
	}
}

func TestConditionalForwarding(t *testing.T) {
	def := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
	corp := dnstest.NewServer(t, dnstest.A("10.0.0.1"))
	dev := dnstest.NewServer(t, dnstest.A("10.0.0.2"))
	ad := dnstest.NewServer(t, dnstest.A("10.0.0.3"))
	f := newTestForwarder(t, Config{Servers: []string{def}}, []Zone{
		{Zone: "corp.example", Servers: []string{corp}},
		{Zone: "dev.corp.example.", Servers: []string{dev}, Strategy: StrategyRandom},
		{Zone: "ad.local", Servers: []string{ad}},
	}, Deps{})
	tests := []struct{ name, want string }{
		{"host.corp.example", corp},
		{"corp.example", corp},
		{"HOST.Corp.Example.", corp},
		{"a.dev.corp.example", dev},
		{"notcorp.example", def},
		{"example.com", def},
		{"dc1.ad.local", ad},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, from := mustExchange(t, f, tt.name); from != tt.want {
				t.Errorf("sent to %s, want %s", from, tt.want)
			}
			if got, want := f.Covers(tt.name), tt.want != def; got != want {
				t.Errorf("Covers = %v, want %v", got, want)
			}
		})
	}
}

func TestConcurrencyCap(t *testing.T) {
	release := make(chan struct{})
	addr := dnstest.NewServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		<-release
		dnstest.A("192.0.2.1")(w, r)
	})
	m := NewMetrics()
	f := newTestForwarder(t, Config{Servers: []string{addr}, MaxConcurrent: 2}, nil, Deps{Metrics: m})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, _, err := f.Exchange(context.Background(), query("held.example")); err != nil {
				t.Errorf("held query: %v", err)
			}
		})
	}
	waitFor(t, "two queries in flight", func() bool { return len(f.sem) == 2 })
	if _, _, err := f.Exchange(context.Background(), query("over.example")); !errors.Is(err, ErrOverloaded) {
		t.Errorf("third query: err = %v, want ErrOverloaded", err)
	}
	if got := value(t, m.Rejected); got != 1 {
		t.Errorf("rejected = %v, want 1", got)
	}
	close(release)
	wg.Wait()
}

func TestUpstreamsStatus(t *testing.T) {
	f := newTestForwarder(t, Config{Servers: []string{"192.0.2.53", "tcp://192.0.2.54"}},
		[]Zone{{Zone: "corp.example", Servers: []string{"tls://10.0.0.1:853#dc.corp.example"}}}, Deps{})
	want := []Status{
		{Name: "192.0.2.53", Protocol: ProtoUDP, Healthy: true},
		{Name: "tcp://192.0.2.54", Protocol: ProtoTCP, Healthy: true},
		{Name: "tls://10.0.0.1:853#dc.corp.example", Protocol: ProtoDoT, Zone: "corp.example.", Healthy: true},
	}
	got := f.Upstreams()
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestExchangeRejectsBadQueries(t *testing.T) {
	f := newTestForwarder(t, Config{Servers: []string{dnstest.NewServer(t, dnstest.A("192.0.2.1"))}}, nil, Deps{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		q    *dns.Msg
		want error
	}{
		{"no question", context.Background(), new(dns.Msg), nil},
		{"caller gone", ctx, query("a.example"), context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.Exchange(tt.ctx, tt.q)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestHealthTransitions(t *testing.T) {
	u := &upstream{}
	steps := []struct {
		name                string
		fail                bool
		wantDown, wantProbe bool
	}{
		{"first failure", true, false, false},
		{"second failure marks down", true, true, true},
		{"further failure: already down, probe running", true, false, false},
		{"success brings it up", false, false, false},
		{"fails again while old probe still winding down", true, false, false},
		{"down again: gauge must drop, old probe continues", true, true, false},
	}
	for _, s := range steps {
		if !s.fail {
			u.succeeded(time.Millisecond)
			continue
		}
		down, probe := u.failed(2)
		if down != s.wantDown || probe != s.wantProbe {
			t.Errorf("%s: wentDown %v startProbe %v, want %v %v", s.name, down, probe, s.wantDown, s.wantProbe)
		}
	}
	if !u.probing || u.stopProbing() {
		t.Error("the running probe must keep going while the upstream is down")
	}
}
