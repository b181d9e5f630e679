package querylog

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// JSONL writes records as JSON lines for log shippers, rotating the file at
// a size: path, path.1 (newest rotated), ... path.N. It cannot be searched.
type JSONL struct {
	path     string
	maxBytes int64
	maxFiles int

	f    *os.File
	w    *bufio.Writer
	size int64
}

var _ Store = (*JSONL)(nil)

// OpenJSONL opens path for appending. maxBytes 0 never rotates; maxFiles
// is how many rotated files are kept.
func OpenJSONL(path string, maxBytes int64, maxFiles int) (*JSONL, error) {
	j := &JSONL{path: path, maxBytes: maxBytes, maxFiles: maxFiles}
	return j, j.open()
}

func (j *JSONL) open() error {
	f, err := os.OpenFile(j.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	j.f, j.w, j.size = f, bufio.NewWriter(f), st.Size()
	return nil
}

// Write appends recs, one JSON object a line, rotating first when the file
// has reached its size.
func (j *JSONL) Write(recs []Record) error {
	if j.maxBytes > 0 && j.size >= j.maxBytes {
		if err := j.rotate(); err != nil {
			return fmt.Errorf("rotate: %w", err)
		}
	}
	enc := json.NewEncoder(j.w)
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil {
			return err
		}
	}
	j.size += int64(j.w.Buffered())
	return j.w.Flush()
}

func (j *JSONL) rotate() error {
	if err := j.close(); err != nil {
		return err
	}
	if j.maxFiles <= 0 {
		if err := os.Remove(j.path); err != nil && !os.IsNotExist(err) {
			return err
		}
		return j.open()
	}
	for i := j.maxFiles - 1; i >= 1; i-- {
		if err := os.Rename(j.rotated(i), j.rotated(i+1)); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	if err := os.Rename(j.path, j.rotated(1)); err != nil {
		return err
	}
	return j.open()
}

func (j *JSONL) rotated(i int) string { return fmt.Sprintf("%s.%d", j.path, i) }

// Prune removes rotated files last written before cutoff, and any beyond
// maxFiles. Records inside the current file stay until it rotates.
func (j *JSONL) Prune(cutoff time.Time) (int64, error) {
	var removed int64
	for i := 1; i <= j.maxFiles+1; i++ {
		st, err := os.Stat(j.rotated(i))
		if err != nil {
			continue
		}
		if i > j.maxFiles || (!cutoff.IsZero() && st.ModTime().Before(cutoff)) {
			if err := os.Remove(j.rotated(i)); err != nil {
				return removed, err
			}
			removed++
		}
	}
	return removed, nil
}

func (j *JSONL) close() error {
	err := j.w.Flush()
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Close flushes and closes the file.
func (j *JSONL) Close() error { return j.close() }
