package blocklist

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// sourceKind says where a list comes from, which decides how it is loaded.
type sourceKind string

// Kinds of source, as ListStatus.Kind reports them.
const (
	kindBuiltin sourceKind = "builtin"
	kindFile    sourceKind = "file"
	kindURL     sourceKind = "url"
	kindInline  sourceKind = "inline" // a policy's allow entries
)

// source is one list, loaded once however many policies use it.
type source struct {
	idx      int
	name     string // as Rule.List, the metrics, the status and the logs show it: location, redacted
	location string // the path or URL as configured, which may carry a secret
	kind     sourceKind
	inline   []byte // the list text of builtin and inline sources

	// Guarded by Manager.mu: the conditional-request state of a URL and
	// the fingerprint of a file, so an unchanged list is not rebuilt.
	etag, lastModified string
	fingerprint        uint64
}

// classify returns the kind of a configured source string.
func classify(s string) sourceKind {
	switch {
	case strings.HasPrefix(s, builtinPrefix):
		return kindBuiltin
	case strings.HasPrefix(s, "http://"), strings.HasPrefix(s, "https://"):
		return kindURL
	}
	return kindFile
}

// displayName is what a list is called wherever it is shown: its location
// without the user information and query of a URL, where download tokens
// live. Block answers carry the name in their Extended DNS Error text, so
// every DNS client could otherwise read a list's secret.
func displayName(location string) string {
	u, err := url.Parse(location)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return location
	}
	redacted := u.User != nil || u.RawQuery != "" || u.Fragment != ""
	u.User, u.RawQuery, u.Fragment, u.ForceQuery = nil, "", "", false
	if redacted {
		return u.String() + "?…"
	}
	return u.String()
}

// redactErr removes a source's location from an error's text (URL errors
// quote the whole URL).
func (s *source) redactErr(err error) error {
	if err == nil || s.location == s.name || !strings.Contains(err.Error(), s.location) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), s.location, s.name))
}

// fingerprint identifies a list's content, so an unchanged file is not
// parsed again; FNV over the bytes is enough for that.
func fingerprint(data []byte) uint64 {
	h := uint64(fnvOffset)
	for _, c := range data {
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h
}

// readFile reads a local list with the same size cap as downloads.
func readFile(path string, maxBytes int64) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Size() > maxBytes {
		return nil, fmt.Errorf("%d bytes, over the %d-byte cap", info.Size(), maxBytes)
	}
	return os.ReadFile(path)
}
