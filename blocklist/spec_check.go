package blocklist

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/cleandns/cleandns/internal/redact"
)

// Check finds what would make the source fail to load, before anything
// serves: a URL with another scheme than http or https (htp://), no host,
// a space in the host, a port that is not one; a file that is not there.
// check-config and every reload ask it, so a config that serve would fail
// on is refused with the reason. Errors show the source redacted.
func (l ListSpec) Check() error {
	src := l.Source
	if strings.HasPrefix(src, builtinPrefix) {
		return nil // blocklist.New knows the built-in names
	}
	if scheme, _, ok := strings.Cut(src, "://"); ok {
		if !strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") {
			return fmt.Errorf("%q: scheme %q is not http or https", redact.URL(src), scheme)
		}
		u, err := url.Parse(src)
		if err != nil {
			return fmt.Errorf("%q: not a URL: %w", redact.URL(src), redact.Error(err))
		}
		switch {
		case u.Hostname() == "":
			return fmt.Errorf("%q: the URL has no host", redact.URL(src))
		case strings.ContainsAny(u.Hostname(), " \t"):
			return fmt.Errorf("%q: the host has a space", redact.URL(src))
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return fmt.Errorf("%q: port %q is not 1 to 65535", redact.URL(src), p)
			}
		}
		return nil
	}
	if _, err := os.Stat(src); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%q: no such file", src)
		}
		return fmt.Errorf("%q: %w", src, err)
	}
	return nil
}
