package cache

import "strings"

// Key identifies a cached answer. The DO and CD bits are part of it because
// they change what the upstream puts in the answer (RRSIGs, unvalidated data).
type Key struct {
	Name  string // lowercased, fully qualified
	Type  uint16
	Class uint16
	DO    bool
	CD    bool
}

// NewKey returns the key of a question, lowercasing the name so that
// 0x20-mixed-case queries share one entry.
func NewKey(name string, qtype, qclass uint16, do, cd bool) Key {
	return Key{Name: lower(name), Type: qtype, Class: qclass, DO: do, CD: cd}
}

// lower avoids strings.ToLower's allocation in the common already-lower case.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
