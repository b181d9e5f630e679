package resolver

import (
	"runtime/debug"

	"go.uber.org/zap"

	"github.com/cleandns/cleandns/metrics"
)

// goSafe runs fn on a goroutine of its own, recovering a panic as the edge
// does for the query's own goroutine: logged with its stack and counted in
// cleandns_panics_recovered_total{where="background"}, never fatal. Every
// goroutine a link starts on a query's behalf goes through it.
func goSafe(log *zap.Logger, m *metrics.Metrics, fn func()) {
	go func() {
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic recovered", zap.String("where", "background"), zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
				m.PanicsRecovered.WithLabelValues("background").Inc()
			}
		}()
		fn()
	}()
}
