package deploy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/internal/dnstest"
	"github.com/cleandns/cleandns/internal/pgtest"
	"github.com/cleandns/cleandns/querylog"
	"github.com/cleandns/cleandns/server"
)

// TestFleetSharesOnePostgresLog: three instances log into one PostgreSQL
// database, and a search through any instance's API finds the queries the
// others answered, each with the instance that answered it.
func TestFleetSharesOnePostgresLog(t *testing.T) {
	pg := pgtest.Start(t)
	up := dnstest.NewServer(t, dnstest.A("192.0.2.1"))
	var fleet []*server.Server
	for i := range 3 {
		fleet = append(fleet, boot(t, fmt.Sprintf("upstreams:\n  servers: [%s]\nblocking:\n  lists: [builtin:clean-apps]\n"+
			"querylog:\n  format: postgres\n  dsn: %q\n  instance: dns%d\n  flush_interval: 100ms\n", up, pg.DSN, i+1)))
	}
	for i, s := range fleet {
		ask(t, s.Addrs()[0], fmt.Sprintf("host%d.example.", i+1))
	}
	for i, s := range fleet {
		other := (i + 1) % 3
		name := fmt.Sprintf("host%d.example.", other+1)
		recs := waitRecords(t, s, name)
		if recs[0].Instance != fmt.Sprintf("dns%d", other+1) || recs[0].Result != "forwarded" {
			t.Errorf("instance %d's search for %s: %+v", i+1, name, recs[0])
		}
	}
}

func ask(t *testing.T, addr, name string) {
	t.Helper()
	q := new(dns.Msg).SetQuestion(name, dns.TypeA)
	if r, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(q, addr); err != nil || r.Rcode != dns.RcodeSuccess {
		t.Fatalf("%s: %v %v", name, r, err)
	}
}

// waitRecords searches s's API for name until a record shows up.
func waitRecords(t *testing.T, s *server.Server, name string) []querylog.Record {
	t.Helper()
	u := "http://" + s.HTTPAddr() + "/api/v1/querylog?since=1h&name=" + url.QueryEscape(name)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		var page struct{ Records []querylog.Record }
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err == nil && len(page.Records) > 0 {
			return page.Records
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %d %v, no record of %s", u, resp.StatusCode, err, name)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
