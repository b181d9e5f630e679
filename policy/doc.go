// Package policy holds the network-policy engines: which client networks
// are answered at all, and how fast each client may query. It knows nothing
// of DNS servers; the resolver package wraps these engines in links.
package policy
