package api

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestClientAgainstAPI(t *testing.T) {
	e := newEnv(t, Tokens{Admin: adminTok, Read: readTok})
	ctx := context.Background()
	c := &Client{Server: e.url, Token: adminTok}

	if st, err := c.Status(ctx); err != nil || st.Version != "v9.9.9" {
		t.Errorf("Status = %+v, %v", st, err)
	}
	if r, err := c.Pause(ctx, 10*time.Minute, "kids"); err != nil || len(r.Paused) != 1 {
		t.Errorf("Pause = %+v, %v", r, err)
	}
	if r, err := c.Resume(ctx, "kids"); err != nil || len(r.Paused) != 0 {
		t.Errorf("Resume = %+v, %v", r, err)
	}
	if recs, err := c.QueryLog(ctx, QueryLogParams{Client: "10.0.0.5", Since: "1h", Limit: 3}); err != nil || len(recs) != 1 ||
		e.log.got.Client != "10.0.0.5" || e.log.got.Limit != 3 {
		t.Errorf("QueryLog = %+v, %v (searched %+v)", recs, err, e.log.got)
	}
	if top, err := c.Top(ctx, "blocked", "", 5); err != nil || len(top) != 1 || top[0].Count != 5 {
		t.Errorf("Top = %+v, %v", top, err)
	}
	if _, err := c.AllowAdd(ctx, "ok.example"); err != nil {
		t.Error(err)
	}
	if l, err := c.AllowList(ctx); err != nil || len(l) != 1 {
		t.Errorf("AllowList = %+v, %v", l, err)
	}
	if err := c.AllowRemove(ctx, "ok.example"); err != nil {
		t.Error(err)
	}
	if n, err := c.FlushCache(ctx); err != nil || n != 7 {
		t.Errorf("FlushCache = %d, %v", n, err)
	}
	if err := c.RefreshLists(ctx); err != nil {
		t.Error(err)
	}
	if ex, err := c.Explain(ctx, "ads.example", "10.0.0.5"); err != nil || !ex.Blocked {
		t.Errorf("Explain = %+v, %v", ex, err)
	}

	var apiErr *Error
	reader := &Client{Server: e.url, Token: readTok}
	if _, err := reader.Pause(ctx, time.Minute, ""); !errors.As(err, &apiErr) || apiErr.Status != 403 {
		t.Errorf("Pause with the read token: %v", err)
	}
	if err := c.AllowRemove(ctx, "never.example"); !errors.As(err, &apiErr) || apiErr.Status != 404 {
		t.Errorf("AllowRemove of a missing name: %v", err)
	}
}
