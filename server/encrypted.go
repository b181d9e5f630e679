package server

import (
	"fmt"
	"net"
	"reflect"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/transport"
)

// openEncrypted opens the `tls` section's listeners. They are opened once,
// at Start: a reload swaps the pipeline behind them (and the certificate
// files are watched on their own), but changes to their addresses take
// effect at the next restart.
func (s *Server) openEncrypted(cfg transport.Config) error {
	ls, err := transport.Open(cfg, s.edge, s.conns, s.log.Named("tls"))
	if err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	ls.Serve(s.errc)
	s.encrypted = ls
	return nil
}

// EncryptedAddrs are the bound addresses of protocol ("dot", "doh" or
// "doq"), in config order.
func (s *Server) EncryptedAddrs(protocol string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.encrypted == nil {
		return nil
	}
	return s.encrypted.Addrs(protocol)
}

// encryptedChanged says whether a reload changed what only a restart applies.
func encryptedChanged(prev, next *config.Config) bool {
	return !reflect.DeepEqual(prev.TLS, next.TLS)
}

// appleProfile renders the .mobileconfig for protocol ("doh" or "dot")
// and device id, with the port its listener is bound to.
func (s *Server) appleProfile(protocol, id string) ([]byte, error) {
	addrs := s.EncryptedAddrs(protocol)
	if len(addrs) == 0 {
		return nil, fmt.Errorf("no %s listener (tls.%s)", protocol, protocol)
	}
	_, port, _ := net.SplitHostPort(addrs[0])
	return transport.AppleProfile(transport.Profile{
		Protocol: protocol, ServerName: s.gen.Load().cfg.TLS.ServerName, Port: port, ClientID: id,
	})
}
