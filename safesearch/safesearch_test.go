package safesearch

import "testing"

func TestTargets(t *testing.T) {
	tests := []struct {
		cfg  Config
		name string
		want string
	}{
		{Config{Enabled: true}, "www.google.com.", "forcesafesearch.google.com."},
		{Config{Enabled: true}, "www.google.de.", "forcesafesearch.google.com."},
		{Config{Enabled: true}, "www.bing.com.", "strict.bing.com."},
		{Config{Enabled: true}, "duckduckgo.com.", "safe.duckduckgo.com."},
		{Config{Enabled: true}, "www.youtube.com.", "restrict.youtube.com."},
		{Config{Enabled: true, YouTube: "moderate"}, "m.youtube.com.", "restrictmoderate.youtube.com."},
		{Config{Enabled: true, YouTube: "off"}, "www.youtube.com.", ""},
		{Config{Enabled: true}, "yandex.ru.", "familysearch.yandex.ru."},
		{Config{Enabled: true}, "www.ecosia.org.", "strict-safe-search.ecosia.org."},
		{Config{Enabled: true}, "pixabay.com.", "safesearch.pixabay.com."},
		{Config{Enabled: true, Providers: []string{"Bing"}}, "www.google.com.", ""},
		{Config{Enabled: true, Providers: []string{"Bing"}}, "www.bing.com.", "strict.bing.com."},
		{Config{Enabled: true}, "mail.google.com.", ""},
		{Config{}, "www.google.com.", ""},
	}
	for _, tt := range tests {
		tab, err := New(tt.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := tab.Target(tt.name); got != tt.want {
			t.Errorf("%+v %s: %q, want %q", tt.cfg, tt.name, got, tt.want)
		}
	}
	for _, bad := range []Config{{YouTube: "loose"}, {Providers: []string{"altavista"}}} {
		if _, err := New(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
