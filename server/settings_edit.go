package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/redact"
	"github.com/cleandns/cleandns/localrecords"
	"github.com/cleandns/cleandns/runstate"
)

// upstreamsNow are the upstreams the console's settings give over file.
func upstreamsNow(file *config.Config, st *runstate.Settings) []string {
	if len(st.Upstreams) > 0 {
		return st.Upstreams
	}
	return file.Upstreams.Servers
}

// AddUpstream puts server at the end of the upstreams in effect (the
// console's, else the file's). An address that does not parse, or that
// needs upstreams.bootstrap the file lacks, is refused and stores nothing.
//
// Before it is stored, the new upstreams get the start-up loop probe: one
// that sends it back to this server (through another resolver, which the
// listen-address check cannot see) is refused, as every query sent to it
// would go round until it timed out.
func (s *Server) AddUpstream(server, by string) (runstate.Change, error) {
	server = strings.TrimSpace(server)
	edit := func(cur []string, _ bool) ([]string, error) {
		if slices.Contains(cur, server) {
			return nil, fmt.Errorf("upstreams.servers: %q: already an upstream", redact.URL(server))
		}
		return append(slices.Clone(cur), server), nil
	}
	return s.setUpstreamsChecked("upstream "+redact.URL(server), by, edit, func() error { return s.probeLoop(server) })
}

// upstreamProbeTimeout bounds the loop probe of an upstream added in the
// console: an upstream that does not answer makes the change wait this
// long at most (its own upstreams.timeout bounds each probe too).
const upstreamProbeTimeout = 5 * time.Second

// probeLoop sends the loop probe through the upstreams now serving and
// says whether the one named server came back.
func (s *Server) probeLoop(server string) error {
	parent := s.ctx
	if parent == nil { // not started: nothing could come back
		return nil
	}
	ctx, cancel := context.WithTimeout(parent, upstreamProbeTimeout)
	defer cancel()
	if slices.Contains(s.current().upstream.ProbeLoop(ctx, s.loops), redact.URL(server)) {
		return fmt.Errorf("upstreams.servers: %q sends queries back to this server: they would loop", redact.URL(server))
	}
	return nil
}

// RemoveUpstream takes server out of the upstreams in effect; server ""
// goes back to the file's upstreams. The last upstream cannot go.
func (s *Server) RemoveUpstream(server, by string) (runstate.Change, error) {
	server = strings.TrimSpace(server)
	return s.setUpstreams("upstream "+redact.URL(server), by, func(cur []string, fromConsole bool) ([]string, error) {
		if server == "" && !fromConsole {
			return nil, errors.New("upstreams: the file's are in effect already")
		}
		if server == "" {
			return nil, nil // the file's
		}
		server = unredact(server, cur)
		if !slices.Contains(cur, server) {
			return nil, fmt.Errorf("upstreams.servers: %q: not an upstream (upstreams: %s)", redact.URL(server), strings.Join(redact.Strings(cur), ", "))
		}
		return slices.DeleteFunc(slices.Clone(cur), func(x string) bool { return x == server }), nil
	})
}

// setUpstreams applies the upstream list edit makes of the one in effect
// (nil: the file's).
func (s *Server) setUpstreams(what, by string, edit func(cur []string, fromConsole bool) ([]string, error)) (runstate.Change, error) {
	return s.setUpstreamsChecked(what, by, edit, nil)
}

func (s *Server) setUpstreamsChecked(what, by string, edit func(cur []string, fromConsole bool) ([]string, error), check func() error) (runstate.Change, error) {
	return s.changeSettingsChecked(what, func(file *config.Config, cur *runstate.Settings) (*runstate.Settings, runstate.Change, error) {
		old := upstreamsNow(file, cur)
		servers, err := edit(old, len(cur.Upstreams) > 0)
		if err != nil {
			return nil, runstate.Change{}, err
		}
		if servers == nil {
			servers = file.Upstreams.Servers
		}
		c := file.Upstreams
		c.Servers = servers
		if err := c.Validate(); err != nil {
			return nil, runstate.Change{}, err
		}
		ch := runstate.Change{By: by, What: "upstreams",
			OldValue: strings.Join(redact.Strings(old), ", "), NewValue: strings.Join(redact.Strings(servers), ", ")}
		return cur.WithUpstreams(servers, file.Upstreams.Servers), ch, nil
	}, check)
}

// recordSpec is a console record as local_records.records holds it.
func recordSpec(r runstate.LocalRecord) localrecords.Record {
	return localrecords.Record{Name: r.Name, Type: r.Type, Value: r.Value, TTL: time.Duration(r.TTL) * time.Second}
}

// AddLocalRecord adds a local record from the console. For its name the
// console's records replace the file's (local_records.records), so the
// name answers what the console says. A record that does not parse, or
// that puts a CNAME beside other records of its name, is refused.
func (s *Server) AddLocalRecord(r runstate.LocalRecord, by string) (runstate.Change, error) {
	r = r.Normal()
	what := fmt.Sprintf("local record %q", r.String())
	return s.changeSettings(what, func(file *config.Config, cur *runstate.Settings) (*runstate.Settings, runstate.Change, error) {
		if err := recordSpec(r).Check(); err != nil {
			return nil, runstate.Change{}, fmt.Errorf("%s: %w", what, err)
		}
		next := cur.WithLocalRecord(r)
		lr := applySettings(file, next).LocalRecords
		if err := lr.Validate(); err != nil {
			return nil, runstate.Change{}, fmt.Errorf("%s: %w", what, err)
		}
		ch := runstate.Change{By: by, What: "local_record", OldValue: recordsOf(applySettings(file, cur), r.Name), NewValue: recordsOf(applySettings(file, next), r.Name)}
		return next, ch, nil
	})
}

// RemoveLocalRecord removes the console's records sel selects: those of
// its name, and of its type and value when given. The file's records of
// that name answer again. The file's own records cannot be removed here.
func (s *Server) RemoveLocalRecord(sel runstate.LocalRecord, by string) (runstate.Change, error) {
	sel = sel.Normal()
	what := fmt.Sprintf("local record %q", strings.TrimSpace(sel.String()))
	return s.changeSettings(what, func(file *config.Config, cur *runstate.Settings) (*runstate.Settings, runstate.Change, error) {
		next, gone := cur.WithoutLocalRecords(sel)
		if len(gone) == 0 {
			return nil, runstate.Change{}, errors.New(what + ": not a record made in the console (records of the config file are changed there)")
		}
		ch := runstate.Change{By: by, What: "local_record", OldValue: recordsOf(applySettings(file, cur), sel.Name), NewValue: recordsOf(applySettings(file, next), sel.Name)}
		return next, ch, nil
	})
}

// recordsOf says a name's local records in cfg, for the audit: "nas A
// 192.168.1.10; nas AAAA fd00::10", "" when it has none.
func recordsOf(cfg *config.Config, name string) string {
	var out []string
	for _, r := range cfg.LocalRecords.Records {
		if n := normalRecord(r); n.Name == name {
			out = append(out, n.String())
		}
	}
	return strings.Join(out, "; ")
}

func normalRecord(r localrecords.Record) runstate.LocalRecord {
	return runstate.LocalRecord{Name: r.Name, Type: r.Type, Value: r.Value, TTL: uint32(r.TTL / time.Second)}.Normal()
}

// mergeRecords are the file's records without those of the names the
// console holds, then the console's.
func mergeRecords(file []localrecords.Record, st *runstate.Settings) []localrecords.Record {
	names := st.LocalNames()
	out := slices.DeleteFunc(slices.Clone(file), func(r localrecords.Record) bool { return names[normalRecord(r).Name] })
	for _, r := range st.LocalRecords {
		out = append(out, recordSpec(r))
	}
	return out
}

// RecordOrigin says where the local record answering name (lower case,
// fully qualified) comes from: "console" when it was made there, "" for
// the file. A wildcard answers the names under it that have no record.
func (s *Server) RecordOrigin(cfg *config.Config, name string) string {
	names := s.settings.Get().LocalNames()
	if len(names) == 0 {
		return ""
	}
	have := map[string]bool{}
	for _, r := range cfg.LocalRecords.Records {
		have[normalRecord(r).Name] = true
	}
	name = strings.TrimSuffix(name, ".")
	for cand := name; ; {
		if have[cand] {
			if names[cand] {
				return "console"
			}
			return ""
		}
		_, parent, ok := strings.Cut(strings.TrimPrefix(cand, "*."), ".")
		if !ok {
			return ""
		}
		cand = "*." + parent
	}
}
