package blocklist

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unsafe"
)

// maxLineBytes bounds one list line. Lists are read through a buffer of this
// size, so reading one costs the buffer, not the list; a longer line cannot
// be a rule (names stop at 253 characters, regex rules at 1,024), and
// assembling it would let one line of a 64 MB list cost 64 MB again. It is
// reported as invalid and skipped.
const maxLineBytes = 64 << 10

// errLongLine is the Reason of a line over maxLineBytes.
var errLongLine = fmt.Errorf("line longer than %d bytes", maxLineBytes)

// lineReaders hold the read buffers of eachLine. A load reads each changed
// list twice, so the built-in lists alone would otherwise take two dozen
// 64 KiB buffers to read 2,000 names.
var lineReaders = sync.Pool{
	New: func() any { return bufio.NewReaderSize(nil, maxLineBytes+1) }, // +1: room for the "\n"
}

// eachLine reads r and calls fn with each line's 1-based number, the line as
// written (without its "\n"), and the line to parse: RPZ owners made
// relative to the zone's $ORIGIN. The strings point into the read buffer:
// they are valid only during the call, and fn must clone what it keeps. A
// line over maxLineBytes is passed to tooLong instead, cut to its first
// maxLineBytes bytes, under the same rule.
func eachLine(r io.Reader, fn func(n int, line, rule string), tooLong func(n int, start string)) error {
	br := lineReaders.Get().(*bufio.Reader)
	br.Reset(r)
	defer func() {
		br.Reset(nil) // the pool must not keep r reachable
		lineReaders.Put(br)
	}()
	origin := ""
	for n := 1; ; n++ {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			tooLong(n, view(b))
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			b = nil
			if err == nil {
				continue
			}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("line %d: %w", n, err)
		}
		if len(b) == 0 && err != nil {
			return nil // the end, after a "\n" or a skipped long line
		}
		if b[len(b)-1] == '\n' {
			b = b[:len(b)-1]
		}
		line := view(b)
		if rest, ok := strings.CutPrefix(line, "$ORIGIN"); ok {
			origin = strings.Clone(strings.ToLower(strings.TrimSpace(stripInlineComment(rest))))
		} else {
			fn(n, line, relativeToOrigin(line, origin))
		}
		if err != nil {
			return nil // a last line without "\n"
		}
	}
}

// view returns b as a string without copying it: a copy per line would be a
// million allocations for a big list. The string is valid only until the
// buffer under b is read into again.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
