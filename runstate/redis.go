package runstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// SyncConfig is the `sync` section: the store a fleet of instances shares
// its runtime state through.
type SyncConfig struct {
	// Redis is a redis:// or rediss:// (TLS) URL, with a password if the
	// server needs one (redis://:PASSWORD@host:6379/0). Empty: each
	// instance keeps its state to itself. Never logged.
	Redis string `mapstructure:"redis"`
	// Instance names this instance in the store; the host name and a
	// random suffix when empty (every instance's name must differ).
	Instance string `mapstructure:"instance"`
}

// Validate checks the URL, naming the key; the error never shows it.
func (c SyncConfig) Validate() error {
	if c.Redis == "" {
		return nil
	}
	if _, err := redis.ParseURL(c.Redis); err != nil {
		return errors.New("sync.redis: not a redis:// or rediss:// URL (redis://:password@host:6379/0)")
	}
	return nil
}

// envelope is a document as the fleet shares it: when it was set and by
// whom, so that after an outage the newest copy of each document wins.
type envelope struct {
	At    int64           `json:"at"` // Unix milliseconds
	By    string          `json:"by"`
	Doc   json.RawMessage `json:"doc"`
	Dirty bool            `json:"dirty,omitempty"` // local only: not yet in Redis
}

func (e *envelope) newer(o *envelope) bool {
	return e.At > o.At || (e.At == o.At && e.By > o.By)
}

// Redis is the fleet's Backend: every document lives in Redis and in a
// local mirror. Reads come from the mirror, so they never wait on the
// network and keep working when Redis is down; writes go to the mirror
// first, then to Redis, and a Redis publish tells the other instances,
// which fetch the document within a round trip.
//
// Redis unreachable: the instance keeps serving its last state, and changes
// made meanwhile stay in the mirror marked dirty. When Redis is back the
// instance reconciles each document: the newer copy (by time set, then
// instance name) wins whole, in Redis and in every mirror. Two instances
// that change the same document while apart keep the later change.
type Redis struct {
	client   *redis.Client
	instance string
	dir      string // the mirror's folder
	log      *zap.Logger

	mu       sync.Mutex
	docs     map[string]*envelope
	watchers []func(string)
	up       bool
	since    time.Time // when up last changed
	lastErr  error

	wake   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

var _ Backend = (*Redis)(nil)

// Redis keys and the change channel.
const (
	redisPrefix  = "cleandns:state:"
	redisChannel = "cleandns:state"
)

// redisTimeout bounds one Redis call: a change never waits longer on it.
const redisTimeout = 500 * time.Millisecond

// redisRetry is how often an instance tries Redis again while it is down.
const redisRetry = 250 * time.Millisecond

// OpenRedis starts the shared backend. It never waits for Redis: the
// mirror in dir serves until Redis answers.
func OpenRedis(rawURL, instance, dir string, log *zap.Logger, reg prometheus.Registerer) (*Redis, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, SyncConfig{Redis: rawURL}.Validate()
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = redisTimeout, redisTimeout, redisTimeout
	opt.MaxRetries = -1 // the reconciler retries; a change must not stall on retries
	if log == nil {
		log = zap.NewNop()
	}
	if instance == "" {
		instance, _ = os.Hostname()
	}
	redisLogOnce.Do(func() { redis.SetLogger(quietRedis{log.Named("go-redis")}) })
	r := &Redis{client: redis.NewClient(opt), instance: instance, dir: dir, log: log,
		docs: map[string]*envelope{}, since: time.Now(), wake: make(chan struct{}, 1), done: make(chan struct{})}
	if err := r.loadMirror(); err != nil {
		return nil, err
	}
	r.register(reg)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go r.run(ctx)
	return r, nil
}

// Where describes the Redis server without its password, for logs.
func Where(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "redis"
	}
	return u.Scheme + "://" + u.Host + u.Path
}

// Get implements Backend, from the mirror.
func (r *Redis) Get(name string) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e := r.docs[name]; e != nil {
		return slices.Clone([]byte(e.Doc)), nil
	}
	return nil, nil
}

// Set implements Backend: the mirror at once (watchers run before it
// returns), Redis as soon as it answers.
func (r *Redis) Set(name string, doc []byte) error {
	e := &envelope{At: time.Now().UnixMilli(), By: r.instance, Doc: slices.Clone(doc), Dirty: true}
	r.mu.Lock()
	if old := r.docs[name]; old != nil && !e.newer(old) {
		e.At = old.At + 1 // a clock that stepped back must not lose the change
	}
	r.docs[name] = e
	err := r.saveMirror(name, e)
	watchers := slices.Clone(r.watchers)
	r.mu.Unlock()
	if err != nil {
		return err
	}
	for _, fn := range watchers {
		fn(name)
	}
	r.kick()
	return nil
}

// List implements Backend.
func (r *Redis) List() ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for name := range r.docs {
		out = append(out, name)
	}
	slices.Sort(out)
	return out, nil
}

// Watch implements Backend: fn hears changes made here and, through Redis,
// on every other instance.
func (r *Redis) Watch(fn func(name string)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.watchers = append(r.watchers, fn)
}

// Instance is this instance's name in the store.
func (r *Redis) Instance() string { return r.instance }

// Status says whether Redis is reachable, since when, and the last error.
func (r *Redis) Status() (up bool, since time.Time, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.up, r.since, r.lastErr
}

// Pending counts the documents changed here that Redis has not yet taken.
func (r *Redis) Pending() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.docs {
		if e.Dirty {
			n++
		}
	}
	return n
}

// Close stops the reconciler, pushing what it can first.
func (r *Redis) Close() error {
	r.cancel()
	<-r.done
	return r.client.Close()
}

func (r *Redis) kick() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *Redis) loadMirror() error {
	if err := os.MkdirAll(r.dir, 0o750); err != nil {
		return fmt.Errorf("sync mirror: %w", err)
	}
	files, err := filepath.Glob(filepath.Join(r.dir, "*.json"))
	if err != nil {
		return err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("sync mirror: %w", err)
		}
		var e envelope
		if err := json.Unmarshal(b, &e); err != nil {
			r.log.Warn("sync mirror: unreadable document skipped; Redis's copy will replace it", zap.String("file", f), zap.Error(err))
			continue
		}
		r.docs[filepath.Base(f[:len(f)-len(".json")])] = &e
	}
	return nil
}

func (r *Redis) saveMirror(name string, e *envelope) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(r.dir, name+".json"), b); err != nil {
		return fmt.Errorf("sync mirror: %w", err)
	}
	return nil
}

func (r *Redis) register(reg prometheus.Registerer) {
	if reg == nil {
		return
	}
	NewSyncMetrics(reg, func() bool { up, _, _ := r.Status(); return up }, r.Pending)
}

// NewSyncMetrics registers the shared state's series: whether the store is
// reachable and how many changes wait for it. The deploy tests call it too,
// to know the series the alerts read.
func NewSyncMetrics(reg prometheus.Registerer, connected func() bool, pending func() int) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "cleandns", Name: "sync_connected",
			Help: "1 while the shared runtime state store (sync.redis) is reachable, 0 while this instance serves its last state."},
			func() float64 {
				if connected() {
					return 1
				}
				return 0
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "cleandns", Name: "sync_pending_documents",
			Help: "Runtime state documents changed on this instance that the shared store has not taken yet."},
			func() float64 { return float64(pending()) }),
	)
}

// quietRedis sends go-redis's own log lines (a dial failure at every retry
// during an outage) to the debug level: the outage is logged once, by
// setUp. go-redis has one logger per process, so the first instance's wins.
type quietRedis struct{ log *zap.Logger }

func (q quietRedis) Printf(_ context.Context, format string, v ...any) {
	q.log.Debug(fmt.Sprintf(format, v...))
}

var redisLogOnce sync.Once
