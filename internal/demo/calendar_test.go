package demo

import (
	"testing"
	"time"
)

func TestIDCheckDigit(t *testing.T) {
	// Examples of GB 11643-1999.
	for _, id := range []string{"11010519491231002X", "440524188001010014"} {
		if got := idCheckDigit(id[:17]); got != id[17] {
			t.Errorf("idCheckDigit(%s) = %c, want %c", id[:17], got, id[17])
		}
	}
}

func TestAddWorkingDays(t *testing.T) {
	cal := newCalendar()
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		from string
		n    int
		want string
	}{
		{"2026-03-18 10:00", 2, "2026-03-20 10:00"}, // Wednesday → Friday
		{"2026-03-20 15:00", 2, "2026-03-24 15:00"}, // over a weekend
		{"2026-09-18 15:00", 2, "2026-09-21 15:00"}, // Sunday 20 September is a working day
		{"2026-09-30 09:00", 2, "2026-10-09 09:00"}, // over the National Day holiday
		{"2026-02-06 10:00", 7, "2026-02-24 10:00"}, // Saturday 14 February works, the Spring Festival does not
	} {
		if got := cal.addWorkingDays(at(c.from), c.n); !got.Equal(at(c.want)) {
			t.Errorf("addWorkingDays(%s, %d) = %s, want %s", c.from, c.n, got.In(shanghai).Format("2006-01-02 15:04"), c.want)
		}
	}
}

func TestHolidayList(t *testing.T) {
	seen := map[string]bool{}
	for _, h := range holidays {
		d, err := time.Parse(time.DateOnly, h.date)
		if err != nil || seen[h.date] || h.note == "" {
			t.Errorf("holiday %+v: duplicate, unnamed or malformed (%v)", h, err)
		}
		seen[h.date] = true
		weekend := d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
		if h.working && !weekend {
			t.Errorf("%s is a weekday marked as a 调休 working day", h.date)
		}
	}
}
