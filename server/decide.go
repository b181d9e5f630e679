package server

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/api"
	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/groups"
	"github.com/cleandns/cleandns/query"
	"github.com/cleandns/cleandns/runstate"
)

// wouldForward ends the decide chain: the query was not answered by any
// link, so the server would send it upstream.
type wouldForward struct{}

func (wouldForward) Resolve(_ context.Context, req *query.Request) (*query.Response, error) {
	m := new(dns.Msg)
	m.SetReply(req.Msg)
	return &query.Response{Msg: m, Result: query.Forwarded, Reason: "would be forwarded"}, nil
}

// Explain says what the server does with an A query for name from client
// (the zero address: the default group), and why. The verdict comes from
// running the serving pipeline's own links (group, special names, local
// records, the blocklist with the runtime allow and deny entries, pauses,
// schedules and groups with blocking off) up to where the query would go
// upstream; the lists are then read again for the rule's line and every
// rule naming the name. The admin API and `cleandns explain` both answer
// with it, so neither can disagree with the server.
func (s *Server) Explain(name string, client netip.Addr) api.Explanation {
	return s.ExplainFor(name, client, "")
}

// ExplainFor is Explain for a client that gives the client ID clientID
// ("" for none, as over plain DNS; else as a DoH path or a TLS server name
// gives it).
func (s *Server) ExplainFor(name string, client netip.Addr, clientID string) api.Explanation {
	g := s.gen.Load()
	fqdn := strings.ToLower(dns.Fqdn(name))
	q := new(dns.Msg).SetQuestion(fqdn, dns.TypeA)
	req := &query.Request{Msg: q, Client: client.Unmap(), ClientID: strings.ToLower(clientID), Protocol: "explain", Name: fqdn, Type: dns.TypeA,
		Group: query.DefaultGroup, Start: time.Now()}
	resp, err := g.decide.Resolve(context.Background(), req)
	out := api.Explanation{Name: strings.TrimSuffix(fqdn, "."), Group: req.Group, ClientID: req.ClientID}
	// The group link above chose req.Group with this same selection.
	if sel := g.groups.Choose(req.Client, req.ClientID, q); sel.Group == req.Group {
		out.GroupBy, out.GroupReason = sel.By.String(), sel.Reason()
	}
	if err != nil {
		out.Answer, out.Text = "servfail", fmt.Sprintf("%s: cannot be decided: %v", out.Name, err)
		return out
	}
	out.Answer = resp.Result.String()
	lists := s.listExplain(g, req.Group, fqdn)
	for _, r := range lists.Matches {
		out.Matches = append(out.Matches, api.ExplainRule{List: r.List, Line: r.Line, Rule: r.Text, Allow: r.Allow})
	}
	switch resp.Result {
	case query.Blocked:
		out.Blocked, out.List, out.Rule = true, resp.List, resp.Rule
		if lists.Rule.List == resp.List {
			out.Line, out.Rule = lists.Rule.Line, lists.Rule.Text
		}
		out.Text = fmt.Sprintf("%s: blocked for group %s by %s", out.Name, out.Group, out.List)
		if out.Line > 0 {
			out.Text += fmt.Sprintf(" line %d", out.Line)
		}
		out.Text += fmt.Sprintf(": %q", out.Rule)
	case query.Local:
		out.List, out.Rule = resp.List, resp.Rule
		out.Text = fmt.Sprintf("%s: answered by cleandns itself (%s)", out.Name, resp.Reason)
		if resp.Reason == "local-record" && s.RecordOrigin(g.cfg, fqdn) == "console" {
			out.Origin = "console"
			out.Text += " (a local record made in the console)"
		}
	default:
		out.Text = s.whyNotBlocked(g, &out, lists)
		if resp.Result == query.Forwarded && len(s.settings.Get().Upstreams) > 0 && !inForwardZone(g.cfg, fqdn) {
			out.UpstreamsOrigin = "console"
			out.Text += "; it goes to the upstreams set in the console"
		}
	}
	if out.List != "" && s.ListOrigin(out.Group, out.List) == "console" {
		out.Origin = "console"
		out.Text += " (a list switched on in the console)"
	}
	if lists.Note != "" {
		out.Text += "; note: " + lists.Note
	}
	return out
}

// whyNotBlocked names the reason a name the pipeline lets through is not
// blocked: the most specific of the runtime state and the config.
func (s *Server) whyNotBlocked(g *generation, out *api.Explanation, lists blocklist.Explanation) string {
	name, group := out.Name, out.Group
	if d, ok := s.state.Allowlist().Allowed(name); ok {
		out.Allowed, out.List, out.Rule = true, runstate.AllowList, d
		return fmt.Sprintf("%s: allowed by the runtime allow entry %s", name, d)
	}
	for _, gr := range []string{group, query.EveryGroup} {
		if until, ok := s.state.PausedUntil(gr); ok {
			out.Paused = true
			return fmt.Sprintf("%s: not blocked: blocking is paused for %s until %s", name, pausedWho(gr), until.UTC().Format(time.RFC3339))
		}
	}
	if !g.cfg.Blocking.Enabled {
		return fmt.Sprintf("%s: not blocked: blocking is off (blocking.enabled: false)", name)
	}
	for _, st := range g.groups.Status().Groups {
		if st.Group == group && !st.Enabled {
			return fmt.Sprintf("%s: not blocked: blocking is off for group %s", name, group)
		}
	}
	if lists.Rule.Allow {
		out.Allowed, out.List, out.Rule, out.Line = true, lists.Rule.List, lists.Rule.Text, lists.Rule.Line
		return fmt.Sprintf("%s: allowed for group %s by an exception in %s line %d: %q", name, group, lists.Rule.List, lists.Rule.Line, lists.Rule.Text)
	}
	return fmt.Sprintf("%s: not blocked for group %s", name, group)
}

func pausedWho(group string) string {
	if group == query.EveryGroup {
		return "everyone"
	}
	return "group " + group
}

// listExplain reads the group's lists for name: the deciding rule with its
// line and every rule naming it. While a group's schedule window is open,
// the schedule's lists decide when the group's own lists do not.
func (s *Server) listExplain(g *generation, group, name string) blocklist.Explanation {
	ex := g.lists.Explain(group, name)
	if !ex.Blocked && !ex.Rule.Allow && g.groups.Matcher(group) != nil {
		if rule, blocked := g.groups.Matcher(group).Match(name); blocked {
			sched := g.lists.Explain(groups.SchedulePolicy(group), name)
			sched.Policy, sched.Blocked, sched.Rule = group+" (schedule)", true, rule
			return sched
		}
	}
	return ex
}

// inForwardZone reports whether fqdn goes to a forward zone's servers
// rather than the default upstreams.
func inForwardZone(cfg *config.Config, fqdn string) bool {
	for _, z := range cfg.ForwardZones {
		zone := strings.ToLower(dns.Fqdn(z.Zone))
		if zone == "." || fqdn == zone || strings.HasSuffix(fqdn, "."+zone) {
			return true
		}
	}
	return false
}
