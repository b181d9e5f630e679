package blocklist

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// hostsList is a list of n names, d0.example to d<n-1>.example.
func hostsList(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "0.0.0.0 d%d.example\n", i)
	}
	return b.String()
}

// storedList returns the one stored copy in dir.
func storedList(t *testing.T, dir string) (path, text string) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(dir, "*.list"))
	if len(matches) != 1 {
		t.Fatalf("store holds %q, want one list", matches)
	}
	raw, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	return matches[0], string(raw)
}

// TestJunkDownloadKeepsTheLastGoodCopy is issue 15 item 2: a 200 whose
// body cannot be the list (empty, comments only, an HTML page, a .gz
// served as is, mostly invalid lines) is refused. The 10,000 served
// entries and the stored copy stay, and a restart during the outage blocks
// from that copy.
func TestJunkDownloadKeepsTheLastGoodCopy(t *testing.T) {
	good := hostsList(10000)
	var junk strings.Builder
	for i := range 90 {
		fmt.Fprintf(&junk, "Error %d: the server is busy, try again\n", i)
	}
	junk.WriteString("d1.example\n")
	for _, tc := range []struct {
		name, body, mode, wantErr, reason string
	}{
		{"empty body", "", "", "no rules", refusedEmpty},
		{"comments only", "# maintenance\n\n   \n! nothing\n", "", "no rules", refusedEmpty},
		{"html error page", "", "html", "HTML", refusedHTML},
		{"gz without Content-Encoding", good, "gz", "gzip", refusedGzip},
		{"mostly invalid lines", junk.String(), "", "invalid", refusedInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ls, srv := newListServer(t)
			url := srv.URL + "/hosts.txt"
			cfg := Config{Timeout: time.Second, Retries: -1, StoreDir: t.TempDir()}
			policy := Policy{Name: "p", Lists: []ListSpec{{Source: url}}}
			m, met := newTestManager(t, cfg, policy)
			ls.set(good, "")
			if err := m.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			_, before := storedList(t, cfg.StoreDir)

			ls.set(tc.body, tc.mode)
			err := m.Refresh(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Refresh: %v, want a refusal mentioning %q", err, tc.wantErr)
			}
			if got := metricValue(t, met.Entries.WithLabelValues(url)); got != 10000 {
				t.Errorf("entries metric %v after the refused download, want 10000", got)
			}
			if got := metricValue(t, met.Refused.WithLabelValues(url, tc.reason)); got != 1 {
				t.Errorf("refused{reason=%s} = %v, want 1", tc.reason, got)
			}
			if _, blocked := m.Matcher("p").Match("d9999.example"); !blocked {
				t.Error("the served list lost its entries")
			}
			if st := m.Status()[0]; st.Entries != 10000 || !strings.Contains(st.LastError, tc.wantErr) {
				t.Errorf("status entries %d, last error %q", st.Entries, st.LastError)
			}
			if _, after := storedList(t, cfg.StoreDir); after != before {
				t.Errorf("stored copy overwritten: %d bytes, was %d", len(after), len(before))
			}

			// The outage goes on; cleandns restarts.
			ls.set("", "fail")
			restarted, _ := newTestManager(t, cfg, policy)
			startManager(t, restarted)
			if st := restarted.Status()[0]; st.Entries != 10000 || !st.FromStore {
				t.Errorf("after a restart during the outage: %d entries (from store %v), want 10000", st.Entries, st.FromStore)
			}
		})
	}
}

// TestShrinkWarns: a download that loses more than shrink_warn_percent of
// the entries is applied (lists do shrink) but said: a log line, the
// metric and the status. A smaller shrink, or a threshold above the loss,
// says nothing.
func TestShrinkWarns(t *testing.T) {
	for _, tc := range []struct {
		name      string
		percent   int
		next      int
		wantAlarm bool
	}{
		{"default, lost 90%", 0, 1000, true},
		{"default, lost 10%", 0, 9000, false},
		{"95%, lost 90%", 95, 1000, false},
		{"5%, lost 10%", 5, 9000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ls, srv := newListServer(t)
			url := srv.URL + "/hosts.txt"
			core, logs := observer.New(zap.WarnLevel)
			met := NewMetrics()
			cfg := Config{Retries: -1, StoreDir: t.TempDir(), ShrinkWarnPercent: tc.percent}
			m, err := New(cfg, []Policy{{Name: "p", Lists: []ListSpec{{Source: url}}}}, Deps{Logger: zap.New(core), Metrics: met, Now: fixedClock()})
			if err != nil {
				t.Fatal(err)
			}
			ls.set(hostsList(10000), "")
			if err := m.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			ls.set(hostsList(tc.next), "")
			if err := m.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			st := m.Status()[0]
			if st.Entries != tc.next {
				t.Errorf("entries %d, want %d: a shrink is applied", st.Entries, tc.next)
			}
			alarm := metricValue(t, met.ShrinkWarning.WithLabelValues(url))
			logged := logs.FilterMessageSnippet("shrank").Len()
			if (alarm == 1) != tc.wantAlarm || (logged == 1) != tc.wantAlarm || (st.Warning != "") != tc.wantAlarm {
				t.Errorf("metric %v, %d log lines, status warning %q; want a warning: %v", alarm, logged, st.Warning, tc.wantAlarm)
			}
			if !tc.wantAlarm {
				return
			}
			// The next load that does not shrink clears the warning.
			if err := m.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			ls.set(hostsList(tc.next+1), "")
			if err := m.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			if v := metricValue(t, met.ShrinkWarning.WithLabelValues(url)); v != 0 || m.Status()[0].Warning != "" {
				t.Errorf("warning not cleared: metric %v, status %q", v, m.Status()[0].Warning)
			}
		})
	}
}

// TestCorruptedStoreIsRepaired is issue 15 item 3: a stored copy damaged on
// disk must not be confirmed by a 304 for ever. Its checksum no longer
// matches, so its validators are dropped and the list is downloaded again,
// at a restart and at a refresh of a running Manager alike.
func TestCorruptedStoreIsRepaired(t *testing.T) {
	for _, restart := range []bool{true, false} {
		t.Run(fmt.Sprintf("restart=%v", restart), func(t *testing.T) {
			ls, srv := newListServer(t)
			url := srv.URL + "/hosts.txt"
			cfg := Config{Retries: -1, StoreDir: t.TempDir()}
			policy := Policy{Name: "p", Lists: []ListSpec{{Source: url}}}
			good := hostsList(100)
			ls.set(good, "")
			m, _ := newTestManager(t, cfg, policy)
			if err := m.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			path, _ := storedList(t, cfg.StoreDir)
			if err := os.WriteFile(path, []byte(good[:len(good)/2]+"corrupt.example\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, notModBefore := ls.counts()
			if restart {
				m, _ = newTestManager(t, cfg, policy)
				refreshed := make(chan struct{}, 1)
				m.afterRefresh = func() { refreshed <- struct{}{} }
				startManager(t, m)
				select {
				case <-refreshed:
				case <-time.After(5 * time.Second):
					t.Fatal("background refresh did not run")
				}
			} else if err := m.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, notMod := ls.counts(); notMod != notModBefore {
				t.Errorf("the damaged copy was revalidated by %d 304s", notMod-notModBefore)
			}
			if _, text := storedList(t, cfg.StoreDir); text != good {
				t.Errorf("stored copy not repaired: %d bytes, want %d", len(text), len(good))
			}
			if _, blocked := m.Matcher("p").Match("corrupt.example"); blocked {
				t.Error("a name from the damaged copy is still blocked")
			}
			if _, blocked := m.Matcher("p").Match("d99.example"); !blocked {
				t.Error("the repaired list is not served")
			}
		})
	}
}

// TestClassifySchemeAnyCase: a URL's scheme is case-insensitive (RFC 3986
// §3.1); "HTTP://..." was read as a file path and failed with "no such
// file", its URL and secrets quoted in the error.
func TestClassifySchemeAnyCase(t *testing.T) {
	for in, want := range map[string]sourceKind{
		"https://lists.example/a": kindURL, "HTTP://lists.example/a": kindURL, "Https://x/y": kindURL,
		"builtin:apps-tiktok": kindBuiltin, "/etc/cleandns/hosts": kindFile, "http.txt": kindFile,
	} {
		if got := classify(in); got != want {
			t.Errorf("classify(%q) = %s, want %s", in, got, want)
		}
	}
}
