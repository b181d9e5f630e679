// Package configs holds the shipped configuration files; the default one is
// compiled into the binary so that `cleandns` runs with no file at all.
package configs

import _ "embed"

//go:embed default.yaml
var defaultYAML string

// DefaultName is what errors call the embedded default.
const DefaultName = "embedded default (configs/default.yaml)"

// Default returns the embedded default config's YAML.
func Default() []byte { return []byte(defaultYAML) }
