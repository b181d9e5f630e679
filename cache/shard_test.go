package cache

import (
	"fmt"
	"testing"

	"github.com/miekg/dns"
)

// testEntry builds the entry the cache would store for k, answered with one A.
func testEntry(t *testing.T, c *Cache, k Key) *Entry {
	t.Helper()
	e, err := c.newEntry(k, answer(k.Name, 300), Positive, 300, 0)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestShardHashCollision: two keys with the same 64-bit hash (forced here;
// a random seed makes it as good as never happen) never answer for each
// other; the later one replaces the earlier in their slot.
func TestShardHashCollision(t *testing.T) {
	c, _, _ := newTestCache(t, testConfig())
	s := newShard(1 << 20)
	never := func(*Entry) bool { return false }
	a, b := keyA("a.example."), keyA("b.example.")
	const h = 42
	ea, eb := testEntry(t, c, a), testEntry(t, c, b)
	if _, ok := s.put(a, h, ea, never, never); !ok {
		t.Fatal("a not stored")
	}
	if got := s.get(b, h); got != nil {
		t.Fatal("b answered by a's entry")
	}
	d, ok := s.put(b, h, eb, never, never)
	if !ok || d.entries != 0 {
		t.Fatalf("b: stored %v, entries %+d; want stored in a's slot", ok, d.entries)
	}
	if s.get(a, h) != nil || s.get(b, h) != eb {
		t.Fatal("after b replaced a: want a missing and b found")
	}
	// The same name with another type, DO or CD is another key.
	for _, k := range []Key{
		{Name: b.Name, Type: dns.TypeAAAA, Class: dns.ClassINET},
		{Name: b.Name, Type: dns.TypeA, Class: dns.ClassINET, DO: true},
		{Name: b.Name, Type: dns.TypeA, Class: dns.ClassINET, CD: true},
		{Name: b.Name, Type: dns.TypeA, Class: dns.ClassCHAOS},
	} {
		if s.get(k, h) != nil {
			t.Errorf("%+v answered by %+v's entry", k, b)
		}
	}
}

// TestShardReusesSlots: under a stream of new names the slot array stays
// at what the bytes bound holds, as evicted slots are reused, and what was
// just stored is never what makes room.
func TestShardReusesSlots(t *testing.T) {
	c, _, _ := newTestCache(t, testConfig())
	probe := testEntry(t, c, keyA("probe.example."))
	s := newShard(100 * probe.size)
	never := func(*Entry) bool { return false }
	most := 0
	for i := range 5000 {
		k := keyA(fmt.Sprintf("n%d.example.", i))
		h := c.hash(k)
		if _, ok := s.put(k, h, testEntry(t, c, k), never, never); !ok {
			t.Fatalf("%s not stored", k.Name)
		}
		if s.get(k, h) == nil {
			t.Fatalf("%s evicted as it was stored", k.Name)
		}
		most = max(most, len(s.slots))
	}
	if most > 110 {
		t.Errorf("slot array grew to %d for about 100 entries", most)
	}
	if n := s.len(); n < 90 || n > 100 {
		t.Errorf("%d entries, want about 100", n)
	}
}
