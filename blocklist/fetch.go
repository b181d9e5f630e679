package blocklist

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// fetched is the outcome of a download.
type fetched struct {
	// file holds the body, read from its start: a temporary file the caller
	// closes and removes (or keeps, by renaming it). The body is streamed to
	// disk rather than held, so a 64 MB list does not cost 64 MB of heap.
	file               *os.File
	notModified        bool // 304: the copy in hand is current
	etag, lastModified string
	contentType        string
	sum                string // the body's SHA-256, hex: stored with the copy
}

// fetcher downloads lists with a timeout per attempt, bounded retries with
// exponential backoff, a size cap and conditional requests.
type fetcher struct {
	client   *http.Client
	timeout  time.Duration
	maxBytes int64
	retries  int
	// sleep waits between attempts; tests replace it to run instantly.
	sleep func(ctx context.Context, d time.Duration) error
	// tempFile creates the file a body is written to.
	tempFile func() (*os.File, error)
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// fetch downloads url; progress, when not nil, is the template of the
// reader that reports how much has arrived.
func (f *fetcher) fetch(ctx context.Context, url, etag, lastModified string, progress *progressReader) (fetched, error) {
	var err error
	for attempt := 0; attempt <= max(f.retries, 0); attempt++ {
		if attempt > 0 {
			backoff := min(time.Second<<(attempt-1), 30*time.Second)
			if serr := f.sleep(ctx, backoff); serr != nil {
				return fetched{}, fmt.Errorf("%w (after: %w)", serr, err)
			}
		}
		var res fetched
		res, err = f.once(ctx, url, etag, lastModified, progress)
		if err == nil {
			return res, nil
		}
		var perm permanentError
		if errors.As(err, &perm) || ctx.Err() != nil {
			break
		}
	}
	return fetched{}, err
}

func (f *fetcher) once(ctx context.Context, url, etag, lastModified string, progress *progressReader) (fetched, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fetched{}, permanentError{err}
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return fetched{}, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return fetched{notModified: true, etag: etag, lastModified: lastModified}, nil
	case resp.StatusCode >= 500, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusRequestTimeout:
		return fetched{}, fmt.Errorf("HTTP %s", resp.Status)
	case resp.StatusCode != http.StatusOK:
		return fetched{}, permanentError{fmt.Errorf("HTTP %s", resp.Status)}
	}
	if resp.ContentLength > f.maxBytes {
		return fetched{}, permanentError{fmt.Errorf("%d bytes, over the %d-byte cap", resp.ContentLength, f.maxBytes)}
	}
	var body io.Reader = resp.Body
	if progress != nil {
		p := *progress // a fresh count for each attempt
		p.r, p.total = resp.Body, resp.ContentLength
		body = &p
	}
	file, sum, err := f.save(body)
	if err != nil {
		return fetched{}, err
	}
	return fetched{file: file, etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified"),
		contentType: resp.Header.Get("Content-Type"), sum: sum}, nil
}

// save writes body to a new temporary file, up to the size cap, and returns
// it rewound with its SHA-256. A body over the cap, or one that breaks off,
// leaves no file.
func (f *fetcher) save(body io.Reader) (*os.File, string, error) {
	file, err := f.tempFile()
	if err != nil {
		return nil, "", permanentError{err}
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(file, h), io.LimitReader(body, f.maxBytes+1))
	switch {
	case err != nil:
		err = fmt.Errorf("receiving body: %w", err)
	case n > f.maxBytes:
		err = permanentError{fmt.Errorf("over the %d-byte cap", f.maxBytes)}
	default:
		_, err = file.Seek(0, io.SeekStart)
	}
	if err != nil {
		file.Close()
		os.Remove(file.Name())
		return nil, "", err
	}
	return file, hex.EncodeToString(h.Sum(nil)), nil
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
