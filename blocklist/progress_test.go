package blocklist

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// TestDownloadProgress: a list that arrives slowly is reported while it
// downloads, in the log and in its status, and the status clears after.
func TestDownloadProgress(t *testing.T) {
	var body []byte
	for i := range 2000 {
		body = append(body, fmt.Sprintf("host%d.slow.example\n", i)...)
	}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		half := len(body) / 2
		_, _ = w.Write(body[:half])
		w.(http.Flusher).Flush()
		<-release // the second half waits until the test has seen progress
		_, _ = w.Write(body[half:])
	}))
	defer srv.Close()
	core, logs := observer.New(zap.InfoLevel)
	m, err := New(Config{Retries: -1, Timeout: 10 * time.Second, MaxBytes: 1 << 20, StoreDir: t.TempDir()},
		[]Policy{{Name: "p", Lists: []ListSpec{{Source: srv.URL + "/list"}}}}, Deps{Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	m.progressEvery = time.Millisecond
	done := make(chan error, 1)
	go func() { done <- m.Refresh(context.Background()) }()

	deadline := time.Now().Add(30 * time.Second) // a loaded machine starts the download late
	for m.Status()[0].Downloaded == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	st := m.Status()[0]
	// The first report is silent (it comes with the first bytes); the next
	// read must come a report interval later to be logged.
	time.Sleep(20 * m.progressEvery)
	close(release)
	if st.Downloaded <= 0 || st.DownloadSize != int64(len(body)) {
		t.Errorf("status during the download: %d of %d bytes, want some of %d", st.Downloaded, st.DownloadSize, len(body))
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st := m.Status()[0]; st.Downloaded != 0 || st.Entries != 2000 {
		t.Errorf("after the download: %d bytes in progress, %d entries", st.Downloaded, st.Entries)
	}
	if logs.FilterMessage("list downloading").Len() == 0 {
		t.Errorf("no progress line in the log: %v", logs.All())
	}
}
