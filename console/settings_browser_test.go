package console_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
)

// addressOf asks addr for name's A record over UDP: its address, or the
// rcode when there is none.
func addressOf(t *testing.T, addr, name string) string {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), dns.TypeA)
	r, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(q, addr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			return a.A.String()
		}
	}
	return dns.RcodeToString[r.Rcode]
}

// localRecordInSettings adds a local record on the Settings page, confirms
// it, sees a real query answered by it and the record marked as the
// console's, then removes it (confirmed too) and sees the answer go.
func localRecordInSettings(t *testing.T, b *browser, dnsAddr string) {
	const name, ip = "printer.home.arpa", "192.168.1.50"
	row := `tr[data-record="` + name + ` A ` + ip + `"]`
	b.page(t, "#settings", "#rec-form")
	if got := b.text(t, "#upstreams tbody tr"); !strings.Contains(got, "healthy") && !strings.Contains(got, "down") {
		t.Errorf("upstream row %q shows no health", got)
	}
	if got := addressOf(t, dnsAddr, name); got != "NXDOMAIN" {
		t.Fatalf("before: %s answers %s", name, got)
	}
	// The hosts file's record is listed as the hosts file's, and only the
	// file changes it: no Remove button.
	hostsRow := `tr[data-record="nas.home.arpa A 192.168.1.60"]`
	if got := b.text(t, hostsRow); !strings.Contains(got, "hosts file") {
		t.Errorf("hosts row %q does not say where it is from", got)
	}
	if eval[bool](t, b, `!!document.querySelector('`+hostsRow+` button.remove')`) {
		t.Error("the hosts file's record has a Remove button")
	}
	b.run(t, "fill", chromedp.SendKeys(chromedp.CSS("#rec-name"), name), chromedp.SendKeys(chromedp.CSS("#rec-value"), ip))
	b.run(t, "add", chromedp.Click(chromedp.CSS(`#rec-form button[type="submit"]`)))
	b.run(t, "confirm", chromedp.Click(chromedp.CSS("#rec-form button.confirm")))
	b.run(t, "the record listed", chromedp.WaitVisible(chromedp.CSS(row)))
	waitFor(t, 5*time.Second, name+" answered by the record", func() bool { return addressOf(t, dnsAddr, name) == ip })
	if got := b.text(t, row); !strings.Contains(got, "console") {
		t.Errorf("row %q does not say it was made in the console", got)
	}
	if got := b.text(t, "#console-settings"); !strings.Contains(got, "local_records:") || !strings.Contains(got, ip) {
		t.Errorf("the export does not hold the record: %q", got)
	}
	b.run(t, "remove", chromedp.Click(chromedp.CSS(row+" button.remove")))
	b.run(t, "confirm removal", chromedp.Click(chromedp.CSS(row+" button.confirm")))
	b.run(t, "the record gone", chromedp.WaitNotPresent(chromedp.CSS(row)))
	waitFor(t, 5*time.Second, name+" not local any more", func() bool { return addressOf(t, dnsAddr, name) == "NXDOMAIN" })
}

// upstreamsInSettings adds an upstream on the Settings page, removes the
// file's, sees real queries answered by the new one, then goes back to the
// file's upstreams; each step confirmed.
func upstreamsInSettings(t *testing.T, b *browser, dnsAddr, fileUp string) {
	other := "udp://" + dnstest.NewServer(t, dnstest.A("192.0.2.9"))
	b.page(t, "#settings", "#upstream-form")
	b.run(t, "fill", chromedp.SendKeys(chromedp.CSS("#new-upstream"), other))
	b.run(t, "add", chromedp.Click(chromedp.CSS(`#upstream-form button[type="submit"]`)))
	b.run(t, "confirm", chromedp.Click(chromedp.CSS("#upstream-form button.confirm")))
	row := `tr[data-upstream="` + other + `"]`
	b.run(t, "the upstream listed", chromedp.WaitVisible(chromedp.CSS(row)))
	if got := b.text(t, row); !strings.Contains(got, "console") {
		t.Errorf("row %q does not say it was set in the console", got)
	}
	fileRow := `tr[data-upstream="` + fileUp + `"]`
	b.run(t, "remove the file's", chromedp.Click(chromedp.CSS(fileRow+" button.remove")))
	b.run(t, "confirm removal", chromedp.Click(chromedp.CSS(fileRow+" button.confirm")))
	b.run(t, "the file's gone", chromedp.WaitNotPresent(chromedp.CSS(fileRow)))
	if got := addressOf(t, dnsAddr, "via-console-upstream.example"); got != "192.0.2.9" {
		t.Errorf("with the console's upstream: %s", got)
	}
	b.run(t, "back to the file's", chromedp.Click(chromedp.CSS("#upstreams-reset")))
	b.run(t, "confirm going back", chromedp.Click(chromedp.CSS("#upstreams button.confirm")))
	b.run(t, "the file's back", chromedp.WaitVisible(chromedp.CSS(fileRow)), chromedp.WaitNotPresent(chromedp.CSS(row)))
	if got := addressOf(t, dnsAddr, "via-file-upstream.example"); got != "192.0.2.1" {
		t.Errorf("back to the file's upstream: %s", got)
	}
}

// markupStaysText adds, through the API, a local record whose name and
// value are markup (as another instance's settings or a careless paste
// could hold), and sees the Settings page show it as text: no element is
// made of it, no handler runs; then removes it.
func markupStaysText(t *testing.T, b *browser) {
	const value = `<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>`
	const name = `<b>x</b>.home.arpa`
	status := eval[float64](t, b, `fetch('/api/v1/settings/local-records?' + new URLSearchParams({name: `+
		strconv.Quote(name)+`, type: 'TXT', value: `+strconv.Quote(value)+`}), {method: 'POST'}).then(r => r.status)`)
	if status != 200 {
		t.Fatalf("adding the record: %v", status)
	}
	b.page(t, "#lists", "#new-list") // the Settings page drawn anew, with the record
	b.page(t, "#settings", "#local-records tbody tr")
	waitFor(t, 5*time.Second, "the record listed", func() bool {
		return strings.Contains(b.text(t, "#local-records"), "<script>")
	})
	if got := b.text(t, "#local-records"); !strings.Contains(got, value) || !strings.Contains(got, name) {
		t.Errorf("the record is not shown as its text: %q", got)
	}
	if n := eval[float64](t, b, `document.querySelectorAll('#local-records img, #local-records script, #local-records b, #console-settings img, #console-settings b').length`); n != 0 {
		t.Errorf("%v elements were made of the record's text", n)
	}
	if title := eval[string](t, b, `document.title`); strings.Contains(title, "pwned") {
		t.Errorf("the record's markup ran: title %q", title)
	}
	_ = eval[float64](t, b, `fetch('/api/v1/settings/local-records?' + new URLSearchParams({name: `+strconv.Quote(name)+`}), {method: 'DELETE'}).then(r => r.status)`)
}
