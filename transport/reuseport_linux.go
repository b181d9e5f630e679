//go:build linux

package transport

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// reusePortWorks: Linux spreads datagrams over SO_REUSEPORT sockets.
const reusePortWorks = true

// reusePort is the net.ListenConfig hook that sets SO_REUSEPORT. Linux
// only lets sockets of the same user share the port.
func reusePort(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	})
	if err != nil {
		return err
	}
	return serr
}
