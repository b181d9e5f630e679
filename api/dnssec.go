package api

import (
	"context"
	"net/http"
	"net/url"
)

// ntaList answers GET /dnssec/negative-trust-anchors.
func (a *API) ntaList(w http.ResponseWriter, _ *http.Request, _ who) error {
	if a.d.NegativeAnchors == nil {
		return notAvailable("DNSSEC validation")
	}
	writeJSON(w, http.StatusOK, map[string]any{"negative_trust_anchors": a.d.NegativeAnchors.List()})
	return nil
}

// ntaAdd answers POST /dnssec/negative-trust-anchors?name=: answers under
// name are no longer validated, until removed or cleandns restarts.
func (a *API) ntaAdd(w http.ResponseWriter, r *http.Request, _ who) error {
	if a.d.NegativeAnchors == nil {
		return notAvailable("DNSSEC validation")
	}
	name, err := domainParam(r.URL.Query().Get("name"))
	if err != nil {
		return err
	}
	if err := a.d.NegativeAnchors.Add(name); err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	writeJSON(w, http.StatusCreated, map[string]string{"added": name})
	return nil
}

// ntaRemove answers DELETE /dnssec/negative-trust-anchors?name=.
func (a *API) ntaRemove(w http.ResponseWriter, r *http.Request, _ who) error {
	if a.d.NegativeAnchors == nil {
		return notAvailable("DNSSEC validation")
	}
	name, err := domainParam(r.URL.Query().Get("name"))
	if err != nil {
		return err
	}
	if !a.d.NegativeAnchors.Remove(name) {
		return errorf(http.StatusNotFound, "%s is not a negative trust anchor", name)
	}
	writeJSON(w, http.StatusOK, map[string]string{"removed": name})
	return nil
}

// NegativeAnchors lists the DNSSEC negative trust anchors.
func (c *Client) NegativeAnchors(ctx context.Context) ([]string, error) {
	var out struct {
		List []string `json:"negative_trust_anchors"`
	}
	err := c.call(ctx, http.MethodGet, "dnssec/negative-trust-anchors", nil, &out)
	return out.List, err
}

// AddNegativeAnchor stops validating answers under name.
func (c *Client) AddNegativeAnchor(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodPost, "dnssec/negative-trust-anchors", url.Values{"name": {name}}, nil)
}

// RemoveNegativeAnchor validates answers under name again.
func (c *Client) RemoveNegativeAnchor(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodDelete, "dnssec/negative-trust-anchors", url.Values{"name": {name}}, nil)
}
