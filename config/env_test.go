package config

import (
	"strings"
	"testing"
)

func TestEnvironmentErrorsNameTheVariable(t *testing.T) {
	cases := []struct {
		name, env, value string
		want             []string
		reject           string
	}{
		{"typo", "CLEANDNS_RATELIMIT_QSP", "5",
			[]string{"environment CLEANDNS_RATELIMIT_QSP: no such setting", "did you mean CLEANDNS_RATELIMIT_QPS?"}, ""},
		{"bad value", "CLEANDNS_BLOCKING_TTL", "10",
			[]string{"environment CLEANDNS_BLOCKING_TTL: blocking.ttl:", "missing unit"}, "test.yaml"},
		{"invalid value", "CLEANDNS_LOG_LEVEL", "loud",
			[]string{"environment CLEANDNS_LOG_LEVEL: log.level:", `"loud"`}, "test.yaml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(c.env, c.value)
			_, err := load(t, "ratelimit:\n  qps: 5\n", Overrides{})
			if err == nil {
				t.Fatalf("%s=%s accepted", c.env, c.value)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if c.reject != "" && strings.Contains(err.Error(), c.reject) {
				t.Errorf("error %q blames %s, which does not set the key", err, c.reject)
			}
		})
	}
}

func TestNonConfigVariablesAreAllowed(t *testing.T) {
	t.Setenv("CLEANDNS_TOKEN", "x")
	if _, err := load(t, "", Overrides{}); err != nil && strings.Contains(err.Error(), "CLEANDNS_TOKEN") {
		t.Fatal(err)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	_, err := load(t, "listen: [\"0.0.0.0:53\", \"127.0.0.1:53\"]\nlog:\n  level: loud\n  format: fancy\n", Overrides{})
	if err == nil {
		t.Fatal("accepted")
	}
	for _, w := range []string{
		`test.yaml: listen[1]: "127.0.0.1:53" overlaps listen[0] "0.0.0.0:53"`,
		`test.yaml: log.level: "loud"`,
		`test.yaml: log.format: "fancy"`,
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
}

func TestListenOverlaps(t *testing.T) {
	cases := []struct {
		listen []string
		bad    int
	}{
		{[]string{"0.0.0.0:53", "[::]:53"}, 0},
		{[]string{"127.0.0.1:53", "127.0.0.1:5353"}, 0},
		{[]string{"127.0.0.1:53", "127.0.0.2:53"}, 0},
		{[]string{"127.0.0.1:53", "127.0.0.1:53"}, 1},
		{[]string{"0.0.0.0:53", "127.0.0.1:53"}, 1},
		{[]string{"[::1]:53", "[::]:53"}, 1},
		{[]string{":53", "10.0.0.1:53"}, 1},
	}
	for _, c := range cases {
		if got := len(listenOverlaps(c.listen)); got != c.bad {
			t.Errorf("listenOverlaps(%v) = %d problems, want %d", c.listen, got, c.bad)
		}
	}
}
