package blocklist

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// listServer serves one list whose content and behaviour tests change.
type listServer struct {
	mu       sync.Mutex
	body     string
	mode     string // "", "fail", "hang", "huge", "cut", "html", "gz"
	requests int
	notMod   int
}

func (s *listServer) set(body, mode string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.mode = body, mode
}

func (s *listServer) counts() (requests, notModified int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests, s.notMod
}

func (s *listServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	body, mode := s.body, s.mode
	etag := fmt.Sprintf("%q", fmt.Sprintf("%x", sha256.Sum256([]byte(body))))
	if mode == "" && r.Header.Get("If-None-Match") == etag {
		s.notMod++
	}
	s.mu.Unlock()
	switch mode {
	case "fail":
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	case "hang":
		<-r.Context().Done()
		return
	case "huge":
		// Written in pieces, so the response is chunked: the cap is met
		// while streaming, not from Content-Length.
		for range 1000 {
			w.Write([]byte("big.example.com\n"))
		}
		return
	case "cut":
		// A body that breaks off: the server closes the connection short
		// of the Content-Length.
		w.Header().Set("Content-Length", "1000")
		w.Write([]byte("cut.example\n"))
		return
	case "html":
		// A captive portal or a CDN's error page, served with 200.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!DOCTYPE html>\n<html><head><title>Oops</title></head>\n<body>\nwww.example.com\n</body></html>\n")
		return
	case "gz":
		// The list compressed, as a .gz file served without
		// Content-Encoding: the client must not read it as text.
		w.Header().Set("Content-Type", "application/gzip")
		zw := gzip.NewWriter(w)
		zw.Write([]byte(body))
		zw.Close()
		return
	}
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write([]byte(body))
}

func newListServer(t *testing.T) (*listServer, *httptest.Server) {
	ls := &listServer{}
	srv := httptest.NewServer(ls)
	t.Cleanup(srv.Close)
	return ls, srv
}

// TestRemoteRefresh walks a remote list through change, 304, failure,
// timeout and an oversized body: the served set always equals the last
// good content, and the metrics and status say what happened.
func TestRemoteRefresh(t *testing.T) {
	ls, srv := newListServer(t)
	url := srv.URL + "/hosts.txt"
	cfg := Config{Timeout: 200 * time.Millisecond, MaxBytes: 4096, Retries: 2, StoreDir: t.TempDir()}
	m, met := newTestManager(t, cfg, Policy{Name: "p", Lists: []ListSpec{{Source: url}}})
	match := m.Matcher("p")
	ctx := context.Background()
	errorsMetric := func() float64 { return metricValue(t, met.RefreshErrors.WithLabelValues(url)) }
	steps := []struct {
		name, body, mode string
		wantErr          bool
		blocked          []string
		notBlocked       []string
		wantRequests     int // requests this step makes
		wantNotModified  int // total 304s so far
		wantEntries      float64
		wantErrors       float64
	}{
		{"first", "a.example\n0.0.0.0 b.example\n", "", false, []string{"a.example", "x.b.example"}, []string{"c.example"}, 1, 0, 2, 0},
		{"changed", "c.example\n", "", false, []string{"c.example"}, []string{"a.example", "b.example"}, 1, 0, 1, 0},
		{"unchanged 304", "c.example\n", "", false, []string{"c.example"}, nil, 1, 1, 1, 0},
		{"server error retried", "", "fail", true, []string{"c.example"}, nil, 3, 1, 1, 1},
		{"timeout", "", "hang", true, []string{"c.example"}, nil, 3, 1, 1, 2},
		{"over size cap", "", "huge", true, []string{"c.example"}, []string{"big.example.com"}, 1, 1, 1, 3},
		{"body cut short, retried", "", "cut", true, []string{"c.example"}, []string{"cut.example"}, 3, 1, 1, 4},
		{"recovered", "d.example\n", "", false, []string{"d.example"}, []string{"c.example"}, 1, 1, 1, 4},
	}
	lastGood := ""
	for _, st := range steps {
		ls.set(st.body, st.mode)
		before, notModBefore := ls.counts()
		err := m.Refresh(ctx)
		if (err != nil) != st.wantErr {
			t.Fatalf("%s: Refresh error %v, want error %v", st.name, err, st.wantErr)
		}
		for _, name := range st.blocked {
			if _, blocked := match.Match(name); !blocked {
				t.Errorf("%s: %s not blocked", st.name, name)
			}
		}
		for _, name := range st.notBlocked {
			if _, blocked := match.Match(name); blocked {
				t.Errorf("%s: %s blocked", st.name, name)
			}
		}
		after, notMod := ls.counts()
		if after-before != st.wantRequests || notMod != st.wantNotModified {
			t.Errorf("%s: %d requests, %d 304s in all; want %d, %d", st.name, after-before, notMod, st.wantRequests, st.wantNotModified)
		}
		if got := metricValue(t, met.Entries.WithLabelValues(url)); got != st.wantEntries {
			t.Errorf("%s: entries metric %v, want %v", st.name, got, st.wantEntries)
		}
		if got := errorsMetric(); got != st.wantErrors {
			t.Errorf("%s: refresh errors metric %v, want %v", st.name, got, st.wantErrors)
		}
		status := m.Status()[0]
		if (status.LastError != "") != st.wantErr || !status.Loaded {
			t.Errorf("%s: status %+v", st.name, status)
		}
		if !st.wantErr && st.wantNotModified == notModBefore {
			lastGood = st.body
		}
		checkStore(t, st.name, cfg.StoreDir, lastGood)
	}
	if got := metricValue(t, met.LastSuccess.WithLabelValues(url)); got != float64(fixedClock()().Unix()) {
		t.Errorf("last success metric %v", got)
	}
}

// checkStore fails unless dir holds exactly one stored list, whose text is
// want, beside its metadata: no download left a temporary file behind.
func checkStore(t *testing.T, step, dir, want string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		if strings.HasSuffix(e.Name(), ".list") {
			if got, _ := os.ReadFile(filepath.Join(dir, e.Name())); string(got) != want {
				t.Errorf("%s: stored copy %q, want %q", step, got, want)
			}
		}
	}
	if len(names) != 2 || filepath.Ext(names[0]) != ".json" || filepath.Ext(names[1]) != ".list" {
		t.Errorf("%s: store holds %q, want one list and its metadata", step, names)
	}
}

// TestDownloadWithoutStore: with nothing kept on disk, a download still
// goes through a temporary file, removed once the list is loaded.
func TestDownloadWithoutStore(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // os.TempDir on Unix
	ls, srv := newListServer(t)
	m, _ := newTestManager(t, Config{Retries: -1, MaxBytes: 4096}, Policy{Name: "p", Lists: []ListSpec{{Source: srv.URL + "/list"}}})
	for _, step := range []struct{ body, mode string }{{"a.example\n", ""}, {"", "huge"}, {"", "cut"}} {
		ls.set(step.body, step.mode)
		err := m.Refresh(context.Background())
		if (err != nil) != (step.mode != "") {
			t.Errorf("mode %q: Refresh error %v", step.mode, err)
		}
		if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
			t.Errorf("mode %q: %d files left in the temporary directory", step.mode, len(entries))
		}
	}
	if _, blocked := m.Matcher("p").Match("a.example"); !blocked {
		t.Error("list not loaded")
	}
}

// TestRestartFromStore: with the list server down, a new Manager blocks from
// the copy its predecessor stored, as soon as Start returns.
func TestRestartFromStore(t *testing.T) {
	ls, srv := newListServer(t)
	url := srv.URL + "/list"
	cfg := Config{Timeout: 200 * time.Millisecond, StoreDir: t.TempDir(), Retries: -1}
	policy := Policy{Name: "p", Lists: []ListSpec{{Source: url}}}

	ls.set("stored.example\n", "")
	first, _ := newTestManager(t, cfg, policy)
	if err := first.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	ls.set("", "fail")

	second, met := newTestManager(t, cfg, policy)
	refreshed := make(chan struct{}, 1)
	second.afterRefresh = func() { refreshed <- struct{}{} }
	startManager(t, second)
	if _, blocked := second.Matcher("p").Match("www.stored.example"); !blocked {
		t.Fatal("not blocked from the stored copy right after Start")
	}
	if st := second.Status()[0]; !st.FromStore || st.Entries != 1 {
		t.Errorf("status %+v, want loaded from store", st)
	}
	select {
	case <-refreshed:
	case <-time.After(5 * time.Second):
		t.Fatal("background refresh did not run")
	}
	if _, blocked := second.Matcher("p").Match("www.stored.example"); !blocked {
		t.Error("failed background refresh dropped the stored copy")
	}
	if got := metricValue(t, met.RefreshErrors.WithLabelValues(url)); got != 1 {
		t.Errorf("refresh errors %v, want 1", got)
	}
	if ex := second.Explain("p", "stored.example"); ex.Rule.Line != 1 {
		t.Errorf("Explain from the store = %+v", ex)
	}
}

// TestNeverLoadedIsReported: an unreachable list with no stored copy is not
// fatal; the others load and the status says what failed.
func TestNeverLoadedIsReported(t *testing.T) {
	ls, srv := newListServer(t)
	ls.set("", "fail")
	url := srv.URL + "/list"
	m, _ := newTestManager(t, Config{Retries: -1}, Policy{Name: "p", Lists: []ListSpec{{Source: url}, {Source: "builtin:apps-tiktok"}}})
	refreshed := make(chan struct{}, 1)
	m.afterRefresh = func() { refreshed <- struct{}{} }
	startManager(t, m)
	<-refreshed
	if _, blocked := m.Matcher("p").Match("tiktok.com"); !blocked {
		t.Error("builtin not loaded")
	}
	st := m.Status()[0]
	if st.Loaded || !strings.Contains(st.LastError, "503") {
		t.Errorf("status %+v, want not loaded with the HTTP error", st)
	}
}

// TestFileLoadSizesTableOnce: every load counts a file's rules before it
// reads them, so the table has the size of its entries, not of a grown one.
func TestFileLoadSizesTableOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hosts")
	m, _ := newTestManager(t, Config{}, Policy{Name: "p", Lists: []ListSpec{{Source: path}}})
	for i, text := range []string{
		"# header\n0.0.0.0 a.example b.example\nc.example\n\n||d.example^\n",
		"e.example\n0.0.0.0 f.example g.example h.example\n/^re\\./\n",
	} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := m.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		if s := m.set.Load(); s.Len() != 4 || len(s.keys) != tableSize(4) {
			t.Errorf("load %d: %d names in %d slots, want 4 in %d", i, s.Len(), len(s.keys), tableSize(4))
		}
	}
}

func TestFileSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hosts")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("0.0.0.0 one.example\nbad line here\n")
	m, _ := newTestManager(t, Config{}, Policy{Name: "p", Lists: []ListSpec{{Source: path}}})
	startManager(t, m)
	match := m.Matcher("p")
	if _, blocked := match.Match("one.example"); !blocked {
		t.Fatal("file list not loaded")
	}
	if st := m.Status()[0]; st.Invalid != 1 || st.InvalidLines[0].Line != 2 {
		t.Errorf("status %+v, want line 2 invalid", st)
	}
	write("two.example\n")
	if err := m.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, blocked := match.Match("one.example"); blocked {
		t.Error("old file content still served")
	}
	os.Remove(path)
	if err := m.Refresh(context.Background()); err == nil {
		t.Error("missing file not reported")
	}
	if _, blocked := match.Match("two.example"); !blocked {
		t.Error("missing file dropped the previous entries")
	}
}
