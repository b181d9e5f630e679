package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cleandns/cleandns/querylog"
)

// Client talks to a running instance's API; the CLI's remote commands use it.
type Client struct {
	// Server is the base URL, e.g. http://127.0.0.1:9153.
	Server string
	// Token is sent as a bearer token when set.
	Token string
	// HTTP is the client used; a 30-second one when nil.
	HTTP *http.Client
}

// Error is an error the API answered with.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s (HTTP %d)", e.Message, e.Status) }

func (c *Client) call(ctx context.Context, method, path string, q url.Values, out any) error {
	u := strings.TrimSuffix(c.Server, "/") + "/api/v1/" + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var eb ErrorBody
		if json.NewDecoder(resp.Body).Decode(&eb) != nil || eb.Error == "" {
			eb.Error = resp.Status
		}
		return &Error{Status: resp.StatusCode, Message: eb.Error}
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// Status is GET /status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	return st, c.call(ctx, http.MethodGet, "status", nil, &st)
}

// Pause is POST /blocking/pause.
func (c *Client) Pause(ctx context.Context, d time.Duration, group string) (PauseResult, error) {
	q := url.Values{"duration": {d.String()}}
	if group != "" {
		q.Set("group", group)
	}
	var r PauseResult
	return r, c.call(ctx, http.MethodPost, "blocking/pause", q, &r)
}

// Resume is POST /blocking/resume.
func (c *Client) Resume(ctx context.Context, group string) (PauseResult, error) {
	q := url.Values{}
	if group != "" {
		q.Set("group", group)
	}
	var r PauseResult
	return r, c.call(ctx, http.MethodPost, "blocking/resume", q, &r)
}

// RefreshLists is POST /lists/refresh.
func (c *Client) RefreshLists(ctx context.Context) error {
	return c.call(ctx, http.MethodPost, "lists/refresh", nil, nil)
}

// FlushCache is POST /cache/flush; it returns how many entries went.
func (c *Client) FlushCache(ctx context.Context) (int, error) {
	var r map[string]int
	err := c.call(ctx, http.MethodPost, "cache/flush", nil, &r)
	return r["flushed"], err
}

// Explain is GET /explain.
func (c *Client) Explain(ctx context.Context, name, client string) (Explanation, error) {
	return c.ExplainFor(ctx, name, client, "")
}

// ExplainFor is GET /explain for a client that may give a client ID.
func (c *Client) ExplainFor(ctx context.Context, name, client, clientID string) (Explanation, error) {
	q := url.Values{"name": {name}}
	if client != "" {
		q.Set("client", client)
	}
	if clientID != "" {
		q.Set("client_id", clientID)
	}
	var ex Explanation
	return ex, c.call(ctx, http.MethodGet, "explain", q, &ex)
}

// QueryLogParams are GET /querylog's parameters; since and until are a
// duration back from now ("1h") or an RFC 3339 time.
type QueryLogParams struct {
	Client, ClientID, Name, Result, Since, Until string
	Limit                                        int
}

// QueryLog is GET /querylog.
func (c *Client) QueryLog(ctx context.Context, p QueryLogParams) ([]querylog.Record, error) {
	q := url.Values{}
	for k, v := range map[string]string{"client": p.Client, "client_id": p.ClientID, "name": p.Name, "result": p.Result, "since": p.Since, "until": p.Until} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	var r struct {
		Records []querylog.Record `json:"records"`
	}
	return r.Records, c.call(ctx, http.MethodGet, "querylog", q, &r)
}

// Top is GET /top; for kind clients each entry has the client's group.
func (c *Client) Top(ctx context.Context, kind, since string, limit int) ([]TopEntry, error) {
	q := url.Values{"kind": {kind}}
	if since != "" {
		q.Set("since", since)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var r struct {
		Top []TopEntry `json:"top"`
	}
	return r.Top, c.call(ctx, http.MethodGet, "top", q, &r)
}

// AllowList is GET /allow.
func (c *Client) AllowList(ctx context.Context) ([]AllowEntry, error) {
	var r struct {
		Allow []AllowEntry `json:"allow"`
	}
	return r.Allow, c.call(ctx, http.MethodGet, "allow", nil, &r)
}

// AllowAdd is POST /allow.
func (c *Client) AllowAdd(ctx context.Context, name string) (AllowEntry, error) {
	var e AllowEntry
	return e, c.call(ctx, http.MethodPost, "allow", url.Values{"name": {name}}, &e)
}

// AllowRemove is DELETE /allow.
func (c *Client) AllowRemove(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodDelete, "allow", url.Values{"name": {name}}, nil)
}

// DenyList is GET /deny.
func (c *Client) DenyList(ctx context.Context) ([]CustomEntry, error) {
	var r struct{ Deny []CustomEntry }
	return r.Deny, c.call(ctx, http.MethodGet, "deny", nil, &r)
}

// DenyAdd is POST /deny.
func (c *Client) DenyAdd(ctx context.Context, name string) (CustomEntry, error) {
	var e CustomEntry
	return e, c.call(ctx, http.MethodPost, "deny", url.Values{"name": {name}}, &e)
}

// DenyRemove is DELETE /deny.
func (c *Client) DenyRemove(ctx context.Context, name string) error {
	return c.call(ctx, http.MethodDelete, "deny", url.Values{"name": {name}}, nil)
}

// RulesList is GET /rules.
func (c *Client) RulesList(ctx context.Context) ([]CustomEntry, error) {
	var r struct{ Rules []CustomEntry }
	return r.Rules, c.call(ctx, http.MethodGet, "rules", nil, &r)
}

// RulesAdd is POST /rules.
func (c *Client) RulesAdd(ctx context.Context, rule string) (CustomEntry, error) {
	var e CustomEntry
	return e, c.call(ctx, http.MethodPost, "rules", url.Values{"rule": {rule}}, &e)
}

// RulesRemove is DELETE /rules.
func (c *Client) RulesRemove(ctx context.Context, rule string) error {
	return c.call(ctx, http.MethodDelete, "rules", url.Values{"rule": {rule}}, nil)
}
