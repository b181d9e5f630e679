package blocklist

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"time"

	"go.uber.org/zap"
)

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
	return m.loadSome(ctx, remote, nil)
}

// loadSome is load for the sources only selects (all when nil).
func (m *Manager) loadSome(ctx context.Context, remote bool, only func(*source) bool) error {
	start := m.now()
	var pending []pendingList
	defer func() {
		for _, p := range pending {
			p.c.release()
		}
	}()
	var errs []error
	fail := func(s *source, err error) {
		m.countRefused(s, err)
		err = s.redactErr(err)
		errs = append(errs, fmt.Errorf("blocklist %q: %w", s.name, err))
		m.recordFailure(s, err)
	}
	for _, s := range m.sources {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		if only != nil && !only(s) {
			continue
		}
		c, rules, err := m.open(ctx, s, remote)
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
	if m.apply(pending, fail, start) >= bigLoad {
		// Building from a big list leaves the old set as garbage, as big as
		// the new one. The runtime would keep that memory from the OS for
		// minutes; a load is rare enough to pay for one forced GC and
		// scavenge now, so the resident size reflects one set, not two.
		debug.FreeOSMemory()
	}
	return errors.Join(errs...)
}

// open gets a source's content and, when it changed, reads it through once
// to count its domain rules. That also proves a download readable before it
// is kept as the last good copy.
func (m *Manager) open(ctx context.Context, s *source, remote bool) (listContent, int, error) {
	c, err := m.content(ctx, s, remote)
	if err != nil || c.text == nil {
		return c, 0, err
	}
	count := countRules
	if s.kind == kindURL {
		count = countVetted // a 200 can still carry junk: see remote_vet.go
	}
	var rules int
	err = rewind(c.text)
	if err == nil {
		rules, err = count(c.text)
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
// built again without it. It returns the bytes of list text read. start is
// when the load began, for the log's "took".
func (m *Manager) apply(pending []pendingList, fail func(*source, error), start time.Time) int64 {
	var textBytes int64
	for len(pending) > 0 {
		stats := make([]parseStats, len(pending))
		fingerprints := make([]uint64, len(pending))
		lists := make([]listReading, len(pending))
		for i, p := range pending {
			lists[i] = listReading{src: p.s.idx, rules: p.rules, read: func(emit func(Entry)) error {
				if err := rewind(p.c.text); err != nil {
					return err
				}
				text := newTextReader(p.c.text, p.s.kind == kindFile)
				if p.s.exact {
					emit = exactPlain(emit)
				}
				st, err := parseList(text, emit)
				textBytes += text.n
				stats[i], fingerprints[i] = st, text.fingerprint()
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
		took := m.now().Sub(start)
		for i, p := range pending {
			m.loaded(p.s, p.c, stats[i], fingerprints[i], took)
		}
		break
	}
	return textBytes
}

// loaded records a list read into the set: its status, and what tells a
// later refresh whether it changed.
func (m *Manager) loaded(s *source, c listContent, st parseStats, fingerprint uint64, took time.Duration) {
	switch s.kind {
	case kindFile:
		s.fingerprint = fingerprint
	case kindURL:
		s.etag, s.lastModified = c.etag, c.lastModified
	}
	m.recordSuccess(s, st, c.at, c.fromStore)
	// Every load is said, with what it yielded: a big list loading in the
	// background must not finish in silence.
	m.log.Info("list loaded", zap.String("list", s.name), zap.Int("entries", st.Entries),
		zap.Int("skipped", st.Skipped), zap.Int("invalid", st.Invalid), zap.Bool("from_store", c.fromStore),
		zap.Duration("took", took))
}

// exactPlain narrows the plain and hosts lines of a `match: exact` list to
// the names themselves.
func exactPlain(emit func(Entry)) func(Entry) {
	return func(e Entry) {
		if e.plain {
			e.Exact = true
		}
		emit(e)
	}
}
