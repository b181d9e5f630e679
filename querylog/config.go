// Package querylog records finished queries for search and audit: a bounded
// buffer the edge sends to without ever blocking, a writer goroutine that
// stores records in batches, and searches over the stored records.
//
// Storage is embedded SQLite (modernc.org/sqlite, no cgo) by default, or
// JSON lines in a rotating file for log shippers. The client address is kept
// whole, anonymized to its /24 (IPv4) or /48 (IPv6), or not at all.
package querylog

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/cleandns/cleandns/internal/statedir"
)

// Config is the `querylog` section.
type Config struct {
	// Enabled records queries; on by default.
	Enabled bool `mapstructure:"enabled"`
	// Format is sqlite (searchable, the default), jsonl (JSON lines in a
	// rotating file, for log shippers; the API cannot search it) or
	// postgres (one central, searchable log for several instances).
	Format string `mapstructure:"format"`
	// DSN is the PostgreSQL connection string for format postgres
	// (postgres://user:password@host:5432/db?sslmode=verify-full); its
	// password is never logged. Best set from the environment
	// (CLEANDNS_QUERYLOG_DSN).
	DSN string `mapstructure:"dsn"`
	// Instance names this instance in a shared log; the host name when empty.
	Instance string `mapstructure:"instance"`
	// Path is the database or JSON lines file. Empty means DefaultPath.
	Path string `mapstructure:"path"`
	// Retention drops records older than this; 0 keeps them by age forever.
	Retention time.Duration `mapstructure:"retention"`
	// MaxRows caps the SQLite log at this many records, oldest dropped
	// first; 0 means no cap.
	MaxRows int `mapstructure:"max_rows"`
	// MaxSizeMB rotates the JSON lines file when it reaches this size.
	MaxSizeMB int `mapstructure:"max_size_mb"`
	// MaxFiles is how many rotated JSON lines files are kept.
	MaxFiles int `mapstructure:"max_files"`
	// Client is full, anonymize (keep the /24 or /48) or none.
	Client string `mapstructure:"client"`
	// Buffer is how many records may wait for the writer; when it is full,
	// the oldest waiting record gives way (counted), never a query.
	Buffer int `mapstructure:"buffer"`
	// BatchSize is the most records written in one transaction.
	BatchSize int `mapstructure:"batch_size"`
	// FlushInterval is the longest a record waits in a partial batch.
	FlushInterval time.Duration `mapstructure:"flush_interval"`
	// MaxWriterCPU is the share of one core the writer may use, 0 to 1
	// (1: no limit). Beyond it, records wait in the buffer and, when it is
	// full, the oldest give way, so the log never takes the CPU queries need.
	MaxWriterCPU float64 `mapstructure:"max_writer_cpu"`
}

// The values of Config.Format and Config.Client.
const (
	FormatSQLite   = "sqlite"
	FormatJSONL    = "jsonl"
	FormatPostgres = "postgres"

	ClientFull      = "full"
	ClientAnonymize = "anonymize"
	ClientNone      = "none"
)

// SetDefaults fills every zero field but Enabled, Path and the caps a
// user may set to 0 on purpose, which the config file's defaults carry.
func (c *Config) SetDefaults() {
	if c.Format == "" {
		c.Format = FormatSQLite
	}
	if c.Client == "" {
		c.Client = ClientFull
	}
	if c.Buffer == 0 {
		// 65,536 records (up to 24 MB with the writer's swap buffer) ride
		// out the writer's pauses at 20,000 q/s: with 16,384 and 32,768,
		// runs of bench/querylog.sh on a quiet machine dropped up to 2.8%.
		c.Buffer = DefaultBuffer
	}
	if c.BatchSize == 0 {
		c.BatchSize = 1000
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.MaxSizeMB == 0 {
		c.MaxSizeMB = 100
	}
	if c.MaxFiles == 0 {
		c.MaxFiles = 5
	}
	if c.MaxWriterCPU == 0 {
		c.MaxWriterCPU = DefaultMaxWriterCPU
	}
}

// DefaultBuffer is querylog.buffer's default, in records.
const DefaultBuffer = 65536

// DefaultMaxWriterCPU keeps the writer to 5% of one core: storing 20,000
// records a second takes a few percent on the benchmark machine, so the cap
// only bites beyond that, where the oldest waiting records give way.
const DefaultMaxWriterCPU = 0.05

// DefaultFlushInterval is the longest a record waits to be written: with
// the writer's rest (at most half of it), a poll and a write on top, a kill
// of cleandns loses under a second.
const DefaultFlushInterval = 500 * time.Millisecond

// Defaults returns the values the config file starts from: on, SQLite,
// seven days and a million rows, full client addresses.
func Defaults() Config {
	c := Config{Enabled: true, Retention: 7 * 24 * time.Hour, MaxRows: 1_000_000}
	c.SetDefaults()
	return c
}

// Validate checks the values are usable, naming the key of the first problem.
func (c Config) Validate() error {
	switch strings.ToLower(c.Format) {
	case FormatSQLite, FormatJSONL:
	case FormatPostgres:
		if c.Enabled && c.DSN == "" {
			return fmt.Errorf("querylog.dsn: format postgres needs a connection string (postgres://user:password@host:5432/db)")
		}
	default:
		return fmt.Errorf("querylog.format: %q is not sqlite, jsonl or postgres", c.Format)
	}
	switch strings.ToLower(c.Client) {
	case ClientFull, ClientAnonymize, ClientNone:
	default:
		return fmt.Errorf("querylog.client: %q is not full, anonymize or none", c.Client)
	}
	switch {
	case c.Retention < 0:
		return fmt.Errorf("querylog.retention: %v is negative", c.Retention)
	case c.MaxRows < 0:
		return fmt.Errorf("querylog.max_rows: %d is negative", c.MaxRows)
	case c.MaxSizeMB < 0:
		return fmt.Errorf("querylog.max_size_mb: %d is negative", c.MaxSizeMB)
	case c.MaxFiles < 0:
		return fmt.Errorf("querylog.max_files: %d is negative", c.MaxFiles)
	case c.Buffer < 0:
		return fmt.Errorf("querylog.buffer: %d is negative", c.Buffer)
	case c.BatchSize < 0:
		return fmt.Errorf("querylog.batch_size: %d is negative", c.BatchSize)
	case c.FlushInterval < 0:
		return fmt.Errorf("querylog.flush_interval: %v is negative", c.FlushInterval)
	case c.MaxWriterCPU < 0 || c.MaxWriterCPU > 1:
		return fmt.Errorf("querylog.max_writer_cpu: %v is outside 0..1", c.MaxWriterCPU)
	}
	return nil
}

// DefaultPath is where the log goes when querylog.path is empty: in
// StateDir, or as cleandns-querylog.db (or .jsonl) in the working directory
// when there is none.
func DefaultPath(format string) string {
	file := "querylog.db"
	if strings.EqualFold(format, FormatJSONL) {
		file = "querylog.jsonl"
	}
	if d := StateDir(); d != "" {
		return filepath.Join(d, file)
	}
	return "cleandns-" + file
}

// StateDir is where cleandns keeps state when the config names no path
// (see package statedir).
func StateDir() string { return statedir.Path() }
