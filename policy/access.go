package policy

import (
	"fmt"
	"net/netip"
	"strings"
)

// AccessConfig is the `access` section: which client networks are answered.
type AccessConfig struct {
	// Allow lists the client networks that are answered (CIDR, or a bare
	// address), and devices by client ID ("id:annas-phone", given in the DoH
	// path or the TLS server name), answered from any address. The default is loopback, RFC 1918, CGNAT, link-local and ULA:
	// never an open resolver (RFC 5358).
	Allow []string `mapstructure:"allow"`
	// Action is what other clients get: refuse (REFUSED with Extended DNS
	// Error 18 "Prohibited") or drop (no answer at all).
	Action string `mapstructure:"action"`
}

// The access actions.
const (
	ActionRefuse = "refuse"
	ActionDrop   = "drop"
)

// DefaultAccessConfig returns the access defaults.
func DefaultAccessConfig() AccessConfig {
	return AccessConfig{
		Allow: []string{
			"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
			"100.64.0.0/10", "169.254.0.0/16", "fc00::/7", "fe80::/10",
		},
		Action: ActionRefuse,
	}
}

// Validate checks the values are usable, naming the key of the problem.
func (c AccessConfig) Validate() error {
	_, err := NewAccess(c)
	return err
}

// Access is the compiled access policy.
type Access struct {
	allow *Networks
	ids   map[string]bool // lowercase client IDs
	drop  bool
}

// NewAccess validates cfg and compiles it.
func NewAccess(cfg AccessConfig) (*Access, error) {
	var nets []string
	ids := map[string]bool{}
	for i, a := range cfg.Allow {
		if id, ok := strings.CutPrefix(a, "id:"); ok && id != "" {
			ids[strings.ToLower(id)] = true
			continue
		}
		if _, err := parsePrefix(strings.TrimSpace(a)); err != nil {
			return nil, fmt.Errorf("access.allow[%d]: %q is not a network (want CIDR, e.g. 10.0.0.0/8, or id:CLIENT-ID)", i, a)
		}
		nets = append(nets, a)
	}
	allow, err := ParseNetworks("access.allow", nets)
	if err != nil {
		return nil, err
	}
	if allow.Len() == 0 && len(ids) == 0 {
		return nil, fmt.Errorf("access.allow: empty, so every client would be refused (write [0.0.0.0/0, ::/0] to answer everyone)")
	}
	a := &Access{allow: allow, ids: ids}
	switch strings.ToLower(strings.TrimSpace(cfg.Action)) {
	case ActionRefuse:
	case ActionDrop:
		a.drop = true
	default:
		return nil, fmt.Errorf("access.action: %q is neither refuse nor drop", cfg.Action)
	}
	return a, nil
}

// Allowed reports whether client, which named itself id ("" for none), is
// answered.
func (a *Access) Allowed(client netip.Addr, id string) bool {
	return a.allow.Contains(client) || (id != "" && a.ids[id])
}

// Drop reports whether other clients are dropped rather than refused.
func (a *Access) Drop() bool { return a.drop }
