package query

// Result says how a query ended. Its String is the label the metrics' result
// label, the query log and the API use; docs/openapi.yaml lists the same.
type Result uint8

// The results, one per value of the result label.
const (
	Forwarded Result = iota
	Cached
	Blocked
	Local
	Refused
	RateLimited
	Servfail
	Dropped
	numResults
)

// ResultCount is the number of results, for arrays indexed by Result.
const ResultCount = int(numResults)

var resultNames = [numResults]string{"forwarded", "cached", "blocked", "local", "refused", "ratelimited", "servfail", "dropped"}

// String returns the result's label.
func (r Result) String() string {
	if r < numResults {
		return resultNames[r]
	}
	return "unknown"
}

// ResultLabels returns every result's label, in Result order.
func ResultLabels() []string { return append([]string(nil), resultNames[:]...) }

// ParseResult returns the result whose label is s.
func ParseResult(s string) (Result, bool) {
	for i, n := range resultNames {
		if n == s {
			return Result(i), true
		}
	}
	return 0, false
}
