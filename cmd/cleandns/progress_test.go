package main

import (
	"bytes"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// TestProgressLoggerShowsOnlyDownloads: one-shot commands show a list's
// download progress on stderr and none of the server's other logging.
func TestProgressLoggerShowsOnlyDownloads(t *testing.T) {
	var buf bytes.Buffer
	log := progressLogger(&buf).Named("blocklist")
	log.Info("list loaded", zap.String("list", "a"))
	log.With(zap.String("k", "v")).Info("list downloading", zap.String("list", "big"), zap.Int64("percent", 40))
	log.Warn("something else")
	got := buf.String()
	if strings.Count(got, "\n") != 1 || !strings.Contains(got, "list downloading") || !strings.Contains(got, `"percent": 40`) {
		t.Errorf("stderr = %q, want only the download line", got)
	}
}
