package querylog

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"
)

// Search returns the newest records matching q: it reads the chunks newest
// first, skips those whose span or dictionary cannot match, and stops at
// the limit.
func (s *SQLite) Search(ctx context.Context, q Query) ([]Record, error) {
	out := []Record{}
	limit := q.limit()
	name := strings.ToLower(q.Name)
	var nameOK []bool
	err := s.scan(ctx, q.Since, q.Until, func(c *chunk) bool {
		client, clientID, result := -1, -1, -1
		if q.Client != "" {
			if client = c.find(q.Client); client < 0 {
				return true
			}
		}
		if q.ClientID != "" {
			if clientID = c.find(q.ClientID); clientID < 0 {
				return true
			}
		}
		if q.Result != "" {
			if result = c.find(q.Result); result < 0 {
				return true
			}
		}
		if name != "" {
			nameOK = nameOK[:0]
			hit := false
			for _, b := range c.strs {
				ok := containsFold(b, name)
				nameOK, hit = append(nameOK, ok), hit || ok
			}
			if !hit {
				return true
			}
		}
		if c.load() != nil {
			return true // a damaged chunk costs its records, not the search
		}
		since, until := bounds(q.Since, q.Until)
		for i := len(c.recs) - 1; i >= 0; i-- {
			r := &c.recs[i]
			switch {
			case r.ts < since || r.ts >= until,
				client >= 0 && int(r.str[fClient]) != client,
				clientID >= 0 && int(r.str[fClientID]) != clientID,
				result >= 0 && int(r.str[fResult]) != result,
				name != "" && !nameOK[r.str[fName]]:
				continue
			}
			out = append(out, c.record(r))
			if len(out) >= limit {
				return false
			}
		}
		return true
	})
	return out, err
}

// bounds are since and until in Unix µs, open ends as the extremes.
func bounds(since, until time.Time) (int64, int64) {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !since.IsZero() {
		lo = since.UnixMicro()
	}
	if !until.IsZero() {
		hi = until.UnixMicro()
	}
	return lo, hi
}

// scan calls f with each chunk that may hold records in [since, until),
// newest first, until f returns false. The chunk is valid during the call,
// its dictionary decoded; f calls load for the records.
func (s *SQLite) scan(ctx context.Context, since, until time.Time, f func(*chunk) bool) error {
	lo, hi := bounds(since, until)
	rows, err := s.db.QueryContext(ctx, `SELECT data FROM chunks WHERE last_ts >= ? AND first_ts < ? ORDER BY id DESC`, lo, hi)
	if err != nil {
		return err
	}
	var (
		c    chunk
		data []byte
	)
	for rows.Next() {
		if err := rows.Scan(&data); err != nil {
			rows.Close()
			return err
		}
		if c.decodeDict(data) != nil {
			continue // a damaged chunk costs its records, not the search
		}
		if !f(&c) {
			break
		}
	}
	return closeRows(rows)
}

// find is the dictionary index of s, or -1.
func (c *chunk) find(s string) int {
	for i, b := range c.strs {
		if string(b) == s {
			return i
		}
	}
	return -1
}

// containsFold reports whether b contains sub (lower case) in any ASCII case.
func containsFold(b []byte, sub string) bool {
	n := len(sub)
	for i := 0; i+n <= len(b); i++ {
		j := 0
		for ; j < n; j++ {
			c := b[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// Top counts the n most frequent keys of kind in the stored records since
// a time, by reading them: the Logger answers from its counters instead
// when they cover the time asked (see Counts).
func (s *SQLite) Top(ctx context.Context, kind TopKind, since time.Time, n int) ([]Count, error) {
	field, blockedOnly := kind.field()
	if field < 0 {
		_, err := ParseTopKind(string(kind))
		return nil, err
	}
	counts := map[string]int64{}
	var per []int64
	lo, _ := bounds(since, time.Time{})
	err := s.scan(ctx, since, time.Time{}, func(c *chunk) bool {
		blocked := c.find("blocked")
		if blockedOnly && blocked < 0 || c.load() != nil {
			return true
		}
		if kind == TopClients {
			countClients(c, lo, counts)
			return true
		}
		per = append(per[:0], make([]int64, len(c.strs))...)
		for i := range c.recs {
			r := &c.recs[i]
			if r.ts >= lo && (!blockedOnly || int(r.str[fResult]) == blocked) {
				per[r.str[field]]++
			}
		}
		for i, k := range per {
			if k > 0 && (field != fList || len(c.strs[i]) > 0) {
				counts[string(c.strs[i])] += k
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return topOf(counts, n), nil
}

// countClients adds the chunk's records since lo to counts, by client as
// clientKey names it: a pair of dictionary indexes a record, turned into
// strings once per distinct pair.
func countClients(c *chunk, lo int64, counts map[string]int64) {
	per := map[[2]uint32]int64{}
	for i := range c.recs {
		if r := &c.recs[i]; r.ts >= lo {
			per[[2]uint32{r.str[fClient], r.str[fClientID]}]++
		}
	}
	for k, n := range per {
		counts[clientKey(string(c.strs[k[0]]), string(c.strs[k[1]]))] += n
	}
}

// topOf is the n largest counts, most first, ties by key.
func topOf(counts map[string]int64, n int) []Count {
	if n <= 0 {
		n = 10
	}
	out := make([]Count, 0, len(counts))
	for k, c := range counts {
		out = append(out, Count{Key: k, Count: c})
	}
	slices.SortFunc(out, func(a, b Count) int {
		if a.Count != b.Count {
			if a.Count > b.Count {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
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
