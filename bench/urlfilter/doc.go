// Package urlfilter compares cleandns's list engine with AdGuard's own
// (github.com/AdguardTeam/urlfilter, what AdGuard Home runs) on the same
// AdGuard-syntax lists. It is a module of its own so that cleandns does not
// depend on urlfilter; it has tests and benchmarks only. Run it with
// `cd bench/urlfilter && go test -v .` (and `-bench .`).
package urlfilter
