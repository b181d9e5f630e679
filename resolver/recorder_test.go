package resolver

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"

	"github.com/cleandns/cleandns/metrics"
	"github.com/cleandns/cleandns/query"
)

type recorded struct {
	name, group, list string
	result            query.Result
	rcode             int
	d                 time.Duration
}

type fakeRecorder struct {
	mu  sync.Mutex
	got []recorded
}

func (f *fakeRecorder) Record(req *query.Request, resp *query.Response, rcode int, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, recorded{req.Name, resp.Group, resp.List, resp.Result, rcode, d})
}

// recordWriter is a dns.ResponseWriter that keeps the answer.
type recordWriter struct {
	dns.ResponseWriter
	out *dns.Msg
}

func (w *recordWriter) RemoteAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(10, 0, 0, 5), Port: 5353}
}
func (w *recordWriter) WriteMsg(m *dns.Msg) error { w.out = m; return nil }

func TestEdgeRecordsEachQueryOnce(t *testing.T) {
	blocked := HandlerFunc(func(_ context.Context, req *query.Request) (*query.Response, error) {
		switch req.Name {
		case "drop.test.":
			return &query.Response{Result: query.Dropped, Reason: "access"}, nil
		}
		m := new(dns.Msg)
		m.SetRcode(req.Msg, dns.RcodeNameError)
		return &query.Response{Msg: m, Result: query.Blocked, List: "builtin:x", Rule: "ads.test", Group: "kids"}, nil
	})
	edge := NewEdge(EdgeConfig{}, blocked, metrics.NewUnregistered(), zap.NewNop())
	rec := &fakeRecorder{}
	edge.SetRecorder(rec)
	tests := []struct {
		msg  *dns.Msg
		want recorded
	}{
		{newQuery("ADS.test.", dns.TypeA, 0), recorded{name: "ads.test.", group: "kids", list: "builtin:x", result: query.Blocked, rcode: dns.RcodeNameError}},
		{newQuery("drop.test.", dns.TypeA, 0), recorded{name: "drop.test.", result: query.Dropped, rcode: -1}},
		{new(dns.Msg), recorded{result: query.Local, rcode: dns.RcodeFormatError}}, // no question
	}
	for i, tt := range tests {
		edge.For("udp").ServeDNS(&recordWriter{}, tt.msg)
		if len(rec.got) != i+1 {
			t.Fatalf("query %d: %d records, want %d", i, len(rec.got), i+1)
		}
		got := rec.got[i]
		got.d = 0
		if got != tt.want {
			t.Errorf("query %d: recorded %+v, want %+v", i, got, tt.want)
		}
	}
	edge.SetRecorder(nil)
	edge.For("udp").ServeDNS(&recordWriter{}, newQuery("ads.test.", dns.TypeA, 0))
	if len(rec.got) != len(tests) {
		t.Errorf("recorded after SetRecorder(nil)")
	}
}
