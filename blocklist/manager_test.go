package blocklist

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// fixedClock is the injected clock of the tests.
func fixedClock() func() time.Time {
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return func() time.Time { return t }
}

func newTestManager(t *testing.T, cfg Config, policies ...Policy) (*Manager, *Metrics) {
	t.Helper()
	met := NewMetrics()
	m, err := New(cfg, policies, Deps{Metrics: met, Now: fixedClock()})
	if err != nil {
		t.Fatal(err)
	}
	m.fetcher.sleep = func(context.Context, time.Duration) error { return nil }
	return m, met
}

func startManager(t *testing.T, m *Manager) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); m.Wait() })
}

func TestManagerBuiltinPolicy(t *testing.T) {
	m, met := newTestManager(t, Config{}, Policy{
		Name:  "default",
		Lists: []ListSpec{{Source: "builtin:clean-apps"}, {Source: "builtin:cloud-baidu", EDE: "filtered"}},
		Allow: []string{"www.qq.com", "@@||weixin.qq.com^"},
	})
	startManager(t, m)
	match := m.Matcher("default")
	tests := []struct {
		name    string
		blocked bool
		want    Rule
	}{
		{"tiktok.com", true, Rule{List: "builtin:apps-tiktok", Domain: "tiktok.com", EDE: 15}},
		{"www.TikTok.com.", true, Rule{List: "builtin:apps-tiktok", Domain: "tiktok.com", EDE: 15}},
		{"wechat.com", true, Rule{List: "builtin:apps-wechat", Domain: "wechat.com", EDE: 15}},
		{"bcebos.com", true, Rule{List: "builtin:cloud-baidu", Domain: "bcebos.com", EDE: 17}},
		{"mail.qq.com", true, Rule{List: "builtin:apps-other", Domain: "qq.com", EDE: 15}},
		{"a.www.qq.com", false, Rule{List: "allow:default", Domain: "www.qq.com", Allow: true}},
		{"weixin.qq.com", false, Rule{List: "allow:default", Domain: "weixin.qq.com", Allow: true}},
		{"com", false, Rule{}},
		{"example.org", false, Rule{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, blocked := match.Match(tt.name)
			if blocked != tt.blocked || got != tt.want {
				t.Errorf("Match(%q) = %+v, %v; want %+v, %v", tt.name, got, blocked, tt.want, tt.blocked)
			}
		})
	}
	if got := metricValue(t, met.Entries.WithLabelValues("builtin:apps-tiktok")); got != 197 {
		t.Errorf("entries metric = %v, want 197", got)
	}
	if err := m.Start(context.Background()); err == nil {
		t.Error("second Start accepted")
	}
	if _, blocked := m.Matcher("nope").Match("tiktok.com"); blocked {
		t.Error("unknown policy blocks")
	}
}

func TestMatchAllocatesNothing(t *testing.T) {
	m, _ := newTestManager(t, Config{}, Policy{Name: "p", Lists: []ListSpec{{Source: "builtin:clean-apps"}}, Allow: []string{"x.qq.com"}})
	startManager(t, m)
	match := m.Matcher("p")
	for _, name := range []string{"www.tiktok.com", "www.tiktok.com.", "example.org", "a.x.qq.com"} {
		if n := testing.AllocsPerRun(100, func() { match.Match(name) }); n != 0 {
			t.Errorf("Match(%q) allocates %v times", name, n)
		}
	}
}

func TestSharedListsLoadOnce(t *testing.T) {
	m, _ := newTestManager(t, Config{},
		Policy{Name: "kids", Lists: []ListSpec{{Source: "builtin:clean-apps"}, {Source: "builtin:doh-resolvers"}}},
		Policy{Name: "adults", Lists: []ListSpec{{Source: "builtin:apps-tiktok"}, {Source: "builtin:apps-wechat", Allow: true}}},
	)
	startManager(t, m)
	if n := len(m.Status()); n != 4 {
		t.Errorf("%d lists loaded, want 4 (apps-tiktok shared)", n)
	}
	if _, blocked := m.Matcher("adults").Match("qq.com"); blocked {
		t.Error("adults: qq.com blocked, but apps-other is not theirs")
	}
	if r, blocked := m.Matcher("adults").Match("wechat.com"); blocked || !r.Allow {
		t.Errorf("adults: wechat.com = %+v, %v; want allowed by the allowlist", r, blocked)
	}
	if _, blocked := m.Matcher("kids").Match("wechat.com"); !blocked {
		t.Error("kids: wechat.com not blocked")
	}
	if _, blocked := m.Matcher("kids").Match("dns.google"); !blocked {
		t.Error("kids: dns.google not blocked")
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		policies []Policy
		want     string
	}{
		{"unknown builtin", Config{}, []Policy{{Name: "p", Lists: []ListSpec{{Source: "builtin:clean-cable"}}}}, "builtin:clean-cable"},
		{"bad ede", Config{}, []Policy{{Name: "p", Lists: []ListSpec{{Source: "builtin:apps-tiktok", EDE: "nope"}}}}, "ede"},
		{"duplicate policy", Config{}, []Policy{{Name: "p"}, {Name: "p"}}, "twice"},
		{"no name", Config{}, []Policy{{}}, "no name"},
		{"empty source", Config{}, []Policy{{Name: "p", Lists: []ListSpec{{}}}}, "no source"},
		{"bad allow", Config{}, []Policy{{Name: "p", Allow: []string{"not a domain!"}}}, "not a domain!"},
		{"short refresh", Config{Refresh: time.Second}, nil, "blocking.refresh"},
		{"negative size", Config{MaxBytes: -1}, nil, "blocking.max_list_bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, tt.policies, Deps{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestListSpecUnmarshalText(t *testing.T) {
	var l ListSpec
	if err := l.UnmarshalText([]byte(" builtin:clean-apps ")); err != nil || l != (ListSpec{Source: "builtin:clean-apps"}) {
		t.Errorf("got %+v, %v", l, err)
	}
	if err := l.UnmarshalText(nil); err == nil {
		t.Error("empty source accepted")
	}
}

func TestConfigDefaults(t *testing.T) {
	c := DefaultConfig()
	if c.Refresh != 24*time.Hour || c.Timeout != 30*time.Second || c.MaxBytes != 64<<20 {
		t.Errorf("defaults %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestExplain(t *testing.T) {
	m, _ := newTestManager(t, Config{}, Policy{Name: "p", Lists: []ListSpec{{Source: "builtin:clean-apps"}}, Allow: []string{"weixin.qq.com"}})
	startManager(t, m)
	ex := m.Explain("p", "www.TikTok.com.")
	if !ex.Blocked || ex.Rule.List != "builtin:apps-tiktok" || ex.Rule.Text != "tiktok.com" || ex.Rule.Line < 20 {
		t.Errorf("Explain = %+v", ex)
	}
	ex = m.Explain("p", "weixin.qq.com")
	if ex.Blocked || !ex.Rule.Allow || ex.Rule.Line != 1 || len(ex.Matches) < 3 {
		t.Errorf("Explain(weixin.qq.com) = %+v; want allowed, with the qq.com and weixin rules listed", ex)
	}
	if ex := m.Explain("nope", "a.com"); ex.Note == "" {
		t.Error("unknown policy not explained")
	}
}

// metricValue reads a gauge or counter without the testutil package (which
// would add a dependency for one function).
func metricValue(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatal(err)
	}
	if out.Gauge != nil {
		return out.Gauge.GetValue()
	}
	return out.Counter.GetValue()
}

// TestRefreshLoop runs the background loop with an instant wait: each wait
// is the interval ±10%, and each pass reloads the lists.
func TestRefreshLoop(t *testing.T) {
	path := t.TempDir() + "/list"
	if err := os.WriteFile(path, []byte("one.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m, _ := newTestManager(t, Config{Refresh: time.Hour}, Policy{Name: "p", Lists: []ListSpec{{Source: path}}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waits []time.Duration
	m.wait = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		if len(waits) == 2 {
			if err := os.WriteFile(path, []byte("two.example\n"), 0o600); err != nil {
				t.Error(err)
			}
		}
		if len(waits) == 4 {
			cancel()
			return ctx.Err()
		}
		return nil
	}
	jitters := []float64{0, 0.5, 0.999, 0.25}
	m.jitter = func() float64 { j := jitters[0]; jitters = jitters[1:]; return j }
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	m.Wait()
	want := []time.Duration{54 * time.Minute, time.Hour, 65*time.Minute + 59*time.Second + 280*time.Millisecond, 57 * time.Minute}
	for i := range want {
		if diff := waits[i] - want[i]; diff < -time.Millisecond || diff > time.Millisecond {
			t.Errorf("wait %d = %v, want %v", i, waits[i], want[i])
		}
	}
	if _, blocked := m.Matcher("p").Match("two.example"); !blocked {
		t.Error("loop did not reload the changed file")
	}
}

// TestManyRegexesWarn: a list with more than 100 regex rules is loaded, and
// the metric and a warning say how many it holds.
func TestManyRegexesWarn(t *testing.T) {
	var list strings.Builder
	for i := range 101 {
		fmt.Fprintf(&list, "/^ad%d\\.example$/\n", i)
	}
	path := t.TempDir() + "/regexes"
	if err := os.WriteFile(path, []byte(list.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.WarnLevel)
	met := NewMetrics()
	m, err := New(Config{}, []Policy{{Name: "p", Lists: []ListSpec{{Source: path}}}}, Deps{Logger: zap.New(core), Metrics: met, Now: fixedClock()})
	if err != nil {
		t.Fatal(err)
	}
	startManager(t, m)
	if got := metricValue(t, met.RegexRules.WithLabelValues(path)); got != 101 {
		t.Errorf("regex metric %v, want 101", got)
	}
	if logs.FilterMessageSnippet("regex").Len() != 1 {
		t.Errorf("no regex warning in %v", logs.All())
	}
	if r, blocked := m.Matcher("p").Match("AD100.example."); !blocked || r.Domain != "ad100.example" {
		t.Errorf("Match = %+v, %v", r, blocked)
	}
}
