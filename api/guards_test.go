package api

import (
	"github.com/cleandns/cleandns/allowstore"
	"github.com/cleandns/cleandns/cache"
	"github.com/cleandns/cleandns/querylog"
)

// The real components satisfy the API's interfaces as they are, so server
// wires them without adapters.
var (
	_ QueryLog     = (*querylog.Logger)(nil)
	_ CacheFlusher = (*cache.Cache)(nil)
	_ AllowStore   = (*allowstore.Store)(nil)
)
