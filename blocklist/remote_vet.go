package blocklist

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// A download answered 200 is refused, and the previous copy kept in memory
// and on disk, when its body cannot be the list: a captive portal's page, a
// CDN's error page, a .gz file served without Content-Encoding, or a body
// cut to nothing. Pi-hole and AdGuard Home apply such a body and block
// nothing until the next refresh; the README promises a failed download
// never shrinks a list, and these are failed downloads that said 200.

// Reasons a download is refused, as the refused metric's reason label.
const (
	refusedHTML    = "html"
	refusedGzip    = "gzip"
	refusedEmpty   = "no_rules"
	refusedInvalid = "invalid"
)

// refusedError is a download whose body is not a list.
type refusedError struct {
	reason string
	detail string
}

func (e refusedError) Error() string {
	return "download refused, the previous copy keeps serving: " + e.detail
}

// sniffLength is how much of a body is looked at for HTML or gzip.
const sniffLength = 512

// sniffBody refuses a body that is an HTML page or gzip data, from its
// Content-Type and its first bytes. It leaves r where it found it.
func sniffBody(r io.ReadSeeker, contentType string) error {
	head := make([]byte, sniffLength)
	n, err := io.ReadFull(r, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return fmt.Errorf("reading the body: %w", err)
	}
	if err := rewind(r); err != nil {
		return err
	}
	head = head[:n]
	if bytes.HasPrefix(head, []byte{0x1f, 0x8b}) {
		return refusedError{refusedGzip, "the body is gzip data served without Content-Encoding (a .gz file?); point the URL at the uncompressed list"}
	}
	if isHTML(head) || strings.HasPrefix(strings.ToLower(contentType), "text/html") {
		return refusedError{refusedHTML, "the body is an HTML page, not a list (an error page or a captive portal?)"}
	}
	return nil
}

// isHTML says whether a body starts like an HTML document.
func isHTML(head []byte) bool {
	s := strings.ToLower(string(bytes.TrimLeft(head, " \t\r\n\ufeff")))
	for _, p := range []string{"<!doctype html", "<html", "<head", "<body", "<?xml"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// vetStats refuses a remote list that parsed to no rules, or whose lines
// are mostly invalid: more invalid lines than rules.
func vetStats(st parseStats) error {
	switch {
	case st.Entries == 0 && st.Invalid == 0:
		return refusedError{refusedEmpty, fmt.Sprintf("the body holds no rules (%d skipped)", st.Skipped)}
	case st.Invalid > st.Entries+st.Skipped:
		return refusedError{refusedInvalid, fmt.Sprintf("%d of its %d lines with content are invalid (first: line %d, %s)",
			st.Invalid, st.Invalid+st.Entries+st.Skipped, st.InvalidLines[0].Line, st.InvalidLines[0].Reason)}
	}
	return nil
}

// countVetted counts a remote list's domain rules, as countRules does, and
// refuses it as vetStats says.
func countVetted(r io.Reader) (int, error) {
	n := 0
	st, err := parseList(r, func(e Entry) {
		if e.Regex == "" {
			n++
		}
	})
	if err != nil {
		return 0, err
	}
	return n, vetStats(st)
}

// countRefused counts err in the refused metric when it is a refusal.
func (m *Manager) countRefused(s *source, err error) {
	var r refusedError
	if m.metrics != nil && errors.As(err, &r) {
		m.metrics.Refused.WithLabelValues(s.name, r.reason).Inc()
	}
}
