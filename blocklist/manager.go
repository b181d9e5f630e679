package blocklist

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Deps are the Manager's collaborators, injected so tests can replace them.
type Deps struct {
	Logger     *zap.Logger      // nil: no logging
	Metrics    *Metrics         // nil: no metrics
	HTTPClient *http.Client     // nil: a client with no overall timeout (Config.Timeout applies per attempt)
	Now        func() time.Time // nil: time.Now
}

// Manager loads the lists of every policy, keeps them fresh, and answers
// lookups from one immutable set that a refresh replaces whole.
type Manager struct {
	cfg     Config
	log     *zap.Logger
	metrics *Metrics
	now     func() time.Time
	// progressEvery is how often a download in progress is reported.
	progressEvery time.Duration
	fetcher       *fetcher
	store         store
	jitter        func() float64 // in [0,1)
	// wait sleeps between refreshes; tests replace it to run the loop
	// without waiting.
	wait     func(ctx context.Context, d time.Duration) error
	sources  []*source
	policies map[string]*policyState
	// allowLists are the sources some policy uses as an allowlist.
	allowLists uint64

	set atomic.Pointer[domainSet]

	mu sync.Mutex // serialises loads and refreshes

	statusMu sync.Mutex
	status   []ListStatus // by source index

	started atomic.Bool
	done    chan struct{} // closed when the refresh loop ends
	// watching counts the file watcher, which Wait waits for too.
	watching sync.WaitGroup
	// afterRefresh, when set by a test, runs after each background refresh.
	afterRefresh func()
}

// New checks the configuration and the policies' sources (an unknown
// built-in list is an error naming it) and returns a Manager that has loaded
// nothing yet: call Start.
func New(cfg Config, policies []Policy, deps Deps) (*Manager, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Manager{
		cfg:      cfg,
		log:      deps.Logger,
		metrics:  deps.Metrics,
		now:      deps.Now,
		store:    store{dir: cfg.StoreDir},
		jitter:   rand.Float64,
		wait:     sleepCtx,
		policies: map[string]*policyState{},
		done:     make(chan struct{}),
	}
	if m.log == nil {
		m.log = zap.NewNop()
	}
	if m.now == nil {
		m.now = time.Now
	}
	m.progressEvery = progressEvery
	client := deps.HTTPClient
	if client == nil {
		client = &http.Client{}
	}
	m.fetcher = &fetcher{client: client, timeout: cfg.Timeout, maxBytes: cfg.MaxBytes, retries: cfg.Retries, sleep: sleepCtx, tempFile: m.store.tempFile}
	index := map[string]*source{}
	for _, p := range policies {
		if err := m.addPolicy(p, index); err != nil {
			return nil, err
		}
	}
	m.status = make([]ListStatus, len(m.sources))
	for i, s := range m.sources {
		m.status[i] = ListStatus{Name: s.name, Kind: string(s.kind)}
		if m.metrics != nil {
			// Exported at 0 from the start, so increase() in an alert sees
			// the first failure.
			m.metrics.RefreshErrors.WithLabelValues(s.name)
		}
	}
	m.set.Store(&domainSet{})
	return m, nil
}

// addSource returns the source named name, creating it on first use.
func (m *Manager) addSource(name string, kind sourceKind, index map[string]*source) (*source, error) {
	if s, ok := index[name]; ok {
		return s, nil
	}
	if len(m.sources) == maxSources {
		return nil, fmt.Errorf("more than %d distinct lists", maxSources)
	}
	s := &source{idx: len(m.sources), name: displayName(name), location: name, kind: kind}
	m.sources = append(m.sources, s)
	index[name] = s
	return s, nil
}

// Start loads the built-in lists, local files and the stored copies of
// remote lists before it returns, then downloads the remote lists and
// refreshes everything on the configured interval in the background until
// ctx is done. A list that fails to load is logged and reported by Status;
// it does not stop the others.
func (m *Manager) Start(ctx context.Context) error {
	if m.started.Swap(true) {
		return errors.New("blocklist: Manager started twice")
	}
	watch := m.cfg.WatchInterval > 0 && m.hasKind(kindFile)
	stamps := map[*source]fileStamp{}
	if watch {
		m.statFiles(stamps)
	}
	m.mu.Lock()
	m.load(ctx, false)
	m.mu.Unlock()
	m.log.Info("blocklists loaded", zap.Int("domains", m.set.Load().Len()), zap.Int("lists", len(m.sources)))
	if watch {
		m.watching.Add(1)
		go m.watchFiles(ctx, stamps)
	}
	go m.loop(ctx)
	return nil
}

// Wait blocks until the refresh loop and the file watcher started by Start
// have ended (after its ctx is done). Call it only after Start.
func (m *Manager) Wait() {
	<-m.done
	m.watching.Wait()
}

func (m *Manager) loop(ctx context.Context) {
	defer close(m.done)
	if m.hasRemote() {
		_ = m.Refresh(ctx)
		if m.afterRefresh != nil {
			m.afterRefresh()
		}
	}
	for {
		wait := time.Duration(float64(m.cfg.Refresh) * (0.9 + 0.2*m.jitter()))
		if m.wait(ctx, wait) != nil {
			return
		}
		_ = m.Refresh(ctx)
		if m.afterRefresh != nil {
			m.afterRefresh()
		}
	}
}

func (m *Manager) hasRemote() bool { return m.hasKind(kindURL) }

func (m *Manager) hasKind(k sourceKind) bool {
	for _, s := range m.sources {
		if s.kind == k {
			return true
		}
	}
	return false
}

// Refresh reloads every list now (remote lists conditionally) and swaps in
// a new set if any changed. Lists that fail keep their previous entries; the
// error joins their failures.
func (m *Manager) Refresh(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.load(ctx, true)
}
