// Package query is the shared vocabulary of cleandns: the request and
// response every link, listener and recorder speaks, how a query ended
// (Result and its label), the Extended DNS Error codes, the protocol names
// and the default group's name. Each is defined here once.
//
// It is a leaf: it imports nothing of cleandns, so engines (blocklist, cache,
// upstream, groups, the query log, the runtime state) can use its terms
// without importing the pipeline, and the pipeline can use theirs.
package query
