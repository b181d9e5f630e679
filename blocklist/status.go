package blocklist

import (
	"fmt"
	"time"

	"go.uber.org/zap"
)

// regexWarnThreshold is the number of regex rules in one list above which
// cleandns warns: each is tried on every query the domain set lets through.
const regexWarnThreshold = 100

// ListStatus is the health of one list, for `cleandns lists` and the API.
type ListStatus struct {
	Name         string // the source as configured (a builtin group shows as its members)
	Kind         string // "builtin", "file", "url" or "inline"
	Loaded       bool   // the list has entries in the served set
	FromStore    bool   // the entries come from the disk copy, not yet refreshed
	Entries      int    // rules loaded
	Regexes      int    // of which regex rules
	Patterns     int    // of which patterns, modifier rules and rewrites
	Skipped      int    // rules cleandns recognised but cannot honour
	Invalid      int    // lines it could not read
	InvalidLines []InvalidLine
	LastSuccess  time.Time // when the served entries were fetched or read, or last confirmed unchanged
	LastError    string    // the last failure, cleared by a success
	LastErrorAt  time.Time
	Warning      string // a load that succeeded but looks wrong (a big shrink); cleared by the next normal load
	// Downloaded is how much of a download in progress has arrived, of
	// DownloadSize (-1: the server did not say); both 0 when none runs.
	Downloaded, DownloadSize int64
}

// Status returns the status of every list, in configuration order.
func (m *Manager) Status() []ListStatus {
	m.statusMu.Lock()
	defer m.statusMu.Unlock()
	out := make([]ListStatus, len(m.status))
	copy(out, m.status)
	return out
}

func (m *Manager) isLoaded(s *source) bool {
	m.statusMu.Lock()
	defer m.statusMu.Unlock()
	return m.status[s.idx].Loaded
}

func (m *Manager) recordSuccess(s *source, st parseStats, at time.Time, fromStore bool) {
	m.statusMu.Lock()
	ls := &m.status[s.idx]
	prev := 0
	if ls.Loaded {
		prev = ls.Entries
	}
	ls.Warning = shrinkWarning(prev, st.Entries, m.cfg.ShrinkWarnPercent)
	warning := ls.Warning
	ls.Loaded, ls.FromStore = true, fromStore
	ls.Entries, ls.Regexes, ls.Patterns, ls.Skipped, ls.Invalid, ls.InvalidLines = st.Entries, st.Regexes, st.Patterns, st.Skipped, st.Invalid, st.InvalidLines
	ls.LastSuccess, ls.LastError = at, ""
	m.statusMu.Unlock()

	if m.metrics != nil {
		m.metrics.Entries.WithLabelValues(s.name).Set(float64(st.Entries))
		m.metrics.RegexRules.WithLabelValues(s.name).Set(float64(st.Regexes))
		m.metrics.LastSuccess.WithLabelValues(s.name).Set(float64(at.Unix()))
		shrunk := 0.0
		if warning != "" {
			shrunk = 1
		}
		m.metrics.ShrinkWarning.WithLabelValues(s.name).Set(shrunk)
	}
	if warning != "" {
		m.log.Warn("list shrank beyond blocking.shrink_warn_percent; the smaller copy is applied",
			zap.String("list", s.name), zap.Int("entries", st.Entries), zap.Int("previous", prev))
	}
	if st.Regexes > regexWarnThreshold {
		m.log.Warn("list holds many regex rules; each is tried on every name the domain set does not match",
			zap.String("list", s.name), zap.Int("regexes", st.Regexes))
	}
	if st.Invalid > 0 {
		m.log.Warn("list has invalid lines", zap.String("list", s.name), zap.Int("invalid", st.Invalid),
			zap.Strings("first", invalidSummary(st.InvalidLines)))
	}
}

// recordUnchanged notes a check that found the list as it was (HTTP 304,
// same file content): the served copy is confirmed current.
func (m *Manager) recordUnchanged(s *source, at time.Time) {
	m.statusMu.Lock()
	ls := &m.status[s.idx]
	ls.LastSuccess, ls.LastError, ls.FromStore = at, "", false
	m.statusMu.Unlock()
	if m.metrics != nil {
		m.metrics.LastSuccess.WithLabelValues(s.name).Set(float64(at.Unix()))
	}
}

func (m *Manager) recordFailure(s *source, err error) {
	m.statusMu.Lock()
	ls := &m.status[s.idx]
	ls.LastError, ls.LastErrorAt = err.Error(), m.now()
	loaded := ls.Loaded
	m.statusMu.Unlock()
	if m.metrics != nil {
		m.metrics.RefreshErrors.WithLabelValues(s.name).Inc()
	}
	msg := "list load failed; its previous entries keep serving"
	if !loaded {
		msg = "list load failed; it has never loaded, so it blocks nothing yet"
	}
	m.log.Warn(msg, zap.String("list", s.name), zap.Error(err))
}

// invalidSummary is "line N: reason (text)" for each reported invalid line:
// the first five, with their line numbers, as the README promises.
func invalidSummary(lines []InvalidLine) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = fmt.Sprintf("line %d: %s (%s)", l.Line, l.Reason, l.Text)
	}
	return out
}

// shrinkWarning is the status warning of a load from prev to now entries
// that lost more than percent of them, or "".
func shrinkWarning(prev, now, percent int) string {
	if prev == 0 || now >= prev || (prev-now)*100 <= prev*percent {
		return ""
	}
	return fmt.Sprintf("shrank from %d to %d entries, more than blocking.shrink_warn_percent (%d%%)", prev, now, percent)
}
