package querylog

import (
	"strings"
	"testing"
)

func TestPostgresConfig(t *testing.T) {
	c := Defaults()
	c.Format = FormatPostgres
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "querylog.dsn") {
		t.Errorf("postgres without a dsn: %v", err)
	}
	c.DSN = "postgres://u:pw@127.0.0.1:1/db"
	if err := c.Validate(); err != nil {
		t.Errorf("postgres with a dsn: %v", err)
	}
	for _, dsn := range []string{"postgres://u:hunter2@[::1:5432/db", "host=x password=hunter2 port=notaport"} {
		_, err := OpenPostgres(dsn, "a", 10, nil)
		if err == nil {
			t.Errorf("%q accepted", dsn)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}
