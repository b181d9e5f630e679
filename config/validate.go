package config

import (
	"errors"
	"fmt"
	"github.com/cleandns/cleandns/blocklist"
	"net"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/cleandns/cleandns/groups"
	"github.com/cleandns/cleandns/internal/memlimit"
	"github.com/cleandns/cleandns/upstream"
)

// Validate checks every section and returns every problem found, each
// naming its key, so that one check-config run lists them all (errors.Join;
// a section reports its first).
func (c *Config) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(c.Listen) == 0 {
		add(fmt.Errorf("listen: at least one address is needed"))
	}
	for i, a := range c.Listen {
		if _, _, err := net.SplitHostPort(a); err != nil {
			add(fmt.Errorf("listen[%d]: %q: %v (want host:port, e.g. 127.0.0.1:53 or [::]:53)", i, a, err))
		}
	}
	errs = append(errs, listenOverlaps(c.Listen)...)
	if err := c.TLS.Validate(); err != nil {
		add(err)
	}
	if err := c.TCP.Validate(); err != nil {
		add(err)
	}
	if err := c.UDP.Validate(); err != nil {
		add(err)
	}
	if c.HTTP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			add(fmt.Errorf("http.listen: %q: %v", c.HTTP.Listen, err))
		}
	}
	for key, h := range map[string]string{"http.password_hash": c.HTTP.PasswordHash, "http.viewer_password_hash": c.HTTP.ViewerPasswordHash} {
		if _, err := bcrypt.Cost([]byte(h)); h != "" && err != nil {
			return fmt.Errorf("%s: not a bcrypt hash (print one with `cleandns password`): %v", key, err)
		}
	}
	if c.HTTP.MetricsAuth && c.HTTP.ReadToken == "" && c.HTTP.AdminToken == "" {
		add(fmt.Errorf("http.metrics_auth: needs http.read_token or http.admin_token"))
	}
	add(c.Upstreams.Validate())
	add(upstream.ValidateZones(c.ForwardZones, c.Upstreams.Bootstrap))
	add(c.Blocking.Config.Validate())
	errs = append(errs, c.checkLists()...)
	add(c.Blocking.SafeSearch.Validate())
	for _, g := range c.Groups {
		if g.SafeSearch != nil {
			add(g.SafeSearch.Validate())
		}
	}
	add(c.Cache.Validate())
	if _, err := memlimit.Parse(c.MemoryLimit); err != nil {
		add(err)
	}
	add(c.QueryLog.Validate())
	add(c.Sync.Validate())
	if _, err := c.Blocking.BlockConfig.Parse(); err != nil {
		add(err)
	}
	add(c.Access.Validate())
	add(groups.Validate(c.Groups))
	add(c.GroupsIdentity.Validate())
	add(c.LocalRecords.Validate())
	add(c.DNSSEC.Validate())
	add(c.RateLimit.Validate())
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		add(fmt.Errorf("log.level: %q is not debug, info, warn or error", c.Log.Level))
	}
	switch strings.ToLower(c.Log.Format) {
	case "console", "json":
	default:
		add(fmt.Errorf("log.format: %q is neither console nor json", c.Log.Format))
	}
	return errors.Join(errs...)
}

// checkLists asks every list source whether it could load, naming its key.
func (c *Config) checkLists() []error {
	var errs []error
	check := func(key string, lists []blocklist.ListSpec) {
		for i, l := range lists {
			if err := l.Check(); err != nil {
				errs = append(errs, fmt.Errorf("%s[%d]: %w", key, i, err))
			}
		}
	}
	check("blocking.lists", c.Blocking.Lists)
	for i, g := range c.Groups {
		check(fmt.Sprintf("groups[%d].lists", i), g.Lists)
		if g.Schedule != nil {
			check(fmt.Sprintf("groups[%d].schedule.lists", i), g.Schedule.Lists)
		}
	}
	return errs
}
