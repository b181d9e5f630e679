package runstate

// Backend keeps runtime state as named JSON documents ("allow", "pauses",
// later "deny" and "settings"), each replaced whole.
type Backend interface {
	// Get returns the document, nil when there is none.
	Get(name string) ([]byte, error)
	// Set replaces the document; a reader sees the old one or the new one.
	Set(name string, doc []byte) error
	// List names the documents there are.
	List() ([]string, error)
	// Watch calls fn with a document's name after it changed, whoever
	// changed it (this process, or another sharing the store). For changes
	// made through Set it runs before Set returns.
	Watch(fn func(name string))
}
