package console_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/api"
	"github.com/cleandns/cleandns/internal/dnstest"
)

const testList = "# a list served on loopback\n0.0.0.0 ads.example.net\ntracker.example.net\nthis is not a rule!!\n"

// TestConsoleInBrowser drives the console in a real Chromium against a real
// cleandns: log in, read the dashboard, search the log, allow a blocked
// name from its row (and undo), pause and resume, read a list's status,
// log out; DNS answers must follow each change.
func TestConsoleInBrowser(t *testing.T) {
	b := newBrowser(t)
	up := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
	lists := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(testList))
	}))
	t.Cleanup(lists.Close)
	listURL := lists.URL + "/ads.txt"
	hosts := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(hosts, []byte("192.168.1.60 nas.home.arpa\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := boot(t, yamlConfig(up, listURL, hosts))
	base, dnsAddr := "http://"+s.HTTPAddr(), s.Addrs()[0]
	waitFor(t, 10*time.Second, "the loopback list to load", func() bool {
		var st api.Status
		apiGet(t, base, "/api/v1/status", &st)
		for _, l := range st.Lists {
			if l.Name == listURL && l.Loaded {
				return true
			}
		}
		return false
	})

	t.Run("login", func(t *testing.T) {
		b.run(t, "open", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#secret")))
		b.run(t, "wrong password", chromedp.SendKeys(chromedp.CSS("#secret"), "not the password"),
			chromedp.Click(chromedp.CSS("#login button")), chromedp.WaitVisible(chromedp.CSS("#login .error:not(:empty)")))
		if got := b.text(t, "#login .error"); !strings.Contains(got, "Login failed") {
			t.Errorf("after a wrong password: %q", got)
		}
		b.run(t, "right password", chromedp.SetValue(chromedp.CSS("#secret"), password),
			chromedp.Click(chromedp.CSS("#login button")), chromedp.WaitVisible(chromedp.CSS("#d-total")))
		b.checkErrors(t, "401") // the wrong password's answer
	})

	for _, name := range []string{"a.example.", "b.example.", "c.example.", "tiktok.com.", "www.tiktok.com.", "ads.example.net."} {
		rcode(t, dnsAddr, name)
	}
	t.Run("dashboard agrees with the API", func(t *testing.T) {
		var st api.Stats
		waitFor(t, 5*time.Second, "the query log to hold 6 queries", func() bool {
			apiGet(t, base, "/api/v1/stats?since=24h&step=10m", &st)
			return st.Total >= 6
		})
		if st.Blocked != 3 {
			t.Errorf("API: %d blocked, want 3", st.Blocked)
		}
		// A fresh load of the dashboard, timed by the page itself.
		b.run(t, "reload", chromedp.Navigate("about:blank"), chromedp.Navigate(base+"/#dashboard"), chromedp.WaitVisible(chromedp.CSS("#d-total")))
		var drawn float64
		waitFor(t, 5*time.Second, "the drawn mark", func() bool {
			drawn = eval[float64](t, b, `(performance.getEntriesByName('cleandns:dashboard-drawn')[0] || {startTime: -1}).startTime`)
			return drawn >= 0
		})
		t.Logf("dashboard drawn %.0f ms after the page started loading", drawn)
		// The goal is 300 ms; the bound is looser so a loaded CI machine
		// (and -race) does not fail it, while a regression still does.
		if drawn > 1000 {
			t.Errorf("dashboard drawn after %.0f ms, want about 300 ms on loopback", drawn)
		}
		if got := b.text(t, "#d-total"); got != strconv.FormatInt(st.Total, 10) {
			t.Errorf("dashboard total %q, API %d", got, st.Total)
		}
		if got := b.text(t, "#d-blocked"); got != strconv.FormatInt(st.Blocked, 10) {
			t.Errorf("dashboard blocked %q, API %d", got, st.Blocked)
		}
		b.screenshot(t, "dashboard", 1280)
		b.screenshot(t, "dashboard", 360)
	})

	t.Run("search the log", func(t *testing.T) {
		b.page(t, "#log?name=tiktok", "#log-count")
		n := eval[int](t, b, `document.querySelectorAll('tr.rec').length`)
		if n != 2 {
			t.Errorf("%d rows for tiktok, want 2", n)
		}
		if got := b.text(t, "tr.rec .reason"); !strings.Contains(got, "builtin:apps-tiktok") {
			t.Errorf("reason %q does not name the list", got)
		}
		b.page(t, "#log", "#log-count")
		b.screenshot(t, "querylog", 1280)
		b.screenshot(t, "querylog", 360)
	})

	t.Run("allow from a row, then undo", func(t *testing.T) {
		b.page(t, "#log?name=tiktok&result=blocked", `tr.rec[data-name="tiktok.com."] button.allow`)
		b.run(t, "allow", chromedp.Click(chromedp.CSS(`tr.rec[data-name="tiktok.com."] button.allow`)),
			chromedp.Click(chromedp.CSS(`tr.rec[data-name="tiktok.com."] button.confirm`)),
			chromedp.WaitVisible(chromedp.CSS("#toast button")))
		if got := rcode(t, dnsAddr, "tiktok.com"); got != dns.RcodeSuccess {
			t.Errorf("allowed tiktok.com answers %s", dns.RcodeToString[got])
		}
		b.run(t, "undo", chromedp.Click(chromedp.CSS("#toast button")))
		waitFor(t, 5*time.Second, "tiktok.com blocked again", func() bool { return rcode(t, dnsAddr, "tiktok.com") == dns.RcodeNameError })
	})

	t.Run("block from a row, then undo", func(t *testing.T) {
		row := `tr.rec[data-name="b.example."]`
		b.page(t, "#log?name=b.example", row+" button.block")
		b.run(t, "block", chromedp.Click(chromedp.CSS(row+" button.block")), chromedp.Click(chromedp.CSS(row+" button.confirm")),
			chromedp.WaitVisible(chromedp.CSS("#toast button")))
		waitFor(t, 5*time.Second, "b.example blocked", func() bool { return rcode(t, dnsAddr, "b.example") == dns.RcodeNameError })
		b.run(t, "undo", chromedp.Click(chromedp.CSS("#toast button")))
		waitFor(t, 5*time.Second, "b.example answered again", func() bool { return rcode(t, dnsAddr, "b.example") == dns.RcodeSuccess })
	})

	t.Run("custom rule checked as typed", func(t *testing.T) {
		b.page(t, "#rules", "#rule")
		b.run(t, "a bad rule", chromedp.SendKeys(chromedp.CSS("#rule"), "||bad..example^"),
			chromedp.WaitVisible(chromedp.CSS("#rule-check.error")))
		eval[any](t, b, `document.getElementById('rule').value = ''`)
		b.run(t, "a good rule", chromedp.SendKeys(chromedp.CSS("#rule"), "||ruled.example^"),
			chromedp.WaitVisible(chromedp.CSS("#rule-check.ok")), chromedp.Click(chromedp.CSS("#rule-form button")),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-rule="||ruled.example^"]`)))
		waitFor(t, 5*time.Second, "ruled.example blocked", func() bool { return rcode(t, dnsAddr, "ruled.example") == dns.RcodeNameError })
	})

	t.Run("all rules edited as one text", func(t *testing.T) { rulesEditor(t, b, base, dnsAddr) })

	t.Run("pause and resume", func(t *testing.T) {
		pause := `tr[data-group=""] button.pause[data-duration="5m"]`
		b.page(t, "#blocking", pause)
		b.run(t, "pause", chromedp.Click(chromedp.CSS(pause)), chromedp.WaitVisible(chromedp.CSS(".pause-left")))
		if got := rcode(t, dnsAddr, "www.tiktok.com"); got != dns.RcodeSuccess {
			t.Errorf("paused: www.tiktok.com answers %s", dns.RcodeToString[got])
		}
		if got := b.text(t, ".pause-left"); !strings.Contains(got, "4:5") && !strings.Contains(got, "5:00") {
			t.Errorf("time left %q, want about 5 minutes", got)
		}
		b.run(t, "resume", chromedp.Click(chromedp.CSS(`tr[data-group=""] button.resume`)),
			chromedp.WaitNotPresent(chromedp.CSS(".pause-left")))
		if got := rcode(t, dnsAddr, "www.tiktok.com"); got != dns.RcodeNameError {
			t.Errorf("resumed: www.tiktok.com answers %s", dns.RcodeToString[got])
		}
		if got := b.text(t, `tr[data-category="builtin:apps-other"] .breaks`); !strings.Contains(got, "qq.com is the whole Tencent web estate") {
			t.Errorf("apps-other's breaks line: %q", got)
		}
	})

	t.Run("a list's status", func(t *testing.T) {
		row := `tr[data-list="` + listURL + `"]`
		b.page(t, "#lists", row)
		if got := b.text(t, row+" .entries"); got != "2" {
			t.Errorf("entries %q, want 2", got)
		}
		if got := b.text(t, row); !strings.Contains(got, "line 4") {
			t.Errorf("row %q does not show invalid line 4", got)
		}
		b.screenshot(t, "lists", 1280)
		b.screenshot(t, "lists", 360)
	})

	t.Run("switch a category", func(t *testing.T) {
		sw := `tr[data-category="builtin:doh-resolvers"] input.cat-switch`
		b.page(t, "#blocking", sw)
		if got := rcode(t, dnsAddr, "dns.google"); got != dns.RcodeSuccess {
			t.Fatalf("before: dns.google answers %s", dns.RcodeToString[got])
		}
		b.run(t, "switch on", chromedp.Click(chromedp.CSS(sw)))
		waitFor(t, 10*time.Second, "dns.google blocked", func() bool { return rcode(t, dnsAddr, "dns.google") == dns.RcodeNameError })
		b.run(t, "origin shown", chromedp.WaitVisible(chromedp.CSS(`tr[data-category="builtin:doh-resolvers"] .muted`)))
		b.run(t, "switch off", chromedp.Click(chromedp.CSS(sw)))
		waitFor(t, 10*time.Second, "dns.google answered again", func() bool { return rcode(t, dnsAddr, "dns.google") == dns.RcodeSuccess })
	})

	t.Run("add a list", func(t *testing.T) {
		more := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("added.example.org\nalso.example.org\n"))
		}))
		t.Cleanup(more.Close)
		url := more.URL + "/more.txt"
		b.page(t, "#lists", "#new-list")
		b.run(t, "add", chromedp.SendKeys(chromedp.CSS("#new-list"), url), chromedp.Click(chromedp.CSS("#add-list-form button")),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-list="`+url+`"]`)))
		waitFor(t, 10*time.Second, "added.example.org blocked", func() bool { return rcode(t, dnsAddr, "added.example.org") == dns.RcodeNameError })
		b.page(t, "#lists", `tr[data-list="`+url+`"] .entries`)
		waitFor(t, 20*time.Second, "the added list's status", func() bool {
			return eval[string](t, b, `(document.querySelector('tr[data-list="`+url+`"] .entries') || {}).textContent`) == "2"
		})
		b.screenshot(t, "lists", 1280)
		b.screenshot(t, "lists", 360)
	})

	t.Run("a local record from the Settings page", func(t *testing.T) { localRecordInSettings(t, b, dnsAddr) })
	t.Run("upstreams from the Settings page", func(t *testing.T) { upstreamsInSettings(t, b, dnsAddr, up) })
	t.Run("markup in a record stays text", func(t *testing.T) { markupStaysText(t, b) })

	t.Run("clients and why they are in their group", func(t *testing.T) { clientsWhy(t, b, dnsAddr) })

	t.Run("upstream latency on the dashboard", func(t *testing.T) { upstreamLatency(t, b, base) })

	t.Run("logout", func(t *testing.T) {
		b.run(t, "logout", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#secret")))
		access := eval[string](t, b, `fetch('/api/v1/session').then(r => r.json()).then(j => j.access)`)
		if access != "none" {
			t.Errorf("after logout the session opens %q", access)
		}
	})
	b.checkErrors(t)
}
