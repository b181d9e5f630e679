package querylog

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Search returns the newest records matching q, from every instance.
func (p *Postgres) Search(ctx context.Context, q Query) ([]Record, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if q.Client != "" {
		where = append(where, "client = "+arg(q.Client))
	}
	if q.ClientID != "" {
		where = append(where, "client_id = "+arg(q.ClientID))
	}
	if q.Result != "" {
		where = append(where, "result = "+arg(q.Result))
	}
	if q.Name != "" {
		where = append(where, "strpos(lower(name), "+arg(strings.ToLower(q.Name))+") > 0")
	}
	if !q.Since.IsZero() {
		where = append(where, "ts >= "+arg(q.Since))
	}
	if !q.Until.IsZero() {
		where = append(where, "ts < "+arg(q.Until))
	}
	sql := `SELECT ts, instance, client, protocol, name, qtype, result, grp, list, rule, upstream, reason, rcode, duration_us, client_id FROM ` + pgTable
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY ts DESC LIMIT " + arg(q.limit())
	rows, err := p.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, redactPG(err)
	}
	defer rows.Close()
	out := []Record{}
	for rows.Next() {
		var r Record
		var rcode int16
		var us int64
		if err := rows.Scan(&r.Time, &r.Instance, &r.Client, &r.Protocol, &r.Name, &r.Type, &r.Result, &r.Group,
			&r.List, &r.Rule, &r.Upstream, &r.Reason, &rcode, &us, &r.ClientID); err != nil {
			return nil, redactPG(err)
		}
		r.Rcode, r.Duration = int(rcode), time.Duration(us)*time.Microsecond
		out = append(out, r)
	}
	return out, redactPG(rows.Err())
}

// clientKeySQL is clientKey in SQL.
const clientKeySQL = `CASE WHEN client_id <> '' THEN '` + IDPrefix + `' || client_id ELSE client END`

// Top counts the n most frequent keys of kind since a time, fleet-wide.
func (p *Postgres) Top(ctx context.Context, kind TopKind, since time.Time, n int) ([]Count, error) {
	var col, filter string
	switch kind {
	case TopBlocked:
		col, filter = "name", " AND result = 'blocked'"
	case TopClients:
		col = clientKeySQL
	case TopNames:
		col = "name"
	case TopLists:
		col, filter = "list", " AND result = 'blocked'"
	default:
		_, err := ParseTopKind(string(kind))
		return nil, err
	}
	rows, err := p.pool.Query(ctx, `SELECT `+col+`, count(*) FROM `+pgTable+` WHERE ts >= $1 AND `+col+` <> ''`+filter+
		` GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $2`, since, max(n, 1))
	if err != nil {
		return nil, redactPG(err)
	}
	defer rows.Close()
	out := []Count{}
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Key, &c.Count); err != nil {
			return nil, redactPG(err)
		}
		out = append(out, c)
	}
	return out, redactPG(rows.Err())
}

// PerHour sums every instance's per-hour counts since a time.
func (p *Postgres) PerHour(ctx context.Context, since time.Time) ([]HourCount, error) {
	rows, err := p.pool.Query(ctx, `SELECT hour, sum(total)::bigint, sum(blocked)::bigint FROM `+pgHourly+
		` WHERE hour >= date_trunc('hour', $1::timestamptz) GROUP BY hour ORDER BY hour`, since)
	if err != nil {
		return nil, redactPG(err)
	}
	defer rows.Close()
	out := []HourCount{}
	for rows.Next() {
		var h HourCount
		if err := rows.Scan(&h.Hour, &h.Total, &h.Blocked); err != nil {
			return nil, redactPG(err)
		}
		h.Hour = h.Hour.UTC()
		out = append(out, h)
	}
	return out, redactPG(rows.Err())
}
