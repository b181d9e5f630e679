package blocklist

import (
	"net/netip"
	"slices"
	"strings"
)

// extRule is a rule the domain table cannot hold: a pattern that is not a
// plain domain, a rule with AdGuard DNS modifiers, or a rewrite. They live
// in a separate, bounded structure (extSet), so the plain-domain path keeps
// its speed and memory.
type extRule struct {
	text      string // the rule as written, for Rule.Text and `explain`
	canon     string // what a $badfilter rule names: the rule without "$badfilter"
	pat       pattern
	allow     bool // an exception ("@@")
	important bool // $important: beats exceptions that are not $important
	badfilter bool // $badfilter: disables the rule it names, adds none
	cond      conditions
	denyallow []string  // $denyallow: domains (and their subdomains) the rule does not apply to
	rewrite   []Rewrite // $dnsrewrite, a hosts line's address, dnsmasq's address=/x/1.2.3.4
	// anyRewrite marks "@@...$dnsrewrite" with no value: it disables every
	// rewrite of the names it matches.
	anyRewrite bool
}

// conditions are the modifiers that make a rule apply to some queries only.
type conditions struct {
	types, notTypes     []uint16   // $dnstype
	clients, notClients []clientID // $client
	tags, notTags       []string   // $ctag
}

// clientID is one value of $client: an address, a network or a name.
type clientID struct {
	prefix netip.Prefix // valid for an address or network
	name   string       // lower case; a cleandns group name
}

func (c clientID) matches(q *Query) bool {
	if c.prefix.IsValid() {
		return q.Client.IsValid() && c.prefix.Contains(q.Client.Unmap())
	}
	return c.name != "" && strings.EqualFold(c.name, q.Group)
}

// Query is what a rule with modifiers can depend on.
type Query struct {
	Name   string     // the name asked, in any case, with or without the trailing dot
	Type   uint16     // the query type; 0 when unknown (a CNAME target in an answer)
	Client netip.Addr // the client's address; invalid when unknown
	// Group is the client's cleandns group. $client names and $ctag tags
	// match group names: cleandns has no other client names or tags.
	Group string
}

// applies reports whether the conditions allow the rule for q.
func (c *conditions) applies(q *Query) bool {
	if len(c.types) > 0 && !slices.Contains(c.types, q.Type) || slices.Contains(c.notTypes, q.Type) && q.Type != 0 {
		return false
	}
	for _, id := range c.notClients {
		if id.matches(q) {
			return false
		}
	}
	if len(c.clients) > 0 && !slices.ContainsFunc(c.clients, func(id clientID) bool { return id.matches(q) }) {
		return false
	}
	if len(c.notTags) > 0 && slices.ContainsFunc(c.notTags, func(t string) bool { return strings.EqualFold(t, q.Group) }) {
		return false
	}
	if len(c.tags) > 0 && !slices.ContainsFunc(c.tags, func(t string) bool { return strings.EqualFold(t, q.Group) }) {
		return false
	}
	return true
}

// matches reports whether the rule applies to the name and the query.
func (r *extRule) matches(name string, q *Query) bool {
	if !r.pat.match(name) || !r.cond.applies(q) {
		return false
	}
	for _, d := range r.denyallow {
		if len(name) == len(d) && strings.EqualFold(name, d) ||
			len(name) > len(d) && name[len(name)-len(d)-1] == '.' && strings.EqualFold(name[len(name)-len(d):], d) {
			return false
		}
	}
	return true
}
