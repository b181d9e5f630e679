package querylog

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pgSchemaLock serialises DDL among instances starting together (an
// advisory lock, released with the transaction).
const pgSchemaLock = 0x636c65616e646e73 // "cleandns"

// createSchema creates the tables, or brings a table an older cleandns
// made up to date. The schema only grows: a column is added with a
// default, so instances of an older version, whose COPY names the columns
// it knows, keep writing into the same table during a rolling upgrade.
func (p *Postgres) createSchema(ctx context.Context) error {
	err := p.ddl(ctx, `
		CREATE TABLE IF NOT EXISTS `+pgTable+` (
			ts timestamptz NOT NULL, instance text NOT NULL, client text NOT NULL,
			protocol text NOT NULL, name text NOT NULL, qtype text NOT NULL, result text NOT NULL,
			grp text NOT NULL, list text NOT NULL, rule text NOT NULL, upstream text NOT NULL,
			reason text NOT NULL, rcode smallint NOT NULL, duration_us bigint NOT NULL,
			client_id text NOT NULL DEFAULT ''
		) PARTITION BY RANGE (ts);
		CREATE INDEX IF NOT EXISTS `+pgTable+`_ts ON `+pgTable+` (ts DESC);
		CREATE TABLE IF NOT EXISTS `+pgHourly+` (
			instance text NOT NULL, hour timestamptz NOT NULL, total bigint NOT NULL, blocked bigint NOT NULL,
			PRIMARY KEY (instance, hour)
		);`)
	if err != nil {
		return err
	}
	return p.addColumns(ctx)
}

// pgAdded are the columns added since the table's first version, with
// their definitions, oldest first.
var pgAdded = [][2]string{
	{"client_id", "text NOT NULL DEFAULT ''"},
}

// addColumns adds the columns a table made by an older cleandns lacks. It
// looks first: ALTER TABLE locks the whole table, even when the column is
// there, and would wait behind every running search. A column added to the
// partitioned table reaches every partition; with a constant default
// PostgreSQL writes no row.
func (p *Postgres) addColumns(ctx context.Context) error {
	for _, c := range pgAdded {
		var n int
		err := p.pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`, pgTable, c[0]).Scan(&n)
		if err != nil {
			return err
		}
		if n == 0 {
			if err := p.ddl(ctx, `ALTER TABLE `+pgTable+` ADD COLUMN IF NOT EXISTS `+c[0]+` `+c[1]); err != nil {
				return fmt.Errorf("add column %s: %w", c[0], err)
			}
		}
	}
	return nil
}

// ensureDay creates the partition of t's day (UTC) and the next one.
func (p *Postgres) ensureDay(ctx context.Context, t time.Time) error {
	day := t.UTC().Truncate(24 * time.Hour)
	for _, d := range []time.Time{day, day.Add(24 * time.Hour)} {
		name := partitionName(d)
		if p.days[name] {
			continue
		}
		err := p.ddl(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s')`,
			name, pgTable, d.Format(time.RFC3339), d.Add(24*time.Hour).Format(time.RFC3339)))
		if err != nil {
			return err
		}
		p.days[name] = true
	}
	return nil
}

func (p *Postgres) ddl(ctx context.Context, sql string) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(pgSchemaLock)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, sql)
		return err
	})
}

func partitionName(day time.Time) string { return pgTable + "_" + day.Format("20060102") }

var partitionDay = regexp.MustCompile(`^` + pgTable + `_(\d{8})$`)

// Prune drops the days that end at or before cutoff, whole: no row-by-row
// delete, no vacuum. PostgreSQL's own estimate gives the count removed.
func (p *Postgres) Prune(cutoff time.Time) (int64, error) {
	if cutoff.IsZero() || !p.schemaOK {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := p.pool.Query(ctx, `SELECT c.relname, greatest(c.reltuples, 0)::bigint FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class t ON t.oid = i.inhparent WHERE t.relname = $1`, pgTable)
	if err != nil {
		return 0, redactPG(err)
	}
	type part struct {
		name string
		rows int64
	}
	var old []part
	for rows.Next() {
		var pt part
		if err := rows.Scan(&pt.name, &pt.rows); err != nil {
			rows.Close()
			return 0, err
		}
		m := partitionDay.FindStringSubmatch(pt.name)
		if m == nil {
			continue
		}
		day, err := time.Parse("20060102", m[1])
		if err == nil && !day.Add(24*time.Hour).After(cutoff) {
			old = append(old, pt)
		}
	}
	rows.Close()
	var removed int64
	for _, pt := range old {
		if err := p.ddl(ctx, `DROP TABLE IF EXISTS `+pt.name); err != nil {
			return removed, redactPG(err)
		}
		delete(p.days, pt.name)
		removed += pt.rows
	}
	_, err = p.pool.Exec(ctx, `DELETE FROM `+pgHourly+` WHERE hour < $1`, cutoff.Add(-time.Hour))
	return removed, redactPG(err)
}

// redactPG keeps a PostgreSQL error's sense and drops what could carry the
// connection string's password (pgx quotes the config in some errors).
func redactPG(err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return fmt.Errorf("PostgreSQL %s: %s", pe.Code, pe.Message)
	}
	msg := err.Error()
	if i := strings.Index(msg, "password="); i >= 0 {
		msg = msg[:i] + "password=<redacted>"
	}
	return errors.New(pgPassword.ReplaceAllString(msg, "//$1:<redacted>@"))
}

var pgPassword = regexp.MustCompile(`//([^:/@\s]+):[^@\s]*@`)
