package querylog

import (
	"context"
	"strings"
	"time"
)

const selectRecords = `SELECT q.ts, q.client, q.protocol, n.name, q.qtype, q.result, q.grp, q.list, q.rule,
	q.upstream, q.reason, q.rcode, q.duration_us FROM queries q JOIN names n ON n.id = q.name_id`

// Search returns the newest records matching q.
func (s *SQLite) Search(ctx context.Context, q Query) ([]Record, error) {
	var (
		where []string
		args  []any
	)
	if q.Client != "" {
		where, args = append(where, "q.client = ?"), append(args, q.Client)
	}
	if q.Result != "" {
		where, args = append(where, "q.result = ?"), append(args, q.Result)
	}
	if !q.Since.IsZero() {
		where, args = append(where, "q.ts >= ?"), append(args, q.Since.UnixMicro())
	}
	if !q.Until.IsZero() {
		where, args = append(where, "q.ts < ?"), append(args, q.Until.UnixMicro())
	}
	if q.Name != "" {
		ids, err := s.nameIDs(ctx, strings.ToLower(q.Name))
		switch {
		case err != nil:
			return nil, err
		case len(ids) == 0:
			return []Record{}, nil // no such name: nothing to scan for
		case len(ids) <= maxNameIDs:
			where = append(where, "q.name_id IN (?"+strings.Repeat(", ?", len(ids)-1)+")")
			args = append(args, ids...)
		default:
			cond, arg := nameMatch(strings.ToLower(q.Name))
			where, args = append(where, "q.name_id IN ("+cond+")"), append(args, arg)
		}
	}
	sqlText := selectRecords
	if len(where) > 0 {
		sqlText += " WHERE " + strings.Join(where, " AND ")
	}
	sqlText += " ORDER BY q.ts DESC, q.id DESC LIMIT ?"
	args = append(args, q.limit())
	rows, err := s.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Record{}
	for rows.Next() {
		var (
			r      Record
			ts, us int64
		)
		if err := rows.Scan(&ts, &r.Client, &r.Protocol, &r.Name, &r.Type, &r.Result, &r.Group, &r.List, &r.Rule,
			&r.Upstream, &r.Reason, &r.Rcode, &us); err != nil {
			return nil, err
		}
		r.Time, r.Duration = time.UnixMicro(ts).UTC(), time.Duration(us)*time.Microsecond
		out = append(out, r)
	}
	return out, rows.Err()
}

// maxNameIDs is the most matching name ids a search lists in its query;
// beyond it, the query selects them itself.
const maxNameIDs = 500

// nameIDs returns the ids of the names containing sub, up to maxNameIDs+1.
func (s *SQLite) nameIDs(ctx context.Context, sub string) ([]any, error) {
	cond, arg := nameMatch(sub)
	rows, err := s.db.QueryContext(ctx, cond+" LIMIT ?", arg, maxNameIDs+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// nameMatch selects the ids of names containing sub: through the trigram
// index when sub has the three characters a trigram needs, else by scanning
// the (small) names table.
func nameMatch(sub string) (string, any) {
	if len([]rune(sub)) >= 3 {
		// A quoted FTS5 string is matched as a substring by the trigram tokenizer.
		return `SELECT rowid FROM names_fts WHERE names_fts MATCH ?`, `"` + strings.ReplaceAll(sub, `"`, `""`) + `"`
	}
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(sub)
	return `SELECT id FROM names WHERE name LIKE ? ESCAPE '\'`, "%" + esc + "%"
}

// Top counts the n most frequent keys of kind since a time.
func (s *SQLite) Top(ctx context.Context, kind TopKind, since time.Time, n int) ([]Count, error) {
	if n <= 0 {
		n = 10
	}
	var sqlText string
	switch kind {
	case TopBlocked:
		sqlText = `SELECT n.name, c FROM (SELECT name_id, COUNT(*) AS c FROM queries WHERE result = 'blocked' AND ts >= ?
			GROUP BY name_id ORDER BY c DESC LIMIT ?) JOIN names n ON n.id = name_id ORDER BY c DESC`
	case TopNames:
		sqlText = `SELECT n.name, c FROM (SELECT name_id, COUNT(*) AS c FROM queries WHERE ts >= ?
			GROUP BY name_id ORDER BY c DESC LIMIT ?) JOIN names n ON n.id = name_id ORDER BY c DESC`
	case TopClients:
		sqlText = `SELECT client, COUNT(*) AS c FROM queries WHERE ts >= ? GROUP BY client ORDER BY c DESC LIMIT ?`
	default:
		_, err := ParseTopKind(string(kind))
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, sqlText, since.UnixMicro(), n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Count{}
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.Key, &c.Count); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PerHour counts queries, and blocked ones, per hour since a time, from
// the rollup Write keeps.
func (s *SQLite) PerHour(ctx context.Context, since time.Time) ([]HourCount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT hour, total, blocked FROM hourly WHERE hour >= ? ORDER BY hour`, since.Unix()/3600)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []HourCount{}
	for rows.Next() {
		var (
			h int64
			c HourCount
		)
		if err := rows.Scan(&h, &c.Total, &c.Blocked); err != nil {
			return nil, err
		}
		c.Hour = time.Unix(h*3600, 0).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}
