// Package civil does calendar-date arithmetic for derived figures and plan
// due dates: a Date is a day of the proleptic Gregorian calendar with no
// time zone, so "in how many days" and "the next anniversary" are computed
// on the calendar the agent lives in, not on UTC instants.
package civil

import (
	"fmt"
	"time"
)

// Date is a calendar day, counted in days since 1970-01-01. The zero value
// is 1970-01-01; use Valid dates from the constructors.
type Date int32

// New returns the date y-m-d; out-of-range months and days normalize the
// way time.Date does (2026-02-30 is 2026-03-02).
func New(y int, m time.Month, d int) Date {
	return Date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Of returns the calendar day that the instant t falls on in loc.
func Of(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return New(y, m, d)
}

// FromStored returns the day of a stored calendar date. Date columns are
// written as UTC midnights, so the UTC day is the date itself whatever the
// agent's zone.
func FromStored(t time.Time) Date {
	y, m, d := t.UTC().Date()
	return New(y, m, d)
}

// Time returns the date at 00:00 UTC.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// Midnight returns the instant at which the date begins in loc.
func (d Date) Midnight(loc *time.Location) time.Time {
	y, m, dd := d.Time().Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc).UTC()
}

// YMD returns the year, month and day.
func (d Date) YMD() (int, time.Month, int) { return d.Time().Date() }

// AddDays returns the date n days later (earlier when n < 0).
func (d Date) AddDays(n int) Date { return d + Date(n) }

// DaysUntil returns how many days lie from d to e: 0 on the same day,
// negative when e is before d.
func (d Date) DaysUntil(e Date) int { return int(e - d) }

// String formats the date as YYYY-MM-DD.
func (d Date) String() string {
	y, m, dd := d.YMD()
	return fmt.Sprintf("%04d-%02d-%02d", y, int(m), dd)
}

// IsLeap reports whether y is a leap year.
func IsLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// Anniversary returns the anniversary of d in year y. A 29 February falls
// on 28 February in common years: the last day of the same month, so a
// care touch or a policy anniversary is never pushed into March.
func (d Date) Anniversary(y int) Date {
	_, m, dd := d.YMD()
	if m == time.February && dd == 29 && !IsLeap(y) {
		dd = 28
	}
	return New(y, m, dd)
}

// NextAnniversary returns the first anniversary of d on or after today
// (today itself when the anniversary is today); d itself while it is still
// to come.
func (d Date) NextAnniversary(today Date) Date {
	if d >= today {
		return d
	}
	y, _, _ := today.YMD()
	a := d.Anniversary(y)
	if a < today {
		a = d.Anniversary(y + 1)
	}
	return a
}

// YearsSince returns the whole years from d to today: 0 before the first
// anniversary, and negative never (a future d gives 0).
func (d Date) YearsSince(today Date) int {
	if today < d {
		return 0
	}
	y0, _, _ := d.YMD()
	y1, _, _ := today.YMD()
	n := y1 - y0
	if today < d.Anniversary(y1) {
		n--
	}
	return max(n, 0)
}

// AddYears returns the anniversary of d n years later.
func (d Date) AddYears(n int) Date {
	y, _, _ := d.YMD()
	return d.Anniversary(y + n)
}
