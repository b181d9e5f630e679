package groups

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/cleandns/cleandns/blocklist"
	"github.com/cleandns/cleandns/internal/fakeclock"
	"github.com/cleandns/cleandns/query"
	"github.com/cleandns/cleandns/runstate"
)

type cfgGroup = Group[string]

func newGroups(t *testing.T, list []cfgGroup, id Identity, lists fakeLists, clock Clock) *Groups {
	t.Helper()
	if lists == nil {
		lists = fakeLists{}
	}
	g, err := New(list, id, Deps{Lists: lists.Matcher, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestSelectByAddress(t *testing.T) {
	g := newGroups(t, []cfgGroup{
		{Name: "guests", Clients: []string{"192.168.50.0/24", "2001:db8:50::/56"}},
		{Name: "lab", Clients: []string{"10.9.0.0/16"}},
		{Name: "lab-core", Clients: []string{"10.9.1.0/24"}},
		{Name: "printer", Clients: []string{"10.9.1.7", "2001:db8:50::7"}},
		{Name: "everyone", Clients: []string{"0.0.0.0/0"}},
		{Name: "v6", Clients: []string{"2001:db8::/32"}},
	}, Identity{}, nil, nil)
	tests := []struct{ addr, want string }{
		{"192.168.50.1", "guests"},
		{"192.168.51.1", "everyone"},
		{"2001:db8:50::1", "guests"},
		{"2001:db8:50:ff::1", "guests"}, // inside the /56
		{"2001:db8:50:100::1", "v6"},    // just outside it
		{"2001:db8:50::7", "printer"},   // a /128 beats the /56
		{"10.9.200.1", "lab"},           // /16
		{"10.9.1.1", "lab-core"},        // /24 beats /16
		{"10.9.1.7", "printer"},         // /32 beats both
		{"::ffff:10.9.1.7", "printer"},  // IPv4-mapped is unmapped
		{"fe80::1%eth0", "default"},     // zone ignored, no v6 match
		{"2001:db9::1", "default"},      // unmatched IPv6
		{"127.0.0.1", "everyone"},       // 0.0.0.0/0 covers all IPv4
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := g.Select(mustAddr(t, tt.addr), "", nil); got != tt.want {
				t.Errorf("Select(%s) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
	if got := g.Select(netip.Addr{}, "", nil); got != query.DefaultGroup {
		t.Errorf("Select(invalid) = %q", got)
	}
}

// TestSelectByClientID: a device's own ID beats its address; an unknown ID
// falls back to the address.
func TestSelectByClientID(t *testing.T) {
	g := newGroups(t, []cfgGroup{
		{Name: "kids", Clients: []string{"id:kids-tablet", "id:Toms-Phone"}},
		{Name: "adults", Clients: []string{"id:annas-phone", "10.0.0.0/8"}},
	}, Identity{}, nil, nil)
	tests := []struct{ addr, id, want string }{
		{"10.0.0.5", "kids-tablet", "kids"},
		{"10.0.0.5", "toms-phone", "kids"}, // IDs are matched lowercased
		{"192.0.2.1", "annas-phone", "adults"},
		{"10.0.0.5", "unknown", "adults"},
		{"192.0.2.1", "unknown", query.DefaultGroup},
		{"192.0.2.1", "", query.DefaultGroup},
	}
	for _, tt := range tests {
		t.Run(tt.id+"@"+tt.addr, func(t *testing.T) {
			if got := g.Select(mustAddr(t, tt.addr), tt.id, nil); got != tt.want {
				t.Errorf("Select(%s, %q) = %q, want %q", tt.addr, tt.id, got, tt.want)
			}
		})
	}
}

func TestValidateNamesKeys(t *testing.T) {
	tests := []struct {
		name string
		list []cfgGroup
		want string
	}{
		{"bad network", []cfgGroup{{Name: "a", Clients: []string{"10.0.0.0/8"}}, {Name: "b", Clients: []string{"10.0.0.0/33"}}}, "groups[1].clients[0]: "},
		{"duplicate network", []cfgGroup{{Name: "a", Clients: []string{"10.0.0.0/8"}}, {Name: "b", Clients: []string{"10.1.0.0/8"}}}, `groups[1].clients[0]: 10.0.0.0/8 is already a client of group "a"`},
		{"duplicate name", []cfgGroup{{Name: "a", Clients: []string{"10.0.0.0/8"}}, {Name: "a", Clients: []string{"11.0.0.0/8"}}}, "groups[1].name: "},
		{"default", []cfgGroup{{Name: "default", Clients: []string{"10.0.0.0/8"}}}, "groups[0].name: "},
		{"no name", []cfgGroup{{Clients: []string{"10.0.0.0/8"}}}, "groups[0].name: "},
		{"no clients", []cfgGroup{{Name: "a"}}, "groups[0].clients: "},
		{"bad mac", []cfgGroup{{Name: "a", MACs: []string{"aa:bb"}}}, "groups[0].macs[0]: "},
		{"bad day", []cfgGroup{{Name: "a", Clients: []string{"10.0.0.0/8"}, Schedule: &Schedule[string]{Lists: []string{"x"}, Days: []string{"mon", "funday"}, From: "21:00", To: "07:00"}}}, "groups[0].schedule.days[1]: "},
		{"bad from", []cfgGroup{{Name: "a", Clients: []string{"10.0.0.0/8"}, Schedule: &Schedule[string]{Lists: []string{"x"}, From: "25:00", To: "07:00"}}}, "groups[0].schedule.from: "},
		{"24:00 as start", []cfgGroup{{Name: "a", Clients: []string{"10.0.0.0/8"}, Schedule: &Schedule[string]{Lists: []string{"x"}, From: "24:00", To: "07:00"}}}, "groups[0].schedule.from: "},
		{"bad zone", []cfgGroup{{Name: "a", Clients: []string{"10.0.0.0/8"}, Schedule: &Schedule[string]{Lists: []string{"x"}, From: "21:00", To: "07:00", Timezone: "Mars/Olympus"}}}, "groups[0].schedule.timezone: "},
		{"bad client ID", []cfgGroup{{Name: "a", Clients: []string{"id:annas_phone"}}}, "groups[0].clients[0]: "},
		{"duplicate client ID", []cfgGroup{{Name: "a", Clients: []string{"id:tab"}}, {Name: "b", Clients: []string{"id:TAB"}}}, `groups[1].clients[0]: id:TAB is already a client of group "a"`},
		{"no schedule lists", []cfgGroup{{Name: "a", Clients: []string{"10.0.0.0/8"}, Schedule: &Schedule[string]{From: "21:00", To: "07:00"}}}, "groups[0].schedule.lists: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.list)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want prefix %q", err, tt.want)
			}
		})
	}
	if err := (Identity{Trusted: []string{"10.0.0.1", "nope"}}).Validate(); err == nil || !strings.HasPrefix(err.Error(), "groups_identity.trusted[1]: ") {
		t.Errorf("Identity.Validate = %v", err)
	}
}

func TestScheduleWindow(t *testing.T) {
	// 2025-03-03 is a Monday.
	at := func(day int, hhmm string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", "2025-03-0"+string(rune('0'+day))+" "+hhmm, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	mustWindow := func(days []string, from, to, tz string) *window {
		w, err := parseWindow(days, from, to, tz)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	monNight := mustWindow([]string{"mon"}, "21:00", "07:00", "UTC")
	school := mustWindow([]string{"mon", "tue", "wed", "thu", "fri"}, "08:00", "15:30", "UTC")
	everyNight := mustWindow(nil, "21:00", "07:00", "UTC")
	allMonday := mustWindow([]string{"mon"}, "00:00", "00:00", "UTC")
	toMidnight := mustWindow([]string{"sun"}, "22:00", "24:00", "UTC")
	berlin := mustWindow([]string{"mon"}, "21:00", "07:00", "Europe/Berlin") // UTC+1 in March
	tests := []struct {
		name string
		w    *window
		t    time.Time
		want bool
	}{
		{"mon 20:59 before", monNight, at(3, "20:59"), false},
		{"mon 21:00 opens", monNight, at(3, "21:00"), true},
		{"mon 23:59", monNight, at(3, "23:59"), true},
		{"tue 00:00 after midnight", monNight, at(4, "00:00"), true},
		{"tue 06:59", monNight, at(4, "06:59"), true},
		{"tue 07:00 closes", monNight, at(4, "07:00"), false},
		{"tue 21:00 not a day", monNight, at(4, "21:00"), false},
		{"mon 06:00 belongs to sunday", monNight, at(3, "06:00"), false},
		{"school fri 15:29", school, at(7, "15:29"), true},
		{"school fri 15:30", school, at(7, "15:30"), false},
		{"school sat", school, at(8, "10:00"), false},
		{"every night sun->mon", everyNight, at(9, "03:00"), true},
		{"every night noon", everyNight, at(5, "12:00"), false},
		{"all monday 00:00", allMonday, at(3, "00:00"), true},
		{"all monday 23:59", allMonday, at(3, "23:59"), true},
		{"all monday tue 00:00", allMonday, at(4, "00:00"), false},
		{"to 24:00 sun 23:59", toMidnight, at(9, "23:59"), true},
		{"berlin 20:30 UTC is 21:30", berlin, at(3, "20:30"), true},
		{"berlin 21:00 UTC tue... is mon 22:00", berlin, at(3, "21:00"), true},
		{"berlin 06:30 UTC tue is 07:30", berlin, at(4, "06:30"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.w.open(tt.t); got != tt.want {
				t.Errorf("open(%s) = %v, want %v", tt.t.Format(time.RFC1123), got, tt.want)
			}
		})
	}
}

func kidsConfig() ([]cfgGroup, fakeLists) {
	lists := fakeLists{
		query.DefaultGroup:     &mapMatcher{list: "default-list", block: []string{"ads.example"}},
		"kids":                 &mapMatcher{list: "kids-list", block: []string{"games.example"}, allow: []string{"edu.tiktok.com"}},
		SchedulePolicy("kids"): &mapMatcher{list: "night-list", block: []string{"tiktok.com"}, allow: []string{"edu.tiktok.com"}},
		"lab":                  &mapMatcher{list: "lab-list", block: []string{"lab.example"}},
	}
	return []cfgGroup{
		{Name: "kids", Clients: []string{"192.168.60.0/24"}, Lists: []string{"k"}, Allow: []string{"edu.tiktok.com"},
			Schedule: &Schedule[string]{Lists: []string{"n"}, Days: []string{"mon"}, From: "21:00", To: "07:00", Timezone: "UTC"}},
		{Name: "lab", Clients: []string{"10.9.0.0/16"}, Blocking: boolp(false)},
	}, lists
}

func blocked(g *Groups, group, name string) bool {
	m := g.Matcher(group)
	if m == nil {
		return false
	}
	_, ok := m.Match(name)
	return ok
}

func TestMatcherSchedule(t *testing.T) {
	list, lists := kidsConfig()
	clock := fakeclock.New(time.Date(2025, 3, 3, 20, 0, 0, 0, time.UTC)) // Monday 20:00
	g := newGroups(t, list, Identity{}, lists, clock)
	check := func(when string, group, name string, want bool) {
		t.Helper()
		if got := blocked(g, group, name); got != want {
			t.Errorf("%s: %s blocks %s = %v, want %v", when, group, name, got, want)
		}
	}
	check("mon 20:00", "kids", "games.example", true)
	check("mon 20:00", "kids", "tiktok.com", false)
	clock.Advance(90 * time.Minute) // 21:30
	check("mon 21:30", "kids", "tiktok.com", true)
	check("mon 21:30", "kids", "www.tiktok.com", true)
	check("mon 21:30", "kids", "edu.tiktok.com", false) // allow beats the schedule's block
	check("mon 21:30", "kids", "games.example", true)
	check("mon 21:30", "default", "tiktok.com", false) // other groups unaffected
	clock.Advance(9 * time.Hour)                       // Tuesday 06:30
	check("tue 06:30", "kids", "tiktok.com", true)
	clock.Advance(30 * time.Minute) // Tuesday 07:00
	check("tue 07:00", "kids", "tiktok.com", false)
	check("any", "lab", "lab.example", false) // blocking: false
	check("any", "default", "ads.example", true)
	check("unknown group gets default", "nosuch", "ads.example", true)
}

// TestPausesComeFromTheRuntimeState: the groups read pauses, they keep
// none, so a Groups built later (a reload) sees the same pauses.
func TestPausesComeFromTheRuntimeState(t *testing.T) {
	list, lists := kidsConfig()
	clock := fakeclock.New(time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC))
	state, err := runstate.Open(runstate.NewDir(nil), clock)
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(list, Identity{}, Deps{Lists: lists.Matcher, Clock: clock, Pauses: state})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := state.Pause("kids", 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if blocked(g, "kids", "games.example") {
		t.Fatal("kids still blocking while paused")
	}
	if !blocked(g, "default", "ads.example") {
		t.Fatal("pausing kids paused default")
	}
	st := g.Status()
	if st.Groups[1].Group != "kids" || st.Groups[1].PausedUntil == nil || !st.Groups[1].PausedUntil.Equal(clock.Now().Add(10*time.Minute)) || st.Groups[1].Enabled {
		t.Fatalf("status %+v", st.Groups[1])
	}
	later, err := New(list, Identity{}, Deps{Lists: lists.Matcher, Clock: clock, Pauses: state})
	if err != nil {
		t.Fatal(err)
	}
	if blocked(later, "kids", "games.example") {
		t.Fatal("a Groups built later does not see the pause")
	}
	clock.Advance(10 * time.Minute)
	if !blocked(g, "kids", "games.example") {
		t.Fatal("not resumed after 10m")
	}
	if _, err := state.Pause(query.EveryGroup, time.Hour); err != nil {
		t.Fatal(err)
	}
	if blocked(g, "default", "ads.example") || g.Status().PausedUntil == nil || g.Status().Groups[0].Enabled {
		t.Fatal("global pause did not pause default")
	}
}

func TestSelectByTrustedForwarder(t *testing.T) {
	g := newGroups(t, []cfgGroup{
		{Name: "kids", Clients: []string{"192.168.60.0/24"}, MACs: []string{"aa:bb:cc:dd:ee:01"}},
		{Name: "staff", Clients: []string{"10.1.0.0/16"}},
		{Name: "router", Clients: []string{"10.0.0.1"}},
	}, Identity{Trusted: []string{"10.0.0.1", "fd00::53"}}, nil, nil)
	mac := []byte{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x01}
	tests := []struct {
		name string
		src  string
		opts []dns.EDNS0
		want string
	}{
		{"trusted, no options: the forwarder's own group", "10.0.0.1", nil, "router"},
		{"trusted ECS", "10.0.0.1", []dns.EDNS0{ecs("192.168.60.9", 32)}, "kids"},
		{"trusted ECS /24", "10.0.0.1", []dns.EDNS0{ecs("10.1.7.0", 24)}, "staff"},
		{"trusted ECS unmatched: default", "10.0.0.1", []dns.EDNS0{ecs("172.16.0.1", 32)}, "default"},
		{"trusted ECS over IPv6", "fd00::53", []dns.EDNS0{ecs("10.1.2.3", 32)}, "staff"},
		{"trusted ECS /0 ignored", "10.0.0.1", []dns.EDNS0{ecs("0.0.0.0", 0)}, "router"},
		{"trusted MAC binary", "10.0.0.1", []dns.EDNS0{&dns.EDNS0_LOCAL{Code: 65001, Data: mac}}, "kids"},
		{"trusted MAC text", "10.0.0.1", []dns.EDNS0{&dns.EDNS0_LOCAL{Code: 65001, Data: []byte("AA:BB:CC:DD:EE:01")}}, "kids"},
		{"trusted MAC base64", "10.0.0.1", []dns.EDNS0{&dns.EDNS0_LOCAL{Code: 65001, Data: []byte("qrvM3e4B")}}, "kids"},
		{"MAC beats ECS", "10.0.0.1", []dns.EDNS0{ecs("10.1.2.3", 32), &dns.EDNS0_LOCAL{Code: 65001, Data: mac}}, "kids"},
		{"unknown MAC falls back to ECS", "10.0.0.1", []dns.EDNS0{ecs("10.1.2.3", 32), &dns.EDNS0_LOCAL{Code: 65001, Data: []byte{1, 2, 3, 4, 5, 6}}}, "staff"},
		{"untrusted ECS ignored", "10.1.0.5", []dns.EDNS0{ecs("192.168.60.9", 32)}, "staff"},
		{"untrusted MAC ignored", "10.1.0.5", []dns.EDNS0{&dns.EDNS0_LOCAL{Code: 65001, Data: mac}}, "staff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := new(dns.Msg)
			m.SetQuestion("example.com.", dns.TypeA)
			if tt.opts != nil {
				m.SetEdns0(1232, false)
				m.IsEdns0().Option = tt.opts
			}
			if got := g.Select(mustAddr(t, tt.src), "", m); got != tt.want {
				t.Errorf("Select = %q, want %q", got, tt.want)
			}
		})
	}
}

func ecs(addr string, bits uint8) *dns.EDNS0_SUBNET {
	ip := net.ParseIP(addr)
	fam := uint16(1)
	if ip.To4() == nil {
		fam = 2
	} else {
		ip = ip.To4()
	}
	return &dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: fam, SourceNetmask: bits, Address: ip}
}

func TestLookupsAllocateNothing(t *testing.T) {
	list, lists := kidsConfig()
	list = append(list, Group[string]{Name: "v6", Clients: []string{"2001:db8::/32", "2001:db8:1::/48"}})
	clock := fakeclock.New(time.Date(2025, 3, 3, 22, 0, 0, 0, time.UTC))
	g := newGroups(t, list, Identity{Trusted: []string{"127.0.0.1"}}, lists, clock)
	m := new(dns.Msg)
	m.SetQuestion("example.com.", dns.TypeA)
	m.SetEdns0(1232, false)
	m.IsEdns0().Option = []dns.EDNS0{ecs("192.168.60.9", 32)}
	src, v6 := mustAddr(t, "127.0.0.1"), mustAddr(t, "2001:db8:1::5")
	allocs := testing.AllocsPerRun(100, func() {
		_ = g.Select(src, "", m)
		_ = g.Select(v6, "", nil)
		_ = g.Matcher("kids")
		_ = g.Matcher("default")
	})
	if allocs != 0 {
		t.Errorf("Select and Matcher allocate %v times", allocs)
	}
}

func TestBlockingOffForEveryone(t *testing.T) {
	g, err := New([]Group[string]{{Name: "kids", Clients: []string{"10.0.0.0/8"}}}, Identity{},
		Deps{Lists: func(string) blocklist.Matcher { return nil }, Off: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{query.DefaultGroup, "kids"} {
		if g.Matcher(name) != nil {
			t.Errorf("group %s still has a matcher with blocking.enabled false", name)
		}
	}
}

// countingClock counts its readings.
type countingClock struct {
	Clock
	n int
}

func (c *countingClock) Now() time.Time { c.n++; return c.Clock.Now() }

// TestMatcherReadsTheClockOnlyWhenItMatters checks a group without a
// schedule reads no clock while no pause runs (a reading is on every
// query's path), and that a pause or a schedule still gets one.
func TestMatcherReadsTheClockOnlyWhenItMatters(t *testing.T) {
	list, lists := kidsConfig()
	fake := fakeclock.New(time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC))
	clock := &countingClock{Clock: fake}
	state, err := runstate.Open(runstate.NewDir(nil), fake)
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(list, Identity{}, Deps{Lists: lists.Matcher, Clock: clock, Pauses: state})
	if err != nil {
		t.Fatal(err)
	}
	reads := func(group string) int {
		before := clock.n
		g.Matcher(group)
		return clock.n - before
	}
	if n := reads(query.DefaultGroup); n != 0 {
		t.Errorf("default, no pause: %d clock readings, want 0", n)
	}
	if n := reads("kids"); n != 1 {
		t.Errorf("kids, with a schedule: %d clock readings, want 1", n)
	}
	if _, err := state.Pause("kids", time.Minute); err != nil {
		t.Fatal(err)
	}
	if n := reads(query.DefaultGroup); n != 1 {
		t.Errorf("default, while kids is paused: %d clock readings, want 1", n)
	}
	if !blocked(g, query.DefaultGroup, "ads.example") || blocked(g, "kids", "games.example") {
		t.Error("the pause of kids does not apply to kids alone")
	}
}
