package demo

import "time"

// holiday is one override of the Monday–Friday working-day rule.
type holiday struct {
	date    string // YYYY-MM-DD
	working bool   // true: a weekend day made a working day (调休上班)
	note    string
}

// holidays are China's public holidays and 调休 working weekend days.
// 2026 follows the State Council notice of 4 November 2025 (国办发明电
// 〔2025〕); 2027 had not been announced when this list was written and is
// estimated from the statutory rules (法定假日逢周末补休, 春节/国庆拼成长假),
// marked 预估: correct it once the notice is out.
var holidays = []holiday{
	// 2026
	{"2026-01-01", false, "元旦"},
	{"2026-01-02", false, "元旦（调休）"},
	{"2026-01-03", false, "元旦"},
	{"2026-01-04", true, "元旦调休上班"},
	{"2026-02-14", true, "春节调休上班"},
	{"2026-02-15", false, "春节（腊月二十八）"},
	{"2026-02-16", false, "春节（除夕）"},
	{"2026-02-17", false, "春节（正月初一）"},
	{"2026-02-18", false, "春节（正月初二）"},
	{"2026-02-19", false, "春节（正月初三）"},
	{"2026-02-20", false, "春节（调休）"},
	{"2026-02-21", false, "春节"},
	{"2026-02-22", false, "春节"},
	{"2026-02-23", false, "春节（调休）"},
	{"2026-02-28", true, "春节调休上班"},
	{"2026-04-04", false, "清明节"},
	{"2026-04-05", false, "清明节"},
	{"2026-04-06", false, "清明节（补休）"},
	{"2026-05-01", false, "劳动节"},
	{"2026-05-02", false, "劳动节"},
	{"2026-05-03", false, "劳动节"},
	{"2026-05-04", false, "劳动节（补休）"},
	{"2026-05-05", false, "劳动节（调休）"},
	{"2026-05-09", true, "劳动节调休上班"},
	{"2026-06-19", false, "端午节"},
	{"2026-06-20", false, "端午节"},
	{"2026-06-21", false, "端午节"},
	{"2026-09-20", true, "国庆节调休上班"},
	{"2026-09-25", false, "中秋节"},
	{"2026-09-26", false, "中秋节"},
	{"2026-09-27", false, "中秋节"},
	{"2026-10-01", false, "国庆节"},
	{"2026-10-02", false, "国庆节"},
	{"2026-10-03", false, "国庆节"},
	{"2026-10-04", false, "国庆节"},
	{"2026-10-05", false, "国庆节（补休）"},
	{"2026-10-06", false, "国庆节（调休）"},
	{"2026-10-07", false, "国庆节（调休）"},
	{"2026-10-10", true, "国庆节调休上班"},

	// 2027 (预估)
	{"2027-01-01", false, "元旦（预估）"},
	{"2027-01-02", false, "元旦（预估）"},
	{"2027-01-03", false, "元旦（预估）"},
	{"2027-01-31", true, "春节调休上班（预估）"},
	{"2027-02-05", false, "春节（除夕，预估）"},
	{"2027-02-06", false, "春节（正月初一，预估）"},
	{"2027-02-07", false, "春节（正月初二，预估）"},
	{"2027-02-08", false, "春节（正月初三，预估）"},
	{"2027-02-09", false, "春节（补休，预估）"},
	{"2027-02-10", false, "春节（补休，预估）"},
	{"2027-02-11", false, "春节（调休，预估）"},
	{"2027-02-12", false, "春节（调休，预估）"},
	{"2027-02-20", true, "春节调休上班（预估）"},
	{"2027-04-03", false, "清明节（预估）"},
	{"2027-04-04", false, "清明节（预估）"},
	{"2027-04-05", false, "清明节（预估）"},
	{"2027-05-01", false, "劳动节（预估）"},
	{"2027-05-02", false, "劳动节（预估）"},
	{"2027-05-03", false, "劳动节（补休，预估）"},
	{"2027-05-04", false, "劳动节（补休，预估）"},
	{"2027-05-05", false, "劳动节（调休，预估）"},
	{"2027-05-08", true, "劳动节调休上班（预估）"},
	{"2027-06-09", false, "端午节（预估）"},
	{"2027-09-15", false, "中秋节（预估）"},
	{"2027-09-26", true, "国庆节调休上班（预估）"},
	{"2027-10-01", false, "国庆节（预估）"},
	{"2027-10-02", false, "国庆节（预估）"},
	{"2027-10-03", false, "国庆节（预估）"},
	{"2027-10-04", false, "国庆节（补休，预估）"},
	{"2027-10-05", false, "国庆节（补休，预估）"},
	{"2027-10-06", false, "国庆节（调休，预估）"},
	{"2027-10-07", false, "国庆节（调休，预估）"},
	{"2027-10-09", true, "国庆节调休上班（预估）"},
}

// calendar answers whether a Shanghai calendar date is a working day.
type calendar map[string]bool

func newCalendar() calendar {
	c := make(calendar, len(holidays))
	for _, h := range holidays {
		c[h.date] = h.working
	}
	return c
}

// working reports whether the local date of t is a working day.
func (c calendar) working(t time.Time) bool {
	t = t.In(shanghai)
	if w, ok := c[t.Format(time.DateOnly)]; ok {
		return w
	}
	return t.Weekday() != time.Saturday && t.Weekday() != time.Sunday
}

// addWorkingDays moves t forward by n working days, keeping the local time
// of day: a complaint received on Friday 15:00 with n = 2 is due on the
// second working day after, at 15:00.
func (c calendar) addWorkingDays(t time.Time, n int) time.Time {
	d := t.In(shanghai)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.working(d) {
			n--
		}
	}
	return d.UTC()
}
