package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cleandns/cleandns/api"
	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/dnstest"
)

// TestPauseAndResumeDuringReload pauses and resumes blocking through the
// API while a reload is between loading its lists and swapping them in:
// after the swap, blocking is what the last call said, and so is
// cleandns_blocking_enabled. Before the runtime state had one owner, a
// reload copied the pauses while it built, so these calls were lost.
func TestPauseAndResumeDuringReload(t *testing.T) {
	for _, tt := range []struct {
		name       string
		before     bool                      // paused before the reload
		during     []func(c *apiCalls) error // the calls made while it loads
		wantPaused bool
	}{
		{"pause", false, []func(*apiCalls) error{(*apiCalls).pause}, true},
		{"resume", true, []func(*apiCalls) error{(*apiCalls).resume}, false},
		{"pause then resume", false, []func(*apiCalls) error{(*apiCalls).pause, (*apiCalls).resume}, false},
		{"resume then pause", true, []func(*apiCalls) error{(*apiCalls).resume, (*apiCalls).pause}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int64
			up := dnstest.NewServer(t, answerA(&hits))
			yaml := upstreamYAML(up)
			s, client := adminClient(t, yaml)
			c := &apiCalls{t: t, c: client}
			if tt.before {
				if err := c.pause(); err != nil {
					t.Fatal(err)
				}
			}
			s.beforeSwap = func() {
				for _, call := range tt.during {
					if err := call(c); err != nil {
						t.Error(err)
					}
				}
			}
			o := config.Overrides{Listen: []string{"127.0.0.1:0"}, HTTP: "127.0.0.1:0"}
			if err := s.Reload(loader(yaml+"http:\n  admin_token: "+testAdminToken+"\ncache:\n  enabled: false\n", o)); err != nil {
				t.Fatal(err)
			}
			rc := rcodeOf(t, s.Addrs()[0], "tiktok.com.")
			if paused := rc != dns.RcodeNameError; paused != tt.wantPaused {
				t.Errorf("after the swap tiktok.com is %s: paused=%v, want %v", dns.RcodeToString[rc], paused, tt.wantPaused)
			}
			want := 1.0
			if tt.wantPaused {
				want = 0
			}
			if got := testutil.ToFloat64(s.metrics.BlockingEnabled.WithLabelValues("default")); got != want {
				t.Errorf("cleandns_blocking_enabled{group=default} = %v, want %v", got, want)
			}
		})
	}
}

// apiCalls makes the admin API calls of TestPauseAndResumeDuringReload.
type apiCalls struct {
	t *testing.T
	c *api.Client
}

func (a *apiCalls) pause() error {
	_, err := a.c.Pause(context.Background(), time.Hour, "")
	return err
}

func (a *apiCalls) resume() error {
	_, err := a.c.Resume(context.Background(), "")
	return err
}

// TestPauseAndResumeWhileAReloadLoadsASlowList is the test over
// real sockets: a reload adds a list from a loopback HTTP server that holds
// its answer, and while the download is held, blocking is paused and
// resumed (in either order) through the admin API. Once the list has
// loaded, blocking is what the last call said, for the builtin list and the
// slow one alike, and so is cleandns_blocking_enabled. A generation that
// kept a copy of the pauses made when it was built would still say what
// they were before the calls.
func TestPauseAndResumeWhileAReloadLoadsASlowList(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("STATE_DIRECTORY", "")
	for _, tt := range []struct {
		name       string
		before     bool
		during     []func(c *apiCalls) error
		wantPaused bool
	}{
		{"pause then resume", true, []func(*apiCalls) error{(*apiCalls).pause, (*apiCalls).resume}, false},
		{"resume then pause", false, []func(*apiCalls) error{(*apiCalls).resume, (*apiCalls).pause}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			arrived, release := make(chan struct{}, 1), make(chan struct{})
			lists := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case arrived <- struct{}{}:
				default:
				}
				select { // held until the test has made its calls
				case <-release:
				case <-r.Context().Done():
					return
				}
				fmt.Fprintln(w, "slow.example")
			}))
			t.Cleanup(lists.Close)
			var hits atomic.Int64
			up := dnstest.NewServer(t, answerA(&hits))
			yaml := upstreamYAML(up)
			s, client := adminClient(t, yaml)
			c := &apiCalls{t: t, c: client}
			if tt.before {
				if err := c.pause(); err != nil {
					t.Fatal(err)
				}
			}
			url := lists.URL + "/slow.txt"
			o := config.Overrides{Listen: []string{"127.0.0.1:0"}, HTTP: "127.0.0.1:0"}
			next := fmt.Sprintf("upstreams:\n  servers: [%s]\nblocking:\n  lists: [builtin:clean-apps, %q]\n  download_retries: -1\n"+
				"http:\n  admin_token: %s\ncache:\n  enabled: false\n", up, url, testAdminToken)
			if err := s.Reload(loader(next, o)); err != nil {
				t.Fatal(err)
			}
			select {
			case <-arrived:
			case <-time.After(10 * time.Second):
				t.Fatal("the reload never asked for the slow list")
			}
			for _, call := range tt.during {
				if err := call(c); err != nil {
					t.Fatal(err)
				}
			}
			close(release)
			loaded := time.Now().Add(10 * time.Second)
			for testutil.ToFloat64(s.metrics.BlocklistEntries.WithLabelValues(url)) < 1 {
				if time.Now().After(loaded) {
					t.Fatal("the slow list never loaded")
				}
				time.Sleep(10 * time.Millisecond)
			}
			for _, name := range []string{"tiktok.com.", "slow.example."} {
				rc := rcodeOf(t, s.Addrs()[0], name)
				if paused := rc != dns.RcodeNameError; paused != tt.wantPaused {
					t.Errorf("after the load %s is %s: paused=%v, want %v", name, dns.RcodeToString[rc], paused, tt.wantPaused)
				}
			}
			want := 1.0
			if tt.wantPaused {
				want = 0
			}
			if got := testutil.ToFloat64(s.metrics.BlockingEnabled.WithLabelValues("default")); got != want {
				t.Errorf("cleandns_blocking_enabled{group=default} = %v, want %v", got, want)
			}
		})
	}
}
