package querylog

import "time"

// migrateRows is how many records of the older format move per transaction.
const migrateRows = 4 * chunkRows

// migrate moves the records of the older format (a row per record in
// queries, names in their own table with a trigram index) into chunks, in
// the order they were stored, then drops the old tables. The hourly counts
// already hold those records. It runs while the log opens, which is in the
// background, so a large old log delays only the log.
func (s *SQLite) migrate() (int64, error) {
	var old int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'queries'`).Scan(&old); err != nil || old == 0 {
		return 0, err
	}
	var moved int64
	for after := int64(0); ; {
		recs, last, err := s.oldRecords(after)
		if err != nil {
			return moved, err
		}
		if len(recs) == 0 {
			break
		}
		tx, err := s.db.Begin()
		if err != nil {
			return moved, err
		}
		if err := s.writeChunks(tx, recs); err != nil {
			_ = tx.Rollback()
			return moved, err
		}
		if _, err := tx.Exec(`DELETE FROM queries WHERE id <= ?`, last); err != nil {
			_ = tx.Rollback()
			return moved, err
		}
		if err := tx.Commit(); err != nil {
			return moved, err
		}
		moved, after = moved+int64(len(recs)), last
	}
	_, err := s.db.Exec(`DROP TRIGGER IF EXISTS names_ai; DROP TABLE IF EXISTS names_fts; DROP TABLE IF EXISTS queries; DROP TABLE IF EXISTS names;`)
	return moved, err
}

// oldRecords reads up to migrateRows records of the older format with ids
// above after, and the last id read.
func (s *SQLite) oldRecords(after int64) ([]Record, int64, error) {
	rows, err := s.db.Query(`SELECT q.id, q.ts, q.client, q.protocol, COALESCE(n.name, ''), q.qtype, q.result, q.grp, q.list,
		q.rule, q.upstream, q.reason, q.rcode, q.duration_us FROM queries q LEFT JOIN names n ON n.id = q.name_id
		WHERE q.id > ? ORDER BY q.id LIMIT ?`, after, migrateRows)
	if err != nil {
		return nil, 0, err
	}
	var (
		recs []Record
		last int64
	)
	for rows.Next() {
		var (
			r      Record
			ts, us int64
		)
		if err := rows.Scan(&last, &ts, &r.Client, &r.Protocol, &r.Name, &r.Type, &r.Result, &r.Group, &r.List, &r.Rule,
			&r.Upstream, &r.Reason, &r.Rcode, &us); err != nil {
			rows.Close()
			return nil, 0, err
		}
		r.Time, r.Duration = time.UnixMicro(ts).UTC(), time.Duration(us)*time.Microsecond
		recs = append(recs, r)
	}
	return recs, last, closeRows(rows)
}
