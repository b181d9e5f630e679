package transport

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
)

// TestAcceptBackoff: out of descriptors, the accept loop waits, longer each
// time, instead of spinning or giving up; an error that does not pass ends
// it.
func TestAcceptBackoff(t *testing.T) {
	emfile := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	b := acceptBackoff{log: zap.NewNop()}
	var delays []string
	for range 3 {
		if !b.wait(emfile) {
			t.Fatal("EMFILE ended the accept loop")
		}
		delays = append(delays, b.delay.String())
	}
	if fmt.Sprint(delays) != "[5ms 10ms 20ms]" {
		t.Errorf("delays %v, want doubling from 5ms", delays)
	}
	b.ok()
	if b.delay != 0 {
		t.Error("ok did not reset the backoff")
	}
	if b.wait(errors.New("use of closed network connection")) {
		t.Error("a permanent error was retried")
	}
}

// TestLimitListenerRejectsOverTheCap: the connection over the cap is closed
// at once and counted; closing one makes room.
func TestLimitListenerRejectsOverTheCap(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := unregisteredMetrics()
	l := LimitListener(raw, 2, "http", m)
	defer l.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	var clients []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	first, second := <-accepted, <-accepted
	buf := make([]byte, 1)
	if _, err := clients[2].Read(buf); err == nil {
		t.Error("the third connection was not closed")
	}
	if v := testutil.ToFloat64(m.Rejected.WithLabelValues("http", "limit")); v != 1 {
		t.Errorf("rejected %v, want 1", v)
	}
	first.Close()
	second.Close()
	c, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	(<-accepted).Close()
}
