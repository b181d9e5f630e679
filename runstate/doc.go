// Package runstate owns cleandns's runtime state: what an admin changes
// while it runs (pauses of blocking, the runtime allow and deny lists, custom
// rules, and next console settings), as opposed to what the config file says.
//
// One State lives as long as the process and outlives every config
// generation: a reload reads it, never copies it, so a pause or an allow
// entry made while a reload is loading its lists is what the next
// generation sees. State keeps its documents in a Backend: Dir, the local
// state directory, today; a shared store (Redis, for a fleet) implements the
// same four methods.
package runstate
