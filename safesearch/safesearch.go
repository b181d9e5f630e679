// Package safesearch answers the search engines' and YouTube's names with
// their providers' safe-search names, as AdGuard Home does: a query for
// www.google.com gets a CNAME to forcesafesearch.google.com, whose
// addresses the provider serves with explicit results filtered. It knows
// nothing of the pipeline: it maps names to targets.
package safesearch

import (
	"fmt"
	"slices"
	"strings"
)

// Config is a group's `safe_search` section.
type Config struct {
	// Enabled switches safe search on for the group.
	Enabled bool `mapstructure:"enabled"`
	// YouTube is "strict" (the default), "moderate" or "off".
	YouTube string `mapstructure:"youtube"`
	// Providers limits it to some of google, bing, duckduckgo, youtube,
	// yandex, ecosia, pixabay; empty means all.
	Providers []string `mapstructure:"providers"`
}

// The providers and their safe-search names.
var providers = map[string]struct {
	target string
	names  []string // names answered (and www. of each bare domain)
}{
	"google":     {"forcesafesearch.google.com.", googleNames()},
	"bing":       {"strict.bing.com.", []string{"bing.com", "www.bing.com"}},
	"duckduckgo": {"safe.duckduckgo.com.", []string{"duckduckgo.com", "www.duckduckgo.com", "start.duckduckgo.com", "duck.com"}},
	"youtube": {"restrict.youtube.com.", []string{
		"www.youtube.com", "m.youtube.com", "youtubei.googleapis.com", "youtube.googleapis.com", "www.youtube-nocookie.com",
	}},
	"yandex":  {"familysearch.yandex.ru.", yandexNames()},
	"ecosia":  {"strict-safe-search.ecosia.org.", []string{"www.ecosia.org", "ecosia.org"}},
	"pixabay": {"safesearch.pixabay.com.", []string{"pixabay.com", "www.pixabay.com"}},
}

// moderateYouTube is YouTube's moderate restriction.
const moderateYouTube = "restrictmoderate.youtube.com."

// googleNames are Google Search on .com and the country domains people use
// most (AdGuard Home lists about 190; these cover the large markets).
func googleNames() []string {
	var out []string
	for _, tld := range []string{
		"com", "ad", "ae", "com.ar", "at", "com.au", "be", "bg", "com.br", "ca", "ch", "cl", "cn", "co.id", "co.il",
		"co.in", "co.jp", "co.kr", "co.nz", "co.th", "co.uk", "co.za", "com.co", "cz", "de", "dk", "com.eg", "es",
		"fi", "fr", "gr", "com.hk", "hr", "hu", "ie", "it", "lt", "lv", "com.mx", "com.my", "nl", "no", "com.pe",
		"com.ph", "com.pk", "pl", "pt", "ro", "rs", "ru", "com.sa", "se", "com.sg", "sk", "com.tr", "com.tw",
		"com.ua", "com.vn",
	} {
		out = append(out, "google."+tld, "www.google."+tld)
	}
	return out
}

func yandexNames() []string {
	var out []string
	for _, tld := range []string{"ru", "com", "ua", "by", "kz", "com.tr", "uz", "az", "eu", "fr"} {
		out = append(out, "yandex."+tld, "www.yandex."+tld)
	}
	return out
}

// Validate checks the section, naming the key of the first problem.
func (c Config) Validate() error {
	switch strings.ToLower(c.YouTube) {
	case "", "strict", "moderate", "off":
	default:
		return fmt.Errorf("safe_search.youtube: %q is not one of strict, moderate, off", c.YouTube)
	}
	for _, p := range c.Providers {
		if _, ok := providers[strings.ToLower(p)]; !ok {
			return fmt.Errorf("safe_search.providers: %q is not one of google, bing, duckduckgo, youtube, yandex, ecosia, pixabay", p)
		}
	}
	return nil
}

// Table maps names (lower case, fully qualified) to safe-search targets.
// A nil Table answers nothing.
type Table struct {
	targets map[string]string
}

// New returns the table c describes, or nil when safe search is off.
func New(c Config) (*Table, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if !c.Enabled {
		return nil, nil
	}
	t := &Table{targets: map[string]string{}}
	for name, p := range providers {
		if len(c.Providers) > 0 && !slices.ContainsFunc(c.Providers, func(s string) bool { return strings.EqualFold(s, name) }) {
			continue
		}
		target := p.target
		if name == "youtube" {
			switch strings.ToLower(c.YouTube) {
			case "off":
				continue
			case "moderate":
				target = moderateYouTube
			}
		}
		for _, n := range p.names {
			t.targets[n+"."] = target
		}
	}
	return t, nil
}

// Target returns the safe-search name for name (lower case, fully
// qualified), if it is a search engine's. It allocates nothing.
func (t *Table) Target(name string) (string, bool) {
	if t == nil {
		return "", false
	}
	target, ok := t.targets[name]
	return target, ok
}
