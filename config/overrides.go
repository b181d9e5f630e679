package config

import "github.com/cleandns/cleandns/blocklist"

// Overrides are the command line's say over the file. They are kept apart
// from the file so that a reload re-applies them on top of the new file.
type Overrides struct {
	// Listen replaces `listen` when not empty (--listen, repeatable).
	Listen []string
	// Upstreams replaces `upstreams.servers` when not empty (--upstream).
	Upstreams []string
	// Blocklists are added to `blocking.lists` (--blocklist).
	Blocklists []string
	// HTTP replaces `http.listen` when not empty (--http).
	HTTP string
}

func (o Overrides) apply(c *Config) {
	if len(o.Listen) > 0 {
		c.Listen = append([]string(nil), o.Listen...)
	}
	if len(o.Upstreams) > 0 {
		c.Upstreams.Servers = append([]string(nil), o.Upstreams...)
	}
	for _, b := range o.Blocklists {
		c.Blocking.Lists = append(c.Blocking.Lists, blocklist.ListSpec{Source: b})
	}
	if o.HTTP != "" {
		c.HTTP.Listen = o.HTTP
	}
}
