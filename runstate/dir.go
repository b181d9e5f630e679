package runstate

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// Dir is the local Backend: each document with a file is kept in it, so it
// survives restarts; the others (pauses, which a restart ends anyway) in
// memory.
type Dir struct {
	files map[string]string // document name -> file path

	mu       sync.Mutex
	mem      map[string][]byte
	watchers []func(string)
}

var _ Backend = (*Dir)(nil)

// NewDir returns a Dir keeping the documents named in files in those paths.
func NewDir(files map[string]string) *Dir {
	return &Dir{files: files, mem: map[string][]byte{}}
}

// Get implements Backend.
func (d *Dir) Get(name string) ([]byte, error) {
	path, ok := d.files[name]
	if !ok {
		d.mu.Lock()
		defer d.mu.Unlock()
		return slices.Clone(d.mem[name]), nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return b, err
}

// Set implements Backend. A file is written to a temporary one and renamed
// over the old, so a crash leaves the old document or the new, never half.
func (d *Dir) Set(name string, doc []byte) error {
	d.mu.Lock()
	if path, ok := d.files[name]; ok {
		if err := writeFile(path, doc); err != nil {
			d.mu.Unlock()
			return fmt.Errorf("%s: %w", path, err)
		}
	} else {
		d.mem[name] = slices.Clone(doc)
	}
	watchers := slices.Clone(d.watchers)
	d.mu.Unlock()
	for _, fn := range watchers {
		fn(name)
	}
	return nil
}

// List implements Backend.
func (d *Dir) List() ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for name := range d.mem {
		out = append(out, name)
	}
	for name, path := range d.files {
		if _, err := os.Stat(path); err == nil {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Watch implements Backend. Only this process writes a Dir.
func (d *Dir) Watch(fn func(name string)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.watchers = append(d.watchers, fn)
}

func writeFile(path string, doc []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(doc); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
