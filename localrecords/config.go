// Package localrecords answers the admin's own LAN names: A, AAAA and CNAME
// records from the config and an optional hosts file, with PTR records
// generated for every address. The table is immutable and swapped whole
// when the hosts file changes, so lookups take no lock.
package localrecords

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Config is the `local_records` section.
type Config struct {
	// Records are the names to answer, in config order.
	Records []Record `mapstructure:"records"`
	// HostsFile is a hosts(5)-format file ("IP name [alias...]") read at
	// start and again whenever its modification time or size changes.
	HostsFile string `mapstructure:"hosts_file"`
	// HostsPoll is how often the hosts file is checked for changes; 5s by
	// default. Polling, unlike inotify, survives editors that replace the
	// file and bind mounts in containers.
	HostsPoll time.Duration `mapstructure:"hosts_poll"`
	// TTL of answers whose record sets none, hosts-file ones included; 5m by
	// default.
	TTL time.Duration `mapstructure:"ttl"`
}

// Record is one entry of `local_records.records`.
type Record struct {
	// Name is the owner name, e.g. nas.home.arpa; "*.lab.home.arpa" is a
	// wildcard: every name under lab.home.arpa without records of its own.
	Name string `mapstructure:"name"`
	// Type is A, AAAA, CNAME, MX, SRV, TXT, HTTPS, SVCB or PTR.
	Type string `mapstructure:"type"`
	// Value is the record's data in zone-file form: an address (A, AAAA), a
	// name (CNAME, PTR), "10 mx.home.arpa" (MX), "0 5 5060 sip.home.arpa"
	// (SRV), "v=spf1 -all" or quoted strings (TXT), "1 . alpn=h2" (HTTPS).
	// Names in it are absolute.
	Value string `mapstructure:"value"`
	// TTL overrides local_records.ttl for this record.
	TTL time.Duration `mapstructure:"ttl"`
}

// SetDefaults fills the zero fields with the defaults.
func (c *Config) SetDefaults() {
	if c.HostsPoll == 0 {
		c.HostsPoll = 5 * time.Second
	}
	if c.TTL == 0 {
		c.TTL = 5 * time.Minute
	}
}

// Enabled reports whether there is anything to answer.
func (c Config) Enabled() bool { return len(c.Records) > 0 || c.HostsFile != "" }

// Validate checks the section, naming the key of the first problem. It does
// not read the hosts file: New does.
func (c Config) Validate() error {
	if c.HostsPoll < 0 {
		return fmt.Errorf("local_records.hosts_poll: %v is negative", c.HostsPoll)
	}
	if c.TTL < 0 {
		return fmt.Errorf("local_records.ttl: %v is negative", c.TTL)
	}
	_, err := build(c.Records, nil, c.TTL)
	return err
}

// parse turns a record into a dns.RR.
func (r Record) parse(defTTL time.Duration) (dns.RR, error) {
	name := strings.ToLower(dns.Fqdn(strings.TrimSpace(r.Name)))
	if _, ok := dns.IsDomainName(name); !ok || name == "." || strings.ContainsAny(name, " \t\x00\r\n") ||
		strings.Contains(strings.TrimPrefix(name, "*."), "*") {
		return nil, fmt.Errorf("name: %q is not a domain name (a wildcard is \"*.\" before a name)", r.Name)
	}
	if r.TTL < 0 {
		return nil, fmt.Errorf("ttl: %v is negative", r.TTL)
	}
	ttl := r.TTL
	if ttl == 0 {
		ttl = defTTL
	}
	hdr := dns.RR_Header{Name: name, Class: dns.ClassINET, Ttl: uint32(ttl / time.Second)}
	switch strings.ToUpper(r.Type) {
	case "A", "AAAA":
		ip, err := netip.ParseAddr(strings.TrimSpace(r.Value))
		if err != nil {
			return nil, fmt.Errorf("value: %q is not an IP address", r.Value)
		}
		if ip.Zone() != "" { // an answer cannot carry it: it would be dropped unsaid
			return nil, fmt.Errorf("value: %q has a zone (%%%s): a DNS answer carries the address alone", r.Value, ip.Zone())
		}
		return addrRR(hdr, ip.Unmap(), strings.ToUpper(r.Type))
	case "CNAME":
		target := strings.ToLower(dns.Fqdn(strings.TrimSpace(r.Value)))
		if _, ok := dns.IsDomainName(target); !ok || target == "." {
			return nil, fmt.Errorf("value: %q is not a domain name", r.Value)
		}
		hdr.Rrtype = dns.TypeCNAME
		return &dns.CNAME{Hdr: hdr, Target: target}, nil
	case "MX", "SRV", "TXT", "HTTPS", "SVCB", "PTR":
		return zoneRR(name, hdr.Ttl, strings.ToUpper(r.Type), r.Value)
	}
	return nil, fmt.Errorf("type: %q is not A, AAAA, CNAME, MX, SRV, TXT, HTTPS, SVCB or PTR", r.Type)
}

// zoneRR reads a record's value in zone-file form, with names in it taken
// as absolute.
func zoneRR(name string, ttl uint32, typ, value string) (dns.RR, error) {
	value = strings.TrimSpace(value)
	if value == "" || strings.ContainsAny(value, "\x00\r\n") {
		return nil, fmt.Errorf("value: %q is not one line of %s data", value, typ)
	}
	if typ == "TXT" && !strings.HasPrefix(value, `"`) {
		value = strconv.Quote(value) // one string, spaces and all
	}
	rr, err := dns.NewRR(fmt.Sprintf("%s %d IN %s %s", name, ttl, typ, value))
	if err != nil || rr == nil {
		return nil, fmt.Errorf("value: %q is not %s data in zone-file form: %v", value, typ, err)
	}
	return rr, nil
}

func addrRR(hdr dns.RR_Header, ip netip.Addr, typ string) (dns.RR, error) {
	switch {
	case ip.Is4() && typ != "AAAA":
		hdr.Rrtype = dns.TypeA
		return &dns.A{Hdr: hdr, A: ip.AsSlice()}, nil
	case ip.Is6() && typ != "A":
		hdr.Rrtype = dns.TypeAAAA
		return &dns.AAAA{Hdr: hdr, AAAA: ip.AsSlice()}, nil
	}
	return nil, fmt.Errorf("value: %s is not an IPv%s address", ip, map[string]string{"A": "4", "AAAA": "6"}[typ])
}

// Check reports whether r can be answered, naming the field at fault
// (`value: "x" is not an IP address`): for a record made at run time,
// before it is added to a config.
func (r Record) Check() error {
	_, err := r.parse(time.Minute)
	return err
}
