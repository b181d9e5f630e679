package resolver

import (
	"context"
	"reflect"
	"testing"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/query"
)

// tracer records the order links run in.
type tracer struct {
	name  string
	trace *[]string
}

func (l tracer) Resolve(ctx context.Context, req *query.Request, next Handler) (*query.Response, error) {
	*l.trace = append(*l.trace, l.name)
	return next.Resolve(ctx, req)
}

func TestBuildOrder(t *testing.T) {
	var trace []string
	tr := func(name string) Link { return tracer{name, &trace} }
	h := Build(Parts{
		Loop: tr("loop"), Access: tr("access"), RateLimit: tr("ratelimit"), Group: tr("group"), Special: tr("special"),
		Local: tr("local"), Block: tr("block"), ResponseFilter: tr("responsefilter"), Any: tr("any"),
		Cache: tr("cache"), Dedup: tr("dedup"), Forward: &countingUpstream{},
	})
	if _, err := h.Resolve(context.Background(), policyReq("example.com.", dns.TypeA, "udp", "10.0.0.1")); err != nil {
		t.Fatal(err)
	}
	want := []string{"access", "ratelimit", "loop", "group", "special", "local", "block", "responsefilter", "any", "cache", "dedup"}
	if !reflect.DeepEqual(trace, want) {
		t.Errorf("order %v, want %v", trace, want)
	}
}
