package api

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"time"

	"github.com/cleandns/cleandns/querylog"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type fakeStatus struct{}

func (fakeStatus) Status(context.Context) Status {
	return Status{
		Lists:     []ListStatus{{Name: "builtin:clean-apps", Entries: 42, LastSuccess: t0}},
		Upstreams: []UpstreamStatus{{Name: "9.9.9.9:53", Healthy: true}},
	}
}

type fakePauser struct {
	mu     sync.Mutex
	paused map[string]time.Time
}

func (p *fakePauser) Pause(g string, d time.Duration) (time.Time, error) {
	if g == "nosuch" {
		return time.Time{}, errors.New(`group "nosuch" is not configured`)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused[g] = t0.Add(d)
	return t0.Add(d), nil
}

func (p *fakePauser) Resume(g string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.paused, g)
	return nil
}

func (p *fakePauser) Paused() map[string]time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]time.Time{}
	for k, v := range p.paused {
		out[k] = v
	}
	return out
}

type fakeRefresher struct{ err error }

func (f fakeRefresher) Refresh(context.Context) error { return f.err }

type fakeExplainer struct{}

func (fakeExplainer) Explain(_ context.Context, name string, client netip.Addr, id string) (Explanation, error) {
	if name == "ads.example." {
		return Explanation{Name: name, Group: "default", Blocked: true, List: "builtin:ads", Rule: "ads.example", Line: 3, Text: "blocked"}, nil
	}
	return Explanation{Name: name, Group: "default", ClientID: id, Text: "not blocked by " + client.String()}, nil
}

// fakeGroups puts 10.0.0.0/24 and the ID annas-phone in "kids", and
// says 10.0.0.53 is a trusted forwarder.
type fakeGroups struct{}

func (fakeGroups) ClientGroup(client netip.Addr, id string) ClientGroup {
	switch {
	case id == "annas-phone":
		return ClientGroup{Group: "kids", By: "id", Reason: "client ID annas-phone"}
	case client == netip.MustParseAddr("10.0.0.53"):
		return ClientGroup{Group: "default", By: "default", Reason: "no group names it", Forwarder: true}
	case netip.MustParsePrefix("10.0.0.0/24").Contains(client):
		return ClientGroup{Group: "kids", By: "network", Reason: "address in 10.0.0.0/24"}
	}
	return ClientGroup{Group: "default", By: "default", Reason: "no group names it"}
}

type fakeLog struct {
	got querylog.Query
}

func (f *fakeLog) Search(_ context.Context, q querylog.Query) ([]querylog.Record, error) {
	f.got = q
	return []querylog.Record{{Time: t0, Client: "10.0.0.5", Name: "ads.example.", Type: "A", Result: "blocked"}}, nil
}

func (f *fakeLog) Top(_ context.Context, kind querylog.TopKind, _ time.Time, n int) ([]querylog.Count, error) {
	return []querylog.Count{{Key: string(kind), Count: int64(n)}}, nil
}

type fakeCache struct{ n int }

func (c *fakeCache) Flush()   { c.n = 0 }
func (c *fakeCache) Len() int { return c.n }

type fakeAllow struct {
	mu sync.Mutex
	m  map[string]AllowEntry
}

func (a *fakeAllow) List() []AllowEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := []AllowEntry{}
	for _, e := range a.m {
		out = append(out, e)
	}
	return out
}

func (a *fakeAllow) Add(name, by string) (AllowEntry, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := AllowEntry{Name: name, Added: t0, By: by}
	a.m[name] = e
	return e, nil
}

func (a *fakeAllow) Remove(name string) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.m[name]
	delete(a.m, name)
	return ok, nil
}

func (f *fakeLog) Histogram(_ context.Context, since time.Time, step time.Duration) ([]querylog.Bucket, error) {
	cached := int64(2)
	return []querylog.Bucket{{Time: since, Total: 10, Blocked: 3, Cached: &cached}, {Time: since.Add(step), Total: 5, Blocked: 1}}, nil
}
