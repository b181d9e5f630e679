package api

import (
	"net/http"

	"github.com/cleandns/cleandns/blocklist"
)

// Category is one built-in list or group of lists, for the console's
// switches: what it blocks and, above all, what else it breaks.
type Category struct {
	Name    string   `json:"name"` // builtin:apps-tiktok
	Blocks  string   `json:"blocks"`
	Breaks  string   `json:"breaks"` // Markdown-lite: `code` and **bold**, as in the README
	OptIn   bool     `json:"opt_in,omitempty"`
	Entries int      `json:"entries"`
	Members []string `json:"members,omitempty"` // for a group: the categories it stands for
}

// categoryText is the README's "Built-in categories" table, word for word
// (TestCategoriesMatchREADME keeps the two the same).
var categoryText = map[string]struct {
	blocks, breaks string
	optIn          bool
}{
	"builtin:apps-tiktok":          {"TikTok, Douyin, CapCut, Lemon8 and the ByteDance CDN/API hosts TikTok uses", "other ByteDance apps that share those CDNs", false},
	"builtin:apps-wechat":          {"WeChat / Weixin and WeChat Pay, WeChat-only hosts under qq.com", "nothing outside WeChat; `qq.com` itself stays", false},
	"builtin:apps-other":           {"QQ, Tenpay, Alipay, CamScanner, SHAREit, WPS, Weibo, Baidu apps, UC Browser", "**`qq.com` is the whole Tencent web estate** (QQ Mail, news, video, and WeChat's `weixin.qq.com`); add `allow: [weixin.qq.com, wx.qq.com]` to keep WeChat's web login", false},
	"builtin:cloud-alibaba":        {"Alibaba Cloud / Aliyun, alicdn, AliDNS", "**`alicdn.com` also serves Taobao, Tmall, AliExpress and 1688**; `aliyuncs.com` hosts customers' sites and buckets", false},
	"builtin:cloud-tencent":        {"Tencent Cloud, DNSPod (incl. `doh.pub`), EdgeOne", "`myqcloud.com` and `tencentcos.*` host third-party (also non-Chinese) sites and apps", false},
	"builtin:cloud-baidu":          {"Baidu AI Cloud (BCE)", "sites and apps hosted on `bcebos.com`", false},
	"builtin:cloud-huawei":         {"Huawei Cloud, OBS, its CDN zones", "sites and apps hosted on `myhuaweicloud.com`", false},
	"builtin:carrier-china":        {"China Mobile, China Telecom, China Unicom and their clouds", "blocks names only: routing over these networks is unaffected", false},
	"builtin:store-huawei":         {"Huawei AppGallery only", "AppGallery installs and updates", false},
	"builtin:apps-bytedance-other": {"every other ByteDance domain: Toutiao, Lark/Feishu, Volcano Engine, Pangle ads", "businesses using Lark or Volcano Engine; developer mirrors such as `rsproxy.cn`", true},
	"builtin:vendor-huawei":        {"Huawei corporate, HMS/hicloud, Vmall, Petal", "**HMS Core on Huawei phones** (push, account, updates) and HMS features in third-party apps", true},
	"builtin:vendor-zte":           {"ZTE, nubia, REDMAGIC", "those vendors' sites and phone services", true},
	"builtin:doh-resolvers":        {"public DoH/DoT resolvers (`dns.google`, `cloudflare-dns.com`, `dns.quad9.net`, `doh.pub`, `dns.alidns.com`, ...)", "apps that hard-code one of those resolvers", true},
}

func (a *API) categories(w http.ResponseWriter, _ *http.Request, _ who) error {
	out := []Category{}
	for _, b := range blocklist.Builtins() {
		c := Category{Name: b.Name, Blocks: b.Description, Entries: b.Entries, Members: b.Members}
		if t, ok := categoryText[b.Name]; ok {
			c.Blocks, c.Breaks, c.OptIn = t.blocks, t.breaks, t.optIn
		}
		out = append(out, c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"categories": out})
	return nil
}
