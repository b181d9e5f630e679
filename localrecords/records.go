package localrecords

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"
)

// Records answers local names. Lookups are lock-free; the hosts file's
// records are replaced whole when it changes.
type Records struct {
	cfg   Config
	log   *zap.Logger
	table atomic.Pointer[table]

	mu    sync.Mutex // serialises reloads
	stamp fileStamp  // of the hosts file last loaded
}

type fileStamp struct {
	mod  time.Time
	size int64
}

// New builds the records, reading the hosts file once: a configured file
// that cannot be read is an error at start, and a warning (keeping the last
// good copy) afterwards.
func New(cfg Config, log *zap.Logger) (*Records, error) {
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	r := &Records{cfg: cfg, log: log}
	if _, err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Lookup returns the answer to a question for name (lowercase, fully
// qualified) and qtype: its records of that type, with local CNAMEs followed.
// ok is false when name is not local; an empty answer with ok is NODATA.
// The records are copies the caller may change.
func (r *Records) Lookup(name string, qtype uint16) ([]dns.RR, bool) {
	return r.table.Load().lookup(name, qtype)
}

// Has reports whether name (lowercase, fully qualified) is a local name.
func (r *Records) Has(name string) bool {
	_, _, ok := r.table.Load().find(name)
	return ok
}

// Hosts returns the first max of the hosts file's records that are
// answered (one a name and address, in file order; those a config CNAME
// overrides left out), and how many there are in all. The records are
// shared: read them, never change them.
func (r *Records) Hosts(max int) ([]dns.RR, int) {
	h := r.table.Load().hosts
	return h[:min(max, len(h))], len(h)
}

// Reload re-reads the hosts file when its modification time or size has
// changed (always, the first time), and reports whether it did.
func (r *Records) Reload() (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var hosts []dns.RR
	if path := r.cfg.HostsFile; path != "" {
		st, err := os.Stat(path)
		if err != nil {
			return false, fmt.Errorf("local_records.hosts_file: %w", err)
		}
		stamp := fileStamp{mod: st.ModTime(), size: st.Size()}
		if r.table.Load() != nil && stamp == r.stamp {
			return false, nil
		}
		f, err := os.Open(path)
		if err != nil {
			return false, fmt.Errorf("local_records.hosts_file: %w", err)
		}
		defer f.Close()
		var skipped int
		hosts, skipped, err = parseHosts(f, r.cfg.TTL)
		if err != nil {
			return false, fmt.Errorf("local_records.hosts_file %s: %w", path, err)
		}
		if skipped > 0 {
			r.log.Debug("hosts file: lines skipped", zap.String("path", path), zap.Int("skipped", skipped))
		}
		r.stamp = stamp
	}
	t, err := build(r.cfg.Records, hosts, r.cfg.TTL)
	if err != nil {
		return false, err
	}
	r.table.Store(t)
	return true, nil
}

// Run polls the hosts file every HostsPoll until ctx ends. Without a hosts
// file it returns at once.
func (r *Records) Run(ctx context.Context) {
	if r.cfg.HostsFile == "" {
		return
	}
	tick := time.NewTicker(r.cfg.HostsPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			changed, err := r.Reload()
			switch {
			case err != nil:
				r.log.Warn("hosts file reload failed; keeping the last copy", zap.Error(err))
			case changed:
				r.log.Info("hosts file reloaded", zap.String("path", r.cfg.HostsFile), zap.Int("names", r.Len()))
			}
		}
	}
}

// Len is the number of local names, reverse names included.
func (r *Records) Len() int { return len(r.table.Load().names) }

// Names lists the local owner names, for logs and the API.
func (r *Records) Names() []string {
	var out []string
	for n := range r.table.Load().names {
		if !strings.HasSuffix(n, ".arpa.") {
			out = append(out, n)
		}
	}
	return out
}
