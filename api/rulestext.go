package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"go.uber.org/zap"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/runstate"
)

// maxRulesBody bounds the body of POST /rules/check and PUT /rules.
const maxRulesBody = 1 << 20

// RuleSet is the custom rules: single rules added and removed, and the
// whole set replaced at once; runstate.Custom is one.
type RuleSet interface {
	CustomStore
	// Replace refuses with runstate.ErrRulesChanged when ifVersion is set
	// and the set is no longer that version.
	Replace(text blocklist.RulesText, by, ifVersion string) (RulesReplaced, error)
	Version() string
}

// RulesReplaced is the answer of PUT /rules: the set's size and what
// changed.
type RulesReplaced = runstate.Replaced

// RulesText is the body of POST /rules/check and PUT /rules: every custom
// rule, one a line, in any list syntax cleandns reads.
type RulesText struct {
	Text string `json:"text"`
	// Version, for PUT, is the set's version as GET /rules gave it: the
	// replace is refused (409) if the rules changed since. Empty: replace
	// whatever is there.
	Version string `json:"version,omitempty"`
}

// RulesCheck is the answer of POST /rules/check, and the body of a PUT
// /rules refused: the rules the text holds and each line that cannot be
// read, by number.
type RulesCheck struct {
	OK     bool                  `json:"ok"`
	Rules  int                   `json:"rules"`
	Errors []blocklist.LineError `json:"errors"`
	Error  string                `json:"error,omitempty"` // a refused PUT's summary
}

// readRulesText reads the body and checks it line by line with the
// lists' parser.
func readRulesText(r *http.Request) (blocklist.RulesText, RulesCheck, RulesText, error) {
	var body RulesText
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxRulesBody))
	if err := dec.Decode(&body); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return blocklist.RulesText{}, RulesCheck{}, body, errorf(http.StatusRequestEntityTooLarge, "the rules are more than %d bytes", maxRulesBody)
		}
		return blocklist.RulesText{}, RulesCheck{}, body, badRequest(`the body must be JSON {"text": "one rule a line"}: %v`, err)
	}
	rules, errs := blocklist.CheckRules(body.Text)
	if errs == nil {
		errs = []blocklist.LineError{}
	}
	return rules, RulesCheck{OK: len(errs) == 0, Rules: len(rules.Rules), Errors: errs}, body, nil
}

// checkRules reads a whole rules text as PUT /rules would, storing
// nothing: the console's editor checks as the admin types.
func (a *API) checkRules(w http.ResponseWriter, r *http.Request, _ who) error {
	_, res, _, err := readRulesText(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// replaceRules makes the text the whole set of custom rules, or refuses
// it whole, with every bad line, and changes nothing.
func (a *API) replaceRules(w http.ResponseWriter, r *http.Request, c who) error {
	if a.d.Rules == nil {
		return notAvailable("custom rules")
	}
	rules, res, body, err := readRulesText(r)
	if err != nil {
		return err
	}
	if !res.OK {
		res.Error = "nothing was saved: " + plural(len(res.Errors), "line") + " cannot be read"
		writeJSON(w, http.StatusBadRequest, res)
		return nil
	}
	done, err := a.d.Rules.Replace(rules, c.kind.String()+"@"+c.remote, body.Version)
	if errors.Is(err, runstate.ErrRulesChanged) {
		return errorf(http.StatusConflict, "%v: nothing was saved; load them again (version %s now)", err, a.d.Rules.Version())
	}
	if err != nil {
		return badRequest("%v", err)
	}
	// The audit line of the call has no parameters to show; this says what
	// the call changed.
	a.log.Info("api rules replaced", zap.String("token", c.kind.String()), zap.String("remote", c.remote),
		zap.Int("rules", done.Rules), zap.Strings("added", capped(done.Added)), zap.Strings("removed", capped(done.Removed)))
	writeJSON(w, http.StatusOK, done)
	return nil
}

// capped keeps a log line short: the first 50 rules.
func capped(s []string) []string {
	if len(s) > 50 {
		return append(s[:50:50], "…")
	}
	return s
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
