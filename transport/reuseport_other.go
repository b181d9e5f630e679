//go:build !linux

package transport

import "syscall"

// reusePortWorks is false: elsewhere one socket and loop serve an address.
const reusePortWorks = false

func reusePort(_, _ string, _ syscall.RawConn) error { return nil }
