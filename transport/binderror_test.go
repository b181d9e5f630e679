package transport

import (
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestBindErrorSaysItOnceWithAHint(t *testing.T) {
	denied := &net.OpError{Op: "listen", Net: "udp", Addr: &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53},
		Err: os.NewSyscallError("bind", syscall.EACCES)}
	got := bindError(denied).Error()
	if strings.Count(got, "listen udp 127.0.0.1:53") != 1 || !strings.Contains(got, "CAP_NET_BIND_SERVICE") {
		t.Errorf("bindError = %q", got)
	}
	inUse := &net.OpError{Op: "listen", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5353},
		Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}
	if got := bindError(inUse).Error(); strings.Contains(got, "CAP_NET") || strings.Count(got, "listen tcp") != 1 {
		t.Errorf("bindError = %q", got)
	}
}
