package runstate

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cleandns/cleandns/internal/fakeclock"
	"github.com/cleandns/cleandns/query"
)

func TestPauseEndsByItselfAndTellsWatchers(t *testing.T) {
	clock := fakeclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s, err := Open(NewDir(nil), clock)
	if err != nil {
		t.Fatal(err)
	}
	var changes atomic.Int32
	s.OnChange(func() { changes.Add(1) })

	end, err := s.Pause("kids", 10*time.Minute)
	if err != nil || !end.Equal(clock.Now().Add(10*time.Minute)) {
		t.Fatalf("Pause = %v, %v", end, err)
	}
	if !s.Paused("kids", clock.Now()) || s.Paused("default", clock.Now()) {
		t.Fatal("kids not paused, or default paused too")
	}
	if u, ok := s.PausedUntil("kids"); !ok || !u.Equal(end) {
		t.Fatalf("PausedUntil = %v, %v", u, ok)
	}
	if changes.Load() != 1 {
		t.Fatalf("%d change notices after a pause, want 1", changes.Load())
	}
	clock.Advance(10*time.Minute - time.Nanosecond)
	if !s.Paused("kids", clock.Now()) {
		t.Fatal("resumed early")
	}
	clock.Advance(time.Nanosecond)
	if s.Paused("kids", clock.Now()) || changes.Load() != 2 {
		t.Fatalf("paused after its end, or no notice at the end (%d notices)", changes.Load())
	}

	// The global pause covers every group; a longer group pause outlasts it.
	if _, err := s.Pause(query.EveryGroup, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pause("kids", 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	if !s.Paused("default", clock.Now()) {
		t.Fatal("global pause did not pause default")
	}
	if err := s.Resume(query.EveryGroup); err != nil {
		t.Fatal(err)
	}
	if s.Paused("default", clock.Now()) || !s.Paused("kids", clock.Now()) {
		t.Fatal("global resume: default still paused, or the kids pause ended with it")
	}
	if _, err := s.Pause("kids", 0); err == nil {
		t.Error("a zero pause succeeded")
	}
}

// TestConcurrentChangesAreWhole: changes serialise, so none is lost to
// another's read-modify-write.
func TestConcurrentChangesAreWhole(t *testing.T) {
	s, err := Open(NewDir(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	groups := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	var wg sync.WaitGroup
	for _, g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Pause(g, time.Hour); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for _, g := range groups {
		if !s.Paused(g, time.Now()) {
			t.Errorf("pause of %s lost", g)
		}
	}
}

func TestPausedAllocatesNothing(t *testing.T) {
	s, _ := Open(NewDir(nil), nil)
	_, _ = s.Pause("kids", time.Hour)
	now := time.Now()
	if n := testing.AllocsPerRun(100, func() { _ = s.Paused("default", now) }); n != 0 {
		t.Errorf("Paused allocates %v times", n)
	}
}
