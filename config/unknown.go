package config

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/spf13/viper"
)

// checkUnknown rejects keys the schema does not have, so that a misspelt
// key is an error instead of a setting silently ignored.
func checkUnknown(src Source) error {
	raw := viper.New()
	raw.SetConfigType("yaml")
	if err := raw.ReadConfig(bytes.NewReader(src.Data)); err != nil {
		return fmt.Errorf("%s: %w", src.Name, err)
	}
	if err := walk(raw.AllSettings(), reflect.TypeOf(Config{}), ""); err != nil {
		return fmt.Errorf("%s: %w", src.Name, err)
	}
	return nil
}

func walk(data any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct && t != durationType:
		m, ok := data.(map[string]any)
		if !ok {
			if _, isText := reflect.PointerTo(t).MethodByName("UnmarshalText"); isText {
				return nil // a plain string is fine where a TextUnmarshaler sits
			}
			if data == nil {
				return nil
			}
			return fmt.Errorf("%s: want a mapping of keys, got %T", path, data)
		}
		fields := fieldsOf(t)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := fields[strings.ToLower(k)]
			if !ok {
				return fmt.Errorf("%s: unknown key (known keys: %s)", join(path, k), strings.Join(sortedKeys(fields), ", "))
			}
			if err := walk(m[k], ft, join(path, k)); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Slice:
		items, ok := data.([]any)
		if !ok {
			return nil // a scalar; decoding checks its type
		}
		for i, item := range items {
			if err := walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// fieldsOf maps a struct's keys to their types, squashed embeds included.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	out := make(map[string]reflect.Type)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, squash := tagName(f)
		if squash {
			for k, v := range fieldsOf(f.Type) {
				out[k] = v
			}
			continue
		}
		if name != "-" {
			out[name] = f.Type
		}
	}
	return out
}

func sortedKeys(m map[string]reflect.Type) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
