package transport

import (
	"fmt"
	"runtime"
	"time"
)

// TCPConfig is the `tcp` section: how plain DNS over TCP connections are
// kept. Any number of queries may be sent on one connection, and they are
// answered as they complete (RFC 7766 §6.2.1.1), not in order.
type TCPConfig struct {
	// IdleTimeout closes a connection with no query outstanding after this
	// long; default 10s.
	IdleTimeout time.Duration `mapstructure:"idle_timeout"`
	// MaxConnections caps the open TCP connections of each address; more
	// are closed at once and counted in cleandns_connections_rejected_total.
	// Default 1000, or a quarter of the descriptor limit if that is lower.
	MaxConnections int `mapstructure:"max_connections"`
}

// Validate checks the section.
func (c TCPConfig) Validate() error {
	if c.IdleTimeout < 0 {
		return fmt.Errorf("tcp.idle_timeout: %v is negative", c.IdleTimeout)
	}
	if c.MaxConnections < 0 {
		return fmt.Errorf("tcp.max_connections: %d is negative", c.MaxConnections)
	}
	return nil
}

// UDPConfig is the `udp` section: how the listen addresses read UDP.
type UDPConfig struct {
	// Loops is how many sockets (SO_REUSEPORT) and reading loops serve each
	// address; 0, the default, means one per usable CPU (GOMAXPROCS).
	Loops int `mapstructure:"loops"`
}

// Validate checks the section.
func (c UDPConfig) Validate() error {
	if c.Loops < 0 || c.Loops > 256 {
		return fmt.Errorf("udp.loops: %d is outside 0..256", c.Loops)
	}
	return nil
}

func (c UDPConfig) loops() int {
	if c.Loops > 0 {
		return c.Loops
	}
	if !reusePortWorks {
		return 1
	}
	return runtime.GOMAXPROCS(0)
}
