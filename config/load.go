package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"

	"github.com/cleandns/cleandns/internal/redact"
)

// EnvPrefix starts every environment variable cleandns reads:
// CLEANDNS_RATELIMIT_QPS sets ratelimit.qps.
const EnvPrefix = "CLEANDNS"

// Source is where the file part of a config comes from.
type Source struct {
	// Name is what errors call it: the file's path, or "embedded default".
	Name string
	// Data is the YAML text.
	Data []byte
}

// File reads the file at path. A file that sets nothing (0 bytes, or only
// blanks, comments and document markers) is an error, not "all defaults":
// it is what a truncated save leaves, and its defaults have no lists and
// public upstreams, so applying it would switch blocking off.
func File(path string) (Source, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Source{}, fmt.Errorf("read config: %w", err)
	}
	if isEmptyYAML(b) {
		return Source{}, fmt.Errorf("%s: the file is empty (%d bytes, no setting in it): a truncated save?", path, len(b))
	}
	return Source{Name: path, Data: b}, nil
}

// isEmptyYAML says whether b holds no YAML content: only blank lines,
// comments and document markers.
func isEmptyYAML(b []byte) bool {
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && line != "---" && line != "..." && !strings.HasPrefix(line, "#") {
			return false
		}
	}
	return true
}

// Load builds the config from, in rising precedence: the defaults, src, the
// environment (CLEANDNS_*) and o, the command line's overrides; then
// validates it. Errors name the source, the key and the reason.
func Load(src Source, o Overrides) (*Config, error) {
	if err := checkUnknown(src); err != nil {
		return nil, err
	}
	v := viper.New()
	registerDefaults(v, "", reflect.ValueOf(Default()))
	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(src.Data)); err != nil {
		return nil, fmt.Errorf("%s: %w", src.Name, err)
	}
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	if err := checkEnv(v.AllKeys()); err != nil {
		return nil, err
	}

	var cfg Config
	err := v.Unmarshal(&cfg, viper.DecodeHook(mapstructure.ComposeDecodeHookFunc(
		rejectBareDurations,
		mapstructure.StringToTimeDurationHookFunc(),
		commaLists,
		mapstructure.TextUnmarshallerHookFunc(),
	)))
	if err != nil {
		return nil, redact.Error(attribute(src, unwrapDecode(err)))
	}
	o.apply(&cfg)
	if err := cfg.Validate(); err != nil {
		return nil, redact.Error(attribute(src, err)) // errors quote the values, URLs with their secrets
	}
	return &cfg, nil
}

// registerDefaults tells viper every leaf key and its default. Viper only
// consults the environment for keys it knows, so this is also what makes
// CLEANDNS_BLOCKING_TTL work when the file does not mention blocking.ttl.
func registerDefaults(v *viper.Viper, prefix string, val reflect.Value) {
	t := val.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, squash := tagName(f)
		if name == "-" {
			continue
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		fv := val.Field(i)
		switch {
		case squash:
			registerDefaults(v, prefix, fv)
		case f.Type.Kind() == reflect.Struct && f.Type != durationType:
			registerDefaults(v, key, fv)
		default:
			v.SetDefault(key, fv.Interface())
		}
	}
}

var durationType = reflect.TypeOf(time.Duration(0))

func tagName(f reflect.StructField) (name string, squash bool) {
	tag := f.Tag.Get("mapstructure")
	name, opts, _ := strings.Cut(tag, ",")
	if strings.Contains(opts, "squash") {
		return "", true
	}
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, false
}

// rejectBareDurations refuses `ttl: 10`, which would otherwise silently mean
// ten nanoseconds.
func rejectBareDurations(from, to reflect.Type, data any) (any, error) {
	if to != durationType || from == durationType {
		return data, nil
	}
	switch from.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64, reflect.Float32:
		if reflect.ValueOf(data).IsZero() {
			return time.Duration(0), nil
		}
		return nil, fmt.Errorf("%v is a number without a unit; write a duration such as \"10s\", \"5m\" or \"24h\"", data)
	}
	return data, nil
}

// commaLists splits a string given where a list goes, as environment
// variables give them: CLEANDNS_ACCESS_ALLOW=10.0.0.0/8,192.168.0.0/16.
func commaLists(from, to reflect.Type, data any) (any, error) {
	if from.Kind() != reflect.String || to.Kind() != reflect.Slice || to.Elem().Kind() == reflect.Uint8 {
		return data, nil
	}
	var out []string
	for _, s := range strings.Split(data.(string), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// unwrapDecode strips mapstructure's preamble so the message starts with
// the key.
func unwrapDecode(err error) error {
	var de *mapstructure.DecodeError
	if errors.As(err, &de) {
		return fmt.Errorf("%s: %w", de.Name(), de.Unwrap())
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "decoding failed due to the following error(s):\n\n")
	return errors.New(strings.ReplaceAll(msg, "'", ""))
}

// attribute prefixes each problem with where its value came from: the file,
// or the environment variable that set the key, so that an error is never
// blamed on a file that does not contain the key.
func attribute(src Source, err error) error {
	var parts []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		parts = j.Unwrap()
	} else {
		parts = []error{err}
	}
	out := make([]error, 0, len(parts))
	for _, e := range parts {
		key, _, _ := strings.Cut(e.Error(), ":")
		if i := strings.IndexByte(key, '['); i >= 0 {
			key = key[:i]
		}
		if name, ok := fromEnv(key); ok {
			out = append(out, fmt.Errorf("environment %s: %w", name, e))
			continue
		}
		out = append(out, fmt.Errorf("%s: %w", src.Name, e))
	}
	return errors.Join(out...)
}
