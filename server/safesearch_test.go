package server

import (
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
)

// safeUpstream answers the providers' safe-search names and the engines'
// own names with different addresses, as the real ones do.
func safeUpstream(w dns.ResponseWriter, r *dns.Msg) {
	addrs := map[string]string{
		"forcesafesearch.google.com.": "216.239.38.120", "restrict.youtube.com.": "216.239.38.119",
		"restrictmoderate.youtube.com.": "216.239.38.118", "www.google.com.": "142.250.0.1", "www.youtube.com.": "142.250.0.2",
	}
	m := new(dns.Msg)
	m.SetReply(r)
	if a, ok := addrs[strings.ToLower(r.Question[0].Name)]; ok && r.Question[0].Qtype == dns.TypeA {
		rr, _ := dns.NewRR(r.Question[0].Name + " 300 IN A " + a)
		m.Answer = append(m.Answer, rr)
	}
	_ = w.WriteMsg(m)
}

// TestSafeSearchPerGroup: through a fake upstream on loopback, a group with
// safe search gets the providers' safe-search answers for www.google.com
// and www.youtube.com (a CNAME and the safe name's address); one with the
// moderate YouTube setting gets that; a group without it, the normal answer.
func TestSafeSearchPerGroup(t *testing.T) {
	up := dnstest.NewServer(t, safeUpstream)
	s := boot(t, upstreamYAML(up)+`groups:
  - name: kids
    clients: [127.0.0.2/32]
    safe_search: {enabled: true}
  - name: teens
    clients: [127.0.0.3/32]
    safe_search: {enabled: true, youtube: moderate}
`)
	addr := s.Addrs()[0]
	tests := []struct {
		client, name string
		want         string // the answer's records, ";"-joined, TTLs left out
	}{
		{"127.0.0.2", "www.google.com.", "CNAME forcesafesearch.google.com.;A 216.239.38.120"},
		{"127.0.0.2", "www.youtube.com.", "CNAME restrict.youtube.com.;A 216.239.38.119"},
		{"127.0.0.3", "www.youtube.com.", "CNAME restrictmoderate.youtube.com.;A 216.239.38.118"},
		{"127.0.0.3", "www.google.com.", "CNAME forcesafesearch.google.com.;A 216.239.38.120"},
		{"127.0.0.1", "www.google.com.", "A 142.250.0.1"},
		{"127.0.0.1", "www.youtube.com.", "A 142.250.0.2"},
	}
	for _, tt := range tests {
		r := askFrom(t, tt.client, addr, tt.name)
		var got []string
		for _, rr := range r.Answer {
			f := strings.Fields(rr.String())
			got = append(got, f[3]+" "+strings.Join(f[4:], " "))
		}
		if strings.Join(got, ";") != tt.want {
			t.Errorf("%s asking %s: %q, want %q", tt.client, tt.name, strings.Join(got, ";"), tt.want)
		}
	}
}
