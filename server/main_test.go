package server

import (
	"os"
	"testing"

	"github.com/cleandns/cleandns/internal/dnstest"
)

func TestMain(m *testing.M) { os.Exit(dnstest.RunIsolated(m)) }
