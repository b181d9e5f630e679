package groups

import (
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/blocklist"
)

// fakeClock is a Clock tests move by hand; Advance runs the due AfterFuncs.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	for _, t := range c.timers {
		if !t.stopped && !t.at.After(c.now) {
			t.stopped = true
			due = append(due, t.f)
		}
	}
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// mapMatcher blocks the names in block (and their subdomains) unless allow
// has them; policy names the list in the rules it returns.
type mapMatcher struct {
	list         string
	block, allow []string
}

func (m *mapMatcher) Match(name string) (blocklist.Rule, bool) {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	for _, a := range m.allow {
		if dns.IsSubDomain(a, name) {
			return blocklist.Rule{List: "allow", Domain: a, Allow: true}, false
		}
	}
	for _, b := range m.block {
		if dns.IsSubDomain(b, name) {
			return blocklist.Rule{List: m.list, Domain: b, Text: b}, true
		}
	}
	return blocklist.Rule{}, false
}

// fakeLists maps policy names to matchers, like the blocklist Manager.
type fakeLists map[string]blocklist.Matcher

func (f fakeLists) Matcher(policy string) blocklist.Matcher { return f[policy] }

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	return netip.MustParseAddr(s)
}

func boolp(b bool) *bool { return &b }
