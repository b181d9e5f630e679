package runstate

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cleandns/cleandns/internal/redistest"
	"github.com/cleandns/cleandns/query"
)

func openShared(t *testing.T, url, name string) (*State, *Redis) {
	t.Helper()
	b, err := OpenRedis(url, name, filepath.Join(t.TempDir(), "sync"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	s, err := Open(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, b
}

// within polls cond for up to d.
func within(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

func TestRedisSharesChanges(t *testing.T) {
	rs := redistest.Start(t)
	a, _ := openShared(t, rs.URL, "a")
	b, _ := openShared(t, rs.URL, "b")
	if _, err := a.Pause(query.EveryGroup, time.Hour); err != nil {
		t.Fatal(err)
	}
	if !within(time.Second, func() bool { return b.Paused("kids", time.Now()) }) {
		t.Fatal("a pause on a is not in effect on b within 1 s")
	}
	if _, err := b.Allowlist().Add("example.com", "test"); err != nil {
		t.Fatal(err)
	}
	if !within(time.Second, func() bool { _, ok := a.Allowlist().Allowed("www.example.com."); return ok }) {
		t.Fatal("an allow entry added on b is not on a within 1 s")
	}
	if err := a.Resume(query.EveryGroup); err != nil {
		t.Fatal(err)
	}
	if !within(time.Second, func() bool { return !b.Paused("kids", time.Now()) }) {
		t.Fatal("a resume on a is not in effect on b within 1 s")
	}
}

// TestRedisOutage: while Redis is down each instance keeps its state and a
// change made meanwhile is kept; when Redis comes back (empty: it has no
// persistence) every instance converges on the newest state.
func TestRedisOutage(t *testing.T) {
	rs := redistest.Start(t)
	a, ab := openShared(t, rs.URL, "a")
	b, _ := openShared(t, rs.URL, "b")
	if _, err := a.Allowlist().Add("before.example", "test"); err != nil {
		t.Fatal(err)
	}
	if !within(time.Second, func() bool { _, ok := b.Allowlist().Allowed("before.example."); return ok }) {
		t.Fatal("not shared before the outage")
	}
	rs.Stop()
	if !within(2*time.Second, func() bool { up, _, _ := ab.Status(); return !up }) {
		t.Fatal("a does not notice Redis is down")
	}
	if _, err := b.Allowlist().Add("during.example", "test"); err != nil {
		t.Fatalf("a change during the outage failed: %v", err)
	}
	if _, ok := a.Allowlist().Allowed("before.example."); !ok {
		t.Error("a lost its state during the outage")
	}
	rs.Resume()
	if !within(2*time.Second, func() bool { _, ok := a.Allowlist().Allowed("during.example."); return ok }) {
		t.Fatal("the change made on b during the outage did not reach a once Redis was back")
	}
	if _, ok := a.Allowlist().Allowed("before.example."); !ok {
		t.Error("the state from before the outage was lost")
	}
}

// TestRedisStartsWithoutRedis: an instance whose Redis is unreachable
// starts from its mirror on disk.
func TestRedisStartsWithoutRedis(t *testing.T) {
	rs := redistest.Start(t)
	dir := filepath.Join(t.TempDir(), "sync")
	b, err := OpenRedis(rs.URL, "a", dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := Open(b, nil)
	if _, err := s.Allowlist().Add("kept.example", "test"); err != nil {
		t.Fatal(err)
	}
	_ = b.Close()
	rs.Stop()
	b2, err := OpenRedis(rs.URL, "a", dir, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	s2, err := Open(b2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s2.Allowlist().Allowed("kept.example."); !ok {
		t.Error("restart without Redis lost the allow entry")
	}
}

func TestSyncConfigNeverShowsThePassword(t *testing.T) {
	err := SyncConfig{Redis: "redis://:hunter2@[::1:6379"}.Validate()
	if err == nil {
		t.Fatal("bad URL accepted")
	}
	if got := err.Error(); strings.Contains(got, "hunter2") {
		t.Errorf("error shows the password: %s", got)
	}
	if w := Where("rediss://:hunter2@cache.example:6380/2"); w != "rediss://cache.example:6380/2" {
		t.Errorf("Where = %q", w)
	}
}
