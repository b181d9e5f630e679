package config

import (
	"fmt"
	"net"
	"strings"

	"github.com/cleandns/cleandns/groups"
	"github.com/cleandns/cleandns/resolver"
	"github.com/cleandns/cleandns/upstream"
)

// Validate checks every section, naming the key of the first problem.
func (c *Config) Validate() error {
	if len(c.Listen) == 0 {
		return fmt.Errorf("listen: at least one address is needed")
	}
	for i, a := range c.Listen {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("listen[%d]: %q: %v (want host:port, e.g. 127.0.0.1:53 or [::]:53)", i, a, err)
		}
	}
	if c.HTTP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			return fmt.Errorf("http.listen: %q: %v", c.HTTP.Listen, err)
		}
	}
	if c.HTTP.MetricsAuth && c.HTTP.ReadToken == "" && c.HTTP.AdminToken == "" {
		return fmt.Errorf("http.metrics_auth: needs http.read_token or http.admin_token")
	}
	if err := c.Upstreams.Validate(); err != nil {
		return err
	}
	if err := upstream.ValidateZones(c.ForwardZones, c.Upstreams.Bootstrap); err != nil {
		return err
	}
	if err := c.Blocking.Config.Validate(); err != nil {
		return err
	}
	if err := c.Cache.Validate(); err != nil {
		return err
	}
	if err := c.QueryLog.Validate(); err != nil {
		return err
	}
	if _, err := resolver.ParseBlockMode(c.Blocking.BlockConfig); err != nil {
		return err
	}
	if err := c.Access.Validate(); err != nil {
		return err
	}
	if err := groups.Validate(c.Groups); err != nil {
		return err
	}
	if err := c.GroupsIdentity.Validate(); err != nil {
		return err
	}
	if err := c.LocalRecords.Validate(); err != nil {
		return err
	}
	if err := c.RateLimit.Validate(); err != nil {
		return err
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log.level: %q is not debug, info, warn or error", c.Log.Level)
	}
	switch strings.ToLower(c.Log.Format) {
	case "console", "json":
	default:
		return fmt.Errorf("log.format: %q is neither console nor json", c.Log.Format)
	}
	return nil
}
