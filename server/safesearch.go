package server

import (
	"fmt"

	"github.com/cleandns/cleandns/config"
	"github.com/cleandns/cleandns/safesearch"
)

// safeSearchTables returns each group's safe-search table (a group without
// safe_search of its own takes blocking.safe_search), or nil when no group
// has safe search, so the block link is built without it.
func safeSearchTables(cfg *config.Config) (func(group string) *safesearch.Table, error) {
	def, err := safesearch.New(cfg.Blocking.SafeSearch)
	if err != nil {
		return nil, fmt.Errorf("blocking.%w", err)
	}
	tables := map[string]*safesearch.Table{}
	on := def != nil
	for i, g := range cfg.Groups {
		t := def
		if g.SafeSearch != nil {
			if t, err = safesearch.New(*g.SafeSearch); err != nil {
				return nil, fmt.Errorf("groups[%d].%w", i, err)
			}
		}
		tables[g.Name] = t
		on = on || t != nil
	}
	if !on {
		return nil, nil
	}
	return func(group string) *safesearch.Table {
		if t, ok := tables[group]; ok {
			return t
		}
		return def
	}, nil
}
