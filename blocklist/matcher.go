// Package blocklist parses domain lists and answers one question fast: is
// this name blocked, and by which list and rule. It knows nothing of DNS
// servers.
package blocklist

// Rule is the rule that decided a name: what the query log, the Extended DNS
// Error text and `cleandns explain` report.
type Rule struct {
	List   string // the list as configured: "builtin:apps-tiktok", a path or a URL
	Domain string // the domain the rule names (for a regex rule, the name it matched)
	Text   string // the rule as written in the list
	Line   int    // line number of Text in the list, 1-based; 0 when not known
	Allow  bool   // an exception (allowlist or @@ rule) matched: the name is not blocked
	EDE    uint16 // Extended DNS Error code for the block answer: 15 Blocked, 16 Censored, 17 Filtered
}

// Matcher answers whether a name is blocked. Implementations are safe for
// concurrent use and allocate nothing per call. name may be in any case, with
// or without the trailing dot.
type Matcher interface {
	Match(name string) (Rule, bool)
}
