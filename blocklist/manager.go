package blocklist

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/cleandns/cleandns/metrics"
)

// Deps are the Manager's collaborators, injected so tests can replace them.
type Deps struct {
	Logger     *zap.Logger      // nil: no logging
	Metrics    *metrics.Metrics // nil: no metrics
	HTTPClient *http.Client     // nil: a client with no overall timeout (Config.Timeout applies per attempt)
	Now        func() time.Time // nil: time.Now
}

// Manager loads the lists of every policy, keeps them fresh, and answers
// lookups from one immutable set that a refresh replaces whole.
type Manager struct {
	cfg     Config
	log     *zap.Logger
	metrics *metrics.Metrics
	now     func() time.Time
	fetcher *fetcher
	store   store
	jitter  func() float64 // in [0,1)
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
	m.mu.Lock()
	m.load(ctx, false)
	m.mu.Unlock()
	m.log.Info("blocklists loaded", zap.Int("domains", m.set.Load().Len()), zap.Int("lists", len(m.sources)))
	go m.loop(ctx)
	return nil
}

// Wait blocks until the refresh loop started by Start has ended (after its
// ctx is done). Call it only after Start.
func (m *Manager) Wait() { <-m.done }

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

func (m *Manager) hasRemote() bool {
	for _, s := range m.sources {
		if s.kind == kindURL {
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

// bigLoad is the amount of list text past which a load returns its
// transient memory to the OS at once.
const bigLoad = 8 << 20

// pendingList is a changed list on its way into the next set.
type pendingList struct {
	s     *source
	c     listContent
	rules int // domain rules, counted
}

// load gets every source's content, reads those that changed and builds the
// next set from the current one. remote=false is the start-up pass: URLs
// come from the store instead of the network.
func (m *Manager) load(ctx context.Context, remote bool) error {
	var pending []pendingList
	defer func() {
		for _, p := range pending {
			p.c.release()
		}
	}()
	var errs []error
	fail := func(s *source, err error) {
		err = s.redactErr(err)
		errs = append(errs, fmt.Errorf("blocklist %q: %w", s.name, err))
		m.recordFailure(s, err)
	}
	for _, s := range m.sources {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		c, rules, err := m.read(ctx, s, remote)
		if err != nil {
			fail(s, err)
			continue
		}
		if c.checked && !c.changed {
			m.recordUnchanged(s, c.at)
		}
		if c.changed {
			pending = append(pending, pendingList{s: s, c: c, rules: rules})
		}
	}
	if m.apply(pending, fail) >= bigLoad {
		// Building from a big list leaves the old set as garbage, as big as
		// the new one. The runtime would keep that memory from the OS for
		// minutes; a load is rare enough to pay for one forced GC and
		// scavenge now, so the resident size reflects one set, not two.
		debug.FreeOSMemory()
	}
	return errors.Join(errs...)
}

// read gets a source's content and, when it changed, reads it through once
// to count its domain rules. That also proves a download readable before it
// is kept as the last good copy.
func (m *Manager) read(ctx context.Context, s *source, remote bool) (listContent, int, error) {
	c, err := m.content(ctx, s, remote)
	if err != nil || c.text == nil {
		return c, 0, err
	}
	var rules int
	err = rewind(c.text)
	if err == nil {
		rules, err = countRules(c.text)
	}
	if err != nil {
		c.release()
		return listContent{}, 0, err
	}
	if c.keep != nil {
		c.keep()
	}
	return c, rules, nil
}

// rewind makes a list's next reading start from the top. Every reading
// rewinds first, whatever read the list before.
func rewind(r io.Seeker) error {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewinding the list: %w", err)
	}
	return nil
}

// apply reads the pending lists into the next set and swaps it in. A list
// that cannot be read again fails and keeps its previous entries: the set is
// built again without it. It returns the bytes of list text read.
func (m *Manager) apply(pending []pendingList, fail func(*source, error)) int64 {
	var read int64
	for len(pending) > 0 {
		stats := make([]parseStats, len(pending))
		fingerprints := make([]uint64, len(pending))
		lists := make([]listReading, len(pending))
		for i, p := range pending {
			lists[i] = listReading{src: p.s.idx, rules: p.rules, read: func(emit func(Entry)) error {
				if err := rewind(p.c.text); err != nil {
					return err
				}
				text := newHashReader(p.c.text)
				st, err := parseList(text, emit)
				read += text.n
				stats[i], fingerprints[i] = st, text.h.Sum64()
				return err
			}}
		}
		set, failed, err := buildSet(m.set.Load(), m.allowLists, lists)
		if err != nil {
			fail(pending[failed].s, err)
			pending = slices.Concat(pending[:failed], pending[failed+1:]) // a copy: load still releases them all
			continue
		}
		m.set.Store(set)
		for i, p := range pending {
			m.loaded(p.s, p.c, stats[i], fingerprints[i])
		}
		break
	}
	return read
}

// loaded records a list read into the set: its status, and what tells a
// later refresh whether it changed.
func (m *Manager) loaded(s *source, c listContent, st parseStats, fingerprint uint64) {
	switch s.kind {
	case kindFile:
		s.fingerprint = fingerprint
	case kindURL:
		s.etag, s.lastModified = c.etag, c.lastModified
	}
	m.recordSuccess(s, st, c.at, c.fromStore)
}
