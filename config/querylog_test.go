package config

import (
	"strings"
	"testing"
	"time"
)

func TestQueryLogSection(t *testing.T) {
	t.Setenv("CLEANDNS_QUERYLOG_CLIENT", "anonymize")
	cfg, err := load(t, "querylog:\n  format: jsonl\n  path: /tmp/q.jsonl\n  retention: 48h\n  max_rows: 5000\n  buffer: 64\nhttp:\n  allow_file: /tmp/allow.json\n", Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	q := cfg.QueryLog
	if !q.Enabled || q.Format != "jsonl" || q.Path != "/tmp/q.jsonl" || q.Retention != 48*time.Hour || q.MaxRows != 5000 ||
		q.Buffer != 64 || q.Client != "anonymize" || q.BatchSize != 1000 || q.FlushInterval != 500*time.Millisecond {
		t.Errorf("querylog = %+v", q)
	}
	if cfg.HTTP.AllowFile != "/tmp/allow.json" {
		t.Errorf("http.allow_file = %q", cfg.HTTP.AllowFile)
	}
}

func TestQueryLogDefaultsAndErrors(t *testing.T) {
	cfg, err := load(t, "", Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if q := cfg.QueryLog; !q.Enabled || q.Format != "sqlite" || q.Path != "" || q.Client != "full" || q.Retention != 7*24*time.Hour || q.MaxRows != 1_000_000 {
		t.Errorf("defaults = %+v", q)
	}
	for yaml, key := range map[string]string{
		"querylog:\n  client: hashed\n":  "querylog.client",
		"querylog:\n  format: csv\n":     "querylog.format",
		"querylog:\n  max_rows: -1\n":    "querylog.max_rows",
		"querylog:\n  retention: 7\n":    "querylog.retention",
		"querylog:\n  rotate_daily: 1\n": "querylog.rotate_daily",
	} {
		if _, err := load(t, yaml, Overrides{}); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: %v, want an error naming %s", yaml, err, key)
		}
	}
}
