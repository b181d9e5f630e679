package groups

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/cleandns/cleandns/query"
)

// By is what put a client in its group.
type By uint8

// What can name a client's group, strongest first; ByDefault is none.
const (
	ByDefault By = iota // no group names the client
	ByID                // the client ID the device gave (groups: clients: [id:NAME])
	ByMAC               // the EDNS0 MAC option of a trusted forwarder
	ByECS               // the EDNS Client Subnet address a trusted forwarder sent, in a group's network
	ByNetwork           // the client's address, in a group's network
)

// String is the label the API uses: default, id, mac, ecs or network.
func (b By) String() string {
	switch b {
	case ByID:
		return "id"
	case ByMAC:
		return "mac"
	case ByECS:
		return "ecs"
	case ByNetwork:
		return "network"
	}
	return "default"
}

// Selection is a client's group and what chose it.
type Selection struct {
	Group string
	By    By
	Src   netip.Addr   // the query's source address
	ID    string       // the client ID given ("" for none), even one no group names
	MAC   [6]byte      // ByMAC: the device's MAC
	ECS   netip.Addr   // the ECS address read, when Forwarder and one was sent
	Net   netip.Prefix // ByNetwork, ByECS: the group's network that matched
	// Forwarder: Src is a trusted forwarder, whose MAC and ECS options are
	// believed.
	Forwarder bool
}

// Reason says in a few words why the client is in its group, as the
// console and `cleandns explain` show it.
func (s Selection) Reason() string {
	var r string
	switch s.By {
	case ByID:
		return fmt.Sprintf("client ID %s (clients: [id:%s])", s.ID, s.ID)
	case ByMAC:
		return fmt.Sprintf("MAC %s, sent by the trusted forwarder %s", net.HardwareAddr(s.MAC[:]), s.Src)
	case ByECS:
		return fmt.Sprintf("ECS address %s, sent by the trusted forwarder %s, is in %s", s.ECS, s.Src, s.Net)
	case ByNetwork:
		r = fmt.Sprintf("address %s is in %s", s.Src.Unmap(), s.Net)
	default:
		r = "no group names it, so " + query.DefaultGroup
		if s.ECS.IsValid() {
			r = fmt.Sprintf("no group's network holds its ECS address %s, so %s", s.ECS, query.DefaultGroup)
		}
	}
	if s.ID != "" {
		r = fmt.Sprintf("client ID %s is in no group; %s", s.ID, r)
	}
	if s.Forwarder && !s.ECS.IsValid() {
		r += fmt.Sprintf(" (%s is a trusted forwarder: a query it sends with a known MAC or ECS address goes to that device's group)", s.Src.Unmap())
	}
	return r
}
