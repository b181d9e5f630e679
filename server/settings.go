package server

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/internal/redact"
	"github.com/cleandns/cleandns/query"
	"github.com/cleandns/cleandns/runstate"
)

// settingsFile keeps the console's settings beside the runtime allow list.
func settingsFile(cfg *config.Config) string {
	return filepath.Join(filepath.Dir(allowFile(cfg)), "console-settings.json")
}

// applySettings is the config the server runs: the file's, with the
// console's settings over it. The console wins where both set the same
// thing: a list it switched on or off, the upstreams (its list replaces
// upstreams.servers), a local name (its records replace the file's records
// of that name). A setting that agrees with the file is dropped when it is
// made, so what it overrides is only ever a difference the admin chose in
// the console. Settings of a group the file no longer has are ignored.
func applySettings(file *config.Config, st *runstate.Settings) *config.Config {
	if st.Empty() {
		return file
	}
	cfg := *file
	cfg.Groups = slices.Clone(file.Groups)
	for group, ch := range st.Lists {
		if group == query.DefaultGroup {
			cfg.Blocking.Lists = changeLists(file.Blocking.Lists, ch)
			continue
		}
		for i := range cfg.Groups {
			if cfg.Groups[i].Name == group {
				cfg.Groups[i].Lists = changeLists(groupLists(file, group), ch)
			}
		}
	}
	if len(st.Upstreams) > 0 {
		cfg.Upstreams.Servers = slices.Clone(st.Upstreams)
	}
	if len(st.LocalRecords) > 0 {
		cfg.LocalRecords.Records = mergeRecords(file.LocalRecords.Records, st)
	}
	return &cfg
}

func changeLists(base []blocklist.ListSpec, ch runstate.ListChange) []blocklist.ListSpec {
	out := slices.DeleteFunc(slices.Clone(base), func(l blocklist.ListSpec) bool { return slices.Contains(ch.Remove, l.Source) })
	for _, src := range ch.Add {
		if !hasList(out, src) {
			out = append(out, blocklist.ListSpec{Source: src})
		}
	}
	return out
}

// groupLists are a group's lists in cfg: its own, or the default's when it
// names none.
func groupLists(cfg *config.Config, group string) []blocklist.ListSpec {
	for _, g := range cfg.Groups {
		if g.Name == group && len(g.Lists) > 0 {
			return g.Lists
		}
	}
	return cfg.Blocking.Lists
}

func hasGroup(cfg *config.Config, group string) bool {
	return group == query.DefaultGroup || slices.ContainsFunc(cfg.Groups, func(g config.Group) bool { return g.Name == group })
}

func hasList(lists []blocklist.ListSpec, src string) bool {
	return slices.ContainsFunc(lists, func(l blocklist.ListSpec) bool { return l.Source == src })
}

// SetList switches list on or off for group from the console (see
// changeSettings): a list that cannot be built is refused.
func (s *Server) SetList(group, list string, on bool, by string) (runstate.Change, error) {
	what := fmt.Sprintf("list %s for group %s", redact.URL(list), group)
	return s.changeSettings(what, func(file *config.Config, cur *runstate.Settings) (*runstate.Settings, runstate.Change, error) {
		if !hasGroup(file, group) {
			return nil, runstate.Change{}, fmt.Errorf("group %q is not configured", group)
		}
		// The console names a list as status shows it, without its secret.
		list = unredact(list, append(listSources(groupLists(applySettings(file, cur), group)), cur.Lists[group].Remove...))
		next := cur.WithList(group, list, on, hasList(groupLists(file, group), list))
		old := hasList(groupLists(applySettings(file, cur), group), list)
		ch := runstate.Change{By: by, Group: group, List: list, New: on, Old: old,
			What: "list", OldValue: onOff(old), NewValue: onOff(on)}
		return next, ch, nil
	})
}

// unredact is the one of known that shown stands for: itself when it is
// one, else the only one that shows as it once redacted (the console
// knows upstreams and lists only as status shows them, without the
// secrets their URLs carry). Anything else comes back as it is.
func unredact(shown string, known []string) string {
	if slices.Contains(known, shown) || !strings.Contains(shown, redact.Marker) {
		return shown
	}
	match := ""
	for _, k := range known {
		if redact.URL(k) == shown {
			if match != "" && match != k {
				return shown // two could be meant: neither is
			}
			match = k
		}
	}
	if match == "" {
		return shown
	}
	return match
}

func listSources(specs []blocklist.ListSpec) []string {
	out := make([]string, 0, len(specs))
	for _, l := range specs {
		out = append(out, l.Source)
	}
	return out
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// changeSettings makes one change to the console's settings: edit returns
// the next settings and the audited change from the file and the current
// settings. It reloads with them first, the way a config reload does (zero
// lost queries), and stores them only once they serve, so a change that
// cannot be built is refused and nothing changes. Its errors, which the
// API answers and logs, show URLs without their secrets.
func (s *Server) changeSettings(what string, edit func(file *config.Config, cur *runstate.Settings) (*runstate.Settings, runstate.Change, error)) (runstate.Change, error) {
	return s.changeSettingsChecked(what, edit, nil)
}

// changeSettingsChecked is changeSettings with check run once the change
// serves and before it is stored: an error from it serves the settings
// before again and refuses the change.
func (s *Server) changeSettingsChecked(what string, edit func(file *config.Config, cur *runstate.Settings) (*runstate.Settings, runstate.Change, error),
	check func() error) (runstate.Change, error) {
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	file, cur := s.fileCfg.Load(), validOnly(s.fileCfg.Load(), s.settings.Get())
	next, ch, err := edit(file, cur)
	if err != nil {
		return runstate.Change{}, redact.Error(err)
	}
	if err := next.CheckLimits(); err != nil {
		return runstate.Change{}, fmt.Errorf("%s: %w", redact.Text(what), err)
	}
	if err := s.reload(applySettings(file, next)); err != nil {
		return runstate.Change{}, redact.Error(fmt.Errorf("%s: %w", what, err))
	}
	if check != nil {
		if err := check(); err != nil {
			_ = s.reload(applySettings(file, cur))
			return runstate.Change{}, redact.Error(fmt.Errorf("%s: %w", what, err))
		}
	}
	if err := s.settings.Save(next, ch); err != nil {
		_ = s.reload(applySettings(file, cur)) // serve what is stored
		return runstate.Change{}, redact.Error(err)
	}
	ch = next.Audit[len(next.Audit)-1] // with its time
	s.log.Info("console setting", zap.String("what", ch.What), zap.String("group", ch.Group), zap.String("list", redact.URL(ch.List)),
		zap.String("old", redact.Text(ch.OldValue)), zap.String("new", redact.Text(ch.NewValue)), zap.String("by", ch.By))
	return ch, nil
}

// buildFirst builds the first generation: the file's config with the
// console's settings over it. Settings that do not read, or cannot be
// built here (another instance wrote them, or a version that took what
// this one refuses), leave the file's config serving, with blocking as it
// says, instead of an instance that cannot start: the error is logged and
// the console can still change the settings (going back to the file's
// upstreams, removing a record) until they build.
func (s *Server) buildFirst(file *config.Config) (*generation, error) {
	if err := s.settings.Damaged(); err != nil {
		s.log.Error("console settings unreadable: the config file serves; the next change made in the console replaces them", zap.Error(err))
	}
	st := s.settings.Get()
	g, err := s.build(applySettings(file, st), nil)
	if err == nil || st.Empty() {
		return g, err
	}
	if valid := validOnly(file, st); valid != st {
		if g, verr := s.build(applySettings(file, valid), nil); verr == nil {
			s.log.Error("console settings: some cannot be built anywhere and are left out; the next change drops them", zap.Error(redact.Error(err)))
			return g, nil
		}
	}
	s.log.Error("console settings cannot be applied here: the config file serves without them", zap.Error(redact.Error(err)))
	return s.build(file, nil)
}

// validOnly is st without the settings no instance could build: console
// upstreams that do not make a valid upstreams section with the file's,
// records that do not parse. They can only come from a document written
// elsewhere (every change made here is checked), and left in they would
// make every later change fail on them. st itself when all are valid.
func validOnly(file *config.Config, st *runstate.Settings) *runstate.Settings {
	out := *st
	if len(st.Upstreams) > 0 {
		c := file.Upstreams
		c.Servers = st.Upstreams
		if c.Validate() != nil {
			out.Upstreams = nil
		}
	}
	out.LocalRecords = slices.DeleteFunc(slices.Clone(st.LocalRecords), func(r runstate.LocalRecord) bool {
		return recordSpec(r.Normal()).Check() != nil
	})
	if lr := applySettings(file, &out).LocalRecords; len(out.LocalRecords) > 0 && lr.Validate() != nil {
		out.LocalRecords = nil // together they break a rule (a CNAME beside an address, a loop)
	}
	if len(out.Upstreams) == len(st.Upstreams) && len(out.LocalRecords) == len(st.LocalRecords) {
		return st
	}
	return &out
}

// Settings are the console's settings now.
func (s *Server) Settings() *runstate.Settings { return s.settings.Get() }

// ListOrigin says where a group's list comes from: "console" when it was
// switched on there, "" for the file. `cleandns explain` prints it.
func (s *Server) ListOrigin(group, list string) string {
	if ch, ok := s.settings.Get().Lists[group]; ok && slices.Contains(ch.Add, list) {
		return "console"
	}
	return ""
}
