package blocklist

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/net/idna"
)

// maxNameLen is the longest presentation-format name DNS can carry (RFC 1035
// allows 255 octets on the wire, which is 253 characters without the root dot).
const maxNameLen = 253

// normalizeDomain returns name in the form the set stores: lower case, no
// trailing dot, internationalised labels in punycode. It returns a substring of
// name (no allocation) when name is already in that form, which is the common
// case for published lists.
func normalizeDomain(name string) (string, error) {
	name = strings.TrimSuffix(name, ".")
	if name == "" {
		return "", errors.New("empty name")
	}
	if !isASCII(name) {
		ascii, err := idna.Lookup.ToASCII(name)
		if err != nil {
			return "", fmt.Errorf("internationalised name %q: %w", name, err)
		}
		name = ascii
	}
	name = strings.ToLower(name)
	if err := validateDomain(name); err != nil {
		return "", err
	}
	return name, nil
}

// validateDomain accepts letters, digits, hyphens and underscores (lists carry
// _dmarc-style and SRV-style names) in labels of 1 to 63 characters. A name
// whose last label is all digits is an address or a zone-file number, never a
// domain.
func validateDomain(name string) error {
	if len(name) > maxNameLen {
		return fmt.Errorf("name longer than %d characters", maxNameLen)
	}
	start := 0
	for i := 0; i <= len(name); i++ {
		if i < len(name) && name[i] != '.' {
			if !isNameByte(name[i]) {
				return fmt.Errorf("character %q not allowed in a name", name[i])
			}
			continue
		}
		if n := i - start; n == 0 || n > 63 {
			return fmt.Errorf("label of %d characters", n)
		}
		start = i + 1
	}
	last := name[strings.LastIndexByte(name, '.')+1:]
	if strings.Trim(last, "0123456789") == "" {
		return errors.New("numeric top-level label (an address, not a name)")
	}
	return nil
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// isLocalName reports the entries hosts files carry for the machine itself;
// they are never blocking rules.
func isLocalName(name string) bool {
	switch strings.TrimSuffix(strings.ToLower(name), ".") {
	case "localhost", "localhost.localdomain", "local", "broadcasthost",
		"ip6-localhost", "ip6-loopback", "ip6-localnet", "ip6-mcastprefix",
		"ip6-allnodes", "ip6-allrouters", "ip6-allhosts", "0.0.0.0":
		return true
	}
	return false
}
