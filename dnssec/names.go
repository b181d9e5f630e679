package dnssec

import (
	"bytes"

	"github.com/miekg/dns"
)

// canonicalCompare orders two names as RFC 4034 §6.1 does: label by label
// from the root, each label compared as lowercased bytes. Names are packed
// first, so escaped bytes (\046, \.) compare as the bytes they stand for.
func canonicalCompare(a, b string) int {
	la, lb := rawLabels(a), rawLabels(b)
	for i := 0; i < len(la) && i < len(lb); i++ {
		if c := bytes.Compare(la[i], lb[i]); c != 0 {
			return c
		}
	}
	return len(la) - len(lb)
}

// rawLabels returns name's labels, lowercased, root-most first.
func rawLabels(name string) [][]byte {
	buf := make([]byte, 256)
	n, err := dns.PackDomainName(dns.Fqdn(name), buf, 0, nil, false)
	if err != nil {
		return nil
	}
	var labels [][]byte
	for off := 0; off < n && buf[off] != 0; off += int(buf[off]) + 1 {
		l := bytes.ToLower(buf[off+1 : off+1+int(buf[off])])
		labels = append(labels, l)
	}
	for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
		labels[i], labels[j] = labels[j], labels[i]
	}
	return labels
}

// suffix returns the last n labels of name (canonical).
func suffix(name string, n int) string {
	idx := dns.Split(name)
	if n >= len(idx) {
		return name
	}
	if n <= 0 {
		return "."
	}
	return name[idx[len(idx)-n]:]
}

// commonAncestor returns the longest name that is an ancestor-or-self of both.
func commonAncestor(a, b string) string {
	return suffix(a, dns.CompareDomainName(a, b))
}

// isAncestor reports whether anc is name or one of its ancestors.
func isAncestor(anc, name string) bool { return dns.IsSubDomain(anc, name) }

// isProperAncestor reports whether anc is an ancestor of name, not name itself.
func isProperAncestor(anc, name string) bool {
	return anc != name && dns.IsSubDomain(anc, name)
}

// childOn returns the name one label below anc on the way to name, which
// must be a proper descendant of anc: the "next closer name" of RFC 5155.
func childOn(anc, name string) string {
	return suffix(name, dns.CountLabel(anc)+1)
}

func hasType(bitmap []uint16, t uint16) bool {
	for _, b := range bitmap {
		if b == t {
			return true
		}
	}
	return false
}
