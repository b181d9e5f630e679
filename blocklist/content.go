package blocklist

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"time"

	"go.uber.org/zap"
)

// listContent is what loading one source found. A changed list comes as
// text to read, never as bytes in the heap: it is read once to count its
// rules and once more to fill the set.
type listContent struct {
	text      io.ReadSeeker // the list when it changed; nil otherwise
	close     func()        // releases text: closes it, removes a download not kept
	keep      func()        // for a download: makes it the stored copy, once it parsed
	changed   bool          // text differs from what the set holds
	checked   bool          // the source was read or asked, even if unchanged
	fromStore bool          // text is the disk copy of a remote list
	at        time.Time     // when text was fetched

	// The validators of a remote list, recorded once its text is loaded: a
	// conditional request must never confirm content the set does not hold.
	etag, lastModified string
}

func (c listContent) release() {
	if c.close != nil {
		c.close()
	}
}

// content returns a source's list and whether it changed since the last
// successful load.
func (m *Manager) content(ctx context.Context, s *source, remote bool) (listContent, error) {
	loaded := m.isLoaded(s)
	now := m.now()
	switch s.kind {
	case kindInline, kindBuiltin:
		if loaded {
			return listContent{}, nil // fixed for the Manager's life
		}
		if s.kind == kindInline {
			return listContent{text: bytes.NewReader(s.inline), changed: true, at: now}, nil
		}
		f, err := openBuiltin(s.location)
		if err != nil {
			return listContent{}, err
		}
		return listContent{text: f, close: func() { f.Close() }, changed: true, at: now}, nil
	case kindFile:
		return m.fileContent(s, loaded, now)
	}
	if !remote {
		return m.storedContent(s), nil
	}
	return m.download(ctx, s, loaded, now)
}

// fileContent reads a local file through once to fingerprint it, and hands
// it on only if it changed.
func (m *Manager) fileContent(s *source, loaded bool, now time.Time) (listContent, error) {
	f, err := openFile(s.location, m.cfg.MaxBytes)
	if err != nil {
		return listContent{}, err
	}
	fp, err := fingerprintOf(f)
	if err != nil {
		f.Close()
		return listContent{}, err
	}
	if loaded && fp == s.fingerprint {
		f.Close()
		return listContent{checked: true, at: now}, nil
	}
	return listContent{text: f, close: func() { f.Close() }, changed: true, checked: true, at: now}, nil
}

// storedContent opens the disk copy of a remote list at start-up. With none,
// the list is left to the background download. A copy that fails its
// checksum still serves, as the best there is until the download (its
// rules are vetted like a download's), but without its validators, so the
// download is unconditional and repairs it.
func (m *Manager) storedContent(s *source) listContent {
	f, meta, intact, err := m.store.open(s.location)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			m.log.Warn("could not read the stored copy of the list", zap.String("list", s.name), zap.Error(err))
		}
		return listContent{}
	}
	if !intact {
		m.log.Warn("the stored copy of the list does not match its checksum; it serves until the list is downloaded again in full",
			zap.String("list", s.name))
		meta.ETag, meta.LastModified = "", ""
	}
	return listContent{
		text: f, close: func() { f.Close() },
		changed: true, fromStore: true, at: meta.Fetched,
		etag: meta.ETag, lastModified: meta.LastModified,
	}
}

// download fetches a remote list, conditionally when the set holds it. The
// body arrives in a temporary file, which becomes the stored copy only once
// the list has been read through without error: a failed download, or one
// that cannot be read, leaves the last good copy in place.
func (m *Manager) download(ctx context.Context, s *source, loaded bool, now time.Time) (listContent, error) {
	etag, lastModified := s.etag, s.lastModified
	if !loaded {
		etag, lastModified = "", "" // validators without content are useless
	}
	if etag+lastModified != "" && !m.store.intact(s.location) {
		// The set holds the list, but a 304 must not confirm a damaged copy
		// on disk: a restart would serve it. Download it in full.
		m.log.Warn("the stored copy of the list is damaged or missing; downloading it in full", zap.String("list", s.name))
		etag, lastModified = "", ""
	}
	res, err := m.fetcher.fetch(ctx, s.location, etag, lastModified,
		&progressReader{every: m.progressEvery, now: m.now, report: m.downloadProgress(s)})
	m.setDownloaded(s, 0, 0) // done, one way or the other
	if err != nil {
		return listContent{}, err
	}
	if res.notModified {
		return listContent{checked: true, at: now}, nil
	}
	f := res.file
	if err := sniffBody(f, res.contentType); err != nil {
		f.Close()
		os.Remove(f.Name())
		return listContent{}, err
	}
	meta := storeMeta{URL: s.name, ETag: res.etag, LastModified: res.lastModified, Fetched: now, SHA256: res.sum}
	return listContent{
		text: f,
		close: func() {
			f.Close()
			os.Remove(f.Name()) // fails harmlessly once kept (renamed)
		},
		keep: func() {
			if err := m.store.keep(f, s.location, meta); err != nil {
				m.log.Warn("could not keep a copy of the list", zap.String("list", s.name), zap.Error(err))
			}
		},
		changed: true, checked: true, at: now,
		etag: res.etag, lastModified: res.lastModified,
	}, nil
}
