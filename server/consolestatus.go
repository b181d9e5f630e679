package server

import (
	"strings"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/api"
	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/groups"
	"github.com/cleandns/cleandns/internal/redact"
	"github.com/cleandns/cleandns/localrecords"
	"github.com/cleandns/cleandns/runstate"
)

// maxInvalidShown is how many invalid lines of a list /status shows.
const maxInvalidShown = 5

func listStatus(l blocklist.ListStatus) api.ListStatus {
	out := api.ListStatus{Name: l.Name, Kind: l.Kind, Loaded: l.Loaded, FromStore: l.FromStore, Entries: l.Entries,
		Skipped: l.Skipped, Invalid: l.Invalid, LastSuccess: l.LastSuccess, LastError: l.LastError, LastErrorAt: l.LastErrorAt, Warning: l.Warning,
		Downloaded: l.Downloaded, DownloadSize: l.DownloadSize}
	for i, il := range l.InvalidLines {
		if i == maxInvalidShown {
			break
		}
		out.InvalidLines = append(out.InvalidLines, api.InvalidLine{Line: il.Line, Text: il.Text, Reason: il.Reason})
	}
	return out
}

// groupStatus joins each group's blocking state with what the config says
// it is: its clients, its lists (a group without lists has the default's).
func groupStatus(cfg *config.Config, st groups.Status, set *runstate.Settings) []api.GroupStatus {
	byName := map[string]config.Group{}
	for _, g := range cfg.Groups {
		byName[g.Name] = g
	}
	sources := func(specs []blocklist.ListSpec) []string {
		out := []string{}
		for _, l := range specs {
			out = append(out, redact.URL(l.Source)) // as the list's name everywhere else
		}
		return out
	}
	var out []api.GroupStatus
	for _, gs := range st.Groups {
		g := api.GroupStatus{Name: gs.Group, Blocking: gs.Blocking, Enabled: gs.Enabled, PausedUntil: gs.PausedUntil,
			ScheduleOn: gs.ScheduleOpen, Lists: sources(cfg.Blocking.Lists)}
		if c, ok := byName[gs.Group]; ok {
			g.Clients = c.Clients
			if len(c.Lists) > 0 {
				g.Lists = sources(c.Lists)
			}
			g.Schedule = c.Schedule != nil
		}
		if ch, ok := set.Lists[gs.Group]; ok {
			g.Removed = redact.Strings(ch.Remove) // named as in Lists
			g.Origins = map[string]string{}
			for _, l := range ch.Add {
				g.Origins[redact.URL(l)] = "console"
			}
		}
		out = append(out, g)
	}
	return out
}

// recordStatus lists the local records cfg answers, each with its origin,
// then the first of hosts (the hosts file's) and how many it has in all
// when that is more.
func recordStatus(cfg *config.Config, set *runstate.Settings, hosts *localrecords.Records) ([]api.LocalRecordStatus, int) {
	names := set.LocalNames()
	var out []api.LocalRecordStatus
	for _, r := range cfg.LocalRecords.Records {
		n := normalRecord(r)
		rs := api.LocalRecordStatus{Name: n.Name, Type: n.Type, Value: n.Value, TTL: n.TTL}
		if names[n.Name] {
			rs.Origin = "console"
		}
		out = append(out, rs)
	}
	if hosts == nil {
		return out, 0
	}
	listed, all := hosts.Hosts(api.HostsListed) // named as the config's are, without the root's dot
	for _, rr := range listed {
		h := rr.Header()
		out = append(out, api.LocalRecordStatus{Name: strings.TrimSuffix(h.Name, "."), Type: dns.TypeToString[h.Rrtype],
			Value: strings.TrimPrefix(rr.String(), h.String()), TTL: h.Ttl, Origin: "hosts_file"})
	}
	if all == len(listed) {
		all = 0
	}
	return out, all
}
