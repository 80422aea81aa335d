// Package push sends renewal and premium reminders: a Scheduler plans one
// outbox row (ent's Reminder) per policy, due date, window and recipient;
// a Worker claims due rows with a lease, hands them to a Sender (Firebase
// Cloud Messaging, or the log when Firebase is not configured), records
// every attempt and puts every agent reminder in the agent's inbox.
//
// # Exactly once
//
// The outbox row's unique key (policy, due kind, due date, window,
// recipient kind, recipient) makes a reminder exist once however often and
// on however many replicas the Scheduler runs: inserts are
// INSERT … ON CONFLICT DO NOTHING. A Worker sends a row only while it holds
// the row's lease, and every write that ends an attempt is fenced by the
// lease token; see Worker for why two workers can never send one row
// concurrently, and for the one window the provider leaves open.
//
// # Recipients
//
// The customer's agent always: pushed to the agent's enabled devices, and
// in the agent's inbox (a synced Notification) whether or not a push went
// out, so an agent offline or without a device still sees it. The customer
// too when their push consent is recorded and they have a device: push
// only (customers have no inbox), skipped when no device can take it.
//
// # Time
//
// Reminders are computed in the recipient's time zone (the agent's
// Agent.time_zone; a customer's most recently seen device's time_zone), at
// Config.SendAt local time on the window's day, and never inside quiet
// hours: a send time, a retry or a late send that falls inside them moves
// to their end.
package push

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // recipients' zones resolve on hosts without zoneinfo

	"github.com/google/uuid"

	"github.com/agentdesk/agentdesk/ent"
	"github.com/agentdesk/agentdesk/ent/insurancepolicy"
	"github.com/agentdesk/agentdesk/ent/reminder"
)

// dueKinds are the dates reminded of, in planning order.
var dueKinds = [...]reminder.DueKind{reminder.DueKindPremium, reminder.DueKindRenewal}

// Config tunes planning and delivery. The zero value is not usable; start
// from DefaultConfig.
type Config struct {
	// Windows are the days before a due date at which a reminder goes, per
	// due kind (0 is the day itself).
	Windows map[reminder.DueKind][]int
	// LineWindows overrides Windows for a line of business; a due kind
	// missing from a line's map falls back to Windows.
	LineWindows map[insurancepolicy.Line]map[reminder.DueKind][]int
	// SendAt is the local time of day at which a window's reminder goes.
	SendAt time.Duration
	// Quiet is the local quiet period; nothing is sent inside it.
	Quiet QuietHours
	// BackfillGrace bounds back-filling: a window whose send time lies more
	// than this before the moment it is first planned (a policy imported
	// late, a date that moved close) is recorded as skipped, not sent; one
	// within the grace goes at once (outside quiet hours).
	BackfillGrace time.Duration
	// DefaultTimeZone is used for a recipient whose time zone is unknown.
	DefaultTimeZone string
	// FullPlanEvery bounds the time between full plans; the plans between
	// them follow the change log (see Scheduler.Plan).
	FullPlanEvery time.Duration

	// LeaseDuration is how long a claimed row stays claimed.
	LeaseDuration time.Duration
	// SendTimeout bounds the sends of one claimed batch; it must leave room
	// within LeaseDuration (at most half of it), so that a worker has
	// stopped sending before its lease can expire.
	SendTimeout time.Duration
	// BatchSize is the number of rows one claim takes.
	BatchSize int
	// MaxAttempts bounds the delivery attempts of one reminder; then it is
	// recorded failed.
	MaxAttempts int
	// BackoffBase and BackoffMax shape the retry delay: BackoffBase·2^(n-1)
	// after the n-th attempt, capped at BackoffMax, with equal jitter; a
	// longer Retry-After from the provider wins.
	BackoffBase, BackoffMax time.Duration
	// PushTTL is how long the provider keeps an undelivered push.
	PushTTL time.Duration
	// AtRiskAfter is how long a window may stay unsent past its send time
	// before the report flags it.
	AtRiskAfter time.Duration
	// DeviceMaxIdle is how long a device may go unseen before PruneDevices
	// disables it.
	DeviceMaxIdle time.Duration
	// WorkerID names this process in lease tokens (logs and debugging).
	WorkerID string
}

// DefaultConfig returns the defaults: windows 30, 7, 3, 1 and 0 days for
// both due kinds, 09:00 local, quiet hours 21:00–08:00, a one-day
// back-fill grace, five-minute leases, eight attempts.
func DefaultConfig() Config {
	return Config{
		Windows: map[reminder.DueKind][]int{
			reminder.DueKindPremium: {30, 7, 3, 1, 0},
			reminder.DueKindRenewal: {30, 7, 3, 1, 0},
		},
		SendAt:          9 * time.Hour,
		Quiet:           QuietHours{Start: 21 * time.Hour, End: 8 * time.Hour},
		BackfillGrace:   24 * time.Hour,
		DefaultTimeZone: "Asia/Shanghai",
		FullPlanEvery:   6 * time.Hour,
		LeaseDuration:   5 * time.Minute,
		SendTimeout:     2 * time.Minute,
		BatchSize:       100,
		MaxAttempts:     8,
		BackoffBase:     time.Minute,
		BackoffMax:      2 * time.Hour,
		PushTTL:         24 * time.Hour,
		AtRiskAfter:     time.Hour,
		DeviceMaxIdle:   270 * 24 * time.Hour,
		WorkerID:        "push",
	}
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	var errs []error
	check := func(name string, ws []int) {
		if len(ws) == 0 {
			errs = append(errs, fmt.Errorf("%s: no windows", name))
		}
		for _, w := range ws {
			if w < 0 || w > 366 {
				errs = append(errs, fmt.Errorf("%s: window %d out of 0..366", name, w))
			}
		}
	}
	for _, k := range dueKinds {
		check("windows "+k.String(), c.Windows[k])
	}
	for line, m := range c.LineWindows {
		for k, ws := range m {
			check(fmt.Sprintf("line %s windows %s", line, k), ws)
		}
	}
	if c.SendAt < 0 || c.SendAt >= 24*time.Hour {
		errs = append(errs, errors.New("SendAt must be a time of day"))
	}
	if err := c.Quiet.validate(); err != nil {
		errs = append(errs, err)
	}
	if _, err := time.LoadLocation(c.DefaultTimeZone); err != nil || c.DefaultTimeZone == "" {
		errs = append(errs, fmt.Errorf("DefaultTimeZone %q is not an IANA zone", c.DefaultTimeZone))
	}
	if c.LeaseDuration <= 0 || c.SendTimeout <= 0 || 2*c.SendTimeout > c.LeaseDuration {
		errs = append(errs, errors.New("SendTimeout must be positive and at most half of LeaseDuration"))
	}
	if c.BatchSize <= 0 || c.BatchSize > maxSendBatch {
		errs = append(errs, fmt.Errorf("BatchSize must be in 1..%d", maxSendBatch))
	}
	if c.MaxAttempts <= 0 {
		errs = append(errs, errors.New("MaxAttempts must be positive"))
	}
	if c.BackoffBase <= 0 || c.BackoffMax < c.BackoffBase {
		errs = append(errs, errors.New("BackoffBase must be positive and not above BackoffMax"))
	}
	if c.BackfillGrace < 0 || c.PushTTL <= 0 || c.AtRiskAfter < 0 || c.DeviceMaxIdle <= 0 || c.FullPlanEvery < 0 {
		errs = append(errs, errors.New("BackfillGrace, AtRiskAfter, FullPlanEvery must not be negative; PushTTL, DeviceMaxIdle must be positive"))
	}
	return errors.Join(errs...)
}

// windowsFor returns the windows of a due kind for a line of business.
func (c *Config) windowsFor(line insurancepolicy.Line, kind reminder.DueKind) []int {
	if m, ok := c.LineWindows[line]; ok {
		if ws, ok := m[kind]; ok {
			return ws
		}
	}
	return c.Windows[kind]
}

// maxWindow is the largest window of any line and kind.
func (c *Config) maxWindow() int {
	m := 0
	for _, ws := range c.Windows {
		m = max(m, slices.Max(ws))
	}
	for _, lm := range c.LineWindows {
		for _, ws := range lm {
			m = max(m, slices.Max(ws))
		}
	}
	return m
}

// QuietHours is a local period of the day in which nothing is sent. Start
// and End are times of day; Start after End means the period spans
// midnight (the default 21:00–08:00). Start equal to End means none.
type QuietHours struct {
	Start, End time.Duration
}

func (q QuietHours) validate() error {
	if q.Start < 0 || q.Start >= 24*time.Hour || q.End < 0 || q.End >= 24*time.Hour {
		return errors.New("quiet hours must be times of day")
	}
	return nil
}

// Contains reports whether t falls inside the quiet hours in loc.
func (q QuietHours) Contains(t time.Time, loc *time.Location) bool {
	if q.Start == q.End {
		return false
	}
	tod := timeOfDay(t.In(loc))
	if q.Start < q.End {
		return tod >= q.Start && tod < q.End
	}
	return tod >= q.Start || tod < q.End
}

// After returns t when it is outside the quiet hours in loc, and otherwise
// the end of the quiet period that contains it (in UTC).
func (q QuietHours) After(t time.Time, loc *time.Location) time.Time {
	if !q.Contains(t, loc) {
		return t
	}
	lt := t.In(loc)
	day := lt.Day()
	if q.Start > q.End && timeOfDay(lt) >= q.Start {
		day++ // the period began this evening and ends tomorrow morning
	}
	return atLocal(lt.Year(), lt.Month(), day, q.End, loc)
}

// timeOfDay is the wall-clock time since local midnight.
func timeOfDay(t time.Time) time.Duration {
	h, m, s := t.Clock()
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(s)*time.Second + time.Duration(t.Nanosecond())
}

// atLocal is the instant (UTC) of wall-clock time tod on a local calendar
// day; day overflow is normalized (month ends, leap days). A wall time
// that a DST change skips (02:30 on a spring-forward night) moves forward
// by the gap (03:30): time.Date alone may resolve it backward.
func atLocal(y int, m time.Month, d int, tod time.Duration, loc *time.Location) time.Time {
	h := int(tod / time.Hour)
	mi := int(tod % time.Hour / time.Minute)
	s := int(tod % time.Minute / time.Second)
	t := time.Date(y, m, d, h, mi, s, 0, loc)
	want := time.Date(y, m, d, h, mi, s, 0, time.UTC)
	got := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	if gap := want.Sub(got); gap > 0 {
		t = t.Add(gap)
	}
	return t.UTC()
}

// SendTime returns when the reminder of the window `window` days before
// the calendar date due goes to a recipient in loc: SendAt local time on
// that day, moved out of quiet hours.
func (c *Config) SendTime(due time.Time, window int, loc *time.Location) time.Time {
	t := atLocal(due.Year(), due.Month(), due.Day()-window, c.SendAt, loc)
	return c.Quiet.After(t, loc)
}

// Key identifies one reminder: the outbox's unique key.
type Key struct {
	PolicyID      uuid.UUID
	DueKind       reminder.DueKind
	DueDate       time.Time
	WindowDays    int
	RecipientKind reminder.RecipientKind
	RecipientID   uuid.UUID
}

// String is the key as the inbox's dedupe_key and the push's data carry it.
func (k Key) String() string {
	return strings.Join([]string{"reminder", k.PolicyID.String(), k.DueKind.String(),
		k.DueDate.Format(time.DateOnly), fmt.Sprint(k.WindowDays), k.RecipientKind.String(),
		k.RecipientID.String()}, ":")
}

// keyOf returns the key of an outbox row.
func keyOf(r *ent.Reminder) Key {
	return Key{PolicyID: r.PolicyID, DueKind: r.DueKind, DueDate: dateOf(r.DueDate),
		WindowDays: r.WindowDays, RecipientKind: r.RecipientKind, RecipientID: r.RecipientID}
}

// dateOf is the calendar date of a stored date column, as UTC midnight
// (SQLite keeps UTC midnights, PostgreSQL DATE reads back the same).
func dateOf(t time.Time) time.Time {
	u := t.UTC()
	return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
}

// stamp normalizes a time for storage: UTC, to the microsecond that
// PostgreSQL keeps, so values compare equal after a round trip.
func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
