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
	if p, _ := scanName(name); p == nameOK {
		// Already in the stored form: the common case costs one scan, and
		// no error is made for names that are not. Lists are read twice
		// (counted, then loaded), so this is paid twice a line.
		return name, nil
	}
	upper := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 0x80 {
			ascii, err := idna.Lookup.ToASCII(name)
			if err != nil {
				return "", fmt.Errorf("internationalised name %q: %w", name, err)
			}
			name, upper = ascii, true
			break
		}
		upper = upper || c >= 'A' && c <= 'Z'
	}
	if upper {
		name = strings.ToLower(name)
	}
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
	switch p, at := scanName(name); p {
	case nameTooLong:
		return fmt.Errorf("name longer than %d characters", maxNameLen)
	case nameBadChar:
		return fmt.Errorf("character %q not allowed in a name", name[at])
	case nameBadLabel:
		return fmt.Errorf("label of %d characters", at)
	case nameNumeric:
		return errors.New("numeric top-level label (an address, not a name)")
	}
	return nil
}

// Problems scanName finds.
const (
	nameOK       = iota
	nameTooLong  // over maxNameLen
	nameBadChar  // at: the offset of the character
	nameBadLabel // at: the label's length
	nameNumeric  // the last label is all digits
)

// scanName is validateDomain without the error, so that a check allocates
// nothing.
func scanName(name string) (problem, at int) {
	if len(name) > maxNameLen {
		return nameTooLong, 0
	}
	start, digits := 0, true
	for i := 0; i <= len(name); i++ {
		if i < len(name) && name[i] != '.' {
			c := name[i]
			if !isNameByte(c) {
				return nameBadChar, i
			}
			digits = digits && c >= '0' && c <= '9'
			continue
		}
		if n := i - start; n == 0 || n > 63 {
			return nameBadLabel, n
		}
		if i == len(name) && digits {
			return nameNumeric, 0
		}
		start, digits = i+1, true
	}
	return nameOK, 0
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// isLocalName reports the entries hosts files carry for the machine itself;
// they are never blocking rules.
func isLocalName(name string) bool {
	name = strings.TrimSuffix(name, ".")
	for _, local := range [...]string{
		"localhost", "localhost.localdomain", "local", "broadcasthost",
		"ip6-localhost", "ip6-loopback", "ip6-localnet", "ip6-mcastprefix",
		"ip6-allnodes", "ip6-allrouters", "ip6-allhosts", "0.0.0.0",
	} {
		if len(name) == len(local) && strings.EqualFold(name, local) {
			return true
		}
	}
	return false
}
