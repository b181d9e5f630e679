package policy

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// BlockConfig says how blocked names are answered (file section `blocking`).
type BlockConfig struct {
	// Response is nxdomain (default), nodata, null_ip, refused, or a list of
	// IP addresses to answer A/AAAA with (a block page).
	Response []string `mapstructure:"response"`
	// TTL of block answers: the SOA's TTL and MINIMUM, or the answer records'.
	// Short, so that pausing or allowing a name takes effect quickly.
	TTL time.Duration `mapstructure:"ttl"`
}

// BlockAnswer is the parsed form of BlockConfig: what the block link answers.
type BlockAnswer struct {
	Kind string       // nxdomain, nodata, null_ip, refused, ips
	IPs  []netip.Addr // Kind ips: the block page's addresses
	TTL  uint32       // seconds
}

// Parse validates c and returns the answer it describes.
func (c BlockConfig) Parse() (BlockAnswer, error) {
	a := BlockAnswer{Kind: "nxdomain", TTL: uint32(c.TTL / time.Second)}
	if c.TTL < 0 {
		return a, fmt.Errorf("blocking.ttl: %v is negative", c.TTL)
	}
	switch {
	case len(c.Response) == 0:
	case len(c.Response) == 1 && isBlockKeyword(c.Response[0]):
		a.Kind = strings.ToLower(c.Response[0])
	default:
		a.Kind = "ips"
		for i, s := range c.Response {
			ip, err := netip.ParseAddr(strings.TrimSpace(s))
			if err != nil {
				return a, fmt.Errorf("blocking.response[%d]: %q is neither nxdomain, nodata, null_ip, refused nor an IP address", i, s)
			}
			a.IPs = append(a.IPs, ip.Unmap())
		}
	}
	return a, nil
}

func isBlockKeyword(s string) bool {
	switch strings.ToLower(s) {
	case "nxdomain", "nodata", "null_ip", "refused":
		return true
	}
	return false
}
