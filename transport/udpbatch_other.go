//go:build !linux

package transport

// batchable is false where recvmmsg and sendmmsg do not exist.
func (l *udpLoop) batchable() bool { return false }

func (l *udpLoop) serveBatch() error { panic("unreachable") }
