package blocklist

import (
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"strings"

	"github.com/cleandns/cleandns/internal/redact"
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
	inline   []byte // the list text of an inline source (a policy's allow entries)
	exact    bool   // match: exact: plain and hosts lines name themselves only
	users    int    // list specs naming the source, which must agree on exact

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
	}
	switch lower := strings.ToLower(s); { // schemes are case-insensitive (RFC 3986 §3.1)
	case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
		return kindURL
	}
	return kindFile
}

// displayName is what a list is called wherever it is shown: its location
// without the user information and query of a URL, where download tokens
// live. Block answers carry the name in their Extended DNS Error text, so
// every DNS client could otherwise read a list's secret.
func displayName(location string) string { return redact.URL(location) }

// redactErr removes the secrets of every URL from an error's text: the
// source's own, which net/http quotes rewritten (its password as ***, its
// token not), and a redirect's Location.
func (s *source) redactErr(err error) error {
	if err != nil && s.location != s.name && strings.Contains(err.Error(), s.location) {
		err = errors.New(strings.ReplaceAll(err.Error(), s.location, s.name))
	}
	return redact.Error(err)
}

// fingerprintSeed keys the fingerprints of this process. They are compared
// only with each other, never stored, so a seed per process does.
var fingerprintSeed = maphash.MakeSeed()

// fingerprintOf identifies a list's content, so an unchanged file is not
// parsed again. maphash reads 8 bytes at a time where FNV read one, which
// made fingerprinting a 22 MB file cost 20 ms.
func fingerprintOf(r io.Reader) (uint64, error) {
	var h maphash.Hash
	h.SetSeed(fingerprintSeed)
	_, err := io.Copy(&h, r)
	return h.Sum64(), err
}

// textReader passes reads through, counting the bytes and, when asked,
// fingerprinting them, so that a file's fingerprint is that of the text
// actually loaded.
type textReader struct {
	r    io.Reader
	n    int64
	hash *maphash.Hash // nil: not fingerprinted
}

func newTextReader(r io.Reader, fingerprint bool) *textReader {
	t := &textReader{r: r}
	if fingerprint {
		t.hash = new(maphash.Hash)
		t.hash.SetSeed(fingerprintSeed)
	}
	return t
}

func (t *textReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.n += int64(n)
	if t.hash != nil {
		t.hash.Write(p[:n])
	}
	return n, err
}

func (t *textReader) fingerprint() uint64 {
	if t.hash == nil {
		return 0
	}
	return t.hash.Sum64()
}

// openFile opens a local list, refusing one over the size cap that
// downloads have.
func openFile(path string, maxBytes int64) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err == nil && info.Size() > maxBytes {
		err = fmt.Errorf("%d bytes, over the %d-byte cap", info.Size(), maxBytes)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
