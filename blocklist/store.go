package blocklist

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// store keeps the last good copy of each remote list on disk, with the
// validators needed for a conditional request, so that a restart during an
// outage blocks from the copy.
type store struct {
	dir string // "" = keep nothing
}

// storeMeta is written beside each copy.
type storeMeta struct {
	URL          string    `json:"url"` // for a reader of the folder: redacted, as the list's name; the file name comes from the full URL
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	Fetched      time.Time `json:"fetched"`
	// SHA256 is the copy's checksum. A copy that no longer matches it (or
	// has none) is damaged or unverified: it is never revalidated with the
	// validators above, so a 304 cannot confirm it; the list is downloaded
	// again in full.
	SHA256 string `json:"sha256,omitempty"`
}

func (s store) paths(url string) (data, meta string) {
	sum := sha256.Sum256([]byte(url))
	base := filepath.Join(s.dir, hex.EncodeToString(sum[:12]))
	return base + ".list", base + ".json"
}

// open returns the stored copy of url, opened at its start, and whether it
// matches its checksum; os.ErrNotExist when there is none.
func (s store) open(url string) (*os.File, storeMeta, bool, error) {
	f, meta, err := s.openCopy(url)
	if err != nil {
		return nil, meta, false, err
	}
	intact, err := matches(f, meta.SHA256)
	if err == nil {
		err = rewind(f)
	}
	if err != nil {
		f.Close()
		return nil, meta, false, fmt.Errorf("stored copy of %s: %w", meta.URL, err)
	}
	return f, meta, intact, nil
}

// intact says whether url's stored copy exists and matches its checksum.
// With no store kept it is true: there is nothing on disk to repair.
func (s store) intact(url string) bool {
	if s.dir == "" {
		return true
	}
	f, meta, err := s.openCopy(url)
	if err != nil {
		return false
	}
	defer f.Close()
	ok, err := matches(f, meta.SHA256)
	return err == nil && ok
}

// matches says whether r's SHA-256 is sum; an empty sum never matches.
func matches(r io.Reader, sum string) (bool, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return false, err
	}
	return sum != "" && hex.EncodeToString(h.Sum(nil)) == sum, nil
}

func (s store) openCopy(url string) (*os.File, storeMeta, error) {
	var meta storeMeta
	if s.dir == "" {
		return nil, meta, os.ErrNotExist
	}
	dataPath, metaPath := s.paths(url)
	raw, err := os.ReadFile(metaPath)
	if err != nil {
		return nil, meta, err
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, meta, fmt.Errorf("stored metadata %s: %w", metaPath, err)
	}
	f, err := os.Open(dataPath)
	return f, meta, err
}

// tempFile creates the file a download is written to: in the store's
// directory, so that keeping it is a rename, or in the system's temporary
// directory when nothing is kept. The caller removes it unless kept.
func (s store) tempFile() (*os.File, error) {
	dir := s.dir
	if dir == "" {
		dir = os.TempDir()
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("store dir: %w", err)
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("temporary file for the download: %w", err)
	}
	return f, nil
}

// keep makes f, a download from tempFile, the stored copy of url. The
// list is renamed into place before its metadata is written, so a crash
// between the two leaves old validators, which only cost a full download,
// never new validators beside old content. f stays open and readable.
func (s store) keep(f *os.File, url string, meta storeMeta) error {
	if s.dir == "" {
		return nil
	}
	raw, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	dataPath, metaPath := s.paths(url)
	if err := f.Sync(); err != nil {
		return fmt.Errorf("store %s: %w", dataPath, err)
	}
	if err := os.Rename(f.Name(), dataPath); err != nil {
		return fmt.Errorf("store %s: %w", dataPath, err)
	}
	return writeAtomic(metaPath, raw)
}

// writeAtomic writes to a temporary file in the same directory and renames
// it over path, so readers see the old or the new file, never a torn one.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer os.Remove(f.Name()) // no-op after the rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("store %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("store %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("store %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("store %s: %w", path, err)
	}
	return nil
}
