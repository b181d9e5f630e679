package blocklist

import (
	"fmt"
	"strings"
)

// MaxRulesText bounds a set of rules given as one text (the console's
// rules editor): lines beyond it are refused, not read.
const MaxRulesText = 10000

// LineError is one line of a rules text that cleandns cannot read or
// would not honour.
type LineError struct {
	Line  int    `json:"line"` // 1-based
	Text  string `json:"text"`
	Error string `json:"error"`
}

// TextRule is one rule of a rules text and the lines above it that carry
// no rule (comments and blank lines), trimmed, each ending in a newline: a
// set of custom rules edited as one text keeps its comments where they
// were.
type TextRule struct {
	Rule    string
	Comment string
}

// RulesText is a rules text as CheckRules read it.
type RulesText struct {
	Rules []TextRule
	// Trailing is what follows the last rule's line, as Comment is.
	Trailing string
}

// Names returns the rules alone, in order.
func (t RulesText) Names() []string {
	out := make([]string, len(t.Rules))
	for i, r := range t.Rules {
		out[i] = r.Rule
	}
	return out
}

// CheckRules reads a rules text line by line with the parser the lists
// use, as a set of custom rules is edited whole: it returns the rules in
// order, each once and trimmed, and an error for every line that
// ValidateRule refuses. Blank lines and comments (lines starting with one
// of # ! ; [ $, which carry no rule in any list format) carry no rule: each
// is kept, trimmed, with the rule below it (a repeated rule's go to the
// next rule), and those after the last rule as the text's Trailing.
func CheckRules(text string) (out RulesText, errs []LineError) {
	lines := strings.Split(text, "\n")
	if len(lines) > MaxRulesText {
		return RulesText{}, []LineError{{Line: MaxRulesText + 1, Error: fmt.Sprintf("too many lines: %d, at most %d", len(lines), MaxRulesText)}}
	}
	if strings.HasSuffix(text, "\n") {
		lines = lines[:len(lines)-1] // the newline ends the last line; no empty line after it
	}
	seen := map[string]bool{}
	var above strings.Builder
	for i, line := range lines {
		line = strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
		if line == "" || strings.ContainsRune("#!;[$", rune(line[0])) {
			above.WriteString(line + "\n")
			continue
		}
		if err := ValidateRule(line); err != nil {
			errs = append(errs, LineError{Line: i + 1, Text: line, Error: err.Error()})
			continue
		}
		if !seen[line] {
			seen[line] = true
			out.Rules = append(out.Rules, TextRule{Rule: line, Comment: above.String()})
			above.Reset()
		}
	}
	out.Trailing = above.String()
	return out, errs
}

// String writes the text back as CheckRules read it: each rule below its
// comment lines, one a line, then the trailing lines.
func (t RulesText) String() string {
	var b strings.Builder
	for _, r := range t.Rules {
		b.WriteString(r.Comment + r.Rule + "\n")
	}
	b.WriteString(t.Trailing)
	return b.String()
}
