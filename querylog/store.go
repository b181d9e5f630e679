package querylog

import (
	"context"
	"errors"
	"time"
)

// Store keeps records. Only the Logger's writer goroutine calls Write and
// Prune, so implementations need not serialize them; Searcher methods may
// run concurrently with both.
type Store interface {
	// Write stores a batch, in one transaction where the store has them.
	// recs is the writer's, cleared once Write returns: a store that keeps
	// records for later (PostgreSQL's backlog) copies them.
	Write(recs []Record) error
	// Prune applies retention: records older than cutoff go (a zero cutoff
	// keeps all by age), and then the oldest beyond the store's size cap.
	Prune(cutoff time.Time) (removed int64, err error)
	Close() error
}

// Searcher answers the searches the admin API and CLI offer.
type Searcher interface {
	Search(ctx context.Context, q Query) ([]Record, error)
	Top(ctx context.Context, kind TopKind, since time.Time, n int) ([]Count, error)
	PerHour(ctx context.Context, since time.Time) ([]HourCount, error)
}

// ErrNotSearchable is returned by searches when the log's format cannot be
// searched (jsonl is for shippers) or the log is off.
var ErrNotSearchable = errors.New("query log is not searchable (querylog.format must be sqlite)")

// Query selects records; zero fields select everything. Results come newest
// first.
type Query struct {
	Client   string    // exactly, as stored (so a /24 under anonymize)
	ClientID string    // exactly: the device's ID (lowercase, as stored)
	Name     string    // substring of the query name, any case
	Result   string    // forwarded, cached, blocked, ...
	Since    time.Time // inclusive
	Until    time.Time // exclusive; zero: now
	Limit    int       // at most this many; 0 means DefaultLimit, capped at MaxLimit
}

// DefaultLimit and MaxLimit bound a search's answer.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

func (q Query) limit() int {
	switch {
	case q.Limit <= 0:
		return DefaultLimit
	case q.Limit > MaxLimit:
		return MaxLimit
	}
	return q.Limit
}

// TopKind is what Top counts.
type TopKind string

// The kinds of Top.
const (
	TopBlocked TopKind = "blocked" // names, blocked queries only
	TopClients TopKind = "clients" // clients ("id:NAME" where one gave an ID, else its address), all queries
	TopNames   TopKind = "names"   // names, all queries
	TopLists   TopKind = "lists"   // lists, blocked queries only
)

// field is the record field kind counts, and whether only blocked queries
// count; -1 for an unknown kind.
func (k TopKind) field() (int, bool) {
	switch k {
	case TopBlocked:
		return fName, true
	case TopClients:
		return fClient, false
	case TopNames:
		return fName, false
	case TopLists:
		return fList, true
	}
	return -1, false
}

// ParseTopKind checks s names a kind.
func ParseTopKind(s string) (TopKind, error) {
	switch k := TopKind(s); k {
	case TopBlocked, TopClients, TopNames, TopLists:
		return k, nil
	}
	return "", errors.New("kind must be blocked, clients, names or lists")
}

// Count is one row of a Top answer.
type Count struct {
	Key   string `json:"key"`
	Count int64  `json:"count"`
}

// HourCount is the queries, and how many of them were blocked, in the hour
// starting at Hour.
type HourCount struct {
	Hour    time.Time `json:"hour"`
	Total   int64     `json:"total"`
	Blocked int64     `json:"blocked"`
}
