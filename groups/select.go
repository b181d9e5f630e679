package groups

import (
	"encoding/base64"
	"net/netip"
	"slices"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/query"
)

// macOption is the EDNS0 option code dnsmasq's add-mac uses.
const macOption = 65001

// prefixTable maps networks to names, most specific first. It is built once
// and only read afterwards; a lookup masks the address to each configured
// prefix length, longest first, and allocates nothing.
type prefixTable struct {
	v4, v6 []int // distinct prefix lengths, longest first
	nets   map[netip.Prefix]string
}

func newPrefixTable() *prefixTable { return &prefixTable{nets: map[netip.Prefix]string{}} }

func (t *prefixTable) add(p netip.Prefix, name string) {
	t.nets[p] = name
	lens := &t.v6
	if p.Addr().Is4() {
		lens = &t.v4
	}
	if !slices.Contains(*lens, p.Bits()) {
		*lens = append(*lens, p.Bits())
		slices.Sort(*lens)
		slices.Reverse(*lens)
	}
}

// lookup returns the most specific network holding a, and its group.
func (t *prefixTable) lookup(a netip.Addr) (netip.Prefix, string, bool) {
	if !a.IsValid() {
		return netip.Prefix{}, "", false
	}
	a = a.Unmap()
	lens := t.v6
	if a.Is4() {
		lens = t.v4
	}
	for _, bits := range lens {
		p, err := a.Prefix(bits)
		if err != nil {
			continue
		}
		if name, ok := t.nets[p]; ok {
			return p, name, true
		}
	}
	return netip.Prefix{}, "", false
}

// Select returns the group of a query from src: by the client ID the
// device gave (DoH path, TLS server name; "" for none); by the EDNS0 MAC
// option, then the EDNS Client Subnet address, when src is a trusted
// forwarder; by src itself otherwise. Unmatched clients are in Default.
// The pipeline calls it for every query; it allocates nothing.
func (g *Groups) Select(src netip.Addr, id string, m *dns.Msg) string {
	return g.choose(src, id, m, nil)
}

// Choose is Select with the reason: what named the group. It runs the
// same code as Select, so the two cannot disagree.
func (g *Groups) Choose(src netip.Addr, id string, m *dns.Msg) Selection {
	sel := Selection{Src: src, ID: id}
	sel.Group = g.choose(src, id, m, &sel)
	return sel
}

// choose is Select, noting in why (when not nil) what decided; the fast
// path passes nil and copies nothing.
func (g *Groups) choose(src netip.Addr, id string, m *dns.Msg, why *Selection) string {
	if id != "" {
		if name, ok := g.ids[id]; ok {
			if why != nil {
				why.By = ByID
			}
			return name
		}
	}
	addr := src
	if g.trusted != nil && (m != nil || why != nil) {
		if _, _, ok := g.trusted.lookup(src); ok {
			if why != nil {
				why.Forwarder = true
			}
			if opt := edns0(m); opt != nil {
				mac, ecs := clientOptions(opt)
				if name, ok := g.macs[mac]; ok && mac != ([6]byte{}) {
					if why != nil {
						why.By, why.MAC = ByMAC, mac
					}
					return name
				}
				if ecs.IsValid() {
					addr = ecs
					if why != nil {
						why.ECS = ecs
					}
				}
			}
		}
	}
	if p, name, ok := g.nets.lookup(addr); ok {
		if why != nil {
			why.By, why.Net = ByNetwork, p
			if why.ECS.IsValid() {
				why.By = ByECS
			}
		}
		return name
	}
	return query.DefaultGroup
}

func edns0(m *dns.Msg) *dns.OPT {
	if m == nil {
		return nil
	}
	return m.IsEdns0()
}

// clientOptions reads the MAC and ECS options a forwarder added.
func clientOptions(opt *dns.OPT) (mac [6]byte, ecs netip.Addr) {
	for _, o := range opt.Option {
		switch o := o.(type) {
		case *dns.EDNS0_LOCAL:
			if o.Code == macOption {
				mac, _ = parseMAC(o.Data)
			}
		case *dns.EDNS0_SUBNET:
			if o.SourceNetmask > 0 {
				if a, ok := netip.AddrFromSlice(o.Address); ok {
					ecs = a.Unmap()
				}
			}
		}
	}
	return mac, ecs
}

// parseMAC reads the option as dnsmasq sends it: add-mac (6 raw bytes),
// add-mac=text (aa:bb:cc:dd:ee:ff) or add-mac=base64.
func parseMAC(b []byte) ([6]byte, bool) {
	var mac [6]byte
	switch len(b) {
	case 6:
		copy(mac[:], b)
		return mac, true
	case 8:
		var buf [6]byte
		n, err := base64.StdEncoding.Decode(buf[:], b)
		return buf, err == nil && n == 6
	}
	return parseMACText(b)
}

func parseMACText(b []byte) ([6]byte, bool) {
	var mac [6]byte
	if len(b) != 17 {
		return mac, false
	}
	for i := range 6 {
		if i > 0 && b[3*i-1] != ':' && b[3*i-1] != '-' {
			return mac, false
		}
		hi, ok1 := unhex(b[3*i])
		lo, ok2 := unhex(b[3*i+1])
		if !ok1 || !ok2 {
			return mac, false
		}
		mac[i] = hi<<4 | lo
	}
	return mac, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
