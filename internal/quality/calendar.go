package quality

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/calendarday"
	"github.com/agentdesk/agentdesk/internal/apperr"
	"github.com/agentdesk/agentdesk/internal/auth"
	"github.com/agentdesk/agentdesk/internal/clock"
	"github.com/agentdesk/agentdesk/internal/store"
)

// DefaultCalendarMaxAge is how long a database-backed Calendar trusts its
// cache before Refresh reloads it, so that another replica's SetDay
// reaches this one.
const DefaultCalendarMaxAge = 5 * time.Minute

// maxNoteLength is the longest note of a calendar day, in characters.
const maxNoteLength = 200

// DefaultLocation returns Asia/Shanghai, the zone of China's official
// calendar. Without a time-zone database it returns a fixed UTC+8 zone,
// which is exact: China has observed no daylight saving time since 1991.
func DefaultLocation() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}

// Day is one exception to the Monday–Friday rule: a public holiday
// (WorkingDay false) or a weekend day made a working day (调休,
// WorkingDay true). Date is midnight UTC of the civil date.
type Day struct {
	Date       time.Time
	WorkingDay bool
	Note       string
}

// CalendarOptions tune LoadCalendar.
type CalendarOptions struct {
	// Location is the zone whose civil dates the calendar describes;
	// DefaultLocation when nil.
	Location *time.Location
	// Clock stamps edits and ages the cache; the system clock when nil.
	Clock clock.Clock
	// MaxAge is how long Refresh trusts the cache; DefaultCalendarMaxAge
	// when zero.
	MaxAge time.Duration
}

// Calendar answers which days are working days: Monday to Friday in its
// location, minus the holidays and plus the 调休 working days stored as
// CalendarDay rows. It is safe for concurrent use; reads never touch the
// database.
//
// # Working-day arithmetic
//
// AddWorkingDays keeps the local time of day ("same-time" semantics): a
// clock that starts at 10:00 on a working day and allows n working days
// runs out at 10:00 on the n-th working day after. A clock that starts on
// a non-working day starts instead at 00:00 of the next working day, so it
// gets n whole working days. Examples, in Asia/Shanghai, with 2026's
// official calendar:
//
//	Fri 2026-03-06 10:00 + 2  →  Tue 2026-03-10 10:00  (weekend skipped)
//	Fri 2026-03-06 10:00 + 7  →  Tue 2026-03-17 10:00
//	Sat 2026-03-07 15:00 + 2  →  Wed 2026-03-11 00:00  (= end of Tuesday)
//	Fri 2026-02-13 18:00 + 1  →  Sat 2026-02-14 18:00  (调休 working Saturday)
//	Sat 2026-02-14 18:00 + 1  →  Tue 2026-02-24 18:00  (春节 15–23 Feb skipped)
//	Wed 2026-09-30 09:00 + 3  →  Sat 2026-10-10 09:00  (国庆 1–7 Oct; 10 Oct 调休)
//
// Times are returned in UTC.
type Calendar struct {
	db     *store.DB // nil for a fixed calendar
	loc    *time.Location
	clock  clock.Clock
	maxAge time.Duration

	state atomic.Pointer[calendarState]
	wmu   sync.Mutex // serialises writers of state
}

// calendarState is an immutable snapshot of the exceptions; writers
// replace it whole.
type calendarState struct {
	days     map[string]Day // by YYYY-MM-DD
	loadedAt time.Time
}

// NewCalendar returns a calendar with fixed exceptions and no database,
// for tools and tests. A nil loc means DefaultLocation.
func NewCalendar(loc *time.Location, days ...Day) *Calendar {
	c := &Calendar{loc: orDefault(loc), clock: clock.System{}, maxAge: DefaultCalendarMaxAge}
	m := make(map[string]Day, len(days))
	for _, d := range days {
		d.Date = civil(d.Date)
		m[dateKey(d.Date)] = d
	}
	c.state.Store(&calendarState{days: m})
	return c
}

// LoadCalendar returns a calendar backed by the CalendarDay table, loaded
// now. Loading is the server's own work, done under auth.SystemContext.
func LoadCalendar(ctx context.Context, db *store.DB, opts CalendarOptions) (*Calendar, error) {
	c := &Calendar{db: db, loc: orDefault(opts.Location), clock: opts.Clock, maxAge: opts.MaxAge}
	if c.clock == nil {
		c.clock = clock.System{}
	}
	if c.maxAge <= 0 {
		c.maxAge = DefaultCalendarMaxAge
	}
	if err := c.Reload(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func orDefault(loc *time.Location) *time.Location {
	if loc == nil {
		return DefaultLocation()
	}
	return loc
}

// Location returns the zone whose civil dates the calendar describes.
func (c *Calendar) Location() *time.Location { return c.loc }

// Reload reads every exception from the database. It is a no-op for a
// calendar made by NewCalendar.
func (c *Calendar) Reload(ctx context.Context) error {
	if c.db == nil {
		return nil
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	rows, err := c.db.Client.CalendarDay.Query().All(auth.SystemContext(ctx))
	if err != nil {
		return fmt.Errorf("load calendar: %w", err)
	}
	m := make(map[string]Day, len(rows))
	for _, r := range rows {
		d := dayOf(r)
		m[dateKey(d.Date)] = d
	}
	c.state.Store(&calendarState{days: m, loadedAt: c.clock.Now()})
	return nil
}

// Refresh reloads the calendar when its cache is older than its MaxAge.
func (c *Calendar) Refresh(ctx context.Context) error {
	if c.db == nil || c.clock.Now().Sub(c.state.Load().loadedAt) < c.maxAge {
		return nil
	}
	return c.Reload(ctx)
}

// SetDay makes date (its year, month and day as written) a working day or
// not, with a note such as 国庆节 or 国庆调休. Setting a day to its
// Monday–Friday default removes the exception. It writes with the caller's
// ctx (admins only, by the access rules) and updates the cache.
func (c *Calendar) SetDay(ctx context.Context, date time.Time, working bool, note string) (Day, error) {
	if c.db == nil {
		return Day{}, fmt.Errorf("set calendar day: calendar has no database")
	}
	date = civil(date)
	if y := date.Year(); y < 2000 || y > 2100 {
		return Day{}, apperr.Invalid("the date is out of range", apperr.FieldError{Field: "date", Code: "range", Message: "must be between 2000 and 2100"})
	}
	if utf8.RuneCountInString(note) > maxNoteLength {
		return Day{}, apperr.Invalid("the note is too long", apperr.FieldError{Field: "/note", Code: "maxLength", Message: fmt.Sprintf("must be at most %d characters", maxNoteLength)})
	}
	day := Day{Date: date, WorkingDay: working, Note: note}
	isDefault := working == defaultWorking(date.Weekday())
	now := c.clock.Now()
	err := c.db.WithTx(ctx, func(ctx context.Context, tx *ent.Tx) error {
		if isDefault {
			_, err := tx.CalendarDay.Delete().Where(calendarday.DateEQ(date)).Exec(ctx)
			return err
		}
		return tx.CalendarDay.Create().SetDate(date).SetWorkingDay(working).SetNote(note).
			SetCreatedAt(now).SetUpdatedAt(now).
			OnConflictColumns(calendarday.FieldDate).
			Update(func(u *ent.CalendarDayUpsert) {
				u.UpdateWorkingDay().UpdateNote().SetUpdatedAt(now)
			}).Exec(ctx)
	})
	if err != nil {
		return Day{}, fmt.Errorf("set calendar day %s: %w", dateKey(date), err)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	old := c.state.Load()
	m := make(map[string]Day, len(old.days)+1)
	for k, v := range old.days {
		m[k] = v
	}
	if isDefault {
		delete(m, dateKey(date))
	} else {
		m[dateKey(date)] = day
	}
	c.state.Store(&calendarState{days: m, loadedAt: old.loadedAt})
	return day, nil
}

// Days returns the exceptions of a year, by date.
func (c *Calendar) Days(year int) []Day {
	var out []Day
	for _, d := range c.state.Load().days {
		if d.Date.Year() == year {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b Day) int { return a.Date.Compare(b.Date) })
	return out
}

// IsWorkingDay reports whether t's civil date, in the calendar's
// location, is a working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	y, m, d := t.In(c.loc).Date()
	return c.state.Load().working(y, m, d)
}

// AddWorkingDays returns the time n working days after t, with the
// same-time semantics described on Calendar. A negative n counts as 0.
func (c *Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	s := c.state.Load()
	l := t.In(c.loc)
	y, m, d := l.Date()
	hh, mm, ss := l.Clock()
	ns := l.Nanosecond()
	if !s.working(y, m, d) {
		hh, mm, ss, ns = 0, 0, 0, 0
		for !s.working(y, m, d) {
			y, m, d = nextDate(y, m, d)
		}
	}
	for ; n > 0; n-- {
		y, m, d = nextDate(y, m, d)
		for !s.working(y, m, d) {
			y, m, d = nextDate(y, m, d)
		}
	}
	return time.Date(y, m, d, hh, mm, ss, ns, c.loc).UTC()
}

// WorkingDaysBetween counts the working days after a's civil date up to
// and including b's (both in the calendar's location); it is negative when
// b is before a. For a on a working day,
// WorkingDaysBetween(a, AddWorkingDays(a, n)) == n.
func (c *Calendar) WorkingDaysBetween(a, b time.Time) int {
	la, lb := civil(a.In(c.loc)), civil(b.In(c.loc))
	if lb.Before(la) {
		return -c.WorkingDaysBetween(b, a)
	}
	s := c.state.Load()
	n := 0
	for d := la.AddDate(0, 0, 1); !d.After(lb); d = d.AddDate(0, 0, 1) {
		if s.working(d.Date()) {
			n++
		}
	}
	return n
}

func (s *calendarState) working(y int, m time.Month, d int) bool {
	date := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if day, ok := s.days[dateKey(date)]; ok {
		return day.WorkingDay
	}
	return defaultWorking(date.Weekday())
}

func defaultWorking(wd time.Weekday) bool { return wd != time.Saturday && wd != time.Sunday }

func nextDate(y int, m time.Month, d int) (int, time.Month, int) {
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC).Date()
}

// civil returns midnight UTC of t's date as written in t's location.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func dateKey(t time.Time) string { return t.Format(time.DateOnly) }

func dayOf(r *ent.CalendarDay) Day {
	return Day{Date: civil(r.Date.UTC()), WorkingDay: r.WorkingDay, Note: r.Note}
}
