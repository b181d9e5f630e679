package policy

import (
	"fmt"
	"hash/fnv"
	"math"
	"net/netip"
	"sync"
	"time"
)

// RateLimitConfig is the `ratelimit` section: a token bucket per client
// (an IPv4 address, or an IPv6 /56), for UDP queries only.
type RateLimitConfig struct {
	// Enabled switches the limit on.
	Enabled bool `mapstructure:"enabled"`
	// QPS is each client's sustained rate, in queries per second.
	QPS float64 `mapstructure:"qps"`
	// Burst is how many queries a client may send at once above QPS.
	Burst int `mapstructure:"burst"`
	// Slip answers every Slip-th limited query with an empty TC=1 reply, so
	// a real client behind a spoofed flood retries over TCP (which is never
	// limited); the others are dropped. 0 drops them all.
	Slip int `mapstructure:"slip"`
	// Exempt lists client networks that are never limited. A downstream
	// forwarder (an AD DNS server, a router) is one client for many users.
	Exempt []string `mapstructure:"exempt"`
}

// DefaultRateLimitConfig returns the rate-limit defaults.
func DefaultRateLimitConfig() RateLimitConfig {
	return RateLimitConfig{Enabled: true, QPS: 1000, Burst: 2000, Slip: 2, Exempt: []string{"127.0.0.0/8", "::1/128"}}
}

// Validate checks the values are usable, naming the key of the problem.
func (c RateLimitConfig) Validate() error {
	if _, err := ParseNetworks("ratelimit.exempt", c.Exempt); err != nil {
		return err
	}
	if !c.Enabled {
		return nil
	}
	if !(c.QPS > 0) || math.IsInf(c.QPS, 0) {
		return fmt.Errorf("ratelimit.qps: %v must be a positive number", c.QPS)
	}
	if c.Burst < 1 {
		return fmt.Errorf("ratelimit.burst: %d must be at least 1", c.Burst)
	}
	if c.Slip < 0 {
		return fmt.Errorf("ratelimit.slip: %d is negative (0 drops every limited query)", c.Slip)
	}
	return nil
}

// Verdict is what the limiter says about one query.
type Verdict uint8

// The verdicts.
const (
	Allow Verdict = iota // within the limit: answer it
	Slip                 // limited, but answer with TC=1 so a real client retries over TCP
	Drop                 // limited: send nothing
)

func (v Verdict) String() string {
	switch v {
	case Allow:
		return "allow"
	case Slip:
		return "slip"
	}
	return "drop"
}

// DefaultMaxClients bounds the limiter's table: about 50 bytes a client.
const DefaultMaxClients = 1 << 17

const (
	shardCount    = 64
	sweepInterval = time.Second
)

// LimiterDeps are the limiter's injectable parts; zero values mean the
// defaults.
type LimiterDeps struct {
	// Now is the clock; time.Now by default.
	Now func() time.Time
	// MaxClients bounds the number of buckets; DefaultMaxClients by default.
	MaxClients int
}

// Limiter is a token bucket per client in a bounded, sharded table. When a
// shard is full, buckets that have refilled (idle clients, which a fresh
// bucket would equal) are swept out; if none has, an arbitrary one is. A
// flood from more sources than the table holds thus loosens the limit rather
// than growing memory.
type Limiter struct {
	rate     float64 // tokens per nanosecond
	burst    float64
	slip     uint32
	exempt   *Networks
	now      func() time.Time
	epoch    time.Time
	perShard int
	shards   [shardCount]shard
}

type shard struct {
	mu        sync.Mutex
	buckets   map[uint64]bucket
	lastSweep int64
	_         [40]byte // keep shards on separate cache lines
}

type bucket struct {
	tokens  float64
	last    int64  // nanoseconds since the limiter's epoch
	limited uint32 // limited queries so far, for the slip count
}

// NewLimiter validates cfg and returns its limiter.
func NewLimiter(cfg RateLimitConfig, deps LimiterDeps) (*Limiter, error) {
	cfg.Enabled = true
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	exempt, _ := ParseNetworks("ratelimit.exempt", cfg.Exempt)
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.MaxClients <= 0 {
		deps.MaxClients = DefaultMaxClients
	}
	l := &Limiter{
		rate:     cfg.QPS / float64(time.Second),
		burst:    float64(cfg.Burst),
		slip:     uint32(cfg.Slip),
		exempt:   exempt,
		now:      deps.Now,
		epoch:    deps.Now(),
		perShard: max(1, deps.MaxClients/shardCount),
	}
	for i := range l.shards {
		l.shards[i].buckets = make(map[uint64]bucket)
		l.shards[i].lastSweep = math.MinInt64 / 2
	}
	return l, nil
}

// Allow takes a token from addr's bucket and says what to do with the query.
func (l *Limiter) Allow(addr netip.Addr) Verdict {
	if !addr.IsValid() || l.exempt.Contains(addr) {
		return Allow
	}
	return l.take(clientKey(addr))
}

// AllowID is Allow for a device at addr that named itself (a client ID):
// its own bucket, whatever address it comes from, so devices behind one NAT
// do not share a limit and a roaming phone keeps its own. Exempt networks
// stay exempt.
func (l *Limiter) AllowID(addr netip.Addr, id string) Verdict {
	if l.exempt.Contains(addr) {
		return Allow
	}
	return l.take(idKey(id))
}

func (l *Limiter) take(k uint64) Verdict {
	t := int64(l.now().Sub(l.epoch))
	s := l.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.buckets[k]
	if !ok {
		if len(s.buckets) >= l.perShard {
			l.evict(s, t)
		}
		b = bucket{tokens: l.burst, last: t}
	} else if t > b.last {
		b.tokens = min(l.burst, b.tokens+float64(t-b.last)*l.rate)
		b.last = t
	}
	v := Allow
	if b.tokens >= 1 {
		b.tokens--
	} else {
		b.limited++
		v = Drop
		if l.slip > 0 && b.limited%l.slip == 0 {
			v = Slip
		}
	}
	s.buckets[k] = b
	return v
}

func (l *Limiter) shard(k uint64) *shard {
	return &l.shards[(k*0x9E3779B97F4A7C15)>>(64-6)] // 64 shards: the top 6 bits
}

// evict makes room in a full shard: first every idle bucket (at most once a
// second, since it walks the shard), else one arbitrary bucket.
func (l *Limiter) evict(s *shard, t int64) {
	if t-s.lastSweep >= int64(sweepInterval) {
		s.lastSweep = t
		for k, b := range s.buckets {
			if b.tokens+float64(t-b.last)*l.rate >= l.burst {
				delete(s.buckets, k)
			}
		}
		if len(s.buckets) < l.perShard {
			return
		}
	}
	for k := range s.buckets {
		delete(s.buckets, k)
		return
	}
}

// Clients is the number of buckets held, for tests and metrics.
func (l *Limiter) Clients() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.buckets)
		s.mu.Unlock()
	}
	return n
}

// clientKey is the bucket of addr: an IPv4 address, or an IPv6 /56 (what an
// ISP delegates to one home, so one household is one client). IPv6 keys end
// in a zero byte, IPv4 keys in a one, so the two never collide.
// idKey is a client ID's key: a hash whose low byte (2) no address key has.
func idKey(id string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	return h.Sum64()<<8 | 2
}

func clientKey(addr netip.Addr) uint64 {
	addr = addr.Unmap()
	if addr.Is4() {
		b := addr.As4()
		return uint64(b[0])<<32 | uint64(b[1])<<24 | uint64(b[2])<<16 | uint64(b[3])<<8 | 1
	}
	b := addr.As16()
	var k uint64
	for i := 0; i < 7; i++ {
		k = k<<8 | uint64(b[i])
	}
	return k << 8
}
