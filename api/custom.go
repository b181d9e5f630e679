package api

import (
	"net/http"
	"strings"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/runstate"
)

// CustomStore keeps runtime deny entries or custom rules; runstate.Custom
// is one. Add validates what it is given.
type CustomStore interface {
	List() []CustomEntry
	Add(value, by string) (CustomEntry, error)
	Remove(value string) (bool, error)
}

// CustomEntry is one runtime deny entry or custom rule.
type CustomEntry = runstate.Entry

// custom serves GET, POST and DELETE for one CustomStore: the deny list
// (param "name") or the custom rules (param "rule").
type custom struct {
	store func() CustomStore
	what  string // "runtime deny entries", "custom rules"
	key   string // the document's JSON key and the query parameter
	param string
	// version, when set, names the set's version in GET's answer.
	version func() string
}

func (a *API) customRoutes() {
	deny := custom{store: func() CustomStore { return a.d.Deny }, what: "runtime deny entries", key: "deny", param: "name"}
	rules := custom{store: func() CustomStore { return a.d.Rules }, what: "custom rules", key: "rules", param: "rule",
		version: func() string { return a.d.Rules.Version() }}
	a.route("GET /api/v1/deny", "admin", a.admin("list deny", deny.list))
	a.route("POST /api/v1/deny", "admin", a.admin("deny", deny.add))
	a.route("DELETE /api/v1/deny", "admin", a.admin("undeny", deny.remove))
	a.route("GET /api/v1/rules", "admin", a.admin("list rules", rules.list))
	a.route("POST /api/v1/rules", "admin", a.admin("add rule", rules.add))
	a.route("DELETE /api/v1/rules", "admin", a.admin("remove rule", rules.remove))
	a.route("GET /api/v1/rules/check", "read", a.read(a.checkRule))
	a.route("POST /api/v1/rules/check", "read", a.read(a.checkRules))
	a.route("PUT /api/v1/rules", "admin", a.admin("replace rules", a.replaceRules))
}

func (c custom) list(w http.ResponseWriter, _ *http.Request, _ who) error {
	s := c.store()
	if s == nil {
		return notAvailable(c.what)
	}
	if c.version != nil {
		// The version first: read before a change that the list then
		// shows, it makes a replace built on that list fail, never succeed
		// over a rule the editor did not see.
		v := c.version()
		writeJSON(w, http.StatusOK, map[string]any{c.key: s.List(), "version": v})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{c.key: s.List()})
	return nil
}

// request returns the store and the value a POST or DELETE names.
func (c custom) request(r *http.Request) (CustomStore, string, error) {
	s := c.store()
	if s == nil {
		return nil, "", notAvailable(c.what)
	}
	v := r.URL.Query().Get(c.param)
	if strings.TrimSpace(v) == "" {
		return nil, "", badRequest("%s is required", c.param)
	}
	return s, v, nil
}

func (c custom) add(w http.ResponseWriter, r *http.Request, who who) error {
	s, v, err := c.request(r)
	if err != nil {
		return err
	}
	e, err := s.Add(v, who.kind.String()+"@"+who.remote)
	if err != nil {
		return badRequest("%s: %v", c.param, err)
	}
	writeJSON(w, http.StatusCreated, e)
	return nil
}

func (c custom) remove(w http.ResponseWriter, r *http.Request, _ who) error {
	s, v, err := c.request(r)
	if err != nil {
		return err
	}
	ok, err := s.Remove(v)
	if err != nil {
		return badRequest("%s: %v", c.param, err)
	}
	if !ok {
		return errorf(http.StatusNotFound, "%s is not in the %s", v, c.what)
	}
	writeJSON(w, http.StatusOK, map[string]string{"removed": v})
	return nil
}

// RuleCheck is the answer of GET /rules/check: whether the list parser
// reads the rule, and why not.
type RuleCheck struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// checkRule reads a rule with the parser the custom rules and the lists
// use, without storing it: the console checks as the admin types.
func (a *API) checkRule(w http.ResponseWriter, r *http.Request, _ who) error {
	rule := r.URL.Query().Get("rule")
	if strings.TrimSpace(rule) == "" {
		return badRequest("rule is required")
	}
	res := RuleCheck{OK: true}
	if err := blocklist.ValidateRule(rule); err != nil {
		res = RuleCheck{Error: err.Error()}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
