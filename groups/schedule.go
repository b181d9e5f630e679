package groups

import (
	"fmt"
	"strings"
	"time"
)

// window is a weekly time window on the wall clock of one time zone. A
// window whose end is at or before its start crosses midnight and belongs to
// the day it opens on: 21:00-07:00 on mon is Monday 21:00 to Tuesday 07:00.
type window struct {
	days     [7]bool // indexed by time.Weekday
	from, to int     // minutes after midnight; to may be 1440
	loc      *time.Location
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

func parseWindow(days []string, from, to, tz string) (*window, error) {
	w := &window{loc: time.Local}
	if len(days) == 0 {
		w.days = [7]bool{true, true, true, true, true, true, true}
	}
	for i, d := range days {
		wd, ok := dayNames[strings.ToLower(strings.TrimSpace(d))]
		if !ok {
			return nil, fmt.Errorf("days[%d]: %q is not a day (mon, tue, wed, thu, fri, sat, sun)", i, d)
		}
		w.days[wd] = true
	}
	var err error
	if w.from, err = parseClock(from, false); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if w.to, err = parseClock(to, true); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	if tz != "" {
		if w.loc, err = time.LoadLocation(tz); err != nil {
			return nil, fmt.Errorf("timezone: %q: %v", tz, err)
		}
	}
	return w, nil
}

// parseClock reads "HH:MM"; "24:00" only as an end.
func parseClock(s string, end bool) (int, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("%q is not a time of day (want HH:MM, e.g. \"21:00\")", s)
	}
	if _, err := fmt.Sscanf(s, "%2d:%2d", &h, &m); err != nil || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && (m != 0 || !end)) {
		return 0, fmt.Errorf("%q is not a time of day (want HH:MM, e.g. \"21:00\")", s)
	}
	return h*60 + m, nil
}

// open reports whether t falls inside the window.
func (w *window) open(t time.Time) bool {
	t = t.In(w.loc)
	wd := t.Weekday()
	m := t.Hour()*60 + t.Minute()
	if w.from < w.to {
		return w.days[wd] && m >= w.from && m < w.to
	}
	// Crossing midnight (or from == to: a full 24 hours from `from`): the
	// evening part on an opening day, the morning part the day after one.
	return (w.days[wd] && m >= w.from) || (w.days[(wd+6)%7] && m < w.to)
}
