package runstate

import (
	"fmt"
	"testing"
	"time"
)

// Two stores over one Backend stand for two instances sharing Redis: each
// hears the other's changes, never its own.
func TestSettingsHearOthersChanges(t *testing.T) {
	b := NewDir(map[string]string{DocSettings: t.TempDir() + "/settings.json"})
	a, err := OpenSettings(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	o, err := OpenSettings(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	var heardA, heardO int
	a.OnChange(func() { heardA++ })
	o.OnChange(func() { heardO++ })

	if err := a.Save(a.Get().WithList("default", "builtin:clean-apps", true, false), Change{By: "test"}); err != nil {
		t.Fatal(err)
	}
	if heardA != 0 || heardO != 1 {
		t.Fatalf("after a's change: a heard %d, o heard %d; want 0 and 1", heardA, heardO)
	}
	if got := o.Get().Lists["default"].Add; len(got) != 1 || got[0] != "builtin:clean-apps" {
		t.Errorf("o reads %v", got)
	}
	if err := o.Save(o.Get().WithList("default", "builtin:clean-apps", false, false), Change{By: "test"}); err != nil {
		t.Fatal(err)
	}
	if heardA != 1 || heardO != 1 {
		t.Fatalf("after o's change: a heard %d, o heard %d; want 1 and 1", heardA, heardO)
	}
	if len(a.Get().Lists) != 0 {
		t.Errorf("a reads %v after the switch back", a.Get().Lists)
	}
	// The same document set again is no change.
	b.Watch(func(string) {})
	cur, _ := b.Get(DocSettings)
	if err := b.Set(DocSettings, cur); err != nil {
		t.Fatal(err)
	}
	if heardA != 1 || heardO != 1 {
		t.Errorf("an unchanged document was heard: a %d, o %d", heardA, heardO)
	}
}

func TestRefreshRequestsReachOthers(t *testing.T) {
	b := NewDir(nil)
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	old, err := OpenRefreshes(b, clock)
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Request("dns0"); err != nil {
		t.Fatal(err)
	}
	// An instance that starts after a request does not act on it.
	a, _ := OpenRefreshes(b, clock)
	o, _ := OpenRefreshes(b, clock)
	var byA, byO []string
	a.OnRequest(func(r RefreshRequest) { byA = append(byA, r.By) })
	o.OnRequest(func(r RefreshRequest) { byO = append(byO, r.By) })
	if len(byA)+len(byO) != 0 {
		t.Fatalf("a request from before start was acted on: %v %v", byA, byO)
	}
	if err := a.Request("dns1"); err != nil {
		t.Fatal(err)
	}
	if len(byA) != 0 || len(byO) != 1 || byO[0] != "dns1" {
		t.Fatalf("a's request: a heard %v, o heard %v", byA, byO)
	}
	if err := o.Request("dns2"); err != nil {
		t.Fatal(err)
	}
	if len(byA) != 1 || byA[0] != "dns2" || len(byO) != 1 {
		t.Fatalf("o's request: a heard %v, o heard %v", byA, byO)
	}
	// A request that arrives more than a minute after it was made is stale.
	stale := RefreshRequest{ID: "stale", At: now.Add(-2 * time.Minute), By: "dns3"}
	doc := []byte(`{"id":"` + stale.ID + `","at":"` + stale.At.Format(time.RFC3339) + `","by":"dns3"}`)
	if err := b.Set(DocRefresh, doc); err != nil {
		t.Fatal(err)
	}
	if len(byA) != 1 || len(byO) != 1 {
		t.Errorf("a stale request was acted on: a %v, o %v", byA, byO)
	}
}

// TestRefreshRequestsAreBounded: another instance (a bug, a loop, a
// skewed clock) cannot make this one refresh its lists without pause: a
// flood of requests is acted on once per refreshMinGap, and one dated in
// the future is not acted on.
func TestRefreshRequestsAreBounded(t *testing.T) {
	b := NewDir(nil)
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	r, err := OpenRefreshes(b, clock)
	if err != nil {
		t.Fatal(err)
	}
	var heard int
	r.OnRequest(func(RefreshRequest) { heard++ })
	peer := func(id string, at time.Time) {
		t.Helper()
		doc := []byte(`{"id":"` + id + `","at":"` + at.Format(time.RFC3339Nano) + `","by":"peer"}`)
		if err := b.Set(DocRefresh, doc); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		peer(fmt.Sprint("flood-", i), now)
	}
	if heard != 1 {
		t.Errorf("a flood of %d requests was acted on %d times, want 1", 50, heard)
	}
	now = now.Add(refreshMinGap)
	peer("later", now)
	if heard != 2 {
		t.Errorf("a request refreshMinGap later was not acted on (%d)", heard)
	}
	now = now.Add(refreshMinGap)
	peer("future", now.Add(time.Hour))
	if heard != 2 {
		t.Errorf("a request dated an hour ahead was acted on")
	}
}
