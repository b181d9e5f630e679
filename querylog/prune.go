package querylog

import (
	"database/sql"
	"time"
)

// pruneChunks is the most chunks one DELETE removes (about 16,000
// records). A full log sheds a minute's records at a time, a million under
// load: in one statement that would hold the writer's core for long.
const pruneChunks = 64

// Prune deletes records older than cutoff, then the oldest beyond maxRows.
// Whole chunks go in steps of pruneChunks; a chunk holding records on both
// sides of the limit is rewritten without the old ones. Hourly counts
// follow the age limit only: they count the queries seen in each hour,
// including records the size cap removed.
func (s *SQLite) Prune(cutoff time.Time) (int64, error) {
	var removed int64
	if !cutoff.IsZero() {
		n, err := s.pruneAge(cutoff.UnixMicro())
		removed += n
		if err != nil {
			return removed, err
		}
		if _, err := s.db.Exec(`DELETE FROM hourly WHERE hour < ?`, cutoff.Unix()/3600); err != nil {
			return removed, err
		}
	}
	if s.maxRows > 0 {
		n, err := s.pruneSize()
		removed += n
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// pruneAge removes the records stamped before cutoff (Unix µs). Chunks are
// stored in the order records finish, stamped with the clock, which a
// device without a battery-backed clock sets after its first queries: so
// each chunk's own span decides, not its place in the table.
func (s *SQLite) pruneAge(cutoff int64) (int64, error) {
	var removed int64
	for {
		var n sql.NullInt64
		if err := s.db.QueryRow(`SELECT SUM(n) FROM (SELECT n FROM chunks WHERE last_ts < ? LIMIT ?)`, cutoff, pruneChunks).Scan(&n); err != nil {
			return removed, err
		}
		if !n.Valid {
			break
		}
		if _, err := s.db.Exec(`DELETE FROM chunks WHERE id IN (SELECT id FROM chunks WHERE last_ts < ? LIMIT ?)`, cutoff, pruneChunks); err != nil {
			return removed, err
		}
		removed += n.Int64
		s.pause()
	}
	rows, err := s.db.Query(`SELECT id FROM chunks WHERE first_ts < ?`, cutoff)
	if err != nil {
		return removed, err
	}
	ids, err := scanIDs(rows)
	if err != nil {
		return removed, err
	}
	for _, id := range ids {
		n, err := s.rewrite(id, func(recs []Record) []Record {
			kept := recs[:0]
			for _, r := range recs {
				if r.Time.UnixMicro() >= cutoff {
					kept = append(kept, r)
				}
			}
			return kept
		})
		removed += n
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// pruneSize removes the oldest records beyond maxRows: whole chunks, then
// the oldest records of the chunk that straddles the cap.
func (s *SQLite) pruneSize() (int64, error) {
	var total sql.NullInt64
	if err := s.db.QueryRow(`SELECT SUM(n) FROM chunks`).Scan(&total); err != nil {
		return 0, err
	}
	excess := total.Int64 - int64(s.maxRows)
	var removed int64
	for excess > 0 {
		rows, err := s.db.Query(`SELECT id, n FROM chunks ORDER BY id LIMIT ?`, pruneChunks)
		if err != nil {
			return removed, err
		}
		var whole []int64
		var partial, partialN int64
		for rows.Next() {
			var id, n int64
			if err := rows.Scan(&id, &n); err != nil {
				rows.Close()
				return removed, err
			}
			if n > excess {
				partial, partialN = id, excess
				break
			}
			whole, excess = append(whole, id), excess-n
			removed += n
		}
		if err := closeRows(rows); err != nil {
			return removed, err
		}
		for _, id := range whole {
			if _, err := s.db.Exec(`DELETE FROM chunks WHERE id = ?`, id); err != nil {
				return removed, err
			}
		}
		if partial != 0 {
			n, err := s.rewrite(partial, func(recs []Record) []Record { return recs[partialN:] })
			return removed + n, err
		}
		s.pause()
	}
	return removed, nil
}

// rewrite replaces chunk id by keep's choice of its records, deleting it
// when none are left, and returns how many records went.
func (s *SQLite) rewrite(id int64, keep func([]Record) []Record) (int64, error) {
	var data []byte
	if err := s.db.QueryRow(`SELECT data FROM chunks WHERE id = ?`, id).Scan(&data); err != nil {
		return 0, err
	}
	var c chunk
	if err := c.decode(data); err != nil {
		_, derr := s.db.Exec(`DELETE FROM chunks WHERE id = ?`, id)
		return 0, derr
	}
	recs := make([]Record, len(c.recs))
	for i := range c.recs {
		recs[i] = c.record(&c.recs[i])
	}
	before := int64(len(recs))
	recs = keep(recs)
	if len(recs) == 0 {
		_, err := s.db.Exec(`DELETE FROM chunks WHERE id = ?`, id)
		return before, err
	}
	out := s.enc.encode(recs)
	_, err := s.db.Exec(`UPDATE chunks SET first_ts = ?, last_ts = ?, n = ?, data = ? WHERE id = ?`,
		s.enc.first.UnixMicro(), s.enc.last.UnixMicro(), len(recs), out, id)
	return before - int64(len(recs)), err
}

func scanIDs(rows *sql.Rows) ([]int64, error) {
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, closeRows(rows)
}

func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}
