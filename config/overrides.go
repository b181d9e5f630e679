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
	// DoT, DoH and DoQ replace `tls.dot`, `tls.doh` and `tls.doq` when not
	// empty (--dot, --doh, --doq, each repeatable).
	DoT, DoH, DoQ []string
	// TLSCert and TLSKey replace `tls.cert_file` and `tls.key_file`
	// (--tls-cert, --tls-key).
	TLSCert, TLSKey string
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
	for _, l := range []struct{ flag, conf *[]string }{{&o.DoT, &c.TLS.DoT}, {&o.DoH, &c.TLS.DoH}, {&o.DoQ, &c.TLS.DoQ}} {
		if len(*l.flag) > 0 {
			*l.conf = append([]string(nil), *l.flag...)
		}
	}
	if o.TLSCert != "" {
		c.TLS.CertFile = o.TLSCert
	}
	if o.TLSKey != "" {
		c.TLS.KeyFile = o.TLSKey
	}
}
