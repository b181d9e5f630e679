package blocklist

import (
	"io"
	"time"

	"go.uber.org/zap"
)

// progressEvery is how often a download in progress is reported: often
// enough to see a large list move, rarely enough not to fill the log.
// Manager.progressEvery is it, but for tests.
const progressEvery = 5 * time.Second

// progressReader reports how much of a body has arrived, at most every
// progressEvery.
type progressReader struct {
	r      io.Reader
	n      int64
	total  int64 // Content-Length, -1 when unknown
	every  time.Duration
	now    func() time.Time
	next   time.Time
	report func(n, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if t := p.now(); !t.Before(p.next) {
		p.next = t.Add(p.every)
		p.report(p.n, p.total)
	}
	return n, err
}

// downloadProgress is the report of a list's download: a log line and the
// list's status (ListStatus.Downloaded), which `cleandns lists`, the API
// and the console show.
func (m *Manager) downloadProgress(s *source) func(n, total int64) {
	first := true
	return func(n, total int64) {
		if first { // the first call comes with the first bytes: not news
			first = false
			m.setDownloaded(s, n, total)
			return
		}
		m.setDownloaded(s, n, total)
		f := []zap.Field{zap.String("list", s.name), zap.Int64("bytes", n)}
		if total > 0 {
			f = append(f, zap.Int64("of", total), zap.Int64("percent", n*100/total))
		}
		m.log.Info("list downloading", f...)
	}
}

func (m *Manager) setDownloaded(s *source, n, total int64) {
	m.statusMu.Lock()
	defer m.statusMu.Unlock()
	ls := &m.status[s.idx]
	ls.Downloaded, ls.DownloadSize = n, total
}
