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

// CheckRules reads a rules text line by line with the parser the lists
// use, as a set of custom rules is edited whole: it returns the rules in
// order, each once and trimmed, and an error for every line that
// ValidateRule refuses. Blank lines and comments (lines starting with one
// of # ! ; [ $, which carry no rule in any list format) are skipped: a set
// of custom rules keeps rules only.
func CheckRules(text string) (rules []string, errs []LineError) {
	lines := strings.Split(text, "\n")
	if len(lines) > MaxRulesText {
		return nil, []LineError{{Line: MaxRulesText + 1, Error: fmt.Sprintf("too many lines: %d, at most %d", len(lines), MaxRulesText)}}
	}
	seen := map[string]bool{}
	for i, line := range lines {
		line = strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
		if line == "" || strings.ContainsRune("#!;[$", rune(line[0])) {
			continue
		}
		if err := ValidateRule(line); err != nil {
			errs = append(errs, LineError{Line: i + 1, Text: line, Error: err.Error()})
			continue
		}
		if !seen[line] {
			seen[line] = true
			rules = append(rules, line)
		}
	}
	return rules, errs
}
