package console_test

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/api"
)

// The steps of TestConsoleInBrowser for the rules editor, the clients view
// and the dashboard's upstream latency.

// rulesEditor: the rules page's editor holds the stored rules; a bad line
// typed is named by its number and keeps Save off; fixed, the text is
// saved whole and real DNS queries answer blocked for its rules; a save
// over a rule added elsewhere meanwhile is refused until the text is
// loaded again.
func rulesEditor(t *testing.T, b *browser, base, dnsAddr string) {
	b.page(t, "#rules", `tr[data-rule="||ruled.example^"]`)
	if got := eval[string](t, b, `document.getElementById('rules-text').value`); got != "||ruled.example^\n" {
		t.Fatalf("the editor holds %q, want the stored rule", got)
	}
	eval[any](t, b, `(t => t.setSelectionRange(t.value.length, t.value.length))(document.getElementById('rules-text'))`)
	b.run(t, "a bad line", chromedp.SendKeys(chromedp.CSS("#rules-text"), "! bulk\n||bulked.example^\n||bulk..example^"),
		chromedp.WaitVisible(chromedp.CSS(`#rules-errors li[data-line="4"]`)))
	if got := b.text(t, "#rules-errors"); !strings.Contains(got, "line 4") || !strings.Contains(got, "bulk..example") {
		t.Errorf("errors %q do not name line 4", got)
	}
	if eval[bool](t, b, `!document.getElementById('rules-save').disabled`) {
		t.Error("save is on with a bad line")
	}
	b.run(t, "go to the line", chromedp.Click(chromedp.CSS(`#rules-errors li[data-line="4"] button.goto`)))
	if got := eval[string](t, b, `(t => t.value.slice(t.selectionStart, t.selectionEnd))(document.getElementById('rules-text'))`); got != "||bulk..example^" {
		t.Errorf("the error's line number selects %q, want the bad line", got)
	}
	eval[any](t, b, `(t => t.setSelectionRange(t.value.length, t.value.length))(document.getElementById('rules-text'))`)
	b.screenshot(t, "rules", 1280)
	b.screenshot(t, "rules", 360)
	b.run(t, "fix it", chromedp.SendKeys(chromedp.CSS("#rules-text"), strings.Repeat(kb.Backspace, len("..example^"))+".example^"),
		chromedp.WaitVisible(chromedp.CSS("#rules-verdict.ok")), chromedp.WaitNotPresent(chromedp.CSS("#rules-errors li")))
	b.run(t, "save", chromedp.Click(chromedp.CSS("#rules-save")), chromedp.WaitVisible(chromedp.CSS(`tr[data-rule="||bulk.example^"]`)))
	if got := b.text(t, "#rules-verdict"); !strings.Contains(got, "3 rules (2 added, 0 removed)") {
		t.Errorf("after saving: %q", got)
	}
	// The comment typed is stored with the rule below it: the page drawn
	// again from the API holds it where it was.
	b.page(t, "#lists", "#new-list")
	b.page(t, "#rules", `tr[data-rule="||bulk.example^"]`)
	if got, want := eval[string](t, b, `document.getElementById('rules-text').value`), "||ruled.example^\n! bulk\n||bulked.example^\n||bulk.example^\n"; got != want {
		t.Errorf("the editor holds %q after the save, want %q", got, want)
	}
	for _, name := range []string{"bulk.example", "www.bulked.example", "ruled.example"} {
		if got := rcode(t, dnsAddr, name); got != dns.RcodeNameError {
			t.Errorf("%s answers %s after the save, want blocked", name, dns.RcodeToString[got])
		}
	}

	// A rule added elsewhere while the text is being edited: saving the
	// text would drop it unseen, so nothing is saved until it is loaded.
	b.run(t, "edit again", chromedp.SendKeys(chromedp.CSS("#rules-text"), "||late.example^"),
		chromedp.WaitEnabled(chromedp.CSS("#rules-save")))
	apiPost(t, base, "/api/v1/rules?rule="+url.QueryEscape("||elsewhere.example^"))
	b.run(t, "save over it", chromedp.Click(chromedp.CSS("#rules-save")), chromedp.WaitVisible(chromedp.CSS("#rules-reload")))
	b.checkErrors(t, "409") // the refused save's answer
	if got := rcode(t, dnsAddr, "late.example"); got != dns.RcodeSuccess {
		t.Errorf("late.example answers %s: the refused save stored it", dns.RcodeToString[got])
	}
	b.run(t, "load the saved rules", chromedp.Click(chromedp.CSS("#rules-reload")))
	waitFor(t, 5*time.Second, "the editor to hold the rule added elsewhere", func() bool {
		return strings.Contains(eval[string](t, b, `document.getElementById('rules-text').value`), "||elsewhere.example^")
	})
}

// apiPost calls the API with the admin token and wants a 2xx answer.
func apiPost(t *testing.T, base, path string) {
	t.Helper()
	req, err := http.NewRequest("POST", base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %s", path, resp.Status)
	}
}

// clientsWhy: a query from 127.0.0.2 puts that client in the clients view
// in group lab by its network, and its log row and its Why? say the same.
func clientsWhy(t *testing.T, b *browser, dnsAddr string) {
	c := &dns.Client{Timeout: 5 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)}}}
	if _, _, err := c.Exchange(new(dns.Msg).SetQuestion("lab.example.", dns.TypeA), dnsAddr); err != nil {
		t.Fatalf("asking from 127.0.0.2: %v", err)
	}
	lab := `tr.client[data-client="127.0.0.2"]`
	b.page(t, "#clients", lab+" .why")
	if got, want := b.text(t, lab+" .group"), "lab"; got != want {
		t.Errorf("127.0.0.2 in group %q, want %q", got, want)
	}
	if got := b.text(t, lab+" .why"); !strings.Contains(got, "network") || !strings.Contains(got, "127.0.0.2/32") {
		t.Errorf("why 127.0.0.2 is in lab: %q, want its network", got)
	}
	if got := b.text(t, `tr.client[data-client="127.0.0.1"] .why`); !strings.Contains(got, "no group names it") {
		t.Errorf("why 127.0.0.1 is in default: %q", got)
	}
	b.screenshot(t, "clients", 1280)
	b.screenshot(t, "clients", 360)
	b.page(t, "#log?client=127.0.0.2", "tr.rec .group-why")
	if got := b.text(t, "tr.rec .group"); !strings.Contains(got, "lab") || !strings.Contains(got, "127.0.0.2/32") {
		t.Errorf("the log row's group: %q, want lab and its network", got)
	}
	b.run(t, "why", chromedp.Click(chromedp.CSS("tr.rec button.why")), chromedp.WaitVisible(chromedp.CSS("tr.rec .explain")))
	if got := b.text(t, "tr.rec .explain"); !strings.Contains(got, "lab.example: not blocked for group lab") || !strings.Contains(got, "in group lab: address 127.0.0.2 is in 127.0.0.2/32") {
		t.Errorf("Why? on the row: %q, want the verdict for group lab and why the client is in it", got)
	}
}

// upstreamLatency: the dashboard shows the upstream's recent percentiles
// beside its health, once the API has exchanges to read them from.
func upstreamLatency(t *testing.T, b *browser, base string) {
	var st api.Status
	apiGet(t, base, "/api/v1/status", &st)
	if len(st.Upstreams) != 1 || st.Upstreams[0].RTTSamples == 0 {
		t.Fatalf("upstreams %+v, want one with recent exchanges", st.Upstreams)
	}
	b.page(t, "#dashboard", "td.latency .pct")
	if got := b.text(t, "td.latency .pct"); !strings.Contains(got, "p50 ") || !strings.Contains(got, "p95 ") || !strings.Contains(got, "last ") {
		t.Errorf("the dashboard's latency: %q, want p50, p95 and the number of exchanges", got)
	}
}
