package server

import (
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/cleandns/cleandns/config"
)

// TestNoHTTPListenerSaysTheAPIIsOff: with http.listen empty the start-up
// log says the API is off, not "admin API on http:///api/v1/".
func TestNoHTTPListenerSaysTheAPIIsOff(t *testing.T) {
	cfg, err := config.Load(config.Source{Name: "t", Data: []byte("http:\n  listen: \"\"\n")},
		config.Overrides{Listen: []string{"127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.InfoLevel)
	bootDeps(t, cfg, Deps{Version: "test", Logger: zap.New(core)})
	if logs.FilterMessage("admin API on").Len() != 0 || logs.FilterMessage("admin API off: http.listen is empty").Len() != 1 {
		t.Errorf("start-up log: %v", logs.FilterMessageSnippet("admin API").All())
	}
}
