package querylog

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/query"
)

// t0 is the tests' "now".
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func openTestDB(t testing.TB, maxRows int) *SQLite {
	t.Helper()
	s, err := OpenSQLite(filepath.Join(t.TempDir(), "q.db"), maxRows)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.yield = func() {} // no queries to yield to; keeps big writes fast
	return s
}

func rec(at time.Time, client, name, result string) Record {
	r := Record{Time: at, Client: client, Protocol: "udp", Name: name, Type: "A", Result: result, Group: "default", Rcode: 0, Duration: time.Millisecond}
	if result == "blocked" {
		r.List, r.Rule, r.Rcode = "builtin:ads", name, dns.RcodeNameError
	} else {
		r.Upstream = "9.9.9.9:53"
	}
	return r
}

// request builds what the edge hands a Recorder.
func request(client, name string) (*query.Request, *query.Response) {
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	req := &query.Request{Msg: m, Client: netip.MustParseAddr(client), Protocol: "udp", Name: name, Type: dns.TypeA, Group: query.DefaultGroup, Start: t0}
	return req, &query.Response{Result: query.Forwarded, Upstream: "9.9.9.9:53"}
}

// generate makes n records over the hour before end: 5,000 names, 200
// clients, one query in ten blocked.
func generate(n int, end time.Time) []Record {
	out := make([]Record, n)
	step := time.Hour / time.Duration(n)
	for i := range out {
		result := "forwarded"
		if i%10 == 0 {
			result = "blocked"
		}
		out[i] = rec(end.Add(-time.Hour+time.Duration(i)*step), fmt.Sprintf("10.0.%d.%d", i%200/100, i%200),
			fmt.Sprintf("host%d.example%d.com.", i%5000, i%50), result)
	}
	return out
}

// setLane says which loop req came from.
func setLane(req *query.Request, lane int) { req.Lane = lane }
