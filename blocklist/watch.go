package blocklist

import (
	"context"
	"os"
	"time"

	"go.uber.org/zap"
)

// fileStamp is what a cheap check of a list file sees: a change of either
// makes the watcher read the file, and the fingerprint then decides.
type fileStamp struct {
	size    int64
	modTime time.Time
}

// watchFiles checks the local list files every WatchInterval and loads
// those that changed, so an edited list takes effect without a refresh or
// a reload. A stat costs microseconds; the file is read only when its size
// or modification time moved.
//
// Start takes the first stamps before its first load and passes them in:
// an edit made while that load runs is then seen at the first check.
func (m *Manager) watchFiles(ctx context.Context, stamps map[*source]fileStamp) {
	defer m.watching.Done()
	for sleepCtx(ctx, m.cfg.WatchInterval) == nil {
		if !m.statFiles(stamps) {
			continue
		}
		m.mu.Lock()
		err := m.loadSome(ctx, false, func(s *source) bool { return s.kind == kindFile })
		m.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			m.log.Warn("a watched list file could not be loaded; its previous entries keep serving", zap.Error(err))
		}
	}
}

// statFiles updates stamps with each list file's size and modification
// time, and reports whether any moved.
func (m *Manager) statFiles(stamps map[*source]fileStamp) (changed bool) {
	for _, s := range m.sources {
		if s.kind != kindFile {
			continue
		}
		var st fileStamp
		if info, err := os.Stat(s.location); err == nil {
			st = fileStamp{size: info.Size(), modTime: info.ModTime()}
		}
		if old, ok := stamps[s]; ok && old != st {
			changed = true
		}
		stamps[s] = st
	}
	return changed
}
