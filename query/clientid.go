package query

// MaxClientID bounds an ID: a DNS label's length, for the DoH path too, so
// an ID is the same whichever way a device sends it.
const MaxClientID = 63

// ValidClientID reports whether id can name a device (the DoH path, the
// TLS server name, the query log's client_id search): 1 to 63 letters,
// digits and hyphens, not starting or ending with a hyphen (a DNS label, so
// it works in a TLS server name as in a DoH path). IDs are matched
// lowercased.
func ValidClientID(id string) bool {
	if id == "" || len(id) > MaxClientID || id[0] == '-' || id[len(id)-1] == '-' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
