// Package groups gives client networks their own blocking rules. It answers
// two questions per query without allocating: which group a client belongs
// to (Select), and which blocklist applies to that group right now (Matcher),
// honouring `blocking: false`, pauses and schedules. It knows lists only as
// opaque values the server turns into blocklist policies.
package groups

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/cleandns/cleandns/query"
	"github.com/cleandns/cleandns/safesearch"
)

// SchedulePolicy is the blocklist policy name of a group's schedule lists:
// a group with a schedule registers two policies, NAME and NAME@schedule.
func SchedulePolicy(group string) string { return group + "@schedule" }

// Group is one entry of the `groups` list. L is the blocklist's list spec
// (blocklist.ListSpec); this package only passes lists through.
type Group[L any] struct {
	// Name labels the group in metrics, the query log and the API.
	Name string `mapstructure:"name"`
	// Clients are the group's networks (CIDR) or single addresses; the most
	// specific network across all groups wins. "id:NAME" is a device that
	// names itself NAME over DoH (/dns-query/NAME) or in the TLS server
	// name of DoT and DoQ (NAME.dns.example.net); a client ID beats any
	// address.
	Clients []string `mapstructure:"clients"`
	// MACs are the group's devices, as a trusted forwarder reports them in
	// the EDNS0 MAC option (dnsmasq add-mac), e.g. "aa:bb:cc:dd:ee:ff".
	MACs []string `mapstructure:"macs"`
	// Lists are the group's always-on blocklists; empty means the default
	// group's (blocking.lists).
	Lists []L `mapstructure:"lists"`
	// Allow lists names never blocked for this group, in addition to
	// blocking.allow; they beat the schedule's lists too.
	Allow []string `mapstructure:"allow"`
	// Blocking false switches blocking off for the group; default true.
	Blocking *bool `mapstructure:"blocking"`
	// Schedule adds lists at certain times of the week.
	Schedule *Schedule[L] `mapstructure:"schedule"`
	// SafeSearch is the group's safe search; nil means blocking.safe_search.
	SafeSearch *safesearch.Config `mapstructure:"safe_search"`
}

// Schedule blocks extra lists while its window is open.
type Schedule[L any] struct {
	// Lists are blocked, on top of the group's own, while the window is open.
	Lists []L `mapstructure:"lists"`
	// Days the window opens on: mon..sun; empty means every day. A window
	// that crosses midnight belongs to the day it opens on.
	Days []string `mapstructure:"days"`
	// From and To are "HH:MM" wall-clock times; To may be "24:00". To at or
	// before From means the window ends the next day.
	From string `mapstructure:"from"`
	To   string `mapstructure:"to"`
	// Timezone is an IANA zone name such as "Europe/Berlin"; empty means the
	// server's local zone.
	Timezone string `mapstructure:"timezone"`
}

// Identity is the `groups_identity` section: whose word about a client's
// identity is taken.
type Identity struct {
	// Trusted are downstream forwarders (CIDR or addresses) whose EDNS Client
	// Subnet address and EDNS0 MAC option (code 65001) select the group.
	// Everyone else's options are ignored.
	Trusted []string `mapstructure:"trusted"`
}

// Validate checks the section, naming the key of the first problem.
func (id Identity) Validate() error {
	for i, s := range id.Trusted {
		if _, err := parseNet(s); err != nil {
			return fmt.Errorf("groups_identity.trusted[%d]: %w", i, err)
		}
	}
	return nil
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// clientIDPattern is transport.ValidClientID: a DNS label.
var clientIDPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

func validClientID(id string) bool { return clientIDPattern.MatchString(id) }

// Validate checks the `groups` list, naming the key of the first problem:
// "groups[1].clients[0]: ...".
func Validate[L any](list []Group[L]) error {
	_, err := compile(list)
	return err
}

// spec is a group's validated, parsed form.
type spec struct {
	name     string
	nets     []netip.Prefix
	ids      []string
	macs     [][6]byte
	blocking bool
	window   *window
}

func compile[L any](list []Group[L]) ([]spec, error) {
	seenName := map[string]bool{}
	seenNet := map[netip.Prefix]string{} // also "id:" clients, as a prefix of their own
	seenID := map[string]string{}
	seenMAC := map[[6]byte]string{}
	out := make([]spec, 0, len(list))
	for i, g := range list {
		key := fmt.Sprintf("groups[%d]", i)
		s, err := compileGroup(key, g, seenNet, seenID, seenMAC)
		if err != nil {
			return nil, err
		}
		if seenName[s.name] {
			return nil, fmt.Errorf("%s.name: %q is used by another group", key, s.name)
		}
		seenName[s.name] = true
		out = append(out, s)
	}
	return out, nil
}

func compileGroup[L any](key string, g Group[L], seenNet map[netip.Prefix]string, seenID map[string]string, seenMAC map[[6]byte]string) (spec, error) {
	s := spec{name: g.Name, blocking: g.Blocking == nil || *g.Blocking}
	switch {
	case g.Name == "":
		return s, fmt.Errorf("%s.name: a group needs a name", key)
	case g.Name == query.DefaultGroup:
		return s, fmt.Errorf("%s.name: %q is the implicit group of unmatched clients; its lists are blocking.lists", key, g.Name)
	case !namePattern.MatchString(g.Name):
		return s, fmt.Errorf("%s.name: %q: use letters, digits, '.', '-' and '_'", key, g.Name)
	}
	if len(g.Clients) == 0 && len(g.MACs) == 0 {
		return s, fmt.Errorf("%s.clients: a group needs clients (networks) or macs", key)
	}
	for j, c := range g.Clients {
		if id, ok := strings.CutPrefix(c, "id:"); ok {
			id = strings.ToLower(id)
			if !validClientID(id) {
				return s, fmt.Errorf("%s.clients[%d]: %q: a client ID is 1 to 63 letters, digits and '-', as a DNS label", key, j, c)
			}
			if other, dup := seenID[id]; dup {
				return s, fmt.Errorf("%s.clients[%d]: %s is already a client of group %q", key, j, c, other)
			}
			seenID[id] = g.Name
			s.ids = append(s.ids, id)
			continue
		}
		p, err := parseNet(c)
		if err != nil {
			return s, fmt.Errorf("%s.clients[%d]: %w", key, j, err)
		}
		if other, dup := seenNet[p]; dup {
			return s, fmt.Errorf("%s.clients[%d]: %s is already a client of group %q", key, j, p, other)
		}
		seenNet[p] = g.Name
		s.nets = append(s.nets, p)
	}
	for j, m := range g.MACs {
		mac, ok := parseMACText([]byte(m))
		if !ok {
			return s, fmt.Errorf("%s.macs[%d]: %q is not a MAC address (want aa:bb:cc:dd:ee:ff)", key, j, m)
		}
		if other, dup := seenMAC[mac]; dup {
			return s, fmt.Errorf("%s.macs[%d]: %s is already in group %q", key, j, m, other)
		}
		seenMAC[mac] = g.Name
		s.macs = append(s.macs, mac)
	}
	if g.Schedule != nil {
		if len(g.Schedule.Lists) == 0 {
			return s, fmt.Errorf("%s.schedule.lists: a schedule needs at least one list", key)
		}
		w, err := parseWindow(g.Schedule.Days, g.Schedule.From, g.Schedule.To, g.Schedule.Timezone)
		if err != nil {
			return s, fmt.Errorf("%s.schedule.%w", key, err)
		}
		s.window = w
	}
	return s, nil
}

// parseNet accepts a CIDR network or a single address, IPv4-mapped IPv6
// unmapped so it matches the addresses the edge reports.
func parseNet(s string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap().WithZone("")
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return p, fmt.Errorf("%q is neither a network (CIDR, e.g. 192.168.50.0/24) nor an address", s)
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// clock is the real Clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
