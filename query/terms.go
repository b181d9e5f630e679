package query

// DefaultGroup is the implicit client group of clients no configured group
// matches.
const DefaultGroup = "default"

// EveryGroup names all groups at once, where one group or all can be meant
// (the global pause).
const EveryGroup = "*"

// The protocols a query can arrive over: Request.Protocol and the metrics'
// protocol label.
const (
	ProtoUDP = "udp"
	ProtoTCP = "tcp"
	ProtoDoT = "dot"
	ProtoDoH = "doh"
	ProtoDoQ = "doq"
)

// Extended DNS Error codes cleandns sends (RFC 8914).
const (
	EDEStale      = 3  // Stale Answer: served from an expired cache entry
	EDEBlocked    = 15 // Blocked: by a list rule
	EDECensored   = 16 // Censored: a list marked ede: censored
	EDEFiltered   = 17 // Filtered: a list marked ede: filtered
	EDEProhibited = 18 // Prohibited: the client is outside access.allow
)
